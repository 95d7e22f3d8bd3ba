#!/usr/bin/env bash
# Soak: one server under a fixed-rate mix of every credential kind, the gateway check, introspection and token
# issuance for DURATION seconds (default 600). Passes when no request failed (any status but the expected one, a
# refused introspection, a timeout or a connection error) and the server's RSS after the first minute grew by no more
# than noise (the larger of 3 MB and 5 %). Prints p50/p99/max latency per kind beside the bare /healthz sent in the same
# mix, the server's RSS and CPU, and a markdown block for benchmarks/RESULTS.md. Not part of the test command.
#
# The rate. SOAK_RATE=r drives r requests/s; BENCH_RATE=r drives 2 × r. With neither, the script measures the mix's
# closed-loop rate first (16 in flight, CALIBRATE seconds, default 10) and drives LOAD (default 0.5) of it: twice a
# benchmark's saturated rate cannot be offered to the same core without the queue growing for the whole run, which
# would soak the queue, not the server. The closed-loop rate is measured and printed in every case, as the baseline.
#
# Load comes from benchmarks/soak_driver.py (open loop, standard library only); its header says why not wrk.
# Server pinned to core 0, driver to core 1 (common.sh); SQLite in a fresh data directory, or PostgreSQL with
# TESSERA_DATABASE_URL naming an empty database (its processes are not pinned and not sampled: their CPU shows under
# "other processes", their memory not at all). Samples (RSS, CPU every 5 s) and summary.json go to SOAK_OUT
# (default /tmp/tessera-soak-<time>).
# Usage: [TESSERA_BENCH_BIN=…] [SOAK_RATE=… | BENCH_RATE=…] [SOAK_WEIGHTS='refresh=2;bare /healthz=0;…'] [WARMUP=60] benchmarks/soak.sh [seconds]
set -- "${1:-${DURATION:-600}}"
source "$(dirname "$0")/common.sh"
# The CXone access token made below lives an hour (the default lifetime) and is sent to the end.
(( duration <= 3000 )) || { echo "soak.sh: at most 3000 s (the access token it sends lives an hour)" >&2; exit 2; }

out=${SOAK_OUT:-/tmp/tessera-soak-$(date +%Y%m%d-%H%M%S)}
store=SQLite; [ -n "${TESSERA_DATABASE_URL:-}" ] && store=PostgreSQL
build=${SOAK_BUILD:-$bin}

app=$("$bin" app create --name soak-resource-server --type confidential --redirect-uri https://rs.example/cb --data-dir "$data")
export SOAK_CLIENT_ID=$(awk '/^client_id:/ {print $2}' <<<"$app")
export SOAK_CLIENT_SECRET=$(awk '/^client_secret:/ {print $2}' <<<"$app")

make_credentials
export SOAK_HOST=127.0.0.1 SOAK_PORT=$port SOAK_AUTHTOKEN=$AUTHTOKEN SOAK_JWT=$JWT SOAK_BROWSER=$BROWSER SOAK_ACCESS=$ACCESS

# What make_credentials does not give: a server token's key and secret (a signature is good for 300 s, so the driver
# signs afresh every second as a client would), an OAuth developer token to introspect with, and an access key for
# issuance (made through the access-key API with the access token's own user and tenant).
eval "$(BASE=$base python3 - <<'PY'
import base64, json, os, shlex, urllib.request
base, auth, access = os.environ["BASE"], os.environ["SOAK_AUTHTOKEN"], os.environ["SOAK_ACCESS"]
def call(path, body, headers):
    request = urllib.request.Request(base + path, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())
xml = {"Authorization": "Bearer " + auth, "Content-Type": "application/xml"}
tokens = "/@api/deki/site/developer-tokens?dream.out.format=json"
server = call(tokens, b"<developer-token type='server'><name>soak signer</name><restricted-by-user-id>1</restricted-by-user-id></developer-token>", xml)
oauth = call(tokens, b"<developer-token type='oauth'><name>soak introspector</name><host>rs.example</host></developer-token>", xml)
payload = access.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
key = call("/access-key-management/v1/access-keys", json.dumps({"userId": claims["userId"], "tenantId": claims["tenantId"]}).encode(),
           {"Authorization": "Bearer " + access, "Content-Type": "application/json"})["accessKey"]
for name, value in [("SOAK_SERVER_KEY", server["key"]), ("SOAK_SERVER_SECRET", server["secret"]), ("SOAK_OAUTH_ID", oauth["key"]),
                    ("SOAK_OAUTH_SECRET", oauth["secret"]), ("SOAK_KEY_ID", key["accessKeyId"]), ("SOAK_KEY_SECRET", key["accessKeySecret"])]:
    print(f"export {name}={shlex.quote(str(value))}")
PY
)"

driver=(taskset -c 1 python3 benchmarks/soak_driver.py)
# Every kind answers as expected once before anything is measured: a refusal must not pass for a fast answer.
"${driver[@]}" check || exit 1

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on core 0, driver on core 1, $store"
calibration=$("${driver[@]}" capacity "${CALIBRATE:-10}")
capacity=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["rate"]))' "$calibration")
python3 - "$calibration" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
print(f"closed-loop rate of the mix: {c['rate']:,.0f} req/s, {c['errors']} errors, driver CPU {c['driver_cpu']:.0%} of its core"
      + (" (driver-bound: the server can do more)" if c["driver_cpu"] > 0.85 else ""))
PY
if [ -n "${SOAK_RATE:-}" ]; then
    rate=$SOAK_RATE; note="given"
elif [ -n "${BENCH_RATE:-}" ]; then
    rate=$(( 2 * BENCH_RATE )); note="2 × BENCH_RATE $BENCH_RATE"
else
    load=${LOAD:-0.5}
    rate=$(python3 -c "print(round($load * $capacity))"); note="$load × the closed-loop rate"
fi
echo "driving $rate req/s for $duration s ($note)"

"${driver[@]}" soak "$rate" "$duration" "$server" "$out"
# The first minute is the warm-up (caches, SQLite's page cache, the allocator's arenas); a shorter run (a trial)
# takes its first half instead, and says so in the figures it prints. WARMUP=s moves it, for a cache known to fill
# for longer (say so beside the figures).
warmup=${WARMUP:-$(( duration >= 120 ? 60 : duration / 2 ))}
status=0
SOAK_RATE_NOTE=$note SOAK_CAPACITY=$capacity SOAK_BUILD=$build SOAK_STORE=$store \
    python3 benchmarks/soak_driver.py report "$out" "$warmup" | tee "$out/summary.txt" || status=$?
echo "samples: $out/samples.csv, $out/summary.json"
exit "$status"
