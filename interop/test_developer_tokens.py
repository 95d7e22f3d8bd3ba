"""Developer-token interop tests: the developer-tokens API, server-token request signatures, long-term JWTs, browser
tokens with CORS, the audit trail, and token revocation across PostgreSQL instances -- driven as a new user following
seeds 000 and 001 and the reference (cxone-expert-tokens.md §1-4) would.

Everything here is independent client code: requests are signed with Python's hmac/hashlib, JWTs are decoded with
PyJWT, and nothing of the server's own code is called.
"""
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import re
import secrets
import socket
import struct
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ADMIN_PASSWORD, Server, deki_error, deki_error_of

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
AUTHENTICATE = USERS + "/authenticate"
TOKENS = "/@api/deki/site/developer-tokens"
AUDIT = "/@api/deki/site/audit"
JSON_OUT = {"dream.out.format": "json"}
XML = {"Content-Type": "application/xml"}

#: The module's server runs with `--signature-window 120` (the default is 300), so the flag itself is tested.
WINDOW = 120
TEN_YEARS_RANGE = (10 * 365 * 24 * 3600, 10 * 366 * 24 * 3600)  # bounds of "10 years" in seconds, either way
HEX64 = re.compile(r"^[0-9a-f]{64}$")
RFC1123 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                     r"\d{2}:\d{2}:\d{2} GMT$")

#: Seed 000's example JWT (the "Example of created server token with JWT").
SEED_000_JWT = (
    "eyJhbGciOiJIUzUxMiIsImtpZCI6IjkiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhMmFkNDU0YjYwMTI1MTI5NjQ0YjdkYjk0MTZiNWYzY2I3NzE3"
    "ZDUwMDAwYzM4OTVlZGI2OGRhZDU1ZTAwYzU3IiwiYXVkIjoiYXV0aC1zZXJ2aWNlLVNlcnZlciIsImV4cCI6IjIwNTU1MTg0NDkiLCJpc3MiOiJo"
    "dHRwczovL3NwZW5jZXJzc28ubWluZHRvdWNoLmVzLyIsImlhdCI6IjE3Mzk5ODU2NDkiLCJuYmYiOiIxNzM5OTg1NjQ4In0.R7koEcEyFnzTdFQ9"
    "APHlaLp8FtVrKP9hQOqou3qiVsi0ClHRRWljtzLOPCrR48QcLQ9GivUh6wJ0sd5Cr7rj9Q"
)

#: Every secret, JWT and signature hash this module handled: the audit trail must contain none of them.
SENSITIVE = set()


def remember(*values):
    SENSITIVE.update(v for v in values if v)


# ---------------------------------------------------------------------------------------------------------------
# Client helpers


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token):
    return {"Authorization": "Bearer " + token}


def sign(key, secret, user, epoch=None, legacy=False, upper=False):
    """An X-Deki-Token signature, made as the reference §1.1/§1.2 describe: tkn_{key}_{epoch}_{user}_{hmac} with the
    HMAC-SHA256 over "{key}_{epoch}_{user}", or the legacy {key}_{epoch}_{user}_{hmac} over "{key}{epoch}{user}"."""
    epoch = int(time.time()) if epoch is None else epoch
    message = f"{key}{epoch}{user}" if legacy else f"{key}_{epoch}_{user}"
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    remember(digest)
    if upper:
        digest = digest.upper()  # the official C# sample's BitConverter hex
    return ("" if legacy else "tkn_") + f"{key}_{epoch}_{user}_{digest}"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(token, header=None, claims=None, signature=None):
    """A copy of `token` with header or claim members replaced (None deletes one), keeping the original signature
    unless another is given. It cannot be re-signed: the key is the server's."""
    head, body, sig = token.split(".")
    h = json.loads(b64url_decode(head))
    c = json.loads(b64url_decode(body))
    for target, changes in ((h, header or {}), (c, claims or {})):
        for name, value in changes.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    encode = lambda obj: b64url(json.dumps(obj, separators=(",", ":")).encode())  # noqa: E731
    return f"{encode(h)}.{encode(c)}.{sig if signature is None else signature}"


def flip_char(text, index):
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def assert_up(server):
    assert server.process.poll() is None, server.output()
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def current(server, headers=None, cookies=None):
    return requests.get(server.url + CURRENT, params=JSON_OUT, headers=headers or {}, cookies=cookies, timeout=10)


def current_user(server, headers=None, cookies=None):
    r = current(server, headers, cookies)
    assert r.status_code == 200, r.text
    return r.json()


