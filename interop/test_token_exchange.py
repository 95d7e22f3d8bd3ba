"""Identity token exchange interop tests (issue 6, SPEC §A-§C): trusted identity providers registered with
`tessera idp`, Expert's POST /@app/auth/token/exchange (raw ID token in, deki user document and session cookie out,
just-in-time provisioning) and RFC 8693 token exchange at /auth/token -- against a real `tessera serve`.

The identity providers are this module's own: RSA and EC P-256 keys made with `cryptography`, ID tokens signed with
PyJWT, and the JWKS served by a small `http.server` thread on a free loopback port (for `--jwks-url`) or written to a
file (for `--jwks-file`). Nothing of the server's own code is called.

ID tokens, access tokens, auth tokens and client secrets are credentials: they are held as `Secret` strings (repr
"<secret>") and response bodies are redacted (`show`) before they reach an assertion message.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import BIN, deki_error
from helpers import bearer, check, no_leak, redact, secret, show, unique

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
EXCHANGE = "/@app/auth/token/exchange"
TOKEN = "/auth/token"
USERINFO = "/auth/userinfo"
JWKS = "/auth/jwks"
OPENID = "/.well-known/openid-configuration"
JSON_OUT = {"dream.out.format": "json"}

FORM = "application/x-www-form-urlencoded; charset=utf-8"  # what the Token Exchange docs show
JSON_TYPE = "application/json; charset=utf-8"  # what the official Python example sends

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


# ---------------------------------------------------------------------------------------------------------------
# Small client helpers


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def now():
    return int(time.time())


def cli(server, *args):
    """A `tessera` command on the server's own store (as test_cxone_auth.py's `cli`)."""
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True,
                          text=True, timeout=60)


def create_app(server, app_type, auth_method):
    """`tessera app create`; returns (client_id, client_secret)."""
    args = ["app", "create", "--name", unique(f"{app_type}-app"), "--type", app_type, "--auth-method", auth_method]
    if app_type != "backend":
        args += ["--redirect-uri", "https://app.example.org/callback"]
    result = cli(server, *args)
    assert result.returncode == 0, redact(result.stderr)
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    client_id = fields.get("client_id", "").strip()
    assert str(uuid.UUID(client_id)) == client_id.lower(), redact(result.stdout)
    client_secret = secret(fields.get("client_secret", "").strip())
    check(bool(client_secret), "no client_secret printed")
    return client_id, client_secret


def admin_get_user(server, admin_token, ref):
    """GET /@api/deki/users/{ref} as the admin (ref: a numeric id or =username); returns the response."""
    return requests.get(f"{server.url}{USERS}/{ref}", params=JSON_OUT, headers=bearer(admin_token), timeout=10)


def set_status(server, admin_token, user_id, status):
    r = requests.put(f"{server.url}{USERS}/{user_id}", data=f"<user><status>{status}</status></user>",
                     headers={**bearer(admin_token), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)


def exchange(server, body, content_type=FORM, json_errors=True, session=None):
    """POST /@app/auth/token/exchange with `body` as the raw request body. With `json_errors`, asks for deki JSON
    (?dream.out.format=json) so that a failure comes back as a JSON deki error."""
    url = server.url + EXCHANGE + ("?dream.out.format=json" if json_errors else "")
    poster = session or requests
    return poster.post(url, data=body.encode("utf-8") if isinstance(body, str) else body,
                       headers={"Content-Type": content_type}, timeout=15)


def exchanged_user(r, token):
    """A successful exchange: 200, JSON, a signed-in (non-anonymous) deki user document and an HttpOnly authtoken
    cookie. Returns the document."""
    assert r.status_code == 200, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    no_leak(r, token)
    doc = r.json()
    assert isinstance(doc, dict), show(r)
    assert isinstance(doc.get("@id"), str) and doc["@id"].isdigit(), show(r)
    assert doc.get("@anonymous") == "false", show(r)
    assert {"username", "fullname", "email"} <= set(doc), sorted(doc)
    cookie = r.headers.get("Set-Cookie", "")
    check(re.search(r"(^|[ ,])authtoken=[^;,\s]+", cookie) is not None, "no authtoken cookie set: " + redact(cookie))
    check("httponly" in cookie.lower(), "the authtoken cookie is not HttpOnly: " + redact(cookie))
    secret(r.cookies.get("authtoken"))  # remembered, so that it is redacted from now on
    return doc


def refused(r, status, words=(), token=None):
    """A refused exchange: `status` (or one of a tuple) with a deki error body whose message names the reason (one
    of `words`, case-insensitively), no session cookie, and the token not echoed. Returns the error's fields."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, show(r)
    no_leak(r, token)
    fields = deki_error(r, r.status_code)
    if words:
        message = (fields["message"] or "").lower()
        assert any(w in message for w in words), (words, redact(fields["message"]))
    check("authtoken" not in r.cookies, "a refused exchange set an authtoken cookie")
    return fields


