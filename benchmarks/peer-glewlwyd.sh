#!/usr/bin/env bash
# Tessera beside Glewlwyd 2.7.5 (Debian's OAuth 2 / OpenID Connect server, in C) in one run: token issuance and
# RFC 7662 introspection, requests/s and the server's own CPU time per answer (/proc/PID/stat over each run), then
# Tessera's rates over Glewlwyd's. Both servers run on SQLite, pinned to core 0, and only one is loaded at a time, by
# wrk -t1 -c32 on core 1. Glewlwyd gets a throwaway config and database, set up through its HTTP API: an OpenID
# Connect plugin signing RS256 with a new 2048-bit key, and confidential client_credentials clients that introspect
# their own tokens. It checks a client's secret against a PBKDF2 hash on every call (150,000 iterations as
# packaged), so it is measured as packaged and with a secret hashed once. Its database keeps SQLite's default
# rollback journal and its token writes wait on the disk: where CPU time per answer is far below 1/rate, that is the
# wait. Each answer is checked once with curl before it is measured; a non-2xx answer during a run stops the script.
# Usage: benchmarks/peer-glewlwyd.sh [seconds per run]   (needs root to install glewlwyd and wrk if missing)
command -v glewlwyd >/dev/null && command -v wrk >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq glewlwyd wrk >/dev/null; }
connections=32
source "$(dirname "$0")/common.sh"

