#!/usr/bin/env bash
# Sign-ins per second on one core, beside a bare endpoint (/healthz) of the same server, in one run.
# The server is pinned to core 0 and wrk to core 1, so "per second" here is "per core".
# Usage: benchmarks/signin.sh [seconds]   (needs root to install wrk if missing)
connections=8
source "$(dirname "$0")/common.sh"
basic=$(printf 'admin:%s' "$password" | base64 -w0)

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on 1 core, wrk on the other"
run "bare endpoint GET /healthz" "$base/healthz"
run "sign-in (Argon2id m=19MiB t=2 p=1)" -H "Authorization: Basic $basic" "$base/@api/deki/users/authenticate"