# ---------------------------------------------------------------------------------------------------------------
# The test identity providers


class JWKSHost:
    """A tiny HTTP server on a free loopback port serving JWKS documents by path; counts the GETs of each path."""

    def __init__(self):
        self.documents, self.hits, self.lock = {}, {}, threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                with host.lock:
                    host.hits[path] = host.hits.get(path, 0) + 1
                    doc = host.documents.get(path)
                if doc is None:
                    self.send_error(404)
                    return
                body = json.dumps(doc).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, path, document):
        with self.lock:
            self.documents[path] = json.loads(json.dumps(document))
        return self.base + path

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def new_key(alg):
    if alg.startswith("ES"):
        return ec.generate_private_key({"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}[alg])
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid, alg):
    algorithm = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    jwk = algorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": alg})
    return jwk


class IdP:
    """A trusted identity provider of this module: its issuer, audience, signing keys (kid -> (key, alg)) and the ID
    tokens it signs."""

    def __init__(self, name, algs=("RS256",), audience=None):
        tag = uuid.uuid4().hex[:8]
        self.issuer = f"https://{name}-{tag}.idp.example"
        self.audience = audience or f"tessera-{tag}"
        self.path = f"/{name}-{tag}/jwks.json"
        self.keys = {}
        self.kid = None
        for alg in algs:
            self.add_key(alg)
        self.jwks_url = None

    def add_key(self, alg):
        kid = f"{alg.lower()}-{uuid.uuid4().hex[:10]}"
        self.keys[kid] = (new_key(alg), alg)
        self.kid = self.kid or kid  # the first key is the default
        return kid

    def kid_of(self, alg):
        return next(kid for kid, (_, a) in self.keys.items() if a == alg)

    def jwks(self):
        return {"keys": [public_jwk(key, kid, alg) for kid, (key, alg) in self.keys.items()]}

    def claims(self, sub=None, **overrides):
        """OIDC Core ID-token claims with numeric times, as the Token Exchange docs' example; `overrides` replace
        claims (None drops one)."""
        sub = sub or unique("idp-user")
        n = now()
        claims = {"iss": self.issuer, "aud": self.audience, "sub": sub, "iat": n, "exp": n + 600,
                  "given_name": "Ada", "family_name": "Lovelace", "name": "Ada Lovelace",
                  "email": f"{sub}@example.org"}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims, kid=None, key=None, alg=None):
        kid = kid or self.kid
        own_key, own_alg = self.keys.get(kid, (None, None))
        alg = alg or own_alg or "RS256"
        return secret(jwt.encode(claims, key or own_key, algorithm=alg, headers={"kid": kid, "typ": "JWT"}))

    def token(self, sub=None, kid=None, key=None, alg=None, **overrides):
        return self.sign(self.claims(sub, **overrides), kid=kid, key=key, alg=alg)


def add_idp(server, idp, *extra, jwks_file=None):
    """`tessera idp add` with --jwks-url (the IdP's published JWKS) or --jwks-file."""
    source = ["--jwks-file", jwks_file] if jwks_file else ["--jwks-url", idp.jwks_url]
    result = cli(server, "idp", "add", "--issuer", idp.issuer, "--audience", idp.audience, *source, *extra)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert f"added identity provider {idp.issuer}" in result.stdout, result.stdout
    return result


def idp_lines(server):
    result = cli(server, "idp", "list")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures


@pytest.fixture(scope="module")
def admin_token(server):
    return secret(server.sign_in())


@pytest.fixture(scope="module")
def jwks_host():
    host = JWKSHost()
    yield host
    host.close()


@pytest.fixture(scope="module")
def idp(server, jwks_host):
    """The main trusted IdP: RS256, RS384, RS512 and ES256 keys behind --jwks-url."""
    provider = IdP("main", algs=("RS256", "RS384", "RS512", "ES256"))
    provider.jwks_url = jwks_host.publish(provider.path, provider.jwks())
    add_idp(server, provider)
    return provider


@pytest.fixture(scope="module")
def static_idp(server):
    """A trusted IdP with static keys: its JWKS file is read at add time, then deleted."""
    provider = IdP("static", algs=("RS256", "ES256"))
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(provider.jwks(), f)
    try:
        add_idp(server, provider, jwks_file=path)
    finally:
        os.unlink(path)
    return provider


@pytest.fixture(scope="module")
def stranger_key():
    """An RSA key no IdP trusts."""
    return new_key("RS256")


@pytest.fixture(scope="module")
def issuer(server):
    r = requests.get(server.url + OPENID, timeout=10)
    assert r.status_code == 200, show(r)
    return r.json()["issuer"]


@pytest.fixture(scope="module")
def clients(server):
    """Registered applications for RFC 8693: a confidential app with client_secret_basic and a back-end app with
    client_secret_post."""
    return {"basic": create_app(server, "confidential", "client_secret_basic"),
            "post": create_app(server, "backend", "client_secret_post")}


