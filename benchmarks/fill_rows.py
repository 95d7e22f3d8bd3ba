#!/usr/bin/env python3
"""Fills a Tessera SQLite store with filler rows: users, developer tokens and access keys of the default site.

Usage: fill_rows.py COUNT DATA_DIR

COUNT rows of each kind are written straight into tessera.sqlite (creating them through the API would take hours);
the server that made the store may keep running. The rows look like what Tessera writes: developer tokens are 90 %
server tokens (half of them bound to a user), 5 % browser tokens with host patterns and 5 % oauth tokens; nobody
holds their secrets, so they only take space, as most of a big store's rows do. The site's id counters are moved
past the filler so that tokens and users created afterwards get fresh ids.
"""
import os
import random
import sqlite3
import sys
import time
import uuid

count, data_dir = int(sys.argv[1]), sys.argv[2]
random.seed(11)
db = sqlite3.connect(os.path.join(data_dir, "tessera.sqlite"), timeout=60)
site, next_user, next_token = db.execute("SELECT id, next_user_id, next_token_id FROM sites WHERE is_default").fetchone()
now = int(time.time())
batch = 50_000


def rand_hex(n):
    return random.getrandbits(4 * n).to_bytes(n // 2, "big").hex()


def insert(table, columns, make):
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for start in range(0, count, batch):
        db.executemany(sql, (make(i) for i in range(start, min(count, start + batch))))
        db.commit()


first_user = max(next_user, 1000)
statuses = ["active"] * 9 + ["inactive"]
roles = ["Viewer"] * 6 + ["Contributor"] * 3 + ["Admin"]


def user(i):
    uid = first_user + i
    name = f"filler.user{uid}"
    email = f"filler{uid}@example.com"
    full = f"Filler User{uid}"
    return (site, uid, str(uuid.UUID(int=random.getrandbits(128), version=4)), name, name, email, full,
            random.choice(statuses), random.random() < 0.5, random.choice(roles), rand_hex(32), now - random.randrange(10**8),
            now - random.randrange(10**7), email, full.lower())


insert("users", ["site_id", "id", "guid", "username", "username_key", "email", "full_name", "status", "has_seat", "role",
                 "security_stamp", "created_at", "last_login_at", "email_key", "full_name_key"], user)

first_token = max(next_token, 1000)


def token(i):
    tid = first_token + i
    kind = "server" if i % 20 < 18 else ("browser" if i % 20 == 18 else "oauth")
    hosts = f"app{tid}.example.com,*.app{tid}.example.org" if kind != "server" else ""
    bound = first_user + random.randrange(count) if kind == "server" and i % 2 else None
    return (site, tid, kind, f"filler token {tid}", rand_hex(64), hosts, bound, rand_hex(32), None,
            rand_hex(32) if bound else None, 1, now - random.randrange(10**8))


insert("developer_tokens", ["site_id", "id", "type", "name", "key", "hosts", "restricted_user_id", "secret_salt",
                            "secret_hash", "jwt_salt", "created_by", "created_at"], token)


def access_key(i):
    return (rand_hex(32), site, first_user + random.randrange(count), rand_hex(64), True, now - random.randrange(10**8), None, 1)


insert("access_keys", ["id", "site_id", "user_id", "secret_hash", "is_active", "created_at", "last_used_at", "created_by"],
       access_key)

db.execute("UPDATE sites SET next_user_id = ?, next_token_id = ? WHERE id = ?", (first_user + count, first_token + count, site))
db.commit()
db.execute("ANALYZE")
db.close()