def raw_get(server, path, headers):
    """A GET with full control over the header bytes (http.client); returns (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def raw_bytes(server, request):
    """Sends raw request bytes, returns the status code of the answer (or None when the connection just closes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


class Admin:
    """An administrator's session on one server: users and developer tokens."""

    def __init__(self, server):
        self.server = server
        self.token = server.sign_in()
        remember(self.token, ADMIN_PASSWORD)

    @property
    def headers(self):
        return bearer(self.token)

    def create_user(self, username, password=None, **fields):
        body = {"username": username, **{k.replace("_", "."): v for k, v in fields.items()}}
        params = {**JSON_OUT, **({"accountpassword": password} if password else {})}
        r = requests.post(self.server.url + USERS, params=params, json=body, headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def set_user(self, user_id, xml):
        r = requests.put(f"{self.server.url}{USERS}/{user_id}", params=JSON_OUT, data=xml, headers={**self.headers, **XML},
                         timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def post_token(self, xml=None, json_body=None):
        if json_body is not None:
            r = requests.post(self.server.url + TOKENS, params=JSON_OUT, json=json_body, headers=self.headers, timeout=10)
        else:
            r = requests.post(self.server.url + TOKENS, params=JSON_OUT, data=xml, headers={**self.headers, **XML}, timeout=10)
        if r.status_code == 200:
            doc = r.json()
            remember(doc.get("secret"), doc.get("authorization"), jwt_of(doc))
        return r

    def create_token(self, xml=None, json_body=None):
        r = self.post_token(xml, json_body)
        assert r.status_code == 200, r.text
        return r.json()

    def server_token(self, restricted_to=None, name="foo jwt", key=None):
        """Seed 000's body: <developer-token type='server'><name>..</name><restricted-by-user-id>N</...>."""
        parts = [f"<name>{name}</name>"]
        if key:
            parts.append(f"<key>{key}</key>")
        if restricted_to is not None:
            parts.append(f"<restricted-by-user-id>{restricted_to}</restricted-by-user-id>")
        return self.create_token("<developer-token type='server'>" + "".join(parts) + "</developer-token>")

    def put_token(self, token_id, xml):
        r = requests.put(f"{self.server.url}{TOKENS}/{token_id}", params=JSON_OUT, data=xml, headers={**self.headers, **XML},
                         timeout=10)
        if r.status_code == 200:
            remember(jwt_of(r.json()), r.json().get("authorization"))
        return r

    def delete_token(self, token_id):
        return requests.delete(f"{self.server.url}{TOKENS}/{token_id}", params=JSON_OUT, headers=self.headers, timeout=10)


def jwt_of(doc):
    authorization = doc.get("authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    assert scheme == "Bearer", authorization
    return token


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: one SQLite server, an administrator, users and tokens


@pytest.fixture(scope="module")
def server():
    """Overrides conftest's `server`: this one runs with a narrower signature window."""
    s = Server(extra_args=["--signature-window", str(WINDOW)])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(server):
    return Admin(server)


@pytest.fixture(scope="module")
def people(admin):
    """Users the signature tests act as: N (the restricted one), a username with '_', one with '@', and andyv."""
    n = admin.create_user(unique("jwt-user"), email="n@example.org")
    underscore = admin.create_user("under_score_" + uuid.uuid4().hex[:6])
    at = admin.create_user(f"pct{uuid.uuid4().hex[:6]}@example.com")
    andyv = admin.create_user("andyv")
    return {"n": n, "underscore": underscore, "at": at, "andyv": andyv}


@pytest.fixture(scope="module")
def unrestricted(admin):
    """A server token restricted to nobody: it may sign for any user."""
    return admin.server_token(name="signing token")


@pytest.fixture(scope="module")
def restricted(admin, people):
    """A server token restricted to user N, with its long-term JWT."""
    return admin.server_token(restricted_to=people["n"]["@id"])


@pytest.fixture(scope="module")
def browser(admin):
    return admin.create_token("<developer-token type='browser'><name>web app</name>"
                              "<host>app.example.com,*.partner.example</host></developer-token>")


# ---------------------------------------------------------------------------------------------------------------
# 1. The developer-tokens API


def check_issued_jwt(server, doc, key, issuer=None):
    """Seed 000's JWT shape: header {alg HS512, kid = @id, typ JWT}, claims sub = key, aud auth-service-Server,
    iss = site URL + "/", times as strings, nbf = iat - 1, exp = iat + 10 years."""
    token = jwt_of(doc)
    assert token and token.count(".") == 2, doc
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS512", "kid": doc["@id"], "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    for name in ("iat", "nbf", "exp"):
        assert isinstance(claims[name], str) and claims[name].isdigit(), claims
    iat = int(claims["iat"])
    assert abs(iat - time.time()) < 120, claims
    assert TEN_YEARS_RANGE[0] <= int(claims["exp"]) - iat <= TEN_YEARS_RANGE[1], claims  # exact value: see below
    assert claims == {"sub": key, "aud": "auth-service-Server", "iss": issuer or server.url + "/", "iat": str(iat),
                      "nbf": str(iat - 1), "exp": claims["exp"]}
    # The same header and claim names as seed 000's example, which also keeps times as strings.
    seed_header = jwt.get_unverified_header(SEED_000_JWT)
    seed_claims = jwt.decode(SEED_000_JWT, options={"verify_signature": False})
    assert set(seed_header) == set(header) and set(seed_claims) == set(claims)
    return token, claims


def ten_years_after(epoch):
    """The same UTC date and time ten calendar years later (29 February becomes 28 February, as .NET's AddYears)."""
    start = datetime.fromtimestamp(epoch, timezone.utc)
    try:
        end = start.replace(year=start.year + 10)
    except ValueError:
        end = start.replace(year=start.year + 10, day=28)
    return int(end.timestamp())


def test_jwt_expires_ten_calendar_years_after_issue_like_seed_000(server, restricted):
    """Seed 000's example: iat 1739985649 (2025-02-19 17:20:49 UTC), exp 2055518449 (2035-02-19 17:20:49 UTC), i.e.
    exp - iat = 315532800 s = 3652 days: ten calendar years, not 10 x 365 days (315360000 s)."""
    seed_claims = jwt.decode(SEED_000_JWT, options={"verify_signature": False})
    assert ten_years_after(int(seed_claims["iat"])) == int(seed_claims["exp"])  # validates this test's own reading
    assert int(seed_claims["exp"]) - int(seed_claims["iat"]) != 10 * 365 * 24 * 3600
    claims = jwt.decode(jwt_of(restricted), options={"verify_signature": False})
    assert int(claims["exp"]) == ten_years_after(int(claims["iat"])), (claims, int(claims["exp"]) - int(claims["iat"]))


def test_create_restricted_server_token_with_seed_000_body(server, admin):
    user = admin.create_user(unique("seed-user"))
    started = datetime.now(timezone.utc).replace(microsecond=0)
    r = admin.post_token("<developer-token type='server'><name>foo jwt</name>"
                         f"<restricted-by-user-id>{user['@id']}</restricted-by-user-id></developer-token>")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["@id"].isdigit() and int(doc["@id"]) > 0
    assert doc["@type"] == "server"
    assert RFC1123.match(doc["@date"]), doc["@date"]
    created = email.utils.parsedate_to_datetime(doc["@date"])
    assert created.utcoffset().total_seconds() == 0
    assert abs((created - started).total_seconds()) < 60
    assert doc["@href"] == f"{server.url}{TOKENS}/{doc['@id']}"
    assert HEX64.match(doc["key"]), doc
    assert re.fullmatch(r"[0-9a-fA-F]{64}", doc["secret"]), doc
    assert doc["secret"] != doc["key"]
    assert doc["name"] == "foo jwt"
    assert doc["restricted-by-user-id"] == user["@id"]
    assert doc["authorization"].startswith("Bearer ")
    token, _ = check_issued_jwt(server, doc, doc["key"])

    # The JWT is what the published example script uses: Authorization: Bearer <jwt> on users/current.
    me = current_user(server, bearer(token))
    assert (me["@id"], me["username"]) == (user["@id"], user["username"])
    # And key + secret sign requests for that user.
    me = current_user(server, {"X-Deki-Token": sign(doc["key"], doc["secret"], user["@id"])})
    assert me["@id"] == user["@id"]


def test_create_with_json_body(server, admin):
    user = admin.create_user(unique("json-user"))
    doc = admin.create_token(json_body={"@type": "server", "name": "foo json", "restricted-by-user-id": user["@id"]})
    assert (doc["@type"], doc["name"], doc["restricted-by-user-id"]) == ("server", "foo json", user["@id"])
    assert HEX64.match(doc["key"]) and re.fullmatch(r"[0-9a-fA-F]{64}", doc["secret"])
    token, _ = check_issued_jwt(server, doc, doc["key"])
    assert current_user(server, bearer(token))["@id"] == user["@id"]


def test_unrestricted_server_token_has_no_jwt(server, admin):
    doc = admin.server_token(name="plain")
    assert "authorization" not in doc and "restricted-by-user-id" not in doc
    assert HEX64.match(doc["key"]) and re.fullmatch(r"[0-9a-fA-F]{64}", doc["secret"])
    # It signs for any user.
    assert current_user(server, {"X-Deki-Token": sign(doc["key"], doc["secret"], "1")})["@id"] == "1"


def test_generate_jwt_without_restriction_restricts_to_the_admin(server, admin):
    doc = admin.create_token("<developer-token type='server'><name>self jwt</name>"
                             "<generate-jwt>true</generate-jwt></developer-token>")
    assert doc["restricted-by-user-id"] == "1"
    assert "restricted" in doc.get("notice", ""), doc
    token, _ = check_issued_jwt(server, doc, doc["key"])
    assert current_user(server, bearer(token))["username"] == "admin"


def test_client_supplied_key_is_kept_and_unique(server, admin, people):
    doc = admin.server_token(name="foo key", key="foo")
    assert doc["key"] == "foo"
    # The signer of the reference's test vectors (key=foo), with the secret this server issued, in every form.
    for user, expected in (("2", "2"), ("=andyv", people["andyv"]["@id"])):
        for legacy in (False, True):
            me = current_user(server, {"X-Deki-Token": sign("foo", doc["secret"], user, legacy=legacy)})
            assert me["@id"] == expected, (user, legacy, me)
    deki_error(admin.post_token("<developer-token type='server'><name>again</name><key>foo</key></developer-token>"), 409)


@pytest.mark.parametrize("key", ["has_underscore", "white space", "sl/ash", "x" * 256])
def test_invalid_client_key_is_400(admin, key):
    deki_error(admin.post_token(f"<developer-token type='server'><name>bad key</name><key>{key}</key></developer-token>"), 400)


@pytest.mark.parametrize("kind", ["browser", "oauth"])
def test_restriction_on_browser_or_oauth_token_is_400(admin, kind):
    r = admin.post_token(f"<developer-token type='{kind}'><name>no user</name><host>app.example.com</host>"
                         "<restricted-by-user-id>1</restricted-by-user-id></developer-token>")
    deki_error(r, 400)


def test_browser_token_without_host_is_400(admin):
    deki_error(admin.post_token("<developer-token type='browser'><name>no host</name></developer-token>"), 400)


def test_oauth_token_returns_a_secret(admin):
    doc = admin.create_token("<developer-token type='oauth'><name>oauth app</name><host>app.example.com</host></developer-token>")
    assert doc["@type"] == "oauth"
    assert doc["secret"] and len(doc["secret"]) >= 32, doc
    assert "authorization" not in doc


def test_list_and_read_never_show_secrets(server, admin, restricted, unrestricted, browser):
    r = requests.get(server.url + TOKENS, params=JSON_OUT, headers=admin.headers, timeout=10)
    assert r.status_code == 200, r.text
    listed = r.json()
    tokens = listed["developer-token"] if isinstance(listed["developer-token"], list) else [listed["developer-token"]]
    assert int(listed["@count"]) == len(tokens) >= 3
    by_id = {t["@id"]: t for t in tokens}
    assert by_id[restricted["@id"]]["key"] == restricted["key"]
    assert by_id[restricted["@id"]]["restricted-by-user-id"] == restricted["restricted-by-user-id"]
    bodies = [r.text]
    for token in tokens:
        assert "secret" not in token and "authorization" not in token, token
        one = requests.get(f"{server.url}{TOKENS}/{token['@id']}", params=JSON_OUT, headers=admin.headers, timeout=10)
        assert one.status_code == 200, one.text
        doc = one.json()
        assert doc["@id"] == token["@id"] and doc["key"] == token["key"] and doc["@type"] == token["@type"]
        assert "secret" not in doc and "authorization" not in doc, doc
        bodies.append(one.text)
    for body in bodies:
        for value in (restricted["secret"], unrestricted["secret"], jwt_of(restricted)):
            assert value not in body


def test_put_changes_name_and_host(server, admin):
    doc = admin.create_token("<developer-token type='browser'><name>before</name><host>old.example.com</host></developer-token>")
    r = admin.put_token(doc["@id"], "<developer-token><name>after</name><host>new.example.com,*.new.example</host></developer-token>")
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["host"]) == ("after", "new.example.com,*.new.example")
    again = requests.get(f"{server.url}{TOKENS}/{doc['@id']}", params=JSON_OUT, headers=admin.headers, timeout=10).json()
    assert (again["name"], again["host"], again["key"]) == ("after", "new.example.com,*.new.example", doc["key"])
    # The new host is what the token now allows.
    ok = current(server, {"X-Deki-Token": doc["key"], "Origin": "https://new.example.com"})
    assert ok.status_code == 200, ok.text
    deki_error(current(server, {"X-Deki-Token": doc["key"], "Origin": "https://old.example.com"}), 403)


def test_put_generate_jwt_revokes_the_previous_jwt(server, admin, people):
    doc = admin.server_token(restricted_to=people["n"]["@id"], name="rotating")
    old = jwt_of(doc)
    assert current_user(server, bearer(old))["@id"] == people["n"]["@id"]
    r = admin.put_token(doc["@id"], "<developer-token><generate-jwt>true</generate-jwt></developer-token>")
    assert r.status_code == 200, r.text
    assert "secret" not in r.json()
    new, _ = check_issued_jwt(server, r.json(), doc["key"])
    assert new != old
    assert current_user(server, bearer(new))["@id"] == people["n"]["@id"]
    deki_error(current(server, bearer(old)), 403, "invalid json web token")
    # The key and secret are unchanged by a new JWT.
    assert current_user(server, {"X-Deki-Token": sign(doc["key"], doc["secret"], people["n"]["@id"])})["@id"] == people["n"]["@id"]


def test_delete_then_get_is_404(server, admin):
    doc = admin.server_token(name="short-lived")
    r = admin.delete_token(doc["@id"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    deki_error(requests.get(f"{server.url}{TOKENS}/{doc['@id']}", params=JSON_OUT, headers=admin.headers, timeout=10), 404)
    deki_error(admin.delete_token(doc["@id"]), 404)
    # Its key no longer signs anything.
    deki_error(current(server, {"X-Deki-Token": sign(doc["key"], doc["secret"], "1")}), 401)


def test_non_admin_403_and_anonymous_401(server, admin, restricted):
    name, password = unique("viewer"), "viewer-password-1"
    admin.create_user(name, password=password)
    viewer = bearer(server.sign_in(name, password))
    token_url = f"{server.url}{TOKENS}/{restricted['@id']}"
    body = "<developer-token type='server'><name>nope</name></developer-token>"
    calls = [
        ("POST", server.url + TOKENS, body), ("GET", server.url + TOKENS, None), ("GET", token_url, None),
        ("PUT", token_url, "<developer-token><name>nope</name></developer-token>"), ("DELETE", token_url, None),
    ]
    for method, url, data in calls:
        for headers, status in ((viewer, 403), ({}, 401)):
            r = requests.request(method, url, params=JSON_OUT, data=data, headers={**headers, **XML}, timeout=10)
            deki_error(r, status)
    # Nothing changed.
    again = requests.get(token_url, params=JSON_OUT, headers=admin.headers, timeout=10).json()
    assert again["name"] == restricted["name"]


# ---------------------------------------------------------------------------------------------------------------
# 2. Signed requests


def test_reference_test_vectors_are_reproduced_by_this_signer():
    """Reference §1.7 (key foo, secret bar, epoch 1413073249): validates the signer every other test uses."""
    assert sign("foo", "bar", "2", 1413073249, legacy=True) == \
        "foo_1413073249_2_8e158d680647ce83fef7c05fd189b537f9834e298734efe2c6b383540c1a67b7"
    assert sign("foo", "bar", "=andyv", 1413073249, legacy=True) == \
        "foo_1413073249_=andyv_1b4845fe082c17fc82c0f59f0e568b619cf83aed716e7320d3c843b259defff5"
    assert sign("foo", "bar", "2", 1413073249) == \
        "tkn_foo_1413073249_2_48897492fa44c73561a0e7401c63f6d2950c3af8c3dc5988ade8ce368b9bf5aa"
    assert sign("foo", "bar", "=andyv", 1413073249) == \
        "tkn_foo_1413073249_=andyv_173081dab806bd5882adaedff708a8b228951d95e2167ee32c296ecd14380d1a"


@pytest.mark.parametrize("who, form", [
    ("n-id", "tkn"), ("n-id", "tkn-upper"), ("n-id", "legacy"), ("n-id", "legacy-upper"),
    ("n-name", "tkn"), ("n-name", "legacy"),
    ("underscore-name", "tkn"), ("underscore-name", "legacy"), ("underscore-id", "tkn"),
    ("at-encoded-signed-encoded", "tkn"), ("at-encoded-signed-decoded", "tkn"), ("at-encoded-signed-encoded", "legacy"),
    ("at-plain", "tkn"),
])
def test_signed_request_runs_as_the_signed_user(server, unrestricted, people, who, form):
    person = {"n": people["n"], "underscore": people["underscore"], "at": people["at"]}[who.split("-")[0]]
    name = person["username"]
    if who.endswith("-id"):
        segment = signed = person["@id"]
    elif who == "at-encoded-signed-encoded":
        segment = signed = "=" + name.replace("@", "%40")
    elif who == "at-encoded-signed-decoded":
        segment, signed = "=" + name.replace("@", "%40"), "=" + name
    else:
        segment = signed = "=" + name
    value = sign(unrestricted["key"], unrestricted["secret"], signed, legacy=form.startswith("legacy"), upper=form.endswith("upper"))
    if segment != signed:
        value = value.replace(f"_{signed}_", f"_{segment}_")
    me = current_user(server, {"X-Deki-Token": value})
    assert (me["@id"], me["username"], me["@anonymous"]) == (person["@id"], name, "false")


def test_signature_window_flag(server, unrestricted):
    """--signature-window 120: an epoch 100 s old is accepted, 200 s old (inside the default 300) is not."""
    n = int(time.time())
    ok = current(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "1", epoch=n - 100)})
    assert ok.status_code == 200 and ok.json()["@id"] == "1", ok.text
    ok = current(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "1", epoch=n + 100)})
    assert ok.status_code == 200, ok.text
    deki_error(current(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "1", epoch=n - 200)}), 401)
    deki_error(current(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "1", epoch=n + 200)}), 401)