# ---------------------------------------------------------------------------------------------------------------
# §A. `tessera idp`


def test_idp_list_shows_both_kinds(server, idp, static_idp):
    lines = idp_lines(server)
    assert f"{idp.issuer}\t{idp.audience}\t{idp.jwks_url}" in lines, lines
    assert f"{static_idp.issuer}\t{static_idp.audience}\tstatic keys" in lines, lines


def test_idp_add_twice_fails_and_remove_stops_exchanges(server, jwks_host):
    provider = IdP("removable")
    provider.jwks_url = jwks_host.publish(provider.path, provider.jwks())
    add_idp(server, provider)
    again = cli(server, "idp", "add", "--issuer", provider.issuer, "--audience", "another-audience",
                "--jwks-url", provider.jwks_url)
    assert again.returncode != 0, again.stdout
    assert sum(line.startswith(provider.issuer + "\t") for line in idp_lines(server)) == 1
    assert f"{provider.issuer}\t{provider.audience}\t{provider.jwks_url}" in idp_lines(server)  # the first one kept

    token = provider.token()
    exchanged_user(exchange(server, token), token)

    removed = cli(server, "idp", "remove", "--issuer", provider.issuer)
    assert removed.returncode == 0, removed.stderr
    assert not any(line.startswith(provider.issuer + "\t") for line in idp_lines(server))
    # The running server reads the IdPs per exchange: the issuer is unknown at once.
    token = provider.token()
    refused(exchange(server, token), 403, ("issuer",), token)


def test_idp_add_needs_one_readable_key_source(server, jwks_host, tmp_path):
    provider = IdP("incomplete")
    url = jwks_host.publish(provider.path, provider.jwks())
    good_file = tmp_path / "jwks.json"
    good_file.write_text(json.dumps(provider.jwks()))
    bad_file = tmp_path / "not-jwks.json"
    bad_file.write_text("this is not a JWKS")
    for source in ([], ["--jwks-url", url, "--jwks-file", str(good_file)], ["--jwks-file", str(bad_file)],
                   ["--jwks-file", str(tmp_path / "missing.json")]):
        result = cli(server, "idp", "add", "--issuer", provider.issuer, "--audience", provider.audience, *source)
        assert result.returncode != 0, (source, result.stdout)
    assert not any(line.startswith(provider.issuer + "\t") for line in idp_lines(server))


# ---------------------------------------------------------------------------------------------------------------
# §B. POST /@app/auth/token/exchange: success


def test_exchange_with_form_content_type_then_the_cookie_signs_in(server, idp):
    sub = unique("form-user")
    token = idp.token(sub, given_name="Grace", family_name="Hopper")
    session = requests.Session()
    r = exchange(server, token, FORM, json_errors=False, session=session)
    doc = exchanged_user(r, token)
    assert (doc["username"], doc["fullname"], doc["email"]) == (sub, "Grace Hopper", f"{sub}@example.org")

    r = session.get(server.url + CURRENT, params=JSON_OUT, timeout=10)
    assert r.status_code == 200, show(r)
    me = r.json()
    assert (me["@id"], me["username"], me["@anonymous"]) == (doc["@id"], sub, "false")
    # Without the cookie the same call is anonymous.
    r = requests.get(server.url + CURRENT, params=JSON_OUT, timeout=10)
    assert r.status_code == 200 and r.json()["@anonymous"] == "true", show(r)


def test_exchange_with_json_content_type_as_the_reference_example(server, idp):
    """The official example: requests.Session().post(url, data=jwt, headers={"Content-Type": "application/json;
    charset=utf-8"}), then "additional requests as this user"."""
    sub = str(uuid.uuid4())  # the docs' example sub is a UUID
    token = idp.token(sub, given_name="Alan", family_name="Turing")
    session = requests.Session()
    r = session.post(server.url + EXCHANGE, data=str(token), headers={"Content-Type": JSON_TYPE}, timeout=15)
    doc = exchanged_user(r, token)
    assert (doc["username"], doc["fullname"]) == (sub, "Alan Turing")
    assert doc["@anonymous"] == "false"
    me = session.get(server.url + CURRENT, params=JSON_OUT, timeout=10).json()
    assert (me["@id"], me["username"]) == (doc["@id"], sub)


@pytest.mark.parametrize("shape", ["surrounding-whitespace", "json-string-literal", "json-string-with-whitespace"])
def test_exchange_body_shapes(server, idp, shape):
    sub = unique("shape-user")
    token = idp.token(sub)
    body, content_type = {
        "surrounding-whitespace": ("\r\n  " + token + " \n", FORM),
        "json-string-literal": (json.dumps(str(token)), JSON_TYPE),
        "json-string-with-whitespace": ("\n" + json.dumps(str(token)) + "\n", JSON_TYPE),
    }[shape]
    doc = exchanged_user(exchange(server, secret(body), content_type), token)
    assert doc["username"] == sub


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "ES256"])
def test_exchange_accepts_each_supported_algorithm(server, idp, alg):
    sub = unique(alg.lower())
    token = idp.token(sub, kid=idp.kid_of(alg))
    assert jwt.get_unverified_header(token)["alg"] == alg
    assert exchanged_user(exchange(server, token), token)["username"] == sub


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_exchange_with_static_keys(server, static_idp, alg):
    """--jwks-file keys were stored at add time: the file is gone, the keys still verify."""
    sub = unique("static-user")
    token = static_idp.token(sub, kid=static_idp.kid_of(alg), given_name="Static", family_name="Keys")
    doc = exchanged_user(exchange(server, token, JSON_TYPE), token)
    assert (doc["username"], doc["fullname"]) == (sub, "Static Keys")


