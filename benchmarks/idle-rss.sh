#!/usr/bin/env bash
# Resident memory of an idle server, per build given (the release build of this tree when none is): on a fresh SQLite
# store once it answers /readyz, then after make_credentials (sign-ins, one of each credential kind, a few API
# calls), with what it is made of — the executable, the libraries, anonymous memory — from /proc/PID/smaps. Files
# written a moment ago count as dirty in smaps until they reach the disk, so the script syncs first.
# Usage: benchmarks/idle-rss.sh [tessera binary ...]
set -euo pipefail
cd "$(dirname "$0")/.."
builds=("$@")
if [ ${#builds[@]} -eq 0 ]; then
    swift build -c release --product tessera >/tmp/tessera-bench-build.log 2>&1 || { cat /tmp/tessera-bench-build.log; exit 1; }
    builds=(.build/release/tessera)
fi
sync

rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }
parts() { # the RSS of the executable, the Swift and Foundation libraries, other libraries and anonymous memory
    awk -v exe="$(readlink -f "/proc/$1/exe")" '
        /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "" }
        /^Rss:/ {
            if (name == exe) part = "executable"
            else if (name ~ /\/swift\/linux\//) part = "Swift+Foundation libraries"
            else if (name ~ /\.so/) part = "other libraries"
            else part = "anonymous and stacks"
            kb[part] += $2
        }
        END { for (p in kb) printf "    %-28s %6.1f MB\n", p, kb[p] / 1024 }' "/proc/$1/smaps" | sort
}

for bin in "${builds[@]}"; do
    data=$(mktemp -d /tmp/tessera-rss.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password="rss-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    TESSERA_ADMIN_PASSWORD=$password "$bin" serve --port "$port" --data-dir "$data" >"$data/server.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    sleep 1
    echo "$bin"
    echo "  started, idle:              $(rss $server)"
    python3 benchmarks/make_credentials.py "http://127.0.0.1:$port" "$password" >/dev/null
    sleep 1
    echo "  after make_credentials:     $(rss $server)"
    parts $server
    kill $server; wait $server 2>/dev/null || true
    rm -rf "$data"
done
