#!/usr/bin/env bash
# Compares two builds on the credential paths in one session: for each build in turn (A B A B ...), a fresh server
# pinned to core 0, wrk on core 1, and for each path the requests/s and the server's CPU time per request (user +
# system seconds from /proc/PID/stat over the run, divided by the requests served). CPU time per request moves far
# less than requests/s on a shared machine, where other guests take cycles from both cores.
# Usage: benchmarks/compare.sh BUILD_A BUILD_B [rounds] [seconds]   (paths to two tessera binaries)
set -euo pipefail
a=$1 b=$2 rounds=${3:-3} seconds=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

for round in $(seq "$rounds"); do
    for label in A B; do
        build=$a; [ "$label" = B ] && build=$b
        TESSERA_BENCH_BIN=$build CPU_LABEL=$label "$here/cpu-per-request.sh" "$seconds" >>"$results"
    done
done

# label path rate cpu_us → medians per (label, path).
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, path, rate, cpu = line.rstrip("\n").split("\t")
    rows.setdefault(path, {}).setdefault(label, []).append((float(rate), float(cpu)))
print(f"{'path':44} {'A req/s':>9} {'B req/s':>9} {'A µs/req':>9} {'B µs/req':>9} {'B/A cpu':>8}")
for path, by in rows.items():
    ra = statistics.median(r for r, _ in by["A"]); rb = statistics.median(r for r, _ in by["B"])
    ca = statistics.median(c for _, c in by["A"]); cb = statistics.median(c for _, c in by["B"])
    print(f"{path:44} {ra:9.0f} {rb:9.0f} {ca:9.1f} {cb:9.1f} {cb / ca:8.2f}")
PY
