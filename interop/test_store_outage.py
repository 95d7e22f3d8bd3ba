"""The store goes away and comes back: a PostgreSQL stopped and started under load, a SQLite file on a full disk or a
read-only mount. Requests that need the store are refused fast with 503 and Retry-After (never a 500, never a hang),
the verify paths answer from memory, /readyz says not ready, and Tessera recovers by itself -- its change listener
reconnects and its caches re-synchronise -- without a restart.

PostgreSQL here is a cluster of this module's own (initdb on a free loopback port), so that stopping it disturbs no
other test. Independent client code only (requests); secrets stay out of the output (see helpers.py).
"""
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time

import jwt
import pytest
import requests

from conftest import Server, free_port
from helpers import JSON_OUT, USERS, bearer, json_of, secret, show, unique, wait_for
from test_cxone_auth import ACCESS_KEY_TOKEN, create_app, create_key, cxone_session
from test_developer_tokens import TOKENS, sign

#: A refusal because the store is away must come within the lease deadline (3 s) and some slack.
FAST = 5.0


def pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("TESSERA_TEST_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL's initdb is not installed")
        pytest.skip("PostgreSQL is not installed (run ./scripts/test)")
    return os.path.dirname(found[-1])


class Cluster:
    """A throwaway PostgreSQL cluster of this module's own, stoppable and restartable."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="tessera-outage-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.run("initdb", "-D", self.data, "-U", "tessera", "-A", "trust", "--no-sync")
        self.start()
        self.url = f"postgres://tessera@127.0.0.1:{self.port}/postgres"

    def run(self, tool, *args):
        command = [os.path.join(self.bin, tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def start(self):
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.remove()


class Credentials:
    """One credential of each kind a verify path reads from memory, made while the store is up."""

    def __init__(self, server):
        self.server = server
        self.authtoken = server.sign_in()
        r = requests.post(server.url + TOKENS, params=JSON_OUT, headers={**bearer(self.authtoken), "Content-Type": "application/xml"},
                          data=f"<developer-token type='server'><name>{unique('outage')}</name>"
                               "<restricted-by-user-id>1</restricted-by-user-id></developer-token>", timeout=10)
        assert r.status_code == 200, show(r)
        doc = json_of(r)
        self.token_id, self.key, self.secret = doc["@id"], doc["key"], secret(doc["secret"])
        self.jwt = secret(doc["authorization"].split()[1])
        session = cxone_session(server, self.authtoken)
        self.access = session["token"]
        self.client = create_app(server, "backend", database_url=server.env.get("TESSERA_DATABASE_URL"))

    def verify_headers(self):
        """users/current headers, one per credential kind (signatures are made fresh: they carry the time)."""
        return {
            "auth token": bearer(self.authtoken),
            "long-term JWT": bearer(self.jwt),
            "server-token signature": {"X-Deki-Token": sign(self.key, self.secret, 1)},
            "CXone access token": bearer(self.access),
        }

    def verify_calls(self):
        """{kind: a call of a verify path}: users/current with each credential kind (signatures are made fresh: they
        carry the time), the gateway check, and introspection by an application."""
        url = self.server.url
        calls = {kind: (lambda headers=headers: requests.get(url + USERS + "/current", params=JSON_OUT, headers=headers, timeout=30))
                 for kind, headers in self.verify_headers().items()}
        calls["gateway check"] = lambda: requests.get(url + "/auth/check", headers=bearer(self.access), timeout=30)
        calls["introspection"] = lambda: requests.post(url + "/auth/introspect", auth=self.client, data={"token": self.access}, timeout=30)
        return calls

    def verify_all(self):
        """Each verify path once; returns {kind: (status, seconds)}, and checks introspection's answer."""
        answers = {}
        for kind, call in self.verify_calls().items():
            r, seconds = timed(call)
            answers[kind] = (r.status_code, seconds)
            if kind == "introspection" and r.status_code == 200:
                assert r.json().get("active") is True, show(r)
        return answers


