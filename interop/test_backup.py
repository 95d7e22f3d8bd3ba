"""Backups: `tessera backup --to FILE` while the server serves and writes, `tessera restore --from FILE` into a fresh
data directory, and what a backup is worth with and without the master key.

A restored store must give back every credential that worked when the copy was taken -- auth tokens, long-term JWTs,
server-token signatures, CXone access and refresh tokens, access keys, application secrets -- under the same master
key; under another key the server must refuse to start, and the file alone must hold none of those secrets.
Independent client code only (requests, PyJWT); secrets stay out of the output (see helpers.py).
"""
import os
import secrets
import stat
import subprocess
import threading

import pytest
import requests

from conftest import BIN, Server, scratch_dir
from helpers import USERS, JSON_OUT, bearer, check, redact, show
from test_cxone_auth import create_key, key_tokens, token_call
from test_store_outage import Credentials, issue_access_key_tokens
import jwt

#: Tokens name their issuer; the restored server answers on another port, so both are given one public URL.
PUBLIC_URL = "http://tessera.test"


def run(*args, env=None):
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=120)


class Writer(threading.Thread):
    """Issues access-key tokens (each stores a refresh token) until stopped, so the backup is taken mid-write."""

    def __init__(self, server, key):
        super().__init__(daemon=True)
        self.server, self.key = server, key
        self.statuses = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.statuses.append(issue_access_key_tokens(self.server, self.key).status_code)


@pytest.fixture
def served():
    """A server on SQLite with its master key given in the environment (so none is written to the data dir)."""
    master = secrets.token_hex(32)
    server = Server(env={"TESSERA_MASTER_KEY": master, "TESSERA_PUBLIC_URL": PUBLIC_URL})
    yield server, master
    server.stop()


def test_backup_while_serving_then_restore_gives_back_every_credential_under_the_same_key_only(served):
    server, master = served
    creds = Credentials(server)
    claims = jwt.decode(creds.access, options={"verify_signature": False})
    key = create_key(server, creds.authtoken, claims["sub"].removeprefix("user:"), claims["tenantId"])
    refresh = key_tokens(server, key)["refresh_token"]
    before = creds.verify_all()
    assert {kind: status for kind, (status, _) in before.items()} == dict.fromkeys(creds.verify_calls(), 200), before

    work = scratch_dir("backup-")
    backup = os.path.join(work, "tessera.backup")
    writer = Writer(server, key)
    writer.start()
    try:
        result = run("backup", "--to", backup, "--data-dir", server.data_dir, env=server.env)
    finally:
        writer.stopping.set()
        writer.join(timeout=30)
    assert result.returncode == 0, redact(result.stderr)
    assert writer.statuses and set(writer.statuses) == {200}, "the server stopped answering during the backup"
    # Only its owner may read the copy; and the copy is not a second way in: no secret is in it.
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600, oct(os.stat(backup).st_mode)
    with open(backup, "rb") as f:
        content = f.read()
    for name, value in {"developer token secret": creds.secret, "long-term JWT": creds.jwt, "auth token": creds.authtoken,
                        "access token": creds.access, "refresh token": refresh, "access key secret": key["accessKeySecret"],
                        "client secret": creds.client[1], "master key": master}.items():
        check(value.encode() not in content, f"the {name} is in the backup file as it was issued")

    # A second backup to the same file is refused: a backup never overwrites.
    again = run("backup", "--to", backup, "--data-dir", server.data_dir, env=server.env)
    assert again.returncode != 0 and "exists" in again.stderr, redact(again.stderr)

    # Restore into a fresh data directory, and serve it with the same master key.
    fresh = os.path.join(work, "restored")
    result = run("restore", "--from", backup, "--data-dir", fresh, env=server.env)
    assert result.returncode == 0, redact(result.stderr)
    again = run("restore", "--from", backup, "--data-dir", fresh, env=server.env)
    assert again.returncode != 0 and "exists" in again.stderr, redact(again.stderr)
    server.stop()
    restored = Server(data_dir=fresh, env={"TESSERA_MASTER_KEY": master, "TESSERA_PUBLIC_URL": PUBLIC_URL})
    try:
        creds.server = restored
        after = creds.verify_all()
        assert {kind: status for kind, (status, _) in after.items()} == dict.fromkeys(creds.verify_calls(), 200), after
        r = requests.get(restored.url + USERS + "/current", params=JSON_OUT, headers=bearer(creds.authtoken), timeout=10)
        assert r.status_code == 200 and r.json()["username"] == "admin", show(r)
        # The refresh token issued before the backup refreshes, and the access key still issues tokens.
        r = token_call(restored, data={"grant_type": "refresh_token", "refresh_token": refresh})
        assert r.status_code == 200, show(r)
        assert issue_access_key_tokens(restored, key).status_code == 200
        assert restored.sign_in()  # the admin's password hash came along too
    finally:
        restored.stop()

    # The same backup under another master key: the server refuses to start, and says why without a secret.
    other = os.path.join(work, "other-key")
    assert run("restore", "--from", backup, "--data-dir", other, env=server.env).returncode == 0
    with pytest.raises(RuntimeError) as refused:
        Server(data_dir=other, env={"TESSERA_MASTER_KEY": secrets.token_hex(32)})
    assert "master key" in str(refused.value), redact(str(refused.value))[:600]
    # ... and without any key given, it does not quietly make a new one and serve an unreadable store.
    with pytest.raises(RuntimeError) as refused:
        Server(data_dir=other, env={"TESSERA_MASTER_KEY": ""})
    assert "master key" in str(refused.value), redact(str(refused.value))[:600]


def test_restore_refuses_what_is_not_a_whole_store(tmp_path):
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("hello")
    result = run("restore", "--from", str(not_a_store), "--data-dir", str(tmp_path / "a"))
    assert result.returncode != 0 and result.stderr.strip(), result.stderr
    assert not (tmp_path / "a" / "tessera.sqlite").exists()
    result = run("restore", "--from", str(tmp_path / "missing"), "--data-dir", str(tmp_path / "b"))
    assert result.returncode != 0 and result.stderr.strip(), result.stderr
    # An SQLite file that is not a Tessera store.
    other = tmp_path / "other.sqlite"
    subprocess.run(["python3", "-c", f"import sqlite3; c = sqlite3.connect({str(other)!r}); c.execute('create table t(x)'); c.commit()"], check=True)
    result = run("restore", "--from", str(other), "--data-dir", str(tmp_path / "c"))
    assert result.returncode != 0 and "not a Tessera store" in result.stderr, result.stderr


def test_backup_of_a_postgres_store_points_to_pg_dump():
    url = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no test PostgreSQL (run ./scripts/test)")
    result = run("backup", "--to", os.path.join(scratch_dir("backup-"), "x"), "--database-url", url)
    assert result.returncode != 0 and "pg_dump" in result.stderr, result.stderr
