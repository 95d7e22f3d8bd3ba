#!/usr/bin/env bash
# Latency of Expert's user search (GET /@api/deki/users with filters) over 100,000 users, beside the latency of
# GET users/current with the same credential on the same server in the same run. One connection (wrk -c1), so the
# figures are per-request latency, not throughput. SQLite store by default; with TESSERA_DATABASE_URL set (an empty
# PostgreSQL database) the server and the seeding use PostgreSQL instead.
# Usage: benchmarks/user-search.sh [seconds per query]
connections=1
source "$(dirname "$0")/common.sh"

make_credentials

# 100,000 users with names drawn from common first and last names, written straight into the store (creating them
# through the API would take most of the run); keys as the store keeps them (ASCII: lower case).
export DATA=$data
python3 - <<'PY'
import os, random, subprocess, uuid
random.seed(7)
first = "james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan joseph jessica \
thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony margaret mark sandra donald ashley steven \
kimberly paul emily andrew donna joshua michelle kenneth dorothy kevin carol brian amanda george melissa edward deborah".split()
last = "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson \
thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson walker young allen \
king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts".split()
roles = ["Viewer"] * 6 + ["Contributor"] * 3 + ["Admin"]
rows = []
for i in range(100_000):
    f, l = random.choice(first), random.choice(last)
    name = f"{f}.{l}{i}"
    email = f"{f[0]}{l}{i}@example.com"
    full = f"{f.title()} {l.title()}"
    active = "active" if random.random() < 0.9 else "inactive"
    seat = 1 if random.random() < 0.5 else 0
    rows.append((1000 + i, str(uuid.uuid4()), name, name, email, full, active, seat, random.choice(roles),
                 "stamp", 1_700_000_000 + i, 1_700_000_000 + random.randrange(30_000_000), email, full.lower()))
columns = ("id, guid, username, username_key, email, full_name, status, has_seat, role, security_stamp, created_at, "
           "last_login_at, email_key, full_name_key")
url = os.environ.get("TESSERA_DATABASE_URL")
if url:
    site = subprocess.run(["psql", url, "-Atc", "SELECT id FROM sites WHERE is_default"], check=True, capture_output=True,
                          text=True).stdout.strip()
    csv = "".join(",".join([site] + [str(v).replace(",", " ") for v in r[:7]] + [("true" if r[7] else "false")]
                           + [str(v) for v in r[8:]]) + "\n" for r in rows)
    subprocess.run(["psql", url, "-qc", f"COPY users (site_id, {columns}) FROM STDIN WITH (FORMAT csv)"], input=csv,
                   check=True, text=True)
    # As autovacuum leaves a table in steady use: statistics and the visibility map (index-only counts).
    subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE users"], check=True)
else:
    import sqlite3
    db = sqlite3.connect(os.path.join(os.environ["DATA"], "tessera.sqlite"), timeout=30)
    site = db.execute("SELECT id FROM sites WHERE is_default").fetchone()[0]
    db.executemany(f"INSERT INTO users (site_id, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(site,) + r for r in rows])
    db.commit()
    db.execute("ANALYZE")
    db.close()
PY

latency() { # label, path: median and 99th percentile of one connection's requests
    local label=$1 path=$2 output
    output=$(taskset -c 1 wrk -t1 -c1 -d"${duration}s" --latency -H "Authorization: Bearer $AUTHTOKEN" "$base$path")
    grep -q "Non-2xx" <<<"$output" && { echo "$label: non-2xx answers"; exit 1; }
    printf '%-58s median %8s   p99 %8s   %8s req/s\n' "$label" "$(awk '$1 == "50%" {print $2}' <<<"$output")" \
        "$(awk '$1 == "99%" {print $2}' <<<"$output")" "$(awk '/Requests\/sec/ {print $2}' <<<"$output")"
}

users=/@api/deki/users
echo "store: ${TESSERA_DATABASE_URL:+PostgreSQL}${TESSERA_DATABASE_URL:-SQLite}" | sed 's#postgres://.*##'
echo "$(curl -sf -H "Authorization: Bearer $AUTHTOKEN" "$base$users?limit=1" | grep -o 'totalcount="[0-9]*"') users; one connection, ${duration}s each"
latency "baseline: users/current" "$users/current"
latency "users?limit=10 (no filter, by id)" "$users?limit=10"
latency "usernamefilter=mar (prefix)" "$users?usernamefilter=mar&limit=10"
latency "usernamefilter=james.smith1 (narrow prefix)" "$users?usernamefilter=james.smith1&limit=10"
latency "usernameemailfilter=jsm (name or e-mail prefix)" "$users?usernameemailfilter=jsm&limit=10"
latency "fullnamefilter=jo&sortby=fullname" "$users?fullnamefilter=jo&sortby=fullname&limit=25"
latency "usernamefilter=zzz (no match)" "$users?usernamefilter=zzz"
latency "rolefilter=Admin&activatedfilter=true" "$users?rolefilter=Admin&activatedfilter=true&limit=10"
latency "sortby=-date.lastlogin" "$users?sortby=-date.lastlogin&limit=10"
latency "sortby=username&offset=50000" "$users?sortby=username&offset=50000&limit=10"
