#!/usr/bin/env bash
# Compares two builds on the credential paths. Both servers run at once, pinned to core 0 (only one is loaded at a
# time), wrk (-t1 -c16) on core 1. Path by path the two take turns (A B A B ...) in short runs; each run gives the
# server's CPU time per request (user + system seconds from /proc/PID/stat over the run, divided by the requests
# served). On this shared machine the cost of a path drifts by ±20% over minutes, far more than within seconds, so
# builds are compared turn by turn rather than in whole passes one after the other.
# Usage: benchmarks/compare.sh BUILD_A BUILD_B [rounds] [seconds]   (paths to two tessera binaries)
set -euo pipefail
builds=("$(realpath "$1")" "$(realpath "$2")") rounds=${3:-5} seconds=${4:-3}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
ticks=$(getconf CLK_TCK)
results=$(mktemp)
pids=() dirs=() bases=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "${dirs[@]}" "$results"' EXIT

for i in 0 1; do
    data=$(mktemp -d /tmp/tessera-compare.XXXXXX); dirs+=("$data")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    TESSERA_ADMIN_PASSWORD=$password taskset -c 0 "${builds[$i]}" serve --port "$port" --data-dir "$data" >"$data/server.log" 2>&1 &
    pids+=($!)
    bases+=("http://127.0.0.1:$port")
    for _ in $(seq 100); do curl -sf "${bases[$i]}/readyz" >/dev/null && break; sleep 0.1; done
    # Each server's credentials, as C0_AUTHTOKEN, C1_JWT, ...
    while IFS='=' read -r name value; do printf -v "C${i}_$name" '%s' "$value"; done \
        < <(python3 benchmarks/make_credentials.py "${bases[$i]}" "$password")
done

# label, then the path and headers with {C} for the server's credential prefix (C0_ or C1_).
paths=(
    "bare /healthz|/healthz"
    "users/current, anonymous|/@api/deki/users/current"
    "users/current, auth token|/@api/deki/users/current|Authorization: Bearer {C}AUTHTOKEN"
    "users/current, tkn_ signature|/@api/deki/users/current|X-Deki-Token: {C}TKN"
    "users/current, legacy signature|/@api/deki/users/current|X-Deki-Token: {C}LEGACY"
    "users/current, long-term JWT|/@api/deki/users/current|Authorization: Bearer {C}JWT"
    "users/current, browser token + Origin|/@api/deki/users/current|X-Deki-Token: {C}BROWSER|Origin: https://app.example.com"
    "users/current, CXone access token|/@api/deki/users/current|Authorization: Bearer {C}ACCESS"
)

measure() { # server index, label, path, headers...
    local i=$1 label=$2 path=$3; shift 3
    local args=() header name before after output requests
    for header in "$@"; do
        if [[ $header =~ \{C\}([A-Z]+) ]]; then name="C${i}_${BASH_REMATCH[1]}"; header=${header/\{C\}${BASH_REMATCH[1]}/${!name}}; fi
        args+=(-H "$header")
    done
    before=$(awk '{print $14 + $15}' "/proc/${pids[$i]}/stat")
    output=$(taskset -c 1 wrk -t1 -c16 -d"${seconds}s" "${args[@]}" "${bases[$i]}$path")
    after=$(awk '{print $14 + $15}' "/proc/${pids[$i]}/stat")
    grep -q "Non-2xx" <<<"$output" && { echo "$label ($i): non-2xx answers" >&2; exit 1; }
    requests=$(awk '/requests in/ {print $1}' <<<"$output")
    printf '%s\t%s\t%s\t%s\n' "$i" "$label" "$(awk '/Requests\/sec/ {print $2}' <<<"$output")" \
        "$(python3 -c "print(($after - $before) / $ticks * 1e6 / $requests)")" >>"$results"
}

for entry in "${paths[@]}"; do
    IFS='|' read -r -a fields <<<"$entry"
    for i in 0 1; do measure "$i" "${fields[@]}"; done  # a warm-up turn each, left out below
    for _ in $(seq "$rounds"); do
        for i in 0 1; do measure "$i" "${fields[@]}"; done
    done
done

# server label rate cpu_us → medians per (path, build).
python3 - "$results" "$rounds" "$seconds" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, path, rate, cpu = line.rstrip("\n").split("\t")
    rows.setdefault(path, {}).setdefault(server, []).append((float(rate), float(cpu)))
print(f"medians of {sys.argv[2]} turns of {sys.argv[3]} s per build and path")
print(f"{'path':40} {'A req/s':>9} {'B req/s':>9} {'A µs/req':>9} {'B µs/req':>9} {'B/A cpu':>8}")
for path, by in rows.items():
    # The warm-up turn is the first of each build: left out.
    a, b = by["0"][1:], by["1"][1:]
    ra = statistics.median(r for r, _ in a); rb = statistics.median(r for r, _ in b)
    ca = statistics.median(c for _, c in a); cb = statistics.median(c for _, c in b)
    print(f"{path:40} {ra:9.0f} {rb:9.0f} {ca:9.1f} {cb:9.1f} {cb / ca:8.2f}")
PY
