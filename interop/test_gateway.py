"""Gateway check interop tests: /auth/check (and /auth/check/<anything>, any method) answers who the caller of a
request is -- 200 with X-Tessera-* identity headers for every kind of credential (auth token as cookie or Bearer, CXone
access token, long-term JWT, X-Deki-Token server-token signature), 401 without credentials, 403 for refused ones --
first called directly, then through a real nginx configured with examples/nginx/tessera-gateway.conf (auth_request)
in front of a small echo API that reports the identity headers it received.

Independent client code only (requests, PyJWT, Python's hmac, http.server, Debian's nginx). Secrets (tokens,
passwords, client secrets) are kept out of pytest's output with helpers.py: `Secret` strings print as
<secret> and assertion messages go through `show()`, which redacts them.
"""
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests

from conftest import ADMIN_PASSWORD, BIN, free_port
from helpers import Secret, bearer, check, redact, secret, show, sign_in, unique

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
TOKENS = "/@api/deki/site/developer-tokens"
JSON_OUT = {"dream.out.format": "json"}
KEYS = "/access-key-management/v1/access-keys"
ACCESS_KEY_TOKEN = "/authentication/v1/token/access-key"
BASIC_TOKEN = "/public/user/basic-token"
USER_REFRESH = "/public/user/refresh"
TOKEN = "/auth/token"
REVOKE = "/auth/revoke"
CHECK = "/auth/check"
IDENTITY = ("X-Tessera-User-Id", "X-Tessera-User-Guid", "X-Tessera-Username", "X-Tessera-Tenant-Id",
            "X-Tessera-Token-Kind", "X-Tessera-Scopes")
NGINX_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "nginx", "tessera-gateway.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


# ---------------------------------------------------------------------------------------------------------------
# Helpers (the shared ones are in helpers.py)


def tamper(token):
    """A JWT with one character of its signature changed (not the last, whose low bits may be padding)."""
    i = len(token) - 8
    return Secret(token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:])


def sign(key, secret_value, user, epoch=None):
    """An X-Deki-Token server-token signature: tkn_{key}_{epoch}_{user}_{HMAC-SHA256 hex of "{key}_{epoch}_{user}"}."""
    epoch = int(time.time()) if epoch is None else epoch
    digest = hmac.new(secret_value.encode("utf-8"), f"{key}_{epoch}_{user}".encode("utf-8"), hashlib.sha256).hexdigest()
    return secret(f"tkn_{key}_{epoch}_{user}_{digest}")


def cli(server, *args):
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True, text=True,
                          timeout=60)


def create_app(server, app_type, auth_method=None):
    """`tessera app create`; returns (client_id, client_secret)."""
    args = ["app", "create", "--name", unique(f"{app_type}-app"), "--type", app_type]
    if auth_method:
        args += ["--auth-method", auth_method]
    if app_type != "backend":
        args += ["--redirect-uri", "https://app.example.org/callback"]
    result = cli(server, *args)
    assert result.returncode == 0, redact(result.stderr)
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    client_id, client_secret = fields.get("client_id", "").strip(), secret(fields.get("client_secret", "").strip())
    assert str(uuid.UUID(client_id)) == client_id.lower(), redact(result.stdout)
    check(bool(client_secret), "no client_secret printed")
    return client_id, client_secret


class User:
    """A deki user with an Expert auth token (`authtoken`), its numeric id and its guid."""

    def __init__(self, server, username, password):
        self.username, self.password = username, secret(password)
        self.authtoken = sign_in(server, username, self.password)
        r = requests.get(server.url + CURRENT, params=JSON_OUT, headers=bearer(self.authtoken), timeout=10)
        assert r.status_code == 200, show(r)
        self.id, self.guid = r.json()["@id"], r.json()["@guid"]

    def __repr__(self):
        return f"<user {self.username}>"


def create_user(server, admin):
    username, password = unique("gateway"), "pw-" + secrets.token_hex(8)
    body = {"username": username, "fullname": "Gateway Person", "email": f"{username}@example.org",
            "permissions.user": {"role": "Contributor"}}
    r = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password}, json=body,
                      headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    return User(server, username, password)


