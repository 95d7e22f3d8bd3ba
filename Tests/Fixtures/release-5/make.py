"""Makes the upgrade fixture: a SQLite database and a PostgreSQL dump written by the release whose schema ends at
migration 5 (commit ccf2c29), with one of everything in them, and `fixture.json` with the credentials they hold.

Run once, with that release's binary, to (re)make the fixture; the tests only read what it wrote:

    TESSERA_BIN=<release binary> TESSERA_TEST_POSTGRES_ADMIN_URL=postgres://tessera@127.0.0.1:PORT/postgres \
        python3 Tests/Fixtures/release-5/make.py

Every secret here belongs to this throwaway fixture and its test master key, and nothing else.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "interop"))
from conftest import BIN, Server, ADMIN_PASSWORD  # noqa: E402

MASTER_KEY = "5e" * 32
JSON_OUT = {"dream.out.format": "json"}
TEN_YEARS = 315_360_000


def ok(r, status=200):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:300])
    return r


def cli(server, *args, database_url=None):
    command = [BIN, *args, "--data-dir", server.data_dir]
    if database_url:
        command += ["--database-url", database_url]
    result = subprocess.run(command, env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def populate(server, database_url=None):
    """One of each record kind; returns the credentials that the upgraded store must still honour."""
    base = server.url
    admin = ok(requests.get(base + "/@api/deki/users/authenticate", auth=("admin", ADMIN_PASSWORD))).text
    bearer = {"Authorization": "Bearer " + admin}
    people = {}
    for username, role, password in [("alice", "Contributor", "alice-password-1"), ("bob", "Viewer", "bob-password-1"),
                                     ("zoe\u0308", "Viewer", "zoe-password-1")]:
        body = {"username": username, "fullname": username.title() + " Example", "email": f"{username}@example.org",
                "permissions.user": {"role": role}}
        doc = ok(requests.post(base + "/@api/deki/users", params={**JSON_OUT, "accountpassword": password}, json=body,
                               headers=bearer)).json()
        people[username] = {"id": int(doc["@id"]), "guid": doc["@guid"], "password": password}
    alice = people["alice"]

    def token(body):
        return ok(requests.post(base + "/@api/deki/site/developer-tokens", params=JSON_OUT, json=body, headers=bearer)).json()

    server_token = token({"@type": "server", "name": "Fixture server token", "restricted-by-user-id": str(alice["id"]),
                          "generate-jwt": "true"})
    browser_token = token({"@type": "browser", "name": "Fixture browser token", "host": "app.example.org"})
    oauth_token = token({"@type": "oauth", "name": "Fixture OAuth token", "host": "app.example.org"})

    tenant = ok(requests.get(base + "/@api/deki/users/current", params=JSON_OUT, headers=bearer)).json()
    alice_auth = ok(requests.get(base + "/@api/deki/users/authenticate", auth=("alice", alice["password"]))).text
    basic = ok(requests.post(base + "/public/user/basic-token", headers={"Authorization": "Bearer " + alice_auth})).json()["token"]
    session = ok(requests.post(base + "/public/user/refresh", json={"token": basic})).json()
    claims = json.loads(__import__("base64").urlsafe_b64decode(session["token"].split(".")[1] + "==="))
    key = ok(requests.post(base + "/access-key-management/v1/access-keys", json={"userId": alice["guid"], "tenantId": claims["tenantId"]},
                           headers={"Authorization": "Bearer " + session["token"]}), 201).json()["accessKey"]
    first = ok(requests.post(base + "/authentication/v1/token/access-key",
                             json={"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})).json()
    second = ok(requests.post(base + "/public/user/refresh", json={"token": first["refresh_token"]})).json()

    backend = cli(server, "app", "create", "--name", "Fixture backend", "--type", "backend", database_url=database_url)
    confidential = cli(server, "app", "create", "--name", "Fixture web app", "--type", "confidential",
                       "--redirect-uri", "https://app.example.org/callback", "--origin", "https://app.example.org",
                       database_url=database_url)
    cli(server, "keys", "rotate", database_url=database_url)
    cli(server, "site", "branding", "--logo", "https://app.example.org/logo.png", "--colour", "#225588", database_url=database_url)
    legacy = cli(server, "site", "legacy-tokens", "--enable", "--api-key", "fixture-legacy-api-key-0123456789",
                 database_url=database_url)
    del legacy

    bob_auth = ok(requests.get(base + "/@api/deki/users/authenticate", auth=("bob", people["bob"]["password"]))).text
    ok(requests.post(base + "/auth/revoke", data={"token": bob_auth},
                     auth=(backend["client_id"].strip(), backend["client_secret"].strip())))

    return {
        "public_url": base,
        "tenant_id": claims["tenantId"],
        "admin": {"password": ADMIN_PASSWORD, "authtoken": admin, "guid": tenant["@guid"]},
        "people": people,
        "alice_authtoken": alice_auth,
        "bob_revoked_authtoken": bob_auth,
        "server_token": {"id": int(server_token["@id"]), "key": server_token["key"], "secret": server_token["secret"],
                         "jwt": server_token["authorization"].split(" ", 1)[1]},
        "browser_token": {"id": int(browser_token["@id"]), "key": browser_token["key"]},
        "oauth_token": {"id": int(oauth_token["@id"]), "key": oauth_token["key"], "secret": oauth_token["secret"]},
        "access_key": {"id": key["accessKeyId"], "secret": key["accessKeySecret"]},
        "access_token": second["token"],
        "spent_refresh_token": first["refresh_token"],
        "live_refresh_token": second["refreshToken"],
        "session_id": second["sessionId"],
        "backend_client": {"id": backend["client_id"].strip(), "secret": backend["client_secret"].strip()},
        "confidential_client": {"id": confidential["client_id"].strip(), "secret": confidential["client_secret"].strip(),
                                "tracking_number": confidential["tracking_number"].strip()},
        "legacy_api_key": "fixture-legacy-api-key-0123456789",
    }


def main():
    created = int(time.time())
    env = {"TESSERA_MASTER_KEY": MASTER_KEY}
    args = ["--auth-token-lifetime", str(TEN_YEARS), "--refresh-token-lifetime", "31536000", "--access-token-lifetime", "86400"]
    out = {"created": created, "master_key": MASTER_KEY, "release": "ccf2c29"}

    sqlite_server = Server(env=env, extra_args=args)
    try:
        out["sqlite"] = populate(sqlite_server)
    finally:
        sqlite_server.stop()
    db = os.path.join(sqlite_server.data_dir, "tessera.sqlite")
    target = os.path.join(HERE, "tessera.sqlite")
    if os.path.exists(target):
        os.remove(target)
    with sqlite3.connect(db) as source:
        source.execute("VACUUM INTO ?", (target,))

    admin_url = os.environ["TESSERA_TEST_POSTGRES_ADMIN_URL"]
    name = "fixture_release_5"
    host_port = admin_url.rsplit("/", 1)[0].split("@", 1)[1]
    host, port = host_port.split(":")
    psql = ["psql", "-h", host, "-p", port, "-U", "tessera", "-d", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    pg_server = Server(database_url=url, env=env, extra_args=args, data_dir=tempfile.mkdtemp(prefix="fixture-pg-"))
    try:
        out["postgres"] = populate(pg_server, database_url=url)
    finally:
        pg_server.stop()
    dump = subprocess.run(["pg_dump", "-h", host, "-p", port, "-U", "tessera", "--inserts", "--no-owner", "--no-privileges", name],
                          check=True, capture_output=True, text=True).stdout
    with open(os.path.join(HERE, "tessera.pgdump.sql"), "w") as f:
        f.write(dump)
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)

    with open(os.path.join(HERE, "fixture.json"), "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(sqlite_server.data_dir, ignore_errors=True)
    print("fixture written to", HERE)


if __name__ == "__main__":
    main()
