#!/usr/bin/env bash
# Requests/s of RFC 7662 introspection (POST /auth/introspect, client_secret_basic) and of the gateway check
# (GET /auth/check) under several token kinds, beside a bare endpoint (/healthz) of the same server, in one run.
# Server pinned to core 0, wrk to core 1, SQLite store, release build. For context: Hydra publishes 5,109 req/s for
# introspection on 2 CPUs.
# Usage: benchmarks/gateway.sh [seconds per run]   (needs root to install wrk if missing)
connections=16
source "$(dirname "$0")/common.sh"

app=$("$bin" app create --name bench-resource-server --type confidential --redirect-uri https://rs.example/cb --data-dir "$data")
client_id=$(awk '/^client_id:/ {print $2}' <<<"$app")
client_secret=$(awk '/^client_secret:/ {print $2}' <<<"$app")

make_credentials

make_oauth_client

# wrk posts the introspection form through a small Lua script per token.
introspect_script() { # token [client id, client secret] -> path of a Lua script
    local file="$data/introspect-$RANDOM.lua"
    printf 'wrk.method = "POST"\nwrk.body = "token=%s"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.headers["Authorization"] = "Basic %s"\n' \
        "$1" "$(printf '%s:%s' "${2:-$client_id}" "${3:-$client_secret}" | base64 -w0)" >"$file"
    echo "$file"
}
# Each answer is checked once before it is measured, so a refusal cannot pass for a fast answer.
curl -sf -u "$client_id:$client_secret" -d "token=$ACCESS" "$base/auth/introspect" | grep -q '"active":true'
curl -sf -u "$oauth_id:$oauth_secret" -d "token=$ACCESS" "$base/auth/introspect" | grep -q '"active":true'
curl -sf -o /dev/null -H "Authorization: Bearer $JWT" "$base/auth/check"

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on 1 core, wrk on the other, ${duration}s each"
run "bare endpoint GET /healthz" "$base/healthz"
run "introspect, CXone access token" -s "$(introspect_script "$ACCESS")" "$base/auth/introspect"
run "introspect, auth token" -s "$(introspect_script "$AUTHTOKEN")" "$base/auth/introspect"
run "introspect, long-term JWT" -s "$(introspect_script "$JWT")" "$base/auth/introspect"
run "introspect, access token, oauth dev-token client" -s "$(introspect_script "$ACCESS" "$oauth_id" "$oauth_secret")" "$base/auth/introspect"
run "gateway check, CXone access token" -H "Authorization: Bearer $ACCESS" "$base/auth/check"
run "gateway check, auth token" -H "Authorization: Bearer $AUTHTOKEN" "$base/auth/check"
run "gateway check, long-term JWT" -H "Authorization: Bearer $JWT" "$base/auth/check"
