#!/usr/bin/env bash
# A big store costs nothing on the verify paths: the same build on an empty store (A) and on a store holding COUNT
# users, COUNT developer tokens and COUNT access keys (B, filled by fill_rows.py), compared by server CPU time per
# request turn by turn (compare.sh), with both servers' RSS idle and after the turns. Release build, SQLite.
# Usage: benchmarks/million-rows.sh [count] [rounds] [seconds]   (count defaults to 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
bin=${TESSERA_BENCH_BIN:-.build/release/tessera}
if [ -z "${TESSERA_BENCH_BIN:-}" ]; then
    swift build -c release --product tessera >/tmp/tessera-bench-build.log 2>&1 || { cat /tmp/tessera-bench-build.log; exit 1; }
fi
FILL_B="python3 benchmarks/fill_rows.py $count" exec ./benchmarks/compare.sh "$bin" "$bin" "${2:-5}" "${3:-3}"
