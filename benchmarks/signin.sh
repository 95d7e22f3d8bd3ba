#!/usr/bin/env bash
# Sign-ins per second on one core, beside a bare endpoint (/healthz) of the same server, in one run.
# The server is pinned to core 0 and wrk to core 1, so "per second" here is "per core".
# Usage: benchmarks/signin.sh [seconds]   (needs root to install wrk if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product tessera >/tmp/tessera-bench-build.log 2>&1 || { cat /tmp/tessera-bench-build.log; exit 1; }
data=$(mktemp -d /tmp/tessera-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TESSERA_ADMIN_PASSWORD=$password taskset -c 0 .build/release/tessera serve --port "$port" --data-dir "$data" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
basic=$(printf 'admin:%s' "$password" | base64 -w0)

run() { # label, wrk arguments...
    local label=$1; shift
    local rate
    rate=$(taskset -c 1 wrk -t1 -c8 -d"${duration}s" "$@" | awk '/Requests\/sec/ {print $2}')
    printf '%-34s %10s req/s\n' "$label" "$rate"
}
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on 1 core, wrk on the other"
run "bare endpoint GET /healthz" "http://127.0.0.1:$port/healthz"
run "sign-in (Argon2id m=19MiB t=2 p=1)" -H "Authorization: Basic $basic" "http://127.0.0.1:$port/@api/deki/users/authenticate"