# ---------------------------------------------------------------------------------------------------------------
# 3. Restricted server tokens


def test_restricted_token_signs_only_for_its_user(server, restricted, people):
    n = people["n"]
    for user in (n["@id"], "=" + n["username"]):
        assert current_user(server, {"X-Deki-Token": sign(restricted["key"], restricted["secret"], user)})["@id"] == n["@id"]
    for other in ("1", people["underscore"]["@id"], "=" + people["underscore"]["username"], "2"):
        deki_error(current(server, {"X-Deki-Token": sign(restricted["key"], restricted["secret"], other)}), 403)


# ---------------------------------------------------------------------------------------------------------------
# 4. users/authenticate with x-deki-token


def test_authenticate_with_signature_sets_cookie(server, unrestricted, people):
    n = people["n"]
    r = requests.get(server.url + AUTHENTICATE, params={"x-deki-token": sign(unrestricted["key"], unrestricted["secret"], n["@id"])},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 200, r.text
    cookie = r.cookies.get("authtoken")
    assert cookie and cookie == r.text
    remember(cookie)
    assert current_user(server, cookies={"authtoken": cookie})["@id"] == n["@id"]

    r = requests.get(server.url + AUTHENTICATE, params={"x-deki-token": sign(unrestricted["key"], unrestricted["secret"], "=" + n["username"]),
                                                         "redirect": "/x"}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == "/x"
    cookie = r.cookies.get("authtoken")
    assert cookie
    remember(cookie)
    assert current_user(server, cookies={"authtoken": cookie})["@id"] == n["@id"]


def test_authenticate_creates_unknown_user_just_in_time(server, admin, unrestricted):
    name = unique("newuser")
    # Outside users/authenticate an unknown =username is the Anonymous user (Expert's examples test for that name
    # to send the browser to users/authenticate), and nothing is created.
    before = current_user(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "=" + name)})
    assert (before["username"], before["@anonymous"]) == ("Anonymous", "true")
    deki_error(requests.get(f"{server.url}{USERS}/={name}", params=JSON_OUT, headers=admin.headers, timeout=10), 404)

    r = requests.get(server.url + AUTHENTICATE, params={"x-deki-token": sign(unrestricted["key"], unrestricted["secret"], "=" + name)},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 200, r.text
    cookie = r.cookies.get("authtoken")
    remember(cookie)
    me = current_user(server, cookies={"authtoken": cookie})
    assert (me["username"], me["@anonymous"]) == (name, "false")
    seen = requests.get(f"{server.url}{USERS}/={name}", params=JSON_OUT, headers=admin.headers, timeout=10)
    assert seen.status_code == 200 and seen.json()["@id"] == me["@id"]
    # Now that the user exists, ordinary signed requests work too.
    assert current_user(server, {"X-Deki-Token": sign(unrestricted["key"], unrestricted["secret"], "=" + name)})["@id"] == me["@id"]


def test_authenticate_with_bad_signature_sets_no_cookie(server, unrestricted):
    r = requests.get(server.url + AUTHENTICATE, params={"x-deki-token": sign(unrestricted["key"], "0" * 64, "1")},
                     allow_redirects=False, timeout=10)
    deki_error(r, 401)
    assert "authtoken" not in r.cookies


# ---------------------------------------------------------------------------------------------------------------
# 5. Long-term JWTs: seed 001's troubleshooting table


def test_long_term_jwt_error_table(server, admin):
    user = admin.create_user(unique("seat-user"))
    doc = admin.server_token(restricted_to=user["@id"], name="seed 001")
    token = jwt_of(doc)
    assert current_user(server, bearer(token))["@id"] == user["@id"]

    # Tampered with: the payload (any claim) or the signature.
    head, body, sig = token.split(".")
    claims = json.loads(b64url_decode(body))
    for forged in (forge(token, claims={"exp": str(int(claims["exp"]) + 1)}), forge(token, claims={"sub": doc["key"][::-1]}),
                   forge(token, claims={"aud": None}), f"{head}.{body}.{flip_char(sig, len(sig) // 2)}"):
        deki_error(current(server, bearer(forged)), 403, "invalid json web token")

    # The user deactivated, then reactivated.
    admin.set_user(user["@id"], "<user><status>inactive</status></user>")
    deki_error(current(server, bearer(token)), 403, "invalid user requesting")
    admin.set_user(user["@id"], "<user><status>active</status></user>")
    assert current_user(server, bearer(token))["@id"] == user["@id"]

    # The user lost the license seat, then got it back.
    admin.set_user(user["@id"], "<user><license.seat>false</license.seat></user>")
    deki_error(current(server, bearer(token)), 403, "invalid user requesting")
    admin.set_user(user["@id"], "<user><license.seat>true</license.seat></user>")
    assert current_user(server, bearer(token))["@id"] == user["@id"]

    # Garbled.
    for garbled in (token.replace(".", "!", 1) + ".x", "!!!." + body + "." + sig, head + ".not*base64." + sig,
                    b64url(b"not json") + "." + body + "." + sig):
        deki_error(current(server, bearer(garbled)), 403, "Unable to parse JWT token")

    # The server token deleted: the JWT is revoked with it.
    assert admin.delete_token(doc["@id"]).status_code == 204
    deki_error(current(server, bearer(token)), 403, "invalid json web token")
    assert_up(server)


@pytest.mark.parametrize("cut", ["half", "no-signature-part", "header-only"])
def test_truncated_jwt_is_unable_to_parse(server, restricted, cut):
    """Seed 001: "Unable to parse JWT token" -- "The Authorization: Bearer value is malformed or truncated"."""
    token = jwt_of(restricted)
    truncated = {
        "half": token[:len(token) // 2],
        "no-signature-part": token.rsplit(".", 1)[0],
        "header-only": token[:token.index(".") + 1],
    }[cut]
    assert token.startswith(truncated)
    deki_error(current(server, bearer(truncated)), 403, "Unable to parse JWT token")
    assert_up(server)


# ---------------------------------------------------------------------------------------------------------------
# 6. Bad credentials: every row answers its 401/403 (400 for conflicting credentials) with a deki error body, never
#    a 500, and the server stays up


@pytest.fixture(scope="module")
def bad(admin, people, restricted, unrestricted, browser):
    """What the bad-input rows are built from."""
    other = admin.create_token("<developer-token type='server'><name>other jwt</name>"
                               "<generate-jwt>true</generate-jwt></developer-token>")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt_of(restricted)
    claims = jwt.decode(token, options={"verify_signature": False})
    return {"people": people, "r": restricted, "u": unrestricted, "b": browser, "other": other, "jwt": token,
            "claims": claims, "rsa": rsa_key}


def sig_of(ctx, user=None, **kwargs):
    u = ctx["u"]
    return sign(u["key"], u["secret"], ctx["people"]["n"]["@id"] if user is None else user, **kwargs)


def with_hash(signature, new_hash):
    return signature.rsplit("_", 1)[0] + "_" + new_hash


def now():
    return int(time.time())


def hs(ctx, algorithm, secret):
    """A JWT with the token's claims and kid, HMAC-signed with key material a client has (the server token's secret)."""
    forged = jwt.encode(ctx["claims"], secret, algorithm=algorithm, headers={"kid": ctx["r"]["@id"]})
    remember(forged)
    return forged


X = "X-Deki-Token"
A = "Authorization"
INVALID_JWT = "invalid json web token"
UNPARSABLE = "Unable to parse JWT token"

BAD_INPUT = [
    # X-Deki-Token signatures with the wrong number of parts.
    ("sig-key-only", lambda c: [(X, "tkn_" + c["u"]["key"])], 401, None),
    ("sig-two-parts", lambda c: [(X, f"tkn_{c['u']['key']}_{now()}")], 401, None),
    ("sig-no-user", lambda c: [(X, "tkn_{}_{}_{}".format(c["u"]["key"], now(), sig_of(c).rsplit("_", 1)[1]))], 401, None),
    ("sig-legacy-three-parts", lambda c: [(X, "{}_{}_{}".format(c["u"]["key"], now(), sig_of(c).rsplit("_", 1)[1]))], 401, None),
    ("sig-extra-part", lambda c: [(X, sig_of(c) + "_" + "0" * 64)], 401, None),
    ("sig-one-part-no-underscore", lambda c: [(X, c["u"]["key"])], 403, None),  # a bare key is a browser key
    ("sig-empty-parts", lambda c: [(X, "tkn____")], 401, None),
    # Epochs.
    ("sig-epoch-not-numeric", lambda c: [(X, sig_of(c, epoch="abc"))], 401, None),
    ("sig-epoch-fraction", lambda c: [(X, sig_of(c, epoch=f"{now()}.5"))], 401, None),
    ("sig-legacy-epoch-not-numeric", lambda c: [(X, sig_of(c, epoch="1e9", legacy=True))], 401, None),
    ("sig-epoch-negative", lambda c: [(X, sig_of(c, epoch=-5))], 401, None),
    ("sig-epoch-too-old", lambda c: [(X, sig_of(c, epoch=now() - 10 * WINDOW))], 401, None),
    ("sig-epoch-just-outside-window", lambda c: [(X, sig_of(c, epoch=now() - WINDOW - 30))], 401, None),
    ("sig-epoch-future", lambda c: [(X, sig_of(c, epoch=now() + 10 * WINDOW))], 401, None),
    ("sig-epoch-huge", lambda c: [(X, sig_of(c, epoch=99999999999999999999))], 401, None),
    # Keys and hashes.
    ("sig-unknown-key", lambda c: [(X, sign(secrets.token_hex(32), c["u"]["secret"], "1"))], 401, None),
    ("sig-browser-key", lambda c: [(X, sign(c["b"]["key"], c["u"]["secret"], "1"))], 401, None),
    ("sig-wrong-hash", lambda c: [(X, sign(c["u"]["key"], secrets.token_hex(32), "1"))], 401, None),
    ("sig-other-tokens-secret", lambda c: [(X, sign(c["u"]["key"], c["r"]["secret"], "1"))], 401, None),
    ("sig-hash-63", lambda c: [(X, sig_of(c)[:-1])], 401, None),
    ("sig-hash-65", lambda c: [(X, sig_of(c) + "0")], 401, None),
    ("sig-hash-non-hex", lambda c: [(X, with_hash(sig_of(c), "g" * 64))], 401, None),
    ("sig-hash-of-other-user", lambda c: [(X, with_hash(sig_of(c, user="1"), sig_of(c).rsplit("_", 1)[1]))], 401, None),
    ("sig-legacy-hash-in-tkn-form", lambda c: [(X, "tkn_" + sig_of(c, legacy=True))], 401, None),
    # Users.
    ("sig-unknown-numeric-user", lambda c: [(X, sig_of(c, user="999999"))], 401, None),
    ("sig-user-id-too-long", lambda c: [(X, sig_of(c, user="12345678901234"))], 401, None),
    # An unknown =username is not an error: it is the Anonymous user (test_authenticate_creates_unknown_user_just_in_time).
    ("sig-empty-username", lambda c: [(X, sig_of(c, user="="))], 401, None),
    ("sig-restricted-mismatch", lambda c: [(X, sign(c["r"]["key"], c["r"]["secret"], "1"))], 403, None),
    ("sig-two-headers", lambda c: [(X, sig_of(c)), (X, sig_of(c))], 400, None),
    # Long-term JWTs.
    ("jwt-alg-none", lambda c: [(A, "Bearer " + jwt.encode(c["claims"], None, algorithm="none", headers={"kid": c["r"]["@id"]}))], 403, INVALID_JWT),
    ("jwt-alg-none-keeping-signature", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"alg": "none"}))], 403, INVALID_JWT),
    ("jwt-alg-rs256", lambda c: [(A, "Bearer " + jwt.encode(c["claims"], c["rsa"], algorithm="RS256", headers={"kid": c["r"]["@id"]}))], 403, INVALID_JWT),
    ("jwt-alg-rs256-header-on-hs-token", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"alg": "RS256"}))], 403, INVALID_JWT),
    ("jwt-hs512-signed-with-token-secret", lambda c: [(A, "Bearer " + hs(c, "HS512", c["r"]["secret"]))], 403, INVALID_JWT),
    ("jwt-hs256-signed-with-token-secret", lambda c: [(A, "Bearer " + hs(c, "HS256", c["r"]["secret"]))], 403, INVALID_JWT),
    ("jwt-hs512-signed-with-token-key", lambda c: [(A, "Bearer " + hs(c, "HS512", c["r"]["key"]))], 403, INVALID_JWT),
    ("jwt-wrong-kid", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": c["other"]["@id"]}))], 403, INVALID_JWT),
    ("jwt-kid-of-token-without-jwt", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": c["u"]["@id"]}))], 403, INVALID_JWT),
    ("jwt-kid-unknown", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": "999999"}))], 403, INVALID_JWT),
    ("jwt-kid-not-a-number", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": "abc"}))], 403, INVALID_JWT),
    ("jwt-kid-as-json-number", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": int(c["r"]["@id"])}))], 403, INVALID_JWT),
    ("jwt-kid-missing", lambda c: [(A, "Bearer " + forge(c["jwt"], header={"kid": None}))], 403, INVALID_JWT),
    ("jwt-wrong-aud", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"aud": "auth-service-Browser"}))], 403, INVALID_JWT),
    ("jwt-wrong-iss", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"iss": "https://evil.example/"}))], 403, INVALID_JWT),
    ("jwt-wrong-sub", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"sub": c["u"]["key"]}))], 403, INVALID_JWT),
    ("jwt-expired", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"exp": str(now() - 3600), "iat": str(now() - 7200), "nbf": str(now() - 7201)}))], 403, INVALID_JWT),
    ("jwt-not-yet-valid", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"nbf": str(now() + 86400)}))], 403, INVALID_JWT),
    ("jwt-exp-missing", lambda c: [(A, "Bearer " + forge(c["jwt"], claims={"exp": None}))], 403, INVALID_JWT),
    ("jwt-truncated-signature", lambda c: [(A, "Bearer " + c["jwt"][:-10])], 403, INVALID_JWT),
    ("jwt-empty-signature", lambda c: [(A, "Bearer " + c["jwt"].rsplit(".", 1)[0] + ".")], 403, INVALID_JWT),
    ("jwt-signature-doubled", lambda c: [(A, "Bearer " + c["jwt"] + c["jwt"].rsplit(".", 1)[1])], 403, INVALID_JWT),
    ("jwt-four-parts", lambda c: [(A, "Bearer " + c["jwt"] + ".e30")], 403, UNPARSABLE),
    ("jwt-garbled", lambda c: [(A, "Bearer " + c["jwt"].replace("e", "!", 3))], 403, UNPARSABLE),
    ("jwt-extra-space-after-bearer", lambda c: [(A, "Bearer  " + c["jwt"])], 401, None),
    ("jwt-space-inside", lambda c: [(A, "Bearer " + c["jwt"][:30] + " " + c["jwt"][30:])], 401, None),
    ("jwt-without-bearer", lambda c: [(A, c["jwt"])], 401, None),
    ("jwt-bearer-misspelt", lambda c: [(A, "Baerer " + c["jwt"])], 401, None),
    ("jwt-basic-scheme", lambda c: [(A, "Basic " + c["jwt"])], 401, None),
    ("jwt-tab-after-bearer", lambda c: [(A, "Bearer\t" + c["jwt"])], 401, None),
    # Both kinds of credential at once.
    ("conflict-jwt-and-signature", lambda c: [(A, "Bearer " + c["jwt"]), (X, sig_of(c))], 400, None),
    ("conflict-authtoken-and-signature", lambda c: [(A, "Bearer " + c["admin"]), (X, sig_of(c))], 400, None),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_credentials(server, admin, bad, case):
    name, build, status, message = case
    ctx = {**bad, "admin": admin.token}
    headers = build(ctx)
    for _, value in headers:
        if value.startswith("Bearer "):
            remember(value[7:])
    code, response_headers, body = raw_get(server, CURRENT + "?dream.out.format=json", headers)
    fields = deki_error_of(code, response_headers, body, status, message)
    if status == 400:
        assert "conflicting credentials" in fields["message"], fields
    if status == 401:
        assert response_headers.get("www-authenticate", "").startswith("Basic")
    text = body.decode("utf-8", "replace")
    for secret in (bad["u"]["secret"], bad["r"]["secret"], bad["jwt"]):
        assert secret not in text
    assert_up(server)