def test_exchange_audience_may_be_an_array(server, idp):
    sub = unique("array-aud")
    token = idp.token(sub, aud=["some-other-client", idp.audience])
    assert exchanged_user(exchange(server, token), token)["username"] == sub


def test_exchange_without_email_claim(server, idp):
    sub = unique("no-email")
    token = idp.token(sub, email=None)
    doc = exchanged_user(exchange(server, token), token)
    assert (doc["username"], doc["fullname"]) == (sub, "Ada Lovelace")


def test_just_in_time_provisioning_then_update(server, idp, admin_token):
    sub = unique("jit-user")
    assert admin_get_user(server, admin_token, "=" + sub).status_code == 404  # not there before

    token = idp.token(sub, given_name="Katherine", family_name="Johnson", email=f"{sub}@nasa.example")
    first = exchanged_user(exchange(server, token), token)
    assert (first["username"], first["fullname"], first["email"]) == \
        (sub, "Katherine Johnson", f"{sub}@nasa.example")
    r = admin_get_user(server, admin_token, "=" + sub)
    assert r.status_code == 200, show(r)
    created = r.json()
    assert created["@id"] == first["@id"]
    assert created["permissions.user"]["role"] == "Viewer"  # new users are Viewers
    assert created["status"] == "active"

    # A second exchange, with changed names and email: the same user, updated.
    token = idp.token(sub, given_name="Katherine G.", family_name="Goble Johnson", email=f"{sub}@langley.example")
    second = exchanged_user(exchange(server, token, JSON_TYPE), token)
    assert second["@id"] == first["@id"]
    assert (second["fullname"], second["email"]) == ("Katherine G. Goble Johnson", f"{sub}@langley.example")
    stored = admin_get_user(server, admin_token, first["@id"]).json()
    assert (stored["username"], stored["fullname"], stored["email"]) == \
        (sub, "Katherine G. Goble Johnson", f"{sub}@langley.example")


def test_existing_user_is_adopted_only_when_an_administrator_links_it(server, idp, admin_token):
    """A user made through the API before the exchange is not taken over by an identity that merely carries its
    name: the exchange is refused until an administrator links the identity to it. Then that user is the one signed
    in: its id and role stay, its name is updated from the token."""
    username = unique("existing")
    body = {"username": username, "fullname": "Old Name", "email": f"{username}@old.example",
            "permissions.user": {"role": "Contributor"}}
    r = requests.post(server.url + USERS, params=JSON_OUT, json=body, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, show(r)
    existing = r.json()

    token = idp.token(username, given_name="New", family_name="Name")
    r = exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)
    r = requests.post(server.url + "/@api/deki/site/identity-links", json={"issuer": idp.issuer, "subject": username, "username": username},
                      headers=bearer(admin_token), timeout=10)
    assert r.status_code == 201, show(r)
    doc = exchanged_user(exchange(server, token), token)
    assert (doc["@id"], doc["username"], doc["fullname"]) == (existing["@id"], username, "New Name")
    stored = admin_get_user(server, admin_token, existing["@id"]).json()
    assert stored["permissions.user"]["role"] == "Contributor"
    assert stored["fullname"] == "New Name"


@pytest.mark.parametrize("case", ["exp-200s-ago", "iat-200s-ahead", "nbf-200s-ahead"])
def test_clock_skew_of_300_seconds_is_tolerated(server, idp, case):
    n = now()
    overrides = {
        "exp-200s-ago": {"iat": n - 800, "exp": n - 200},
        "iat-200s-ahead": {"iat": n + 200, "exp": n + 800},
        "nbf-200s-ahead": {"nbf": n + 200},
    }[case]
    sub = unique("skew")
    token = idp.token(sub, **overrides)
    assert exchanged_user(exchange(server, token), token)["username"] == sub


def test_deactivated_user_is_refused(server, idp, admin_token):
    sub = unique("inactive")
    token = idp.token(sub)
    doc = exchanged_user(exchange(server, token), token)
    set_status(server, admin_token, doc["@id"], "inactive")
    try:
        token = idp.token(sub)
        refused(exchange(server, token), 403, (), token)
        assert admin_get_user(server, admin_token, doc["@id"]).json()["status"] == "inactive"  # not re-activated
    finally:
        set_status(server, admin_token, doc["@id"], "active")
    token = idp.token(sub)
    assert exchanged_user(exchange(server, token), token)["@id"] == doc["@id"]


