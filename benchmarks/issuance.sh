#!/usr/bin/env bash
# Token issuance against the RSA ceiling: POST /authentication/v1/token/access-key (each answer signs two RS256 JWTs,
# the access token and the id_token, and stores a refresh token), its requests/s and the server's own CPU time per
# answer (/proc/PID/stat over the run), beside `openssl speed rsa2048` sign/s on one core in the same run. The ratio
# is RS256 signatures per second of server CPU time over OpenSSL's signatures per second.
# Server pinned to core 0, wrk (-t1 -c16) and openssl to core 1; SQLite store; release build (or TESSERA_BENCH_BIN).
# Usage: benchmarks/issuance.sh [seconds]
connections=16
source "$(dirname "$0")/common.sh"

make_access_key
body=$(mktemp --suffix=.lua)
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$body"' EXIT
cat >"$body" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"accessKeyId": "$key_id", "accessKeySecret": "$key_secret"}'
LUA

before=$(cpu_ticks)
output=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" -s "$body" "$base/authentication/v1/token/access-key")
after=$(cpu_ticks)
grep -q "Non-2xx" <<<"$output" && { echo "non-2xx answers:"; echo "$output"; exit 1; }
rate=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
requests=$(awk '/requests in/ {print $1}' <<<"$output")
openssl_rate=$(taskset -c 1 openssl speed -seconds "$duration" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
python3 - "$rate" "$requests" "$before" "$after" "$ticks" "$openssl_rate" <<'PY'
import sys
rate, requests, before, after, ticks, openssl = float(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:])
cpu_seconds = (after - before) / ticks
per_cpu_second = 2 * requests / cpu_seconds
print(f"access-key token answers        {rate:10.1f} /s   {cpu_seconds / requests * 1e6:8.0f} µs server CPU each")
print(f"RS256 signatures per CPU second {per_cpu_second:10.1f}")
print(f"openssl speed rsa2048, one core {openssl:10.1f} sign/s")
print(f"ratio                           {per_cpu_second / openssl:10.2f}")
PY
