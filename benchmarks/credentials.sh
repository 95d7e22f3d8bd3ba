#!/usr/bin/env bash
# Requests/s of GET /@api/deki/users/current under each credential kind, beside a bare endpoint (/healthz) of
# the same server, in one run. Server pinned to core 0, wrk to core 1, SQLite store, release build.
# Usage: benchmarks/credentials.sh [seconds per run]   (needs root to install wrk if missing)
connections=16
source "$(dirname "$0")/common.sh"

make_credentials

current="$base/@api/deki/users/current"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on 1 core, wrk on the other, ${duration}s each"
run "bare endpoint GET /healthz" "$base/healthz"
run "users/current, anonymous" "$current"
run "users/current, auth token (Bearer)" -H "Authorization: Bearer $AUTHTOKEN" "$current"
run "users/current, tkn_ signature" -H "X-Deki-Token: $TKN" "$current"
run "users/current, legacy signature (=admin)" -H "X-Deki-Token: $LEGACY" "$current"
run "users/current, long-term JWT" -H "Authorization: Bearer $JWT" "$current"
run "users/current, browser token + Origin" -H "X-Deki-Token: $BROWSER" -H "Origin: https://app.example.com" "$current"
run "users/current, CXone access token (RS256)" -H "Authorization: Bearer $ACCESS" "$current"