def test_custom_claim_names(server, jwks_host, admin_token):
    provider = IdP("mapped")
    provider.jwks_url = jwks_host.publish(provider.path, provider.jwks())
    add_idp(server, provider, "--username-claim", "preferred_username", "--given-name-claim", "first",
            "--family-name-claim", "last", "--email-claim", "mail")
    username = unique("mapped")
    claims = provider.claims(str(uuid.uuid4()), given_name=None, family_name=None, email=None,
                             preferred_username=username, first="Barbara", last="Liskov",
                             mail=f"{username}@mapped.example")
    token = provider.sign(claims)
    doc = exchanged_user(exchange(server, token), token)
    assert (doc["username"], doc["fullname"], doc["email"]) == (username, "Barbara Liskov", f"{username}@mapped.example")
    # The mapped username claim is required; `sub` does not stand in for it.
    claims = provider.claims(unique("sub-only"), given_name=None, family_name=None, first="No", last="Username")
    token = provider.sign(claims)
    refused(exchange(server, token), 400, (), token)
    assert admin_get_user(server, admin_token, "=" + claims["sub"]).status_code == 404


def test_jwks_is_cached_and_refetched_for_a_new_kid(server, jwks_host):
    """--jwks-url keys are cached (5 min): exchanges with a known kid fetch nothing. A new kid makes the server
    fetch the JWKS again (at most every 30 s, so this may take up to 30 s), and unknown kids do not make it hammer
    the IdP."""
    provider = IdP("rotating")
    provider.jwks_url = jwks_host.publish(provider.path, provider.jwks())
    add_idp(server, provider)
    token = provider.token()
    exchanged_user(exchange(server, token), token)
    fetched = jwks_host.count(provider.path)
    assert fetched >= 1
    for _ in range(5):
        token = provider.token()
        exchanged_user(exchange(server, token), token)
    assert jwks_host.count(provider.path) == fetched, "the server fetched the JWKS again for a known kid"

    # The IdP rotates: a new key is published and used at once.
    new_kid = provider.add_key("RS256")
    jwks_host.publish(provider.path, provider.jwks())
    deadline = time.monotonic() + 40
    while True:
        sub = unique("rotated")
        token = provider.token(sub, kid=new_kid)
        r = exchange(server, token)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        refused(r, 403, (), token)
        time.sleep(1)
    assert exchanged_user(r, token)["username"] == sub
    refetches = jwks_host.count(provider.path) - fetched
    assert 1 <= refetches <= 2, f"{refetches} JWKS fetches for one new kid in 40 s"

    # A burst of unknown kids right after: at most one more fetch.
    before = jwks_host.count(provider.path)
    stranger = new_key("RS256")
    for _ in range(5):
        token = provider.token(kid=unique("unknown-kid"), key=stranger, alg="RS256")
        refused(exchange(server, token), 403, (), token)
    assert jwks_host.count(provider.path) - before <= 1, "unknown kids made the server refetch the JWKS each time"
    # The old key still works.
    token = provider.token()
    exchanged_user(exchange(server, token), token)


# ---------------------------------------------------------------------------------------------------------------
# §B. Bad input: the table


def unsigned(idp, sub):
    """alg none, no signature."""
    header = {"alg": "none", "typ": "JWT", "kid": idp.kid}
    return secret(f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(idp.claims(sub)).encode())}.")


def hs256_with_public_key(idp, sub):
    """The classic key-confusion forgery: HS256 keyed with the IdP's public key (PEM), which anyone can fetch."""
    key, _ = idp.keys[idp.kid]
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": idp.kid}).encode())
    payload = b64url(json.dumps(idp.claims(sub)).encode())
    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return secret(f"{header}.{payload}.{b64url(signature)}")


def tampered(idp, sub):
    """A validly signed token whose payload was changed afterwards (another sub)."""
    head, _, signature = idp.token(sub).split(".")
    return secret(f"{head}.{b64url(json.dumps(idp.claims(sub + '-admin')).encode())}.{signature}")


NOT_A_JWT = ("jwt", "token", "empty")


def without(claims, name):
    return {k: v for k, v in claims.items() if k != name}