def test_jwt_with_trailing_space_is_the_same_header_value(server, restricted, people):
    """RFC 9110 §5.5: trailing whitespace is not part of a field value, so "Bearer <jwt> " is "Bearer <jwt>"."""
    code, _, body = raw_get(server, CURRENT + "?dream.out.format=json", [(A, "Bearer " + jwt_of(restricted) + " ")])
    assert code == 200, body[:300]
    assert json.loads(body)["@id"] == people["n"]["@id"]


@pytest.mark.parametrize("newline", [b"\r\n ", b"\r\n\t", b"\n", b"\r\n"])
def test_jwt_with_line_break_is_refused(server, restricted, newline):
    """A JWT broken over two lines cannot be one Authorization value: obsolete line folding (CRLF + space) must be
    refused with 400 (RFC 9112 §5.2), and a bare line break ends the header, leaving a malformed line (400)."""
    token = jwt_of(restricted).encode()
    request = (b"GET " + CURRENT.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:" + str(server.port).encode() + b"\r\n"
               b"Authorization: Bearer " + token[:40] + newline + token[40:] + b"\r\nConnection: close\r\n\r\n")
    assert raw_bytes(server, request) == 400
    assert_up(server)


# ---------------------------------------------------------------------------------------------------------------
# 7. Browser tokens and CORS