def issue_access_key_tokens(server, key):
    return requests.post(server.url + ACCESS_KEY_TOKEN, timeout=30,
                         json={"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})


def timed(call):
    started = time.monotonic()
    r = call()
    return r, time.monotonic() - started


def assert_refused_fast(r, seconds):
    __tracebackhide__ = True
    assert r.status_code == 503, show(r)
    assert r.headers.get("Retry-After", "").isdigit(), r.headers
    assert seconds < FAST, f"refused after {seconds:.1f} s: {show(r)}"


class Load(threading.Thread):
    """Sends a mix of verify and issuance requests until stopped; records every status and the slowest answer."""

    def __init__(self, server, creds, key):
        super().__init__(daemon=True)
        self.server, self.creds, self.key = server, creds, key
        self.statuses, self.slowest, self.slowest_kind, self.errors = {}, 0.0, None, []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for kind, call in self.creds.verify_calls().items():
                self.call(kind, call)
            self.call("issue", lambda: issue_access_key_tokens(self.server, self.key))

    def call(self, kind, send):
        try:
            r, seconds = timed(send)
        except requests.RequestException as error:
            self.errors.append(f"{kind}: {type(error).__name__}")
            return
        self.statuses.setdefault(kind, set()).add(r.status_code)
        if seconds > self.slowest:
            self.slowest, self.slowest_kind = seconds, f"{kind} ({r.status_code})"


def test_postgres_restart_under_load_refuses_fast_serves_memory_and_recovers_alone(cluster):
    master = secrets.token_hex(32)
    a = Server(database_url=cluster.url, env={"TESSERA_MASTER_KEY": master})
    b = None
    try:
        creds = Credentials(a)
        claims = jwt.decode(creds.access, options={"verify_signature": False})
        key = create_key(a, creds.authtoken, claims["sub"].removeprefix("user:"), claims["tenantId"])
        # Every verify path once while the store is up, so that what it needs is in memory.
        assert {kind: status for kind, (status, _) in creds.verify_all().items()} == dict.fromkeys(creds.verify_calls(), 200)
        assert issue_access_key_tokens(a, key).status_code == 200

        load = Load(a, creds, key)
        load.start()
        time.sleep(1)
        cluster.stop()
        down_at = time.monotonic()

        # Ready no more, and said so within the deadline.
        r, seconds = timed(lambda: requests.get(a.url + "/readyz", timeout=30))
        assert r.status_code == 503 and seconds < FAST, (r.status_code, seconds)
        # What needs the store is refused fast: token issuance, a new developer token.
        assert_refused_fast(*timed(lambda: issue_access_key_tokens(a, key)))
        assert_refused_fast(*timed(lambda: requests.post(
            a.url + TOKENS, headers={**bearer(creds.authtoken), "Content-Type": "application/xml"},
            data=f"<developer-token type='browser'><name>{unique('down')}</name><host>a.example</host></developer-token>", timeout=30)))
        # The verify paths keep answering from memory, and fast.
        answers = creds.verify_all()
        assert {kind: status for kind, (status, _) in answers.items()} == dict.fromkeys(creds.verify_calls(), 200), answers
        assert max(seconds for _, seconds in answers.values()) < 1.0, answers
        time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))

        cluster.start()
        back = wait_for(lambda: requests.get(a.url + "/readyz", timeout=30).status_code == 200, timeout=20)
        assert back is not None, "not ready again within 20 s of PostgreSQL's restart"
        time.sleep(1)
        load.stopping.set()
        load.join(timeout=60)
        assert not load.errors, load.errors
        assert all(s in (200, 503) for statuses in load.statuses.values() for s in statuses), load.statuses
        assert load.statuses["issue"] >= {200, 503}, load.statuses
        assert all(statuses == {200} for kind, statuses in load.statuses.items() if kind != "issue"), str(load.statuses)
        print(f"\nslowest answer under load: {load.slowest:.2f} s, {load.slowest_kind}")
        assert load.slowest < FAST, f"an answer took {load.slowest:.1f} s: {load.slowest_kind}"

        # Recovered without a restart: issuance works again ...
        assert wait_for(lambda: issue_access_key_tokens(a, key).status_code == 200, timeout=10) is not None
        # ... and the change listener is back: a revocation made on another instance reaches this one at once.
        b = Server(database_url=cluster.url, env={"TESSERA_MASTER_KEY": master})
        r = requests.delete(f"{b.url}{TOKENS}/{creds.token_id}", headers=bearer(creds.authtoken), timeout=10)
        assert r.status_code == 204, show(r)
        # (Expert's answers: 403 "invalid json web token" for the JWT, 401 for a signature of the deleted token.)
        current = lambda headers: requests.get(a.url + USERS + "/current", params=JSON_OUT, headers=headers, timeout=10).status_code  # noqa: E731
        refused = wait_for(lambda: current(bearer(creds.jwt)) == 403 and current({"X-Deki-Token": sign(creds.key, creds.secret, 1)}) == 401,
                           timeout=5)
        assert refused is not None and refused < 2, "a token deleted on another instance still works here"
    finally:
        if b:
            b.stop()
        a.stop()