def _bad_exchanges():
    """(id, builder(idp, sub, stranger key) -> body, status (or tuple), words one of which the message has)."""
    n = now
    return [
        ("unsigned-alg-none", lambda i, s, k: unsigned(i, s), 403, ("signature", "unsigned", "alg", "none")),
        ("wrong-issuer", lambda i, s, k: i.token(s, iss="https://unknown.idp.example"), 403, ("issuer",)),
        ("issuer-with-trailing-slash", lambda i, s, k: i.token(s, iss=i.issuer + "/"), 403, ("issuer",)),
        ("wrong-audience", lambda i, s, k: i.token(s, aud="someone-else"), 403, ("audience",)),
        ("audience-array-without-ours", lambda i, s, k: i.token(s, aud=["a", "b"]), 403, ("audience",)),
        ("expired", lambda i, s, k: i.token(s, iat=n() - 1000, exp=n() - 400), 403, ("expired",)),
        ("iat-in-the-future", lambda i, s, k: i.token(s, iat=n() + 400, exp=n() + 1000), 403,
         ("iat", "issued", "future")),
        ("nbf-in-the-future", lambda i, s, k: i.token(s, nbf=n() + 400), 403, ("nbf", "not before", "not yet", "future")),
        ("missing-given-name", lambda i, s, k: i.token(s, given_name=None), 400, ("given",)),
        ("missing-family-name", lambda i, s, k: i.token(s, family_name=None), 400, ("family",)),
        ("missing-sub", lambda i, s, k: i.sign(without(i.claims(s), "sub")), 400, ("sub", "username")),
        ("empty-sub", lambda i, s, k: i.sign({**i.claims(s), "sub": ""}), 400, ("sub", "username")),
        ("missing-iat", lambda i, s, k: i.token(s, iat=None), (400, 403), ("iat", "issued")),
        ("missing-exp", lambda i, s, k: i.token(s, exp=None), (400, 403), ("exp",)),
        ("untrusted-key-same-kid", lambda i, s, k: i.token(s, key=k, alg="RS256"), 403, ("signature",)),
        ("unknown-kid", lambda i, s, k: i.token(s, kid="unknown-" + uuid.uuid4().hex[:6], key=k, alg="RS256"), 403,
         ("signature", "key", "kid")),
        ("hs256-keyed-with-public-key", lambda i, s, k: hs256_with_public_key(i, s), 403, ("signature", "alg")),
        ("payload-tampered", lambda i, s, k: tampered(i, s), 403, ("signature",)),
        ("not-a-jwt", lambda i, s, k: "this is not a token", 400, NOT_A_JWT),
        ("empty-body", lambda i, s, k: "", 400, NOT_A_JWT),
        ("whitespace-only", lambda i, s, k: " \r\n ", 400, NOT_A_JWT),
        ("garbage-base64", lambda i, s, k: "e%J!.*not*base64*.@@@", 400, NOT_A_JWT),
        ("base64-but-not-json", lambda i, s, k: f"{b64url(b'not json')}.{b64url(b'nor this')}.{b64url(b'sig')}", 400, NOT_A_JWT),
        ("two-parts", lambda i, s, k: ".".join(i.token(s).split(".")[:2]), 400, NOT_A_JWT),
        ("json-object-body", lambda i, s, k: json.dumps({"token": str(i.token(s))}), 400, NOT_A_JWT),
    ]


BAD_EXCHANGES = _bad_exchanges()


@pytest.mark.parametrize("case", BAD_EXCHANGES, ids=[c[0] for c in BAD_EXCHANGES])
def test_exchange_refuses_bad_input(server, idp, stranger_key, admin_token, case):
    name, build, status, words = case
    sub = unique("bad-input")
    body = secret(build(idp, sub, stranger_key))
    content_type = JSON_TYPE if name == "json-object-body" else FORM
    r = exchange(server, body, content_type)
    assert r.status_code != 500, show(r)
    refused(r, status, words, body)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    # Nobody was provisioned.
    for ref in ("=" + sub, "=" + sub + "-admin"):
        assert admin_get_user(server, admin_token, ref).status_code == 404, f"{name} created {ref}"


def test_errors_are_xml_unless_json_is_asked_for(server, idp):
    token = idp.token(aud="someone-else")
    r = exchange(server, token, json_errors=False)
    refused(r, 403, ("audience",), token)
    assert r.headers.get("Content-Type", "").startswith("application/xml"), r.headers.get("Content-Type")


def test_server_survives_bad_input_and_still_exchanges(server, idp):
    assert server.process.poll() is None, redact(server.output()[-2000:])
    sub = unique("after-bad-input")
    token = idp.token(sub)
    assert exchanged_user(exchange(server, token), token)["username"] == sub


# ---------------------------------------------------------------------------------------------------------------
# §C. RFC 8693 token exchange at /auth/token


def token_exchange(server, subject_token=None, subject_type=ID_TOKEN_TYPE, auth=None, **extra):
    """POST /auth/token with grant_type token-exchange; None leaves a field out; `auth` is (client_id, secret)
    for client_secret_basic."""
    form = {"grant_type": GRANT, "subject_token": subject_token, "subject_token_type": subject_type, **extra}
    form = {k: v for k, v in form.items() if v is not None}
    r = requests.post(server.url + TOKEN, data=form, auth=auth, timeout=15)
    if r.status_code == 200:
        secret(r.json().get("access_token"))
    return r


def verify_access_token(server, token, client_id, issuer):
    jwks = requests.get(server.url + JWKS, timeout=10).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid].key
    return jwt.decode(token, key, algorithms=["RS256"], audience=client_id + "@cxone", issuer=issuer,
                      options={"require": ["iss", "sub", "aud", "iat", "exp"]})