def vary_has_origin(headers):
    return "origin" in [v.strip().lower() for v in headers.get("Vary", "").split(",")]


def test_browser_token_created(browser):
    assert browser["@type"] == "browser"
    assert browser["host"] == "app.example.com,*.partner.example"
    assert "authorization" not in browser


@pytest.mark.parametrize("origin", ["https://app.example.com", "https://x.partner.example", "https://a.b.partner.example"])
def test_browser_token_allowed_origin(server, browser, origin):
    r = current(server, {"X-Deki-Token": browser["key"], "Origin": origin})
    assert r.status_code == 200, r.text
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    assert vary_has_origin(r.headers), r.headers
    # The browser token adds no identity: without a cookie the request is anonymous.
    assert (r.json()["@id"], r.json()["@anonymous"]) == ("2", "true")


def test_browser_token_with_session_cookie_is_that_user(server, admin, browser):
    r = current(server, {"X-Deki-Token": browser["key"], "Origin": "https://app.example.com"}, cookies={"authtoken": admin.token})
    assert r.status_code == 200, r.text
    assert (r.json()["@id"], r.json()["username"]) == ("1", "admin")
    assert r.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.com.evil.example", "https://partner.example.evil",
                                    "https://xpartner.example", "null"])
def test_browser_token_refuses_other_origins(server, browser, origin):
    r = current(server, {"X-Deki-Token": browser["key"], "Origin": origin})
    deki_error(r, 403)
    assert "Access-Control-Allow-Origin" not in r.headers


