# Shared set-up of the benchmark scripts (sourced): wrk, a release build, and a server pinned to core 0 on a free
# port with a fresh data directory, stopped on exit. Sets $base, $password and $duration.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# TESSERA_BENCH_BIN names another build (to compare two in one session); else the release build of this tree.
bin=${TESSERA_BENCH_BIN:-.build/release/tessera}
if [ -z "${TESSERA_BENCH_BIN:-}" ]; then
    swift build -c release --product tessera >/tmp/tessera-bench-build.log 2>&1 || { cat /tmp/tessera-bench-build.log; exit 1; }
fi
data=$(mktemp -d /tmp/tessera-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TESSERA_ADMIN_PASSWORD=$password taskset -c 0 "$bin" serve --port "$port" --data-dir "$data" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

# A process's CPU time so far (user + system), in clock ticks of $ticks a second: the server's by default.
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/${1:-$server}/stat"; }

run() { # label, wrk arguments... (wrk pinned to core 1)
    local label=$1; shift
    local output rate errors
    output=$(taskset -c 1 wrk -t1 -c"${connections:-8}" -d"${duration}s" "$@")
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
    # A refused credential answers fast: say so rather than let it pass for a fast answer.
    errors=$(awk '/Non-2xx/ {print "  (" $NF " non-2xx answers)"}' <<<"$output")
    printf '%-44s %10s req/s%s\n' "$label" "$rate" "$errors"
}

# Makes one credential of each kind (needs the running server) and sets AUTHTOKEN (sign-in), JWT (a server token's
# long-term JWT, restricted to admin), TKN and LEGACY (signatures of that server token), BROWSER (a browser token's
# key) and ACCESS (a CXone access token, from a "Generate Key" basic token): see make_credentials.py.
make_credentials() {
    eval "$(python3 benchmarks/make_credentials.py "$base" "$password")"
}

# An access key, created on the dashboard (the secret is shown once, on the page that made it): sets key_id and
# key_secret.
make_access_key() {
    export BASE=$base PASSWORD=$password
    read -r key_id key_secret < <(python3 - <<'PY'
import http.cookiejar, os, re, urllib.parse, urllib.request
base, password = os.environ["BASE"], os.environ["PASSWORD"]
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def csrf(path):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', opener.open(base + path).read().decode()).group(1)
opener.open(base + "/", urllib.parse.urlencode({"csrf": csrf("/"), "username": "admin", "password": password}).encode())
page = opener.open(base + "/dashboard/access-keys", urllib.parse.urlencode({"csrf": csrf("/dashboard/access-keys")}).encode()).read().decode()
print(re.search(r'id="access-key-id">([^<]+)<', page).group(1), re.search(r'id="access-key-secret">([^<]+)<', page).group(1))
PY
)
}

# An OAuth developer token, which authenticates as a client too (its key and secret; no application has its id):
# sets oauth_id and oauth_secret. Needs make_credentials first (it is made with $AUTHTOKEN).
make_oauth_client() {
    local oauth
    oauth=$(curl -sf -H "Authorization: Bearer $AUTHTOKEN" -H 'Content-Type: application/xml' \
        --data "<developer-token type='oauth'><name>bench introspector</name><host>rs.example</host></developer-token>" \
        "$base/@api/deki/site/developer-tokens?dream.out.format=json")
    oauth_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$oauth")
    oauth_secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$oauth")
}