def issued(r, server, client_id, issuer, scope="openid"):
    """A 200 RFC 8693 answer: the fields, no refresh token, an RS256 access token for the client. Returns
    (answer, verified claims)."""
    assert r.status_code == 200, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")
    doc = r.json()
    for name in ("access_token", "refresh_token", "id_token"):
        if isinstance(doc.get(name), str):
            doc[name] = secret(doc[name])
    shown = {k: v for k, v in doc.items() if k != "access_token"}
    assert doc.get("issued_token_type") == ACCESS_TOKEN_TYPE, shown
    assert doc.get("token_type") == "Bearer", shown
    assert doc.get("scope") == scope, shown
    assert "refresh_token" not in doc, sorted(doc)
    access = doc["access_token"]
    assert jwt.get_unverified_header(access)["alg"] == "RS256"
    claims = verify_access_token(server, access, client_id, issuer)
    assert claims.get("client_id") == client_id, claims.get("client_id")
    assert type(doc.get("expires_in")) is int and doc["expires_in"] > 0, shown
    assert abs(doc["expires_in"] - (claims["exp"] - claims["iat"])) <= 2, (shown, claims["exp"] - claims["iat"])
    assert abs(claims["iat"] - time.time()) < 120
    return doc, claims


def test_discovery_lists_the_token_exchange_grant(server):
    doc = requests.get(server.url + OPENID, timeout=10).json()
    assert GRANT in doc.get("grant_types_supported", []), doc.get("grant_types_supported")


def test_rfc8693_id_token_to_access_token(server, idp, clients, issuer, admin_token):
    client_id, client_secret = clients["basic"]
    sub = unique("rfc8693")
    id_token = idp.token(sub, given_name="Edsger", family_name="Dijkstra")
    r = token_exchange(server, id_token, ID_TOKEN_TYPE, auth=(client_id, client_secret))
    no_leak(r, id_token)
    doc, claims = issued(r, server, client_id, issuer)

    # The subject was provisioned just in time, as by the Expert exchange.
    r = admin_get_user(server, admin_token, "=" + sub)
    assert r.status_code == 200, show(r)
    user = r.json()
    assert (user["fullname"], user["permissions.user"]["role"]) == ("Edsger Dijkstra", "Viewer")
    assert claims["sub"] == "user:" + user["@guid"]

    # The access token works at userinfo.
    r = requests.get(server.url + USERINFO, headers=bearer(doc["access_token"]), timeout=10)
    assert r.status_code == 200, show(r)
    info = r.json()
    assert (info["sub"], info["email"]) == ("user:" + user["@guid"], f"{sub}@example.org")


def test_rfc8693_with_client_secret_post_and_explicit_options(server, idp, clients, issuer):
    client_id, client_secret = clients["post"]
    sub = unique("rfc8693-post")
    r = token_exchange(server, idp.token(sub, kid=idp.kid_of("ES256")), ID_TOKEN_TYPE, client_id=client_id,
                       client_secret=client_secret, scope="openid", requested_token_type=ACCESS_TOKEN_TYPE)
    _, claims = issued(r, server, client_id, issuer)
    r = requests.get(server.url + USERINFO, headers=bearer(r.json()["access_token"]), timeout=10)
    assert r.status_code == 200 and r.json()["sub"] == claims["sub"], show(r)


def test_rfc8693_access_token_subjects(server, idp, clients, issuer):
    """A Tessera access token (from a first exchange) is exchanged again, by the same or another client; so is a
    JWT access token of a trusted IdP."""
    basic_id, basic_secret = clients["basic"]
    post_id, post_secret = clients["post"]
    sub = unique("chained")
    r = token_exchange(server, idp.token(sub), ID_TOKEN_TYPE, auth=(basic_id, basic_secret))
    first, first_claims = issued(r, server, basic_id, issuer)

    r = token_exchange(server, first["access_token"], ACCESS_TOKEN_TYPE, auth=(basic_id, basic_secret))
    no_leak(r, first["access_token"])
    second, second_claims = issued(r, server, basic_id, issuer)
    assert second_claims["sub"] == first_claims["sub"]
    check(second["access_token"] != first["access_token"], "the exchange answered the subject token itself")

    r = token_exchange(server, first["access_token"], ACCESS_TOKEN_TYPE, client_id=post_id, client_secret=post_secret)
    _, other = issued(r, server, post_id, issuer)
    assert other["sub"] == first_claims["sub"]
    r = requests.get(server.url + USERINFO, headers=bearer(r.json()["access_token"]), timeout=10)
    assert r.status_code == 200 and r.json()["sub"] == first_claims["sub"], show(r)

    # A JWT access token of the trusted IdP, validated as in §B.
    r = token_exchange(server, idp.token(sub), ACCESS_TOKEN_TYPE, auth=(basic_id, basic_secret))
    _, from_idp = issued(r, server, basic_id, issuer)
    assert from_idp["sub"] == first_claims["sub"]