@pytest.fixture
def small_mount():
    """A 16 MB tmpfs of its own, to fill up and to remount read-only (needs root and mount(2))."""
    directory = tempfile.mkdtemp(prefix="tessera-outage-fs-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", directory], capture_output=True)
    if mounted.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip("cannot mount a tmpfs here (needs root in a machine that allows mount): " + mounted.stderr.decode()[:200])
    yield directory
    subprocess.run(["umount", "-l", directory], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


def fill(directory):
    """Writes a file until the file system is full; returns its path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return path


def test_sqlite_on_a_full_disk_refuses_writes_fast_and_recovers_and_a_read_only_store_is_refused_at_start(small_mount):
    data_dir = os.path.join(small_mount, "data")
    os.makedirs(data_dir)
    master = secrets.token_hex(32)
    # The log lives outside the mount (it is filled, then made read-only), and one public URL names the issuer of
    # the tokens for the restarted server too.
    logs = tempfile.mkdtemp(prefix="tessera-outage-logs-")
    env = {"TESSERA_MASTER_KEY": master, "TESSERA_PUBLIC_URL": "http://tessera.test"}
    a = Server(data_dir=data_dir, env=env, log_dir=logs)
    try:
        creds = Credentials(a)
        claims = jwt.decode(creds.access, options={"verify_signature": False})
        key = create_key(a, creds.authtoken, claims["sub"].removeprefix("user:"), claims["tenantId"])
        assert issue_access_key_tokens(a, key).status_code == 200
        assert {kind: status for kind, (status, _) in creds.verify_all().items()} == dict.fromkeys(creds.verify_calls(), 200)

        filler = fill(small_mount)
        # Issuance stores a refresh token: refused, fast, with Retry-After -- a few times over, so that a
        # transaction left open by a failure would show.
        for _ in range(3):
            assert_refused_fast(*timed(lambda: issue_access_key_tokens(a, key)))
        assert_refused_fast(*timed(lambda: requests.post(
            a.url + TOKENS, headers={**bearer(creds.authtoken), "Content-Type": "application/xml"},
            data=f"<developer-token type='browser'><name>{unique('full')}</name><host>a.example</host></developer-token>", timeout=30)))
        answers = creds.verify_all()
        assert {kind: status for kind, (status, _) in answers.items()} == dict.fromkeys(creds.verify_calls(), 200), answers

        os.remove(filler)
        r = issue_access_key_tokens(a, key)
        assert r.status_code == 200, show(r)
        assert "unhandled error" not in a.output()
    finally:
        a.stop()

    # A store on a read-only mount cannot even record who opened it: the server refuses to start and says why.
    # (A mount cannot be made read-only under a process that has files open on it for writing.)
    subprocess.run(["mount", "-o", "remount,ro", small_mount], check=True)
    with pytest.raises(RuntimeError) as refused:
        Server(data_dir=data_dir, env=env, log_dir=logs)
    assert "store is unavailable" in str(refused.value) and "read-only" in str(refused.value), str(refused.value)[-600:]
    # Writable again, the same store serves the same credentials.
    subprocess.run(["mount", "-o", "remount,rw", small_mount], check=True)
    b = Server(data_dir=data_dir, env=env, log_dir=logs)
    try:
        creds.server = b
        answers = creds.verify_all()
        assert {kind: status for kind, (status, _) in answers.items()} == dict.fromkeys(creds.verify_calls(), 200), answers
    finally:
        b.stop()
        shutil.rmtree(logs, ignore_errors=True)