# --- Glewlwyd: its own directory, config, database and port; stopped and removed with Tessera on exit.
gdir=$(mktemp -d /tmp/glewlwyd-bench.XXXXXX)
glewlwyd=""
trap 'kill $server $glewlwyd 2>/dev/null; wait $server $glewlwyd 2>/dev/null; rm -rf "$data" "$gdir"' EXIT
gport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gbase="http://127.0.0.1:$gport"
schema=/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3 # the package's init script (admin/password included)
[ -f "$schema" ] || { zcat /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz >"$gdir/init.sql"; schema=$gdir/init.sql; }
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' "$gdir/glewlwyd.db" "$schema"
cat >"$gdir/glewlwyd.conf" <<CONF
port=$gport
bind_address="127.0.0.1"
external_url="$gbase"
api_prefix="api"
log_mode="file"
log_level="WARNING"
log_file="$gdir/glewlwyd.log"
cookie_secure=0
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "$gdir/glewlwyd.db"; };
CONF
taskset -c 0 glewlwyd --config="$gdir/glewlwyd.conf" >"$gdir/stdout.log" 2>&1 &
glewlwyd=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$gbase/config" && break; sleep 0.1; done
curl -sf -o /dev/null "$gbase/config" || { echo "glewlwyd did not start:"; cat "$gdir"/*.log; exit 1; }

gapi() { # method, path, [JSON body]: the admin API with the session cookie, failing on an error status
    curl -sf -b "$gdir/cookies" -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$gbase/api$2"
}
curl -sf -c "$gdir/cookies" -H 'Content-Type: application/json' -d '{"username":"admin","password":"password"}' "$gbase/api/auth/"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$gdir/key.pem" 2>/dev/null
openssl pkey -in "$gdir/key.pem" -pubout -out "$gdir/public.pem"
gapi POST /mod/plugin/ "$(python3 - "$gdir" "$gbase" <<'PY'
import json, sys
folder, issuer = sys.argv[1], sys.argv[2]
print(json.dumps({"module": "oidc", "name": "oidc", "display_name": "bench", "enabled": True, "parameters": {
    "iss": issuer, "jwt-type": "rsa", "jwt-key-size": "256",
    "key": open(folder + "/key.pem").read(), "cert": open(folder + "/public.pem").read(),
    "code-duration": 600, "refresh-token-duration": 1209600, "access-token-duration": 3600,
    "allow-non-oidc": True, "auth-type-client-enabled": True,
    # /introspect, authenticated by the client the token was issued to (HTTP Basic, client_credentials clients).
    "introspection-revocation-allowed": True, "introspection-revocation-allow-target-client": True}}))
PY
)"
# A confidential client must list its token endpoint auth methods, or Glewlwyd refuses it as an invalid client.
gclient() { # client id, secret
    gapi POST /client/ "{\"client_id\":\"$1\",\"name\":\"$1\",\"confidential\":true,\"enabled\":true,\"password\":\"$2\",\"scope\":[\"bench\"],\"authorization_type\":[\"client_credentials\"],\"token_endpoint_auth_method\":[\"client_secret_basic\"]}"
}
gsecret="g-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
gclient packaged "$gsecret"
# The client database module hashes new secrets with its pbkdf2-iterations parameter (taken on a reset); the check
# uses the count stored with each hash, so the first client keeps its 150,000.
gapi PUT /mod/client/database "$(gapi GET /mod/client/database | python3 -c '
import json, sys
module = json.load(sys.stdin)
module["parameters"]["pbkdf2-iterations"] = 1
print(json.dumps({key: module[key] for key in ("display_name", "parameters", "order_rank", "readonly")}))')"
gapi PUT /mod/client/database/reset
gclient light "$gsecret"

# --- Tessera: an access key (dashboard), a back-end application for the password grant, a confidential application
# and an OAuth developer token as introspecting clients, and a CXone access token to introspect.
make_access_key
app_field() { awk -v field="$1:" '$1 == field {print $2}' <<<"$2"; }
backend=$("$bin" app create --name bench-backend --type backend --data-dir "$data")
backend_id=$(app_field client_id "$backend"); backend_secret=$(app_field client_secret "$backend")
app=$("$bin" app create --name bench-resource-server --type confidential --redirect-uri https://rs.example/cb --data-dir "$data")
client_id=$(app_field client_id "$app"); client_secret=$(app_field client_secret "$app")
make_credentials
make_oauth_client

# --- wrk request bodies (one Lua script each) and the checks that each answer is a success before it is measured.
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
post_script() { # name, content type, body, [client id, secret for HTTP Basic] -> path of a Lua script
    local file="$gdir/$1.lua"
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "%s"\nwrk.body = [[%s]]\n' "$2" "$3" >"$file"
    [ -z "${4:-}" ] || printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf '%s:%s' "$4" "$5" | base64 -w0)" >>"$file"
    echo "$file"
}
form=application/x-www-form-urlencoded
gtoken() { # client id -> one of its access tokens
    curl -sf -u "$1:$gsecret" -d grant_type=client_credentials -d scope=bench "$gbase/api/oidc/token/" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
gtoken_packaged=$(gtoken packaged); gtoken_light=$(gtoken light)
for client in packaged light; do
    token=gtoken_$client
    curl -sf -u "$client:$gsecret" -d "token=${!token}" "$gbase/api/oidc/introspect/" | grep -q '"active":true'
done
access_key_body="{\"accessKeyId\": \"$key_id\", \"accessKeySecret\": \"$key_secret\"}"
password_body="grant_type=password&username=$(urlencode "$key_id")&password=$(urlencode "$key_secret")"
curl -sf -H 'Content-Type: application/json' -d "$access_key_body" "$base/authentication/v1/token/access-key" | grep -q '"access_token"'
curl -sf -u "$backend_id:$backend_secret" -d "$password_body" "$base/auth/token" | grep -q '"access_token"'
curl -sf -u "$client_id:$client_secret" -d "token=$ACCESS" "$base/auth/introspect" | grep -q '"active":true'
curl -sf -u "$oauth_id:$oauth_secret" -d "token=$ACCESS" "$base/auth/introspect" | grep -q '"active":true'
# Not measured: the refresh_token grant. Each refresh token is spent by its first use (rotation), so wrk's one fixed
# body would get one answer and then refusals.

declare -A rate
measure() { # key, label, server pid, wrk arguments...: requests/s and the server's CPU µs per answer
    local key=$1 label=$2 pid=$3; shift 3
    local before after output requests
    before=$(cpu_ticks "$pid")
    output=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s "$@")
    after=$(cpu_ticks "$pid")
    grep -q "Non-2xx" <<<"$output" && { echo "$label: non-2xx answers"; echo "$output"; exit 1; }
    rate[$key]=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
    requests=$(awk '/requests in/ {print $1}' <<<"$output")
    [ "$requests" -gt 0 ] || { echo "$label: no answer in ${duration}s (is the machine busy?)"; echo "$output"; exit 1; }
    printf '%-56s %9s req/s %8s µs CPU each%s\n' "$label" "${rate[$key]}" \
        "$(python3 -c "print(f'{($after - $before) / $ticks * 1e6 / $requests:.0f}')")" \
        "$(awk '/Socket errors/ {sub(/^ */, ""); print "  (" $0 ")"}' <<<"$output")"
}

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), each server alone on core 0 while measured, wrk -t1 -c$connections on core 1, ${duration}s each"
echo "Glewlwyd $(dpkg-query -W -f '${Version}' glewlwyd), SQLite, RS256 (RSA 2048)"
measure g_token "  client_credentials token, packaged (PBKDF2 150,000)" "$glewlwyd" \
    -s "$(post_script g-token-packaged $form 'grant_type=client_credentials&scope=bench' packaged "$gsecret")" "$gbase/api/oidc/token/"