def _rfc8693_errors():
    """(id, builder(idp, stranger key, tessera access token) -> form fields, status, error)."""
    return [
        ("missing-subject-token", lambda i, k, a: {"subject_token": None}, 400, "invalid_request"),
        ("missing-subject-token-type", lambda i, k, a: {"subject_token_type": None}, 400, "invalid_request"),
        ("saml2-subject-token-type", lambda i, k, a: {"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"},
         400, "invalid_request"),
        ("refresh-token-subject-token-type",
         lambda i, k, a: {"subject_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, 400,
         "invalid_request"),
        ("made-up-subject-token-type", lambda i, k, a: {"subject_token_type": "id_token"}, 400, "invalid_request"),
        ("expired-id-token", lambda i, k, a: {"subject_token": i.token(iat=now() - 1000, exp=now() - 400)}, 400,
         "invalid_grant"),
        ("id-token-signed-by-stranger", lambda i, k, a: {"subject_token": i.token(key=k, alg="RS256")}, 400,
         "invalid_grant"),
        ("id-token-of-unknown-issuer", lambda i, k, a: {"subject_token": i.token(iss="https://unknown.idp.example")},
         400, "invalid_grant"),
        ("id-token-wrong-audience", lambda i, k, a: {"subject_token": i.token(aud="someone-else")}, 400,
         "invalid_grant"),
        ("id-token-unsigned", lambda i, k, a: {"subject_token": unsigned(i, unique("none"))}, 400, "invalid_grant"),
        ("garbage-id-token", lambda i, k, a: {"subject_token": "not-a-jwt"}, 400, "invalid_grant"),
        ("garbage-access-token", lambda i, k, a: {"subject_token": "not-a-jwt",
                                                  "subject_token_type": ACCESS_TOKEN_TYPE}, 400, "invalid_grant"),
        ("tampered-tessera-access-token",
         lambda i, k, a: {"subject_token": secret(a[:-8] + ("A" if a[-8] != "A" else "B") + a[-7:]),
                          "subject_token_type": ACCESS_TOKEN_TYPE}, 400, "invalid_grant"),
    ]


RFC8693_ERRORS = _rfc8693_errors()


@pytest.fixture(scope="module")
def tessera_access_token(server, idp, clients, issuer):
    client_id, client_secret = clients["basic"]
    r = token_exchange(server, idp.token(), ID_TOKEN_TYPE, auth=(client_id, client_secret))
    return secret(issued(r, server, client_id, issuer)[0]["access_token"])


@pytest.mark.parametrize("case", RFC8693_ERRORS, ids=[c[0] for c in RFC8693_ERRORS])
def test_rfc8693_errors(server, idp, clients, stranger_key, tessera_access_token, case):
    _, build, status, error = case
    client_id, client_secret = clients["basic"]
    fields = {"subject_token": idp.token(), "subject_token_type": ID_TOKEN_TYPE}
    fields.update(build(idp, stranger_key, tessera_access_token))
    r = token_exchange(server, auth=(client_id, client_secret), **fields)
    assert r.status_code == status, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
    doc = r.json()
    assert doc.get("error") == error, show(r)
    assert isinstance(doc.get("error_description"), str) and doc["error_description"], show(r)
    assert "access_token" not in doc
    no_leak(r, fields.get("subject_token"), client_secret)


def test_rfc8693_requested_token_type_other_than_access_token(server, idp, clients):
    client_id, client_secret = clients["basic"]
    for requested in (ID_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:refresh_token"):
        r = token_exchange(server, idp.token(), ID_TOKEN_TYPE, auth=(client_id, client_secret),
                           requested_token_type=requested)
        assert r.status_code == 400, show(r)
        assert r.json().get("error") in ("invalid_request", "invalid_target"), show(r)


@pytest.mark.parametrize("case", ["no-client", "wrong-secret-basic", "unknown-client-basic", "wrong-secret-post",
                                  "client-id-only"])
def test_rfc8693_needs_an_authenticated_client(server, idp, clients, case):
    client_id, client_secret = clients["basic"]
    post_id, _ = clients["post"]
    wrong = "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmUtMTIzNDU2Nzg="
    auth, extra = {
        "no-client": (None, {}),
        "wrong-secret-basic": ((client_id, wrong), {}),
        "unknown-client-basic": ((str(uuid.uuid4()), client_secret), {}),
        "wrong-secret-post": (None, {"client_id": post_id, "client_secret": wrong}),
        "client-id-only": (None, {"client_id": post_id}),
    }[case]
    id_token = idp.token()
    r = token_exchange(server, id_token, ID_TOKEN_TYPE, auth=auth, **extra)
    assert r.status_code == 401, show(r)
    assert r.json().get("error") == "invalid_client", show(r)
    if auth is not None:
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers.get("WWW-Authenticate")
    no_leak(r, id_token, client_secret)
