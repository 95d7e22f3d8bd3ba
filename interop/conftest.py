"""Fixtures that start real Tessera servers on free loopback ports, on SQLite or on the test PostgreSQL."""
import atexit
import json
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit
import os
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

BIN = os.environ.get("TESSERA_BIN", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "tessera"))
ADMIN_PASSWORD = "interop-admin-" + uuid.uuid4().hex[:12]

#: Every data directory the tests make lives in here, removed when the run ends (a failed test's server log with it:
#: a failure's message quotes what it needs).
RUN_DIR = tempfile.mkdtemp(prefix="tessera-interop-run-")
atexit.register(shutil.rmtree, RUN_DIR, ignore_errors=True)


def scratch_dir(prefix):
    """A new directory inside RUN_DIR."""
    return tempfile.mkdtemp(prefix=prefix, dir=RUN_DIR)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `tessera serve` process."""

    def __init__(self, data_dir=None, database_url=None, env=None, extra_args=(), wait=True, log_dir=None, port=None, binary=None):
        # `port` lets a test start a new process where a stopped one listened (a restart behind a load balancer);
        # `log_dir` keeps the log off a data directory that a test fills up or makes read-only.
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or scratch_dir("server-")
        self.env = dict(os.environ)
        self.env.pop("TESSERA_DATABASE_URL", None)
        self.env["TESSERA_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        if database_url:
            self.env["TESSERA_DATABASE_URL"] = database_url
        self.env.update(env or {})
        self.log_path = os.path.join(log_dir or self.data_dir, f"server-{self.port}.log")
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(
            [binary or BIN, "serve", "--port", str(self.port), "--data-dir", self.data_dir, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
        )
        if wait:  # wait=False lets a test start several servers at once, then call wait_ready() on each
            try:
                self.wait_ready()
            except BaseException:
                self.stop()
                raise

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout}s:\n{self.output()}")

    def output(self):
        """Everything the server printed so far (also after stop())."""
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()
        return self.process.returncode

    def sign_in(self, username="admin", password=ADMIN_PASSWORD):
        r = requests.get(self.url + "/@api/deki/users/authenticate", auth=(username, password), timeout=10)
        assert r.status_code == 200, r.text
        return r.text


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@contextmanager
def postgres_database(prefix="interop_"):
    """A new, empty PostgreSQL database made from TESSERA_TEST_POSTGRES_ADMIN_URL; yields its URL, drops it after."""
    admin_url = os.environ.get("TESSERA_TEST_POSTGRES_ADMIN_URL")
    if not admin_url:
        if os.environ.get("TESSERA_TEST_REQUIRE_POSTGRES"):
            pytest.fail("TESSERA_TEST_POSTGRES_ADMIN_URL is not set")
        pytest.skip("no test PostgreSQL (run ./scripts/test)")
    name = prefix + uuid.uuid4().hex[:10]
    psql = ["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qc"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=60)
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    finally:
        # Every server is stopped before this runs; FORCE ends a connection a killed one might have left behind.
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True, timeout=60)


@pytest.fixture()
def fresh_postgres_db():
    """A new, empty PostgreSQL database for one test; yields its URL."""
    with postgres_database() as url:
        yield url


def deki_error_of(code, headers, body, status, message=None):
    """The answer is `status` with a deki <error> body (deki JSON when asked for, else XML), carrying `message`
    when given. `headers` is a mapping or a list of (name, value) pairs. Returns the error's fields."""
    assert code == status, (code, body[:500])
    pairs = headers.items() if hasattr(headers, "items") else headers
    content_type = {k.lower(): v for k, v in pairs}.get("content-type", "")
    if content_type.startswith("application/json"):
        doc = json.loads(body)
        fields = {k: doc.get(k) for k in ("status", "title", "message", "uri")}
    else:
        assert content_type.startswith("application/xml"), (content_type, body[:300])
        root = ET.fromstring(body)
        assert root.tag == "error", body[:300]
        fields = {k: root.findtext(k) for k in ("status", "title", "message", "uri")}
    assert fields["status"] == str(status), fields
    assert fields["title"] and fields["message"], fields
    assert fields["uri"] and fields["uri"].startswith("http"), fields
    if message is not None:
        assert fields["message"] == message, fields
    return fields


def deki_error(response, status, message=None):
    """`deki_error_of` for a requests response."""
    return deki_error_of(response.status_code, response.headers, response.content, status, message)