def test_browser_token_without_origin_adds_nothing(server, browser, admin):
    """Without Origin (a same-origin GET, or a script on a server as community tools call) the key is accepted and adds
    no identity: the request runs as its cookie's user, or anonymous, and gets no CORS headers."""
    for extra in ({}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-origin"}):
        r = current(server, {"X-Deki-Token": browser["key"], **extra})
        assert r.status_code == 200, r.text
        assert (r.json()["@id"], r.json()["username"]) == ("2", "Anonymous")
        assert "Access-Control-Allow-Origin" not in r.headers
    token = admin.token
    r = requests.get(server.url + CURRENT, params=JSON_OUT, headers={"X-Deki-Token": browser["key"]}, cookies={"authtoken": token},
                     timeout=10)
    assert r.status_code == 200 and r.json()["@id"] == "1", r.text


def test_unknown_browser_key_is_403(server, unrestricted):
    for key in (secrets.token_hex(32), unrestricted["key"]):  # unknown, and a server token's key
        r = current(server, {"X-Deki-Token": key, "Origin": "https://app.example.com"})
        deki_error(r, 403)
        assert "Access-Control-Allow-Origin" not in r.headers


def test_preflight(server, browser):
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET",
               "Access-Control-Request-Headers": "X-Deki-Token"}
    r = requests.options(server.url + CURRENT, headers=headers, timeout=10)
    assert r.status_code == 204, r.text
    assert r.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    allowed = [h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")]
    assert "x-deki-token" in allowed, r.headers
    assert "GET" in [m.strip() for m in r.headers.get("Access-Control-Allow-Methods", "GET").split(",")]
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    assert vary_has_origin(r.headers)

    r = requests.options(server.url + CURRENT, headers={**headers, "Origin": "https://x.partner.example"}, timeout=10)
    assert r.headers.get("Access-Control-Allow-Origin") == "https://x.partner.example"

    r = requests.options(server.url + CURRENT, headers={**headers, "Origin": "https://evil.example"}, timeout=10)
    assert r.status_code < 500
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Credentials" not in r.headers


# ---------------------------------------------------------------------------------------------------------------
# 8. Audit trail


def test_audit_trail(server, admin):
    # Events of every kind, whatever ran before.
    doc = admin.server_token(name="audited")
    assert admin.put_token(doc["@id"], "<developer-token><name>audited 2</name></developer-token>").status_code == 200
    assert admin.delete_token(doc["@id"]).status_code == 204
    refused_hash = sign(doc["key"], doc["secret"], "1")
    deki_error(current(server, {"X-Deki-Token": refused_hash}), 401)

    r = requests.get(server.url + AUDIT, params={**JSON_OUT, "limit": "1000"}, headers=admin.headers, timeout=10)
    assert r.status_code == 200, r.text
    events = r.json()["event"]
    events = events if isinstance(events, list) else [events]
    assert int(r.json()["@count"]) == len(events)
    by_action = {}
    for event in events:
        by_action.setdefault(event["@action"], []).append(event)
    for action in ("developer-token.create", "developer-token.update", "developer-token.delete", "credential.refused"):
        assert by_action.get(action), (action, sorted(by_action))
        for event in by_action[action]:
            assert event["client-address"] == "127.0.0.1", event
            assert RFC1123.match(event["@date"]), event
    mine = [e for e in events if e.get("token-id") == doc["@id"]]
    assert {e["@action"] for e in mine} >= {"developer-token.create", "developer-token.update", "developer-token.delete"}
    assert all(e.get("actor-user-id") == "1" and e["@outcome"] == "success" for e in mine), mine
    assert all(e["@outcome"] == "refused" for e in by_action["credential.refused"])

    # No secret, JWT, auth token or signature hash this module used appears anywhere in the audit.
    body = r.text.lower()
    needles = set(SENSITIVE)
    needles.update(v.rsplit(".", 1)[1] for v in SENSITIVE if v.count(".") == 2 and len(v.rsplit(".", 1)[1]) >= 16)
    assert len(needles) >= 3
    leaked = [value for value in needles if value.lower() in body]
    assert not leaked, leaked

    # Only administrators read it.
    name, password = unique("auditor"), "auditor-password-1"
    admin.create_user(name, password=password)
    deki_error(requests.get(server.url + AUDIT, params=JSON_OUT, headers=bearer(server.sign_in(name, password)), timeout=10), 403)
    deki_error(requests.get(server.url + AUDIT, params=JSON_OUT, timeout=10), 401)


# ---------------------------------------------------------------------------------------------------------------
# 9-10. PostgreSQL: instances sharing one database and one master key


class CountingProxy:
    """A TCP proxy in front of PostgreSQL that counts the round trips its clients start: Sync ('S') and simple
    Query ('Q') messages of the frontend protocol."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.round_trips = 0
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._frontend, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    def _pump(self, source, target, on_data):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if on_data:
                    on_data(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _frontend(self, client, upstream):
        state = {"buffer": b"", "started": False}

        def count(data):
            state["buffer"] += data
            buffer = state["buffer"]
            while True:
                if not state["started"]:  # untyped: SSLRequest/GSSENCRequest, then the StartupMessage
                    if len(buffer) < 8:
                        break
                    length, code = struct.unpack("!II", buffer[:8])
                    if len(buffer) < length:
                        break
                    buffer = buffer[length:]
                    state["started"] = code not in (80877103, 80877104)
                else:
                    if len(buffer) < 5:
                        break
                    kind, length = buffer[:1], struct.unpack("!I", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    buffer = buffer[1 + length:]
                    if kind in (b"S", b"Q"):
                        with self.lock:
                            self.round_trips += 1
            state["buffer"] = buffer

        self._pump(client, upstream, count)

    def count(self):
        with self.lock:
            return self.round_trips

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass


PUBLIC_URL = "http://tessera.test"


def pair(database_url, master_key, b_url=None):
    """Two instances on one database, as behind one load balancer: the same master key and the same public URL (the
    JWTs' iss)."""
    env = {"TESSERA_MASTER_KEY": master_key, "TESSERA_PUBLIC_URL": PUBLIC_URL}
    a = Server(database_url=database_url, env=env, wait=False)
    b = Server(database_url=b_url or database_url, env=env, wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
    except BaseException:
        a.stop()
        b.stop()
        raise
    return a, b


def poll(check, timeout=1.0, interval=0.05):
    """Calls check() every `interval` s until it returns true or `timeout` s passed; returns the seconds it took, or None."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(interval)


def test_postgres_instances_share_tokens_and_revocation(fresh_postgres_db):
    key = secrets.token_hex(32)
    a, b = pair(fresh_postgres_db, key)
    try:
        admin_a = Admin(a)
        user = admin_a.create_user(unique("pg-user"))
        doc = admin_a.server_token(restricted_to=user["@id"])
        token = jwt_of(doc)
        signed = lambda: {"X-Deki-Token": sign(doc["key"], doc["secret"], user["@id"])}  # noqa: E731
        # B verifies what A issued (same master key), and caches it after the first use.
        for _ in range(2):
            assert current_user(b, bearer(token))["@id"] == user["@id"]
            assert current_user(b, signed())["@id"] == user["@id"]
        check_issued_jwt(a, doc, doc["key"], issuer=PUBLIC_URL + "/")

        # Deleted through A: B refuses the JWT and the signature within a second.
        assert admin_a.delete_token(doc["@id"]).status_code == 204
        took = poll(lambda: current(b, bearer(token)).status_code == 403 and current(b, signed()).status_code == 401)
        assert took is not None, "instance B still accepts a deleted token after 1 s"
        deki_error(current(b, bearer(token)), 403, "invalid json web token")
        deki_error(current(b, signed()), 401)

        # The user deactivated through A: B refuses the JWT within a second, and accepts it again once reactivated.
        doc = admin_a.server_token(restricted_to=user["@id"], name="second")
        token = jwt_of(doc)
        assert current_user(b, bearer(token))["@id"] == user["@id"]
        admin_a.set_user(user["@id"], "<user><status>inactive</status></user>")
        took = poll(lambda: current(b, bearer(token)).status_code == 403)
        assert took is not None, "instance B still accepts the JWT of a deactivated user after 1 s"
        deki_error(current(b, bearer(token)), 403, "invalid user requesting")
        admin_a.set_user(user["@id"], "<user><status>active</status></user>")
        assert poll(lambda: current(b, bearer(token)).status_code == 200) is not None

        # A token made through B is verified by A too.
        admin_b = Admin(b)
        made_on_b = admin_b.server_token(restricted_to=user["@id"], name="from b")
        assert current_user(a, bearer(jwt_of(made_on_b)))["@id"] == user["@id"]
        assert current_user(a, {"X-Deki-Token": sign(made_on_b["key"], made_on_b["secret"], user["@id"])})["@id"] == user["@id"]

        # A third instance with another master key refuses to start on this database.
        c = Server(database_url=fresh_postgres_db, env={"TESSERA_MASTER_KEY": secrets.token_hex(32)}, wait=False)
        try:
            code = c.process.wait(timeout=30)
        finally:
            c.stop()
        assert code != 0
        output = c.output()
        assert "different master key" in output and "TESSERA_MASTER_KEY" in output, output
        assert_up(a)
        assert_up(b)
    finally:
        codes = [a.stop(), b.stop()]
    assert codes == [0, 0], [a.output(), b.output()]


def test_hot_path_makes_no_database_round_trips(fresh_postgres_db):
    """After one warm-up call, JWT-authenticated calls on instance B are answered from its cache: counted at a proxy
    between B and PostgreSQL, 200 calls start (almost) no round trips. The slack allows the site list's periodic
    refresh and connection keep-alives."""
    parts = urlsplit(fresh_postgres_db)
    proxy = CountingProxy((parts.hostname, parts.port))
    b_url = f"{parts.scheme}://{parts.username}@127.0.0.1:{proxy.port}{parts.path}"
    a, b = pair(fresh_postgres_db, secrets.token_hex(32), b_url=b_url)
    try:
        admin_a = Admin(a)
        user = admin_a.create_user(unique("hot-user"))
        token = jwt_of(admin_a.server_token(restricted_to=user["@id"], name="hot"))
        session = requests.Session()
        session.headers.update(bearer(token))
        warm = session.get(b.url + CURRENT, params=JSON_OUT, timeout=10)
        assert warm.status_code == 200 and warm.json()["@id"] == user["@id"], warm.text
        before = proxy.count()
        assert before > 0  # the proxy does see B's queries
        started = time.monotonic()
        results = [session.get(b.url + CURRENT, params=JSON_OUT, timeout=10) for _ in range(200)]
        elapsed = time.monotonic() - started
        round_trips = proxy.count() - before
        assert all(r.status_code == 200 for r in results), [r.text for r in results if r.status_code != 200][:3]
        assert {r.json()["@id"] for r in results} == {user["@id"]}
        assert round_trips <= 5, f"{round_trips} database round trips for 200 cached calls in {elapsed:.2f} s"
        # The proxy does see per-request round trips: five user creations through B.
        before = proxy.count()
        for _ in range(5):
            r = requests.post(b.url + USERS, params=JSON_OUT, json={"username": unique("via-b")}, headers=admin_a.headers, timeout=10)
            assert r.status_code == 200, r.text
        assert proxy.count() - before >= 5
        # And the database is still fine for both instances.
        assert requests.get(b.url + "/readyz", timeout=5).status_code == 200
        assert admin_a.create_user(unique("after-hot"))["@id"]
        r = subprocess.run(["psql", fresh_postgres_db, "-tAc", "SELECT count(*) FROM pg_stat_activity"], capture_output=True, text=True)
        assert r.returncode == 0 and int(r.stdout.strip()) > 0, r.stderr
    finally:
        codes = [a.stop(), b.stop()]
        proxy.close()
    assert codes == [0, 0], [a.output(), b.output()]