def set_status(server, admin, user, status):
    r = requests.put(f"{server.url}{USERS}/{user.id}", data=f"<user><status>{status}</status></user>",
                     headers={**bearer(admin.authtoken), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)


def create_key(server, admin, user, tenant_id):
    """A new access key for `user` (made by the admin); its secret is a `Secret`."""
    r = requests.post(server.url + KEYS, json={"userId": user.guid, "tenantId": tenant_id},
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 201, show(r)
    key = r.json()["accessKey"]
    key["accessKeySecret"] = secret(key["accessKeySecret"])
    return key


def access_key_tokens(server, admin, user, tenant_id, key=None):
    """An access key for `user` (a new one unless given), exchanged: {"access_token", "id_token", ...}."""
    key = key or create_key(server, admin, user, tenant_id)
    r = requests.post(server.url + ACCESS_KEY_TOKEN, json={"accessKeyId": key["accessKeyId"],
                                                           "accessKeySecret": key["accessKeySecret"]}, timeout=15)
    assert r.status_code == 200, show(r)
    return {name: secret(value) if isinstance(value, str) else value for name, value in r.json().items()}


def developer_token(server, admin, xml):
    r = requests.post(server.url + TOKENS, params=JSON_OUT, data=xml,
                      headers={**bearer(admin.authtoken), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)
    doc = r.json()
    if doc.get("secret"):
        doc["secret"] = secret(doc["secret"])
    scheme, _, token = (doc.get("authorization") or "").partition(" ")
    doc["jwt"] = secret(token) if scheme == "Bearer" and token else None
    return doc


def revoke(server, client, token):
    """RFC 7009 revocation by a registered application (client_secret_basic)."""
    r = requests.post(server.url + REVOKE, data={"token": token}, auth=client, timeout=10)
    assert r.status_code == 200, show(r)


def claims_of(token):
    return jwt.decode(str(token), options={"verify_signature": False})


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: one server (conftest's `server`), its admin, a user and every kind of credential


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def tenant_id(server, admin):
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    r = requests.post(server.url + USER_REFRESH, json={"token": secret(r.json()["token"])}, timeout=10)
    assert r.status_code == 200, show(r)
    return claims_of(secret(r.json()["token"]))["tenantId"]


@pytest.fixture(scope="module")
def revoker(server):
    """A confidential app (client_secret_basic) that revokes tokens: (client_id, client_secret)."""
    return create_app(server, "confidential", "client_secret_basic")


class Credentials:
    """A user and every kind of credential for them."""

    def __init__(self, server, admin, tenant_id):
        self.user = create_user(server, admin)
        self.tenant_id = tenant_id
        key = create_key(server, admin, self.user, tenant_id)
        tokens = access_key_tokens(server, admin, self.user, tenant_id, key)
        self.access, self.id_token = tokens["access_token"], tokens["id_token"]
        self.scope = claims_of(self.access)["scope"]
        self.long_term = developer_token(server, admin, "<developer-token type='server'><name>gateway</name>"
                                                        f"<restricted-by-user-id>{self.user.id}</restricted-by-user-id>"
                                                        "</developer-token>")["jwt"]
        check(self.long_term is not None, "a restricted server token came without its long-term JWT")
        self.signer = developer_token(server, admin, "<developer-token type='server'><name>gateway signer</name>"
                                                     "</developer-token>")
        # An access token issued to a back-end app by the password grant (it carries the app's client_id).
        app_id, app_secret = create_app(server, "backend")
        r = requests.post(server.url + TOKEN, auth=(app_id, app_secret), timeout=15,
                          data={"grant_type": "password", "username": key["accessKeyId"],
                                "password": key["accessKeySecret"]})
        assert r.status_code == 200, show(r)
        self.app_access = secret(r.json()["access_token"])
        self.app_scope = claims_of(self.app_access)["scope"]

    def expected(self, kind, scopes=""):
        return {"X-Tessera-User-Id": self.user.id, "X-Tessera-User-Guid": self.user.guid,
                "X-Tessera-Username": self.user.username, "X-Tessera-Tenant-Id": self.tenant_id,
                "X-Tessera-Token-Kind": kind, "X-Tessera-Scopes": scopes}


@pytest.fixture(scope="module")
def creds(server, admin, tenant_id):
    return Credentials(server, admin, tenant_id)


#: (id, builder(creds) -> (headers, cookies), expected identity(creds)). Builders run per request (signatures are
#: timed).
VALID = [
    ("authtoken-cookie", lambda c: ({}, {"authtoken": c.user.authtoken}), lambda c: c.expected("authtoken")),
    ("authtoken-bearer", lambda c: (bearer(c.user.authtoken), {}), lambda c: c.expected("authtoken")),
    ("access-token", lambda c: (bearer(c.access), {}), lambda c: c.expected("access-token", c.scope)),
    ("access-token-of-an-app", lambda c: (bearer(c.app_access), {}), lambda c: c.expected("access-token", c.app_scope)),
    ("long-term-jwt", lambda c: (bearer(c.long_term), {}), lambda c: c.expected("long-term-jwt")),
    ("server-token-signature", lambda c: ({"X-Deki-Token": sign(c.signer["key"], c.signer["secret"], c.user.id)}, {}),
     lambda c: c.expected("server-token")),
    ("server-token-signature-by-username",
     lambda c: ({"X-Deki-Token": sign(c.signer["key"], c.signer["secret"], "=" + c.user.username)}, {}),
     lambda c: c.expected("server-token")),
]


def gateway_check(server, path=CHECK, method="GET", headers=None, cookies=None, data=None):
    return requests.request(method, server.url + path, headers=headers or {}, cookies=cookies, data=data, timeout=10)


def assert_identity(r, expected):
    """A 200 of the check: empty body, and each X-Tessera-* header as expected (an empty one may be left out)."""
    __tracebackhide__ = True
    assert r.status_code == 200, show(r)
    assert r.content == b"", show(r)
    got = {name: r.headers.get(name, "") for name in IDENTITY}
    assert got == expected, got
    assert got["X-Tessera-User-Id"].isdigit()
    assert str(uuid.UUID(got["X-Tessera-Tenant-Id"])) == got["X-Tessera-Tenant-Id"].lower()


def assert_refused(r, status):
    """A 401/403 of the check: a JSON error body, and no identity headers."""
    __tracebackhide__ = True
    assert r.status_code == status, show(r)
    leaked = [name for name in IDENTITY if r.headers.get(name)]
    assert not leaked, leaked
    if status == 401:
        challenge = r.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Bearer") and 'realm="Tessera"' in challenge, challenge
    if status == 403 or r.content:
        assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
        doc = r.json()
        assert isinstance(doc.get("error"), str) and doc["error"], show(r)
        assert isinstance(doc.get("error_description"), str), show(r)


# ---------------------------------------------------------------------------------------------------------------
# 1. /auth/check called directly


@pytest.mark.parametrize("case", VALID, ids=[c[0] for c in VALID])
def test_check_answers_the_identity_of_each_credential(server, creds, case):
    _, build, expected = case
    headers, cookies = build(creds)
    assert_identity(gateway_check(server, headers=headers, cookies=cookies), expected(creds))


def test_check_of_the_admin_and_of_another_user_differ(server, admin, creds, tenant_id):
    r = gateway_check(server, headers=bearer(admin.authtoken))
    assert_identity(r, {"X-Tessera-User-Id": admin.id, "X-Tessera-User-Guid": admin.guid, "X-Tessera-Username": "admin",
                        "X-Tessera-Tenant-Id": tenant_id, "X-Tessera-Token-Kind": "authtoken", "X-Tessera-Scopes": ""})
    assert admin.id != creds.user.id


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
@pytest.mark.parametrize("path", ["/auth/check/some/api?x=1", "/auth/check/", "/auth/check/a/b/c.json?q=%2F&y="])
def test_check_takes_any_method_and_path_under_its_prefix(server, creds, method, path):
    """Envoy's ext_authz sends the original method and the original path under the prefix."""
    body = b'{"payload": true}' if method in ("POST", "PUT", "PATCH") else None
    r = gateway_check(server, path, method, headers={**bearer(creds.access), "Content-Type": "application/json"},
                      data=body)
    assert_identity(r, creds.expected("access-token", creds.scope))
    r = gateway_check(server, path, method, data=body)
    assert r.status_code == 401, show(r)
    assert not any(r.headers.get(name) for name in IDENTITY)


def test_check_without_credentials_is_401(server):
    assert_refused(gateway_check(server), 401)
    # Identity headers sent by the client are no credentials.
    forged = {"X-Tessera-User-Id": "1", "X-Tessera-Username": "admin", "X-Tessera-Token-Kind": "authtoken"}
    assert_refused(gateway_check(server, headers=forged), 401)


@pytest.fixture(scope="module")
def revoked(server, admin, tenant_id, revoker):
    """An access token, an auth token and a long-term JWT of a fresh user, each used once, then revoked."""
    user = create_user(server, admin)
    access = access_key_tokens(server, admin, user, tenant_id)["access_token"]
    long_term = developer_token(server, admin, "<developer-token type='server'><name>revoked</name>"
                                               f"<restricted-by-user-id>{user.id}</restricted-by-user-id>"
                                               "</developer-token>")["jwt"]
    for headers, cookies in ((bearer(access), {}), (bearer(long_term), {}), ({}, {"authtoken": user.authtoken})):
        assert gateway_check(server, headers=headers, cookies=cookies).status_code == 200
    for token in (access, long_term, user.authtoken):
        revoke(server, revoker, token)
    return {"access": access, "long_term": long_term, "authtoken": user.authtoken}


#: (id, builder(creds, revoked) -> (headers, cookies)). Every one is refused with 403.
REFUSED = [
    ("garbage-bearer", lambda c, v: (bearer(secrets.token_urlsafe(40)), {})),
    ("tampered-access-token", lambda c, v: (bearer(tamper(c.access)), {})),
    ("tampered-long-term-jwt", lambda c, v: (bearer(tamper(c.long_term)), {})),
    ("id-token-as-bearer", lambda c, v: (bearer(c.id_token), {})),
    ("garbage-authtoken-cookie", lambda c, v: ({}, {"authtoken": "garbage"})),
    ("forged-authtoken", lambda c, v: (bearer(f"{c.user.id}_9999999999_{'0' * 64}"), {})),
    ("revoked-access-token", lambda c, v: (bearer(v["access"]), {})),
    ("revoked-long-term-jwt", lambda c, v: (bearer(v["long_term"]), {})),
    ("revoked-authtoken-bearer", lambda c, v: (bearer(v["authtoken"]), {})),
    ("revoked-authtoken-cookie", lambda c, v: ({}, {"authtoken": v["authtoken"]})),
    ("signature-with-wrong-secret",
     lambda c, v: ({"X-Deki-Token": sign(c.signer["key"], secrets.token_hex(32), c.user.id)}, {})),
    ("stale-signature",
     lambda c, v: ({"X-Deki-Token": sign(c.signer["key"], c.signer["secret"], c.user.id, int(time.time()) - 3600)}, {})),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_check_refuses_bad_credentials_with_403(server, creds, revoked, case):
    _, build = case
    headers, cookies = build(creds, revoked)
    for method in ("GET", "POST"):
        assert_refused(gateway_check(server, CHECK + "/some/api", method, headers=headers, cookies=cookies), 403)


def test_check_refuses_a_deactivated_user_and_what_was_issued_before(server, admin, tenant_id):
    user = create_user(server, admin)
    access = access_key_tokens(server, admin, user, tenant_id)["access_token"]
    for headers in (bearer(user.authtoken), bearer(access)):
        assert gateway_check(server, headers=headers).status_code == 200
    set_status(server, admin, user, "inactive")
    try:
        for headers in (bearer(user.authtoken), bearer(access)):
            assert_refused(gateway_check(server, headers=headers), 403)
    finally:
        set_status(server, admin, user, "active")
    # Reactivated: what was issued before the deactivation stays void; a new sign-in passes.
    for headers in (bearer(user.authtoken), bearer(access)):
        assert_refused(gateway_check(server, headers=headers), 403)
    r = gateway_check(server, headers=bearer(sign_in(server, user.username, user.password)))
    assert r.status_code == 200 and r.headers.get("X-Tessera-Username") == user.username, show(r)


# ---------------------------------------------------------------------------------------------------------------
# 2. Through a real nginx: examples/nginx/tessera-gateway.conf in front of an echo API


class EchoAPI:
    """The protected API: a threaded http.server on a free loopback port that answers every request with JSON
    describing it (method, path, body, and every value of each X-Tessera-* header) and records it in `calls`."""

    def __init__(self):
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                seen = {name: self.headers.get_all(name) or [] for name in IDENTITY}
                call = {"method": self.command, "path": self.path, "body": body, "headers": seen}
                calls.append(call)
                payload = json.dumps(call).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def called(self, marker):
        """The calls whose path contains `marker`."""
        return [c for c in self.calls if marker in c["path"]]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def render_gateway_conf(listen_port, tessera_upstream, app_upstream):
    """The example configuration with its placeholders replaced."""
    with open(NGINX_EXAMPLE) as f:
        text = f.read()
    for name in ("LISTEN_PORT", "TESSERA_UPSTREAM", "APP_UPSTREAM"):
        assert name in text, f"{name} is not in {NGINX_EXAMPLE}"
    text = (text.replace("LISTEN_PORT", str(listen_port)).replace("TESSERA_UPSTREAM", tessera_upstream)
            .replace("APP_UPSTREAM", app_upstream))
    assert "auth_request" in text
    return text


def nginx_main_conf(directory, site_conf_path):
    """A minimal nginx.conf around the example: everything nginx writes lives in `directory`, in the foreground."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would otherwise drop to nobody
    return f"""{user}daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {site_conf_path};
}}
"""


class Nginx:
    """nginx in the foreground (`daemon off;`) as a subprocess, with its files in `directory`."""

    def __init__(self, directory, site_conf):
        self.directory = str(directory)
        self.port = free_port()
        site_path = self.site_path = os.path.join(self.directory, "tessera-gateway.conf")
        with open(site_path, "w") as f:
            f.write(site_conf(self.port))
        self.conf = os.path.join(self.directory, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(nginx_main_conf(self.directory, site_path))
        self.url = f"http://127.0.0.1:{self.port}"
        self.error_log = os.path.join(self.directory, "error.log")
        self.output = open(os.path.join(self.directory, "stdout.log"), "w+")
        self.process = subprocess.Popen([NGINX, "-p", self.directory, "-c", self.conf, "-e", self.error_log],
                                        stdout=self.output, stderr=subprocess.STDOUT)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def log(self):
        text = ""
        for path in (self.output.name, self.error_log):
            if os.path.exists(path):
                with open(path) as f:
                    text += f.read()[-3000:]
        return redact(text)

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx not listening in {timeout}s:\n{self.log()}")

    def workers(self):
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
            return set(f.read().split())

    def reload(self, site_conf, timeout=15):
        """Rewrites the site configuration and reloads it (SIGHUP), as an operator does; returns once every worker
        of the old configuration has finished its requests and exited (their upstream connections with them)."""
        with open(self.site_path, "w") as f:
            f.write(site_conf(self.port))
        old = self.workers()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not old & self.workers():
                return
            time.sleep(0.02)
        raise RuntimeError(f"nginx's old workers did not exit in {timeout}s:\n{self.log()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


@pytest.fixture(scope="module")
def echo_api():
    api = EchoAPI()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def gateway(server, echo_api, tmp_path_factory):
    """nginx with the example configuration: Tessera as TESSERA_UPSTREAM, the echo API as APP_UPSTREAM."""
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (./scripts/test installs it)")
    site = lambda port: render_gateway_conf(port, f"127.0.0.1:{server.port}", f"127.0.0.1:{echo_api.port}")  # noqa: E731
    nginx = Nginx(tmp_path_factory.mktemp("nginx"), site)
    yield nginx
    nginx.stop()


def through(gateway, marker, method="GET", headers=None, cookies=None, data=None):
    """A request to the protected API through nginx, at a path that carries `marker`."""
    return requests.request(method, f"{gateway.url}/api/{marker}/items?x=1", headers=headers or {}, cookies=cookies,
                            data=data, timeout=15)


def upstream_saw(echo_api, marker, expected):
    """The echo API got exactly one request for `marker`, with exactly one value of each identity header (an empty
    one may be left out by nginx); returns that call."""
    __tracebackhide__ = True
    calls = echo_api.called(marker)
    assert len(calls) == 1, calls
    seen = calls[0]["headers"]
    for name, value in expected.items():
        assert seen[name] == ([value] if value else []) or (not value and seen[name] == [""]), (name, seen[name], value)
    return calls[0]


@pytest.mark.parametrize("case", VALID, ids=[c[0] for c in VALID])
def test_nginx_passes_each_credential_with_its_identity(gateway, echo_api, creds, case):
    _, build, expected = case
    headers, cookies = build(creds)
    marker = uuid.uuid4().hex
    r = through(gateway, marker, headers=headers, cookies=cookies)
    assert r.status_code == 200, show(r) + "\n" + gateway.log()
    call = upstream_saw(echo_api, marker, expected(creds))
    assert (call["method"], call["path"]) == ("GET", f"/api/{marker}/items?x=1")
    assert r.json() == call


def test_nginx_passes_method_and_body_to_the_api(gateway, echo_api, creds):
    for method in ("POST", "PUT", "DELETE"):
        marker = uuid.uuid4().hex
        body = json.dumps({"marker": marker, "text": "h\u00e9llo"})
        r = through(gateway, marker, method, headers={**bearer(creds.access), "Content-Type": "application/json"},
                    data=body.encode())
        assert r.status_code == 200, show(r)
        call = upstream_saw(echo_api, marker, creds.expected("access-token", creds.scope))
        assert (call["method"], call["body"]) == (method, body)


def test_nginx_overwrites_forged_identity_headers(gateway, echo_api, creds, admin):
    forged = {"X-Tessera-User-Id": admin.id, "X-Tessera-User-Guid": admin.guid, "X-Tessera-Username": "admin",
              "X-Tessera-Tenant-Id": str(uuid.uuid4()), "X-Tessera-Token-Kind": "access-token",
              "X-Tessera-Scopes": "openid admin"}
    for spelled in (forged, {name.lower(): value for name, value in forged.items()}):
        # With a valid credential of another user: the API sees that user, and only once.
        marker = uuid.uuid4().hex
        r = through(gateway, marker, headers=spelled, cookies={"authtoken": creds.user.authtoken})
        assert r.status_code == 200, show(r)
        upstream_saw(echo_api, marker, creds.expected("authtoken"))
        # With no credential: 401, and the API never hears of it.
        marker = uuid.uuid4().hex
        r = through(gateway, marker, headers=spelled)
        assert r.status_code == 401, show(r)
        assert echo_api.called(marker) == []


def test_nginx_without_credentials_is_401_and_the_api_is_not_called(gateway, echo_api):
    for method in ("GET", "POST", "HEAD"):
        marker = uuid.uuid4().hex
        r = through(gateway, marker, method)
        assert r.status_code == 401, show(r)
        challenge = r.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Bearer") and 'realm="Tessera"' in challenge, challenge
        assert not any(r.headers.get(name) for name in IDENTITY)
        assert echo_api.called(marker) == []


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_nginx_refuses_bad_credentials_with_403_and_the_api_is_not_called(gateway, echo_api, creds, revoked, case):
    _, build = case
    headers, cookies = build(creds, revoked)
    marker = uuid.uuid4().hex
    r = through(gateway, marker, headers=headers, cookies=cookies)
    assert r.status_code == 403, show(r)
    assert echo_api.called(marker) == []


def test_nginx_refuses_a_token_once_it_is_revoked(server, gateway, echo_api, admin, tenant_id, revoker):
    user = create_user(server, admin)
    access = access_key_tokens(server, admin, user, tenant_id)["access_token"]
    for credential in ({"headers": bearer(access)}, {"cookies": {"authtoken": user.authtoken}}):
        marker = uuid.uuid4().hex
        r = through(gateway, marker, **credential)
        assert r.status_code == 200, show(r)
        assert echo_api.called(marker)[0]["headers"]["X-Tessera-Username"] == [user.username]
    revoke(server, revoker, access)
    revoke(server, revoker, user.authtoken)
    for credential in ({"headers": bearer(access)}, {"cookies": {"authtoken": user.authtoken}}):
        marker = uuid.uuid4().hex
        r = through(gateway, marker, **credential)
        assert r.status_code == 403, show(r)
        assert echo_api.called(marker) == []
    # The admin, untouched, still gets through.
    marker = uuid.uuid4().hex
    assert through(gateway, marker, headers=bearer(admin.authtoken)).status_code == 200
    assert echo_api.called(marker)[0]["headers"]["X-Tessera-Username"] == ["admin"]
