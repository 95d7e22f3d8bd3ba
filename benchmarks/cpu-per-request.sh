#!/usr/bin/env bash
# Server CPU time per request (µs) and requests/s of each credential path, beside the bare endpoint, in one run.
# CPU time is the server's own user + system time from /proc/PID/stat over each wrk run (10 ms ticks; runs of a few
# seconds make that under 1%). Server pinned to core 0, wrk (-t1 -c16) to core 1, SQLite store, release build.
# Usage: benchmarks/cpu-per-request.sh [seconds per path]; with CPU_LABEL set, prints tab-separated rows for compare.sh.
connections=16
source "$(dirname "$0")/common.sh"

make_credentials

measure() { # label, wrk arguments...
    local label=$1; shift
    local before after output rate requests
    before=$(cpu_ticks)
    output=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" "$@")
    after=$(cpu_ticks)
    grep -q "Non-2xx" <<<"$output" && { echo "$label: non-2xx answers" >&2; exit 1; }
    rate=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
    requests=$(awk '/requests in/ {print $1}' <<<"$output")
    local us
    us=$(python3 -c "print(f'{($after - $before) / $ticks * 1e6 / $requests:.1f}')")
    if [ -n "${CPU_LABEL:-}" ]; then
        printf '%s\t%s\t%s\t%s\n' "$CPU_LABEL" "$label" "$rate" "$us"
    else
        printf '%-44s %10s req/s %8s µs/request\n' "$label" "$rate" "$us"
    fi
}

current="$base/@api/deki/users/current"
measure "bare /healthz" "$base/healthz"
measure "users/current, anonymous" "$current"
measure "users/current, auth token" -H "Authorization: Bearer $AUTHTOKEN" "$current"
measure "users/current, tkn_ signature" -H "X-Deki-Token: $TKN" "$current"
measure "users/current, legacy signature" -H "X-Deki-Token: $LEGACY" "$current"
measure "users/current, long-term JWT" -H "Authorization: Bearer $JWT" "$current"
measure "users/current, browser token + Origin" -H "X-Deki-Token: $BROWSER" -H "Origin: https://app.example.com" "$current"
measure "users/current, CXone access token" -H "Authorization: Bearer $ACCESS" "$current"
