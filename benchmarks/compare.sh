#!/usr/bin/env bash
# Compares two builds on the credential paths. Both servers run at once, pinned to core 0 (only one is loaded at a
# time), wrk (-t1 -c16) on core 1. Path by path the two take turns (A B A B ...) in short runs; each run gives the
# server's CPU time per request (user + system seconds from /proc/PID/stat over the run, divided by the requests
# served). On this shared machine the cost of a path drifts by ±20% over minutes, far more than within seconds, so
# builds are compared turn by turn rather than in whole passes one after the other.
# Usage: benchmarks/compare.sh BUILD_A BUILD_B [rounds] [seconds]   (paths to two tessera binaries)
# With FILL_B set to a command, B's store is filled by `$FILL_B DATA_DIR` once B has made it, and B is started again
# on it (the same build twice then compares an empty store with a full one: benchmarks/million-rows.sh).
set -euo pipefail
builds=("$(realpath "$1")" "$(realpath "$2")") rounds=${3:-5} seconds=${4:-3}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
ticks=$(getconf CLK_TCK)
results=$(mktemp)
pids=() dirs=() bases=() ports=() passwords=()
stop_all() { # SIGTERM, up to 5 s to drain, then SIGKILL (a server swamped by a big store may not get to it)
    kill "${pids[@]}" 2>/dev/null || true
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null; rm -rf "${dirs[@]}" "$results"
}
trap stop_all EXIT

start() { # server index: starts it on its data directory and port, and waits until it is ready
    local i=$1
    TESSERA_ADMIN_PASSWORD=${passwords[$i]} taskset -c 0 "${builds[$i]}" serve --port "${ports[$i]}" --data-dir "${dirs[$i]}" \
        >>"${dirs[$i]}/server.log" 2>&1 &
    pids[$i]=$!
    for _ in $(seq 600); do curl -sf "${bases[$i]}/readyz" >/dev/null && return; sleep 0.1; done
    echo "server $i did not start" >&2; exit 1
}
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/${pids[$1]}/status"; }

for i in 0 1; do
    dirs[$i]=$(mktemp -d /tmp/tessera-compare.XXXXXX)
    ports[$i]=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    passwords[$i]="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    bases[$i]="http://127.0.0.1:${ports[$i]}"
    start "$i"
    if [ "$i" = 1 ] && [ -n "${FILL_B:-}" ]; then
        started=$(date +%s)
        $FILL_B "${dirs[1]}"
        kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
        start 1
        echo "B's store filled in $(( $(date +%s) - started )) s; B started again on it: $(rss 1) idle"
    fi
    password=${passwords[$i]}
    # Each server's credentials, as C0_AUTHTOKEN, C1_JWT, ...
    while IFS='=' read -r name value; do printf -v "C${i}_$name" '%s' "$value"; done \
        < <(python3 benchmarks/make_credentials.py "${bases[$i]}" "$password")
done
echo "RSS with credentials made, before load: A $(rss 0), B $(rss 1)"

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
    # No answer in the whole turn counts as infinitely costly (a server stalled on a big store).
    printf '%s\t%s\t%s\t%s\n' "$i" "$label" "$(awk '/Requests\/sec/ {print $2}' <<<"$output")" \
        "$(python3 -c "print(($after - $before) / $ticks * 1e6 / $requests if $requests else 'inf')")" >>"$results"
}

for entry in "${paths[@]}"; do
    IFS='|' read -r -a fields <<<"$entry"
    for i in 0 1; do measure "$i" "${fields[@]}"; done  # a warm-up turn each, left out below
    for _ in $(seq "$rounds"); do
        for i in 0 1; do measure "$i" "${fields[@]}"; done
    done
done

echo "RSS after the turns: A $(rss 0), B $(rss 1)"

# server label rate cpu_us → medians per (path, build).
python3 - "$results" "$rounds" "$seconds" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    server, path, rate, cpu = line.rstrip("\n").split("\t")
    rows.setdefault(path, {}).setdefault(server, []).append((float(rate or 0), float(cpu)))
print(f"medians of {sys.argv[2]} turns of {sys.argv[3]} s per build and path")
print(f"{'path':40} {'A req/s':>9} {'B req/s':>9} {'A µs/req':>9} {'B µs/req':>9} {'B/A cpu':>8}")
for path, by in rows.items():
    # The warm-up turn is the first of each build: left out.
    a, b = by["0"][1:], by["1"][1:]
    ra = statistics.median(r for r, _ in a); rb = statistics.median(r for r, _ in b)
    ca = statistics.median(c for _, c in a); cb = statistics.median(c for _, c in b)
    print(f"{path:40} {ra:9.0f} {rb:9.0f} {ca:9.1f} {cb:9.1f} {cb / ca:8.2f}")
PY