measure g_introspect "  introspect, packaged (PBKDF2 150,000)" "$glewlwyd" \
    -s "$(post_script g-introspect-packaged $form "token=$gtoken_packaged" packaged "$gsecret")" "$gbase/api/oidc/introspect/"
measure g_token_light "  client_credentials token, secret hashed with 1 iteration" "$glewlwyd" \
    -s "$(post_script g-token-light $form 'grant_type=client_credentials&scope=bench' light "$gsecret")" "$gbase/api/oidc/token/"
measure g_introspect_light "  introspect, secret hashed with 1 iteration" "$glewlwyd" \
    -s "$(post_script g-introspect-light $form "token=$gtoken_light" light "$gsecret")" "$gbase/api/oidc/introspect/"
echo "Tessera ($bin), SQLite"
measure t_access_key "  POST /authentication/v1/token/access-key" "$server" \
    -s "$(post_script t-access-key application/json "$access_key_body")" "$base/authentication/v1/token/access-key"
measure t_password "  POST /auth/token, password grant (access key)" "$server" \
    -s "$(post_script t-password $form "$password_body" "$backend_id" "$backend_secret")" "$base/auth/token"
measure t_introspect_app "  introspect, application client" "$server" \
    -s "$(post_script t-introspect-app $form "token=$ACCESS" "$client_id" "$client_secret")" "$base/auth/introspect"
measure t_introspect_oauth "  introspect, oauth developer-token client" "$server" \
    -s "$(post_script t-introspect-oauth $form "token=$ACCESS" "$oauth_id" "$oauth_secret")" "$base/auth/introspect"

echo "Tessera / Glewlwyd                                         vs packaged  vs 1 iteration   goal"
ratio() { # label, Tessera key, Glewlwyd key, goal
    python3 -c "import sys; t, g, l = map(float, sys.argv[2:5]); print(f'{sys.argv[1]:<56} {t / g:9.1f}x {t / l:13.1f}x {sys.argv[5]:>7}')" \
        "$1" "${rate[$2]}" "${rate[$3]}" "${rate[${3}_light]}" "$4"
}
ratio "  access-key tokens / client_credentials tokens" t_access_key g_token ">= 5x"
ratio "  password-grant tokens / client_credentials tokens" t_password g_token ">= 5x"
ratio "  introspection, application client / introspection" t_introspect_app g_introspect ">= 10x"
ratio "  introspection, oauth dev-token client / introspection" t_introspect_oauth g_introspect ">= 10x"
