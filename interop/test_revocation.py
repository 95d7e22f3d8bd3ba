"""Token revocation (RFC 7009, POST /auth/revoke) and introspection (RFC 7662, POST /auth/introspect) interop tests:
every kind of token Tessera issues -- CXone access tokens from an access key, refresh tokens, the long-term JWTs of
server tokens, sign-in auth tokens -- introspects active with its identity, is revoked, then introspects exactly
{"active": false} and is refused where it used to work. Clients are registered applications (client_secret_basic and
client_secret_post) and oauth-type developer tokens (key and secret). Also: refresh-token families, one auth token
among several, client binding, bad input, discovery, and a revocation reaching a second instance on one PostgreSQL.

Everything here is independent client code (requests, PyJWT, cryptography); nothing of the server's own code is
called. Secrets are kept out of pytest's output with helpers.py: they are `Secret` strings whose repr is
"<secret>", assertion messages go through `show()`/`redact()`, and conditions on secret values through `check()`.
"""
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ADMIN_PASSWORD, BIN, Server
from helpers import (
    Secret, b64url, basic_header, bearer, check, hide_secrets, json_of, no_leak, redact, remember, secret, show,
    sign_in, unique, wait_for,
)

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
TOKENS = "/@api/deki/site/developer-tokens"
JSON_OUT = {"dream.out.format": "json"}
KEYS = "/access-key-management/v1/access-keys"
ACCESS_KEY_TOKEN = "/authentication/v1/token/access-key"
BASIC_TOKEN = "/public/user/basic-token"
USER_REFRESH = "/public/user/refresh"
TOKEN = "/auth/token"
USERINFO = "/auth/userinfo"
REVOKE = "/auth/revoke"
INTROSPECT = "/auth/introspect"
OPENID = "/.well-known/openid-configuration"

REFRESH_LIFETIME = 86400
AUTHTOKEN_LIFETIME = 561_600  # the server's default (6.5 days)
AUTHTOKEN_SHAPE = re.compile(r"^(\d+)_(\d+)_([0-9a-f]{64})$")
# Applications may also use client_secret_jwt here (as at the token endpoint); developer tokens only the first two.
AUTH_METHODS = ["client_secret_basic", "client_secret_jwt", "client_secret_post", "private_key_jwt"]
WRONG_SECRET = "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="


# ---------------------------------------------------------------------------------------------------------------
# Helpers (the shared ones are in helpers.py)


def flip(text, index):
    """`text` with one character changed (staying in the base64url and hex alphabets); a Secret stays one."""
    changed = text[:index] + ("0" if text[index] != "0" else "1") + text[index + 1:]
    return Secret(changed) if isinstance(text, Secret) else changed


def tamper(token):
    """A JWT with one character of its signature changed (not the last, whose low bits may be padding)."""
    return flip(token, len(token) - 8)


def claims_of(token):
    return jwt.decode(str(token), options={"verify_signature": False})


def oauth_error(r, status, errors):
    """`status` with a JSON body whose `error` is one of `errors` (a name or a tuple); returns the body."""
    errors = (errors,) if isinstance(errors, str) else errors
    assert r.status_code == status, show(r)
    doc = json_of(r)
    assert isinstance(doc, dict) and doc.get("error") in errors, show(r)
    return doc


def cli(server, *args, database_url=None, env=None):
    command = [BIN, *args, "--data-dir", server.data_dir]
    if database_url:
        command += ["--database-url", database_url]
    return subprocess.run(command, env={**server.env, **(env or {})}, capture_output=True, text=True, timeout=60)


def create_app(server, app_type, auth_method=None, database_url=None):
    """`tessera app create`; returns (client_id, client_secret or None)."""
    args = ["app", "create", "--name", unique(f"{app_type}-app"), "--type", app_type]
    if auth_method:
        args += ["--auth-method", auth_method]
    if app_type != "backend":
        args += ["--redirect-uri", "https://app.example.org/callback"]
    result = cli(server, *args, database_url=database_url)
    assert result.returncode == 0, redact(result.stderr)
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    client_id = fields.get("client_id", "").strip()
    assert str(uuid.UUID(client_id)) == client_id.lower(), redact(result.stdout)
    client_secret = secret(fields.get("client_secret", "").strip() or None)
    check(app_type == "public" or client_secret is not None, "no client_secret printed")
    return client_id, client_secret


def current(server, token=None, cookie=None):
    return requests.get(server.url + CURRENT, params=JSON_OUT, headers=bearer(token) if token else {},
                        cookies={"authtoken": cookie} if cookie else None, timeout=10)


class User:
    """A deki user with an Expert auth token (`authtoken`), its numeric id and its guid (the CXone userId)."""

    def __init__(self, server, username, password):
        self.server, self.username, self.password = server, username, secret(password)
        self.authtoken = sign_in(server, username, self.password)
        r = current(server, self.authtoken)
        assert r.status_code == 200, show(r)
        doc = r.json()
        self.id, self.guid = doc["@id"], doc["@guid"]

    def __repr__(self):
        return f"<user {self.username}>"


def create_user(server, admin, role="Contributor"):
    username, password = unique(role.lower()), "pw-" + secrets.token_hex(8)
    body = {"username": username, "fullname": "Interop Person", "email": f"{username}@example.org",
            "permissions.user": {"role": role}}
    r = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password}, json=body,
                      headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    return User(server, username, password)


def basic_token(server, token):
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(token), timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)["token"]


def cxone_session(server, authtoken):
    """Seed 003: a basic token refreshed into an access JWT; returns the refresh answer."""
    r = requests.post(server.url + USER_REFRESH, json={"token": basic_token(server, authtoken)}, timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)


def create_key(server, token, user_guid, tenant_id):
    r = requests.post(server.url + KEYS, json={"userId": user_guid, "tenantId": tenant_id}, headers=bearer(token),
                      timeout=15)
    assert r.status_code == 201, show(r)
    return json_of(r)["accessKey"]


def key_tokens(server, key):
    """POST /authentication/v1/token/access-key: access, refresh and id tokens of the key's user."""
    r = requests.post(server.url + ACCESS_KEY_TOKEN, timeout=15,
                      json={"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})
    assert r.status_code == 200, show(r)
    return json_of(r)


def token_call(server, data=None, auth=None):
    r = requests.post(server.url + TOKEN, data=data, auth=auth, timeout=15)
    if r.status_code == 200:
        hide_secrets(r.json())
    return r


def refresh_grant(server, refresh_token, auth=None):
    return token_call(server, data={"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=auth)


def password_form(key):
    return {"grant_type": "password", "username": key["accessKeyId"], "password": key["accessKeySecret"]}


def userinfo(server, token):
    return requests.get(server.url + USERINFO, headers=bearer(token), timeout=10)


def discovery(server):
    r = requests.get(server.url + OPENID, timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)


def developer_token(server, admin, xml):
    """POST /@api/deki/site/developer-tokens as the admin; returns the JSON document (secret and JWT remembered)."""
    r = requests.post(server.url + TOKENS, params=JSON_OUT, data=xml,
                      headers={**bearer(admin.authtoken), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)
    doc = r.json()
    remember(doc.get("secret"), doc.get("authorization"), jwt_of(doc))
    return doc


def jwt_of(doc):
    """The long-term JWT of a server token's document."""
    scheme, _, token = (doc.get("authorization") or "").partition(" ")
    return secret(token) if scheme == "Bearer" and token else None


def server_token_jwt(server, admin, user):
    """A new server token restricted to `user`; returns (its document, its long-term JWT)."""
    doc = developer_token(server, admin, "<developer-token type='server'><name>revocation</name>"
                                         f"<restricted-by-user-id>{user.id}</restricted-by-user-id></developer-token>")
    token = jwt_of(doc)
    check(token is not None, "a restricted server token came without its long-term JWT")
    return doc, token


class Client:
    """Credentials a client presents at /auth/revoke and /auth/introspect: `method` is client_secret_basic (an
    Authorization: Basic header) or client_secret_post (client_id and client_secret form fields)."""

    def __init__(self, name, client_id, client_secret, method):
        self.name, self.client_id, self.client_secret, self.method = name, client_id, secret(client_secret), method

    def credentials(self):
        """(form fields, headers) that authenticate this client."""
        if self.method == "client_secret_basic":
            return {}, {"Authorization": basic_header(self.client_id, self.client_secret)}
        return {"client_id": self.client_id, "client_secret": self.client_secret}, {}

    def __repr__(self):
        return f"<client {self.name}>"


def endpoint_call(server, path, client=None, token=None, hint=None, form=None, headers=None):
    """POST `path` with a form body: `token`, `token_type_hint`, the client's credentials, then `form`/`headers`."""
    data, sent = {}, {}
    if token is not None:
        data["token"] = token
    if hint:
        data["token_type_hint"] = hint
    if client is not None:
        fields, extra = client.credentials()
        data.update(fields)
        sent.update(extra)
    data.update(form or {})
    sent.update(headers or {})
    return requests.post(server.url + path, data=data, headers=sent, timeout=15)


def revoke(server, client, token, hint=None):
    """A successful RFC 7009 revocation: 200 with an empty body."""
    r = endpoint_call(server, REVOKE, client, token, hint)
    assert r.status_code == 200, show(r)
    assert r.content == b"", show(r)
    no_leak(r, token, client.client_secret)
    return r


def introspect(server, client, token, hint=None):
    """An RFC 7662 introspection: 200, JSON, no-store; returns the document."""
    r = endpoint_call(server, INTROSPECT, client, token, hint)
    assert r.status_code == 200, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")
    no_leak(r, token, client.client_secret)
    doc = r.json()
    assert isinstance(doc, dict), show(r)
    return doc


def assert_inactive(server, client, token, hint=None):
    __tracebackhide__ = True
    doc = introspect(server, client, token, hint)
    if doc != {"active": False}:
        pytest.fail(f"introspection answered {redact(json.dumps(doc))}, not exactly {{\"active\": false}}")


def user_subjects(user):
    """What an introspection's `sub` may be for a token of `user` when the token itself has no sub claim to copy:
    the CXone subject "user:<guid>" (the access tokens' sub), the guid or the numeric id (see the report)."""
    return {"user:" + user.guid, user.guid, str(user.id)}


def assert_active(server, client, token, kind, user, tenant_id, issuer, hint=None):
    """Introspects `token` as active, of `kind`, for `user` of `tenant_id`; returns the document."""
    __tracebackhide__ = True
    doc = introspect(server, client, token, hint)
    text = redact(json.dumps(doc))
    assert doc.get("active") is True, text
    assert doc.get("token_kind") == kind, text
    assert doc.get("username") == user.username, text
    assert doc.get("tenantId") == tenant_id, text
    assert doc.get("sub") in user_subjects(user), text
    now = time.time()
    assert type(doc.get("exp")) is int and doc["exp"] > now, text
    if "iat" in doc:
        assert type(doc["iat"]) is int and doc["iat"] <= now + 5 and doc["iat"] < doc["exp"], text
    assert isinstance(doc.get("iss"), str) and doc["iss"].rstrip("/") == issuer, text
    assert doc.get("token_type") == ("refresh_token" if kind == "refresh-token" else "Bearer"), text
    if kind in ("access-token", "refresh-token"):
        assert isinstance(doc.get("scope"), str) and doc["scope"], text
    return doc


def refused_by_expert_api(server, token=None, cookie=None):
    """users/current refuses the credential with a deki error (401 or 403), not anonymous access."""
    __tracebackhide__ = True
    r = current(server, token, cookie)
    assert r.status_code in (401, 403), show(r)


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: one server (conftest's `server`), its admin, the tenant, clients


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def issuer(server):
    return discovery(server)["issuer"]


@pytest.fixture(scope="module")
def tenant_id(server, admin):
    return claims_of(cxone_session(server, admin.authtoken)["token"])["tenantId"]


@pytest.fixture(scope="module")
def clients(server, admin):
    """The clients that revoke and introspect: confidential apps made with the CLI (one per auth method) and an
    oauth-type developer token (its key and secret, by either method)."""
    basic_id, basic_secret = create_app(server, "confidential", "client_secret_basic")
    post_id, post_secret = create_app(server, "confidential", "client_secret_post")
    oauth = developer_token(server, admin, "<developer-token type='oauth'><name>introspector</name>"
                                           "<host>app.example.com</host></developer-token>")
    assert oauth["@type"] == "oauth" and oauth.get("secret"), "no oauth developer token with a secret"
    return {
        "app-basic": Client("app-basic", basic_id, basic_secret, "client_secret_basic"),
        "app-post": Client("app-post", post_id, post_secret, "client_secret_post"),
        "devtoken-basic": Client("devtoken-basic", oauth["key"], oauth["secret"], "client_secret_basic"),
        "devtoken-post": Client("devtoken-post", oauth["key"], oauth["secret"], "client_secret_post"),
    }


@pytest.fixture(scope="module")
def backend_apps(server):
    """Two back-end apps (client_secret_basic) that get client-bound tokens with the password grant."""
    return {name: Client(f"backend-{name}", *create_app(server, "backend"), "client_secret_basic") for name in "AB"}


# ---------------------------------------------------------------------------------------------------------------
# 1. Every kind of token: active, revoked, inactive, refused


class Issued:
    """A fresh token of one kind for a fresh user: `expect(doc)` checks the kind-specific members of its active
    introspection, `works()` shows the API takes it, `refused()` that the API no longer does."""

    def __init__(self, token, user, expect, works, refused):
        self.token, self.user, self.expect, self.works, self.refused = token, user, expect, works, refused


def issue_access_token(server, admin, tenant_id, issuer):
    user = create_user(server, admin)
    access = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))["access_token"]
    claims = claims_of(access)

    def expect(doc):
        assert (doc["sub"], doc["exp"], doc.get("iat"), doc.get("jti"), doc.get("scope")) == \
            (claims["sub"], claims["exp"], claims["iat"], claims["jti"], claims["scope"]), redact(json.dumps(doc))

    def works():
        assert userinfo(server, access).status_code == 200
        r = current(server, access)
        assert r.status_code == 200 and r.json()["username"] == user.username, show(r)

    def refused():
        r = userinfo(server, access)
        assert r.status_code == 401, show(r)
        refused_by_expert_api(server, access)

    return Issued(access, user, expect, works, refused)


def issue_refresh_token(server, admin, tenant_id, issuer):
    """A refresh token that has been rotated once (so the refresh grant is known to work for its family)."""
    user = create_user(server, admin)
    first = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))
    r = refresh_grant(server, first["refresh_token"])  # access-key refresh tokens need no client
    assert r.status_code == 200, show(r)
    renewed = json_of(r)
    refresh, access = renewed["refresh_token"], renewed["access_token"]
    claims = claims_of(access)

    def expect(doc):
        text = redact(json.dumps(doc))
        assert doc.get("scope") == claims["scope"], text
        assert abs(doc["exp"] - (claims["iat"] + REFRESH_LIFETIME)) <= 5, text
        assert "client_id" not in doc or doc["client_id"] in (None, ""), text

    def works():
        assert userinfo(server, access).status_code == 200

    def refused():
        oauth_error(refresh_grant(server, refresh), 400, "invalid_grant")
        r = userinfo(server, access)  # the access token issued with it went with it
        assert r.status_code == 401, show(r)

    return Issued(refresh, user, expect, works, refused)


def issue_long_term_jwt(server, admin, tenant_id, issuer):
    user = create_user(server, admin)
    _, token = server_token_jwt(server, admin, user)
    claims = claims_of(token)

    def expect(doc):
        text = redact(json.dumps(doc))
        assert doc["exp"] == int(claims["exp"]), text
        assert doc.get("iat", int(claims["iat"])) == int(claims["iat"]), text

    def works():
        r = current(server, token)
        assert r.status_code == 200 and r.json()["@id"] == user.id, show(r)

    def refused():
        refused_by_expert_api(server, token)

    return Issued(token, user, expect, works, refused)


def issue_authtoken(server, admin, tenant_id, issuer):
    user = create_user(server, admin)  # a fresh user: sign-ins of one user in one second may give the same token
    token = user.authtoken

    def expect(doc):
        text = redact(json.dumps(doc))
        shape = AUTHTOKEN_SHAPE.match(token)
        if shape:  # {userId}_{expires}_{mac}
            assert doc["exp"] == int(shape.group(2)), text
        assert abs(doc["exp"] - (time.time() + AUTHTOKEN_LIFETIME)) < 300, text

    def works():
        for how in ({"token": token}, {"cookie": token}):
            r = current(server, **how)
            assert r.status_code == 200 and r.json()["@id"] == user.id, show(r)

    def refused():
        refused_by_expert_api(server, token=token)
        refused_by_expert_api(server, cookie=token)

    return Issued(token, user, expect, works, refused)


KINDS = {
    "access-token": issue_access_token,
    "refresh-token": issue_refresh_token,
    "long-term-jwt": issue_long_term_jwt,
    "authtoken": issue_authtoken,
}
CLIENT_NAMES = ["app-basic", "app-post", "devtoken-basic", "devtoken-post"]


@pytest.mark.parametrize("client_name", CLIENT_NAMES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_introspect_revoke_then_refused(server, admin, tenant_id, issuer, clients, kind, client_name):
    client = clients[client_name]
    issued = KINDS[kind](server, admin, tenant_id, issuer)
    issued.works()  # also warms any cache of verified tokens
    doc = assert_active(server, client, issued.token, kind, issued.user, tenant_id, issuer)
    issued.expect(doc)
    # Introspection changes nothing.
    issued.works()

    revoke(server, client, issued.token)
    assert_inactive(server, client, issued.token)
    issued.refused()
    # Revoking it again (already revoked) is still 200, and it stays revoked.
    revoke(server, client, issued.token)
    assert_inactive(server, client, issued.token)


def test_token_type_hints_right_or_wrong(server, admin, tenant_id, issuer, clients):
    """The hint is only a hint (RFC 7009 §2.1: a wrong one makes the server search every kind)."""
    client = clients["app-post"]
    user = create_user(server, admin)
    tokens = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    for hint in ("access_token", "refresh_token", None):
        assert_active(server, client, access, "access-token", user, tenant_id, issuer, hint=hint)
        assert_active(server, client, refresh, "refresh-token", user, tenant_id, issuer, hint=hint)
    # The access token revoked with the refresh-token hint.
    revoke(server, client, access, hint="refresh_token")
    assert_inactive(server, client, access, hint="access_token")
    assert userinfo(server, access).status_code == 401
    # An auth token and a long-term JWT revoked with the access-token hint.
    other = create_user(server, admin)
    _, long_term = server_token_jwt(server, admin, other)
    for token in (other.authtoken, long_term):
        assert current(server, token).status_code == 200
        revoke(server, client, token, hint="access_token")
        assert_inactive(server, client, token)
        refused_by_expert_api(server, token)


# ---------------------------------------------------------------------------------------------------------------
# 2. Refresh-token families, one auth token among several, long-term JWTs re-issued


@pytest.mark.parametrize("rotated", [False, True], ids=["as-issued", "after-rotation"])
def test_revoking_a_refresh_token_revokes_its_family(server, admin, tenant_id, issuer, clients, rotated):
    client = clients["devtoken-basic"]
    user = create_user(server, admin)
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    first = key_tokens(server, key)
    family_access = [first["access_token"]]
    refresh = first["refresh_token"]
    if rotated:
        r = refresh_grant(server, refresh)
        assert r.status_code == 200, show(r)
        second = json_of(r)
        family_access.append(second["access_token"])
        refresh = second["refresh_token"]
    # Another session of the same user, from the same key: not of the family.
    other = key_tokens(server, key)
    for token in (*family_access, other["access_token"]):
        assert userinfo(server, token).status_code == 200

    revoke(server, client, refresh, hint="refresh_token")
    assert_inactive(server, client, refresh)
    oauth_error(refresh_grant(server, refresh), 400, "invalid_grant")
    for i, token in enumerate(family_access):
        r = userinfo(server, token)
        assert r.status_code == 401, f"access token {i} of the family: {show(r)}"
        assert_inactive(server, client, token)
        refused_by_expert_api(server, token)

    # The other session lives on, and its refresh token still rotates.
    assert userinfo(server, other["access_token"]).status_code == 200
    assert_active(server, client, other["refresh_token"], "refresh-token", user, tenant_id, issuer)
    r = refresh_grant(server, other["refresh_token"])
    assert r.status_code == 200, show(r)


def test_revoking_one_auth_token_leaves_the_others(server, admin, tenant_id, issuer, clients):
    client = clients["app-basic"]
    user = create_user(server, admin)
    first = user.authtoken
    # Auth tokens carry their expiry in seconds: a sign-in a second later is a different token.
    later = []
    took = wait_for(lambda: later.append(sign_in(server, user.username, user.password)) or later[-1] != first, 4, 0.5)
    assert took is not None, "every sign-in gave the same auth token for 4 s"
    second = later[-1]

    revoke(server, client, first)
    assert_inactive(server, client, first)
    refused_by_expert_api(server, token=first)
    refused_by_expert_api(server, cookie=first)
    # The second token of the same user keeps working.
    r = current(server, second)
    assert r.status_code == 200 and r.json()["@id"] == user.id, show(r)
    assert current(server, cookie=second).status_code == 200
    assert_active(server, client, second, "authtoken", user, tenant_id, issuer)
    # The user can sign in again, and other users' tokens are untouched.
    time.sleep(1.1)
    third = sign_in(server, user.username, user.password)
    check(third != first, "a new sign-in answered the revoked token")
    assert current(server, third).status_code == 200
    assert current(server, admin.authtoken).status_code == 200


def test_a_revoked_long_term_jwt_can_be_issued_again(server, admin, tenant_id, issuer, clients):
    """Revoking the long-term JWT revokes the server token's JWT; PUT generate-jwt issues a new one as before."""
    client = clients["devtoken-post"]
    user = create_user(server, admin)
    doc, old = server_token_jwt(server, admin, user)
    assert current(server, old).status_code == 200
    revoke(server, client, old)
    assert_inactive(server, client, old)
    refused_by_expert_api(server, old)
    # Reading the token does not bring the revoked JWT back.
    r = requests.get(f"{server.url}{TOKENS}/{doc['@id']}", params=JSON_OUT, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    refused_by_expert_api(server, old)

    r = requests.put(f"{server.url}{TOKENS}/{doc['@id']}", params=JSON_OUT,
                     data="<developer-token><generate-jwt>true</generate-jwt></developer-token>",
                     headers={**bearer(admin.authtoken), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)
    new = jwt_of(r.json())
    remember(new)
    check(new is not None and new != old, "PUT generate-jwt gave no new long-term JWT")
    r = current(server, new)
    assert r.status_code == 200 and r.json()["@id"] == user.id, show(r)
    assert_active(server, client, new, "long-term-jwt", user, tenant_id, issuer)
    assert_inactive(server, client, old)


# ---------------------------------------------------------------------------------------------------------------
# 3. Client binding: a token issued to an application is revoked only by it


def test_token_of_app_a_cannot_be_revoked_by_another_client(server, admin, tenant_id, issuer, clients, backend_apps):
    app_a, app_b = backend_apps["A"], backend_apps["B"]
    user = create_user(server, admin)
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    r = token_call(server, data=password_form(key), auth=(app_a.client_id, app_a.client_secret))
    assert r.status_code == 200, show(r)
    tokens = json_of(r)
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    assert claims_of(access).get("client_id") == app_a.client_id

    doc = assert_active(server, app_a, access, "access-token", user, tenant_id, issuer)
    assert doc.get("client_id") == app_a.client_id, redact(json.dumps(doc))
    doc = assert_active(server, app_a, refresh, "refresh-token", user, tenant_id, issuer)
    assert doc.get("client_id") == app_a.client_id, redact(json.dumps(doc))

    for other in (app_b, clients["app-basic"], clients["devtoken-post"]):
        for token, hint in ((access, "access_token"), (refresh, "refresh_token"), (access, None)):
            r = endpoint_call(server, REVOKE, other, token, hint)
            oauth_error(r, 400, "unauthorized_client")
            no_leak(r, token, other.client_secret)
    # Both still active and working.
    assert_active(server, app_a, access, "access-token", user, tenant_id, issuer)
    assert_active(server, app_a, refresh, "refresh-token", user, tenant_id, issuer)
    assert userinfo(server, access).status_code == 200

    # App A revokes its own tokens.
    revoke(server, app_a, access)
    assert_inactive(server, app_a, access)
    assert userinfo(server, access).status_code == 401
    revoke(server, app_a, refresh)
    assert_inactive(server, app_a, refresh)
    oauth_error(refresh_grant(server, refresh, auth=(app_a.client_id, app_a.client_secret)), 400, "invalid_grant")


def test_a_token_of_no_client_is_revoked_by_any_client(server, admin, tenant_id, issuer, backend_apps):
    """Access-key tokens belong to no application: app B (which never saw them) may revoke them."""
    app_b = backend_apps["B"]
    user = create_user(server, admin)
    tokens = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))
    assert_active(server, app_b, tokens["access_token"], "access-token", user, tenant_id, issuer)
    revoke(server, app_b, tokens["access_token"])
    assert_inactive(server, app_b, tokens["access_token"])
    assert userinfo(server, tokens["access_token"]).status_code == 401


# ---------------------------------------------------------------------------------------------------------------
# 4. Bad input: tokens that are not active, bad client authentication, missing token


@pytest.fixture(scope="module")
def samples(server, admin, tenant_id):
    """Live tokens of one user, from which the malformed ones are made (none of these is revoked here)."""
    user = create_user(server, admin)
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    tokens = key_tokens(server, key)
    unrestricted = developer_token(server, admin, "<developer-token type='server'><name>signer</name></developer-token>")
    _, long_term = server_token_jwt(server, admin, user)
    return {"user": user, "key": key, "access": tokens["access_token"], "id_token": tokens["id_token"],
            "refresh": tokens["refresh_token"], "basic": basic_token(server, user.authtoken), "long_term": long_term,
            "authtoken": user.authtoken, "signer": unrestricted}


@pytest.fixture(scope="module")
def other_site(server):
    """A second site (made with the CLI while the server runs) and an auth token and an access token of its admin."""
    host = unique("other") + ".test"
    password = "other-admin-" + secrets.token_hex(8)
    remember(password)
    done = cli(server, "site", "create", "--name", "Other", "--hostname", host, env={"TESSERA_ADMIN_PASSWORD": password})
    assert done.returncode == 0, redact(done.stdout + done.stderr)

    def anonymous_guid(h=None):
        r = requests.get(server.url + CURRENT, params=JSON_OUT, headers={"Host": h} if h else {}, timeout=10)
        return r.json().get("@guid") if r.status_code == 200 else None

    default = anonymous_guid()
    took = wait_for(lambda: anonymous_guid(host) not in (None, default), 15, 0.25)
    assert took is not None, f"{host} never routed to the new site"
    r = requests.get(server.url + USERS + "/authenticate", auth=("admin", password), headers={"Host": host}, timeout=10)
    assert r.status_code == 200, show(r)
    authtoken = secret(r.text)
    r = requests.post(server.url + BASIC_TOKEN, headers={**bearer(authtoken), "Host": host}, timeout=10)
    assert r.status_code == 200, show(r)
    r = requests.post(server.url + USER_REFRESH, json={"token": json_of(r)["token"]}, headers={"Host": host}, timeout=10)
    assert r.status_code == 200, show(r)
    access = json_of(r)["token"]
    assert requests.get(server.url + USERINFO, headers={**bearer(access), "Host": host}, timeout=10).status_code == 200
    return {"host": host, "authtoken": authtoken, "access": access}


def _forged_with_other_rsa_key(s):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = jwt.get_unverified_header(s["access"])
    return jwt.encode(claims_of(s["access"]), key, algorithm="RS256", headers={"kid": header.get("kid")})


def _alg_none(s):
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{s['access'].split('.')[1]}."


def _signature(s):
    """An X-Deki-Token signature (tkn_{key}_{epoch}_{user}_{hmac}): it signs requests, it is no bearer token."""
    signer, epoch, user = s["signer"], int(time.time()), s["user"].id
    digest = hmac.new(signer["secret"].encode(), f"{signer['key']}_{epoch}_{user}".encode(), hashlib.sha256).hexdigest()
    return f"tkn_{signer['key']}_{epoch}_{user}_{digest}"


def _authtoken_changed(s, part):
    user, expires, mac = s["authtoken"].split("_")
    if part == "mac":
        return f"{user}_{expires}_{flip(mac, 10)}"
    if part == "expires":
        return f"{user}_{int(expires) + 3600}_{mac}"
    return f"{int(user) + 100000}_{expires}_{mac}"


#: (id, builder(samples, other_site getter) -> token). Every one introspects exactly {"active": false}.
INACTIVE_CASES = [
    ("random-string", lambda s, o: secrets.token_urlsafe(32)),
    ("random-hex-64", lambda s, o: secrets.token_hex(32)),
    ("unicode", lambda s, o: "t\u00f6k\u00e9n-\u2713-\U0001f511"),
    ("control-characters", lambda s, o: "abc\x00def\x01\x7f"),
    ("very-long-string", lambda s, o: "A" * 20000),
    ("very-long-jwt-shape", lambda s, o: "eyJ" + "a" * 6000 + "." + "b" * 6000 + "." + "c" * 600),
    ("truncated-access-token", lambda s, o: s["access"][:len(s["access"]) // 2]),
    ("access-token-without-signature", lambda s, o: s["access"].rsplit(".", 1)[0] + "."),
    ("access-token-flipped-signature", lambda s, o: tamper(s["access"])),
    ("access-token-alg-none", lambda s, o: _alg_none(s)),
    ("access-token-hs256-forged", lambda s, o: jwt.encode(claims_of(s["access"]), secrets.token_bytes(32), "HS256")),
    ("access-token-signed-by-another-rsa-key", lambda s, o: _forged_with_other_rsa_key(s)),
    ("id-token", lambda s, o: s["id_token"]),
    ("basic-token", lambda s, o: s["basic"]),
    ("refresh-token-one-character-changed", lambda s, o: flip(s["refresh"], 5)),
    ("long-term-jwt-flipped-signature", lambda s, o: tamper(s["long_term"])),
    ("authtoken-flipped-mac", lambda s, o: _authtoken_changed(s, "mac")),
    ("authtoken-later-expiry", lambda s, o: _authtoken_changed(s, "expires")),
    ("authtoken-other-user-id", lambda s, o: _authtoken_changed(s, "user")),
    ("server-token-signature", lambda s, o: _signature(s)),
    ("access-key-id", lambda s, o: s["key"]["accessKeyId"]),
    ("access-key-secret", lambda s, o: s["key"]["accessKeySecret"]),
    ("other-site-authtoken", lambda s, o: o()["authtoken"]),
    ("other-site-access-token", lambda s, o: o()["access"]),
]


@pytest.mark.parametrize("case", INACTIVE_CASES, ids=[c[0] for c in INACTIVE_CASES])
def test_unknown_or_malformed_tokens_are_inactive(server, clients, samples, request, case):
    _, build = case
    token = secret(build(samples, lambda: request.getfixturevalue("other_site")))
    for client in (clients["app-basic"], clients["devtoken-post"]):
        assert_inactive(server, client, token)
        assert_inactive(server, client, token, hint="access_token")
        # Revoking an unknown token is a 200 too (RFC 7009 §2.2).
        revoke(server, client, token)
        revoke(server, client, token, hint="refresh_token")
    # None of that touched the live tokens they were made from.
    assert userinfo(server, samples["access"]).status_code == 200
    assert current(server, samples["authtoken"]).status_code == 200
    assert current(server, samples["long_term"]).status_code == 200


@pytest.mark.parametrize("path", [INTROSPECT, REVOKE])
@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_empty_token(server, clients, path, value):
    """An empty token is either taken as missing (400 invalid_request) or as an unknown token (see the report)."""
    r = endpoint_call(server, path, clients["app-post"], value)
    if r.status_code == 400:
        oauth_error(r, 400, "invalid_request")
    elif path == INTROSPECT:
        assert r.status_code == 200 and r.json() == {"active": False}, show(r)
    else:
        assert r.status_code == 200 and r.content == b"", show(r)


@pytest.mark.parametrize("path", [INTROSPECT, REVOKE])
@pytest.mark.parametrize("client_name", ["app-basic", "devtoken-post"])
def test_missing_token_is_invalid_request(server, clients, path, client_name):
    client = clients[client_name]
    for hint in (None, "access_token"):
        r = endpoint_call(server, path, client, hint=hint)
        oauth_error(r, 400, "invalid_request")
        no_leak(r, client.client_secret)


def _client_auth_cases():
    """(id, builder(clients, apps, samples) -> (form fields, headers), basic used, accepted (status, error) pairs)."""
    invalid_client = ((401, "invalid_client"),)

    def basic(client_id, client_secret):
        return {}, {"Authorization": basic_header(client_id, client_secret)}

    def post(client_id, client_secret=None):
        return {"client_id": client_id, **({"client_secret": client_secret} if client_secret else {})}, {}

    def both(c, a, s):
        fields, _ = post(c["app-post"].client_id, c["app-post"].client_secret)
        return fields, {"Authorization": basic_header(c["app-basic"].client_id, c["app-basic"].client_secret)}

    def same_twice(c, a, s):
        fields, _ = post(c["app-basic"].client_id, c["app-basic"].client_secret)
        return fields, {"Authorization": basic_header(c["app-basic"].client_id, c["app-basic"].client_secret)}

    two_methods = ((400, "invalid_request"), (401, "invalid_client"))
    return [
        ("no-client", lambda c, a, s: ({}, {}), False, invalid_client),
        ("basic-wrong-secret", lambda c, a, s: basic(c["app-basic"].client_id, WRONG_SECRET), True, invalid_client),
        ("post-wrong-secret", lambda c, a, s: post(c["app-post"].client_id, WRONG_SECRET), False, invalid_client),
        ("basic-unknown-client", lambda c, a, s: basic(str(uuid.uuid4()), c["app-basic"].client_secret), True,
         invalid_client),
        ("post-unknown-client", lambda c, a, s: post(str(uuid.uuid4()), c["app-post"].client_secret), False,
         invalid_client),
        ("post-client-id-without-secret", lambda c, a, s: post(c["app-post"].client_id), False, invalid_client),
        ("public-app", lambda c, a, s: post(a["public"]), False, invalid_client),
        ("basic-empty-secret", lambda c, a, s: basic(c["app-basic"].client_id, ""), True, invalid_client),
        ("devtoken-wrong-secret-basic", lambda c, a, s: basic(c["devtoken-basic"].client_id, secrets.token_hex(32)),
         True, invalid_client),
        ("devtoken-wrong-secret-post", lambda c, a, s: post(c["devtoken-post"].client_id, secrets.token_hex(32)),
         False, invalid_client),
        ("devtoken-secret-of-another-client", lambda c, a, s: basic(c["devtoken-basic"].client_id,
                                                                    c["app-basic"].client_secret), True, invalid_client),
        ("server-token-key-and-secret", lambda c, a, s: basic(s["signer"]["key"], s["signer"]["secret"]), True,
         invalid_client),
        ("basic-not-base64", lambda c, a, s: ({}, {"Authorization": "Basic !!not-base64!!"}), True, invalid_client),
        ("basic-without-colon", lambda c, a, s: ({}, {"Authorization": "Basic " + b64url(b"just-an-id")}), True,
         invalid_client),
        ("a-users-bearer-token", lambda c, a, s: ({}, bearer(s["authtoken"])), False, invalid_client),
        ("basic-and-post-two-clients", both, False, two_methods),
        ("basic-and-post-same-client", same_twice, False, two_methods),
    ]


CLIENT_AUTH_CASES = _client_auth_cases()


@pytest.fixture(scope="module")
def public_app(server):
    client_id, _ = create_app(server, "public")
    return {"public": client_id}


@pytest.mark.parametrize("path", [INTROSPECT, REVOKE])
@pytest.mark.parametrize("case", CLIENT_AUTH_CASES, ids=[c[0] for c in CLIENT_AUTH_CASES])
def test_bad_client_authentication(server, admin, tenant_id, issuer, clients, public_app, samples, path, case):
    _, build, basic_used, accepted = case
    if path == REVOKE:  # a token of its own: a revocation wrongly accepted must not spoil other tests
        user = create_user(server, admin)
        victim = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))["access_token"]
    else:
        user, victim = samples["user"], samples["access"]
    fields, headers = build(clients, public_app, samples)
    r = endpoint_call(server, path, token=victim, form=fields, headers=headers)
    doc = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    assert (r.status_code, doc.get("error")) in accepted, show(r)
    if r.status_code == 401 and basic_used:
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers.get("WWW-Authenticate")
    no_leak(r, victim, *(c.client_secret for c in clients.values()), samples["signer"]["secret"])
    # Nothing was told about the token, and nothing was revoked.
    assert "active" not in doc, show(r)
    assert_active(server, clients["app-basic"], victim, "access-token", user, tenant_id, issuer)
    assert userinfo(server, victim).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# 5. Discovery


def test_discovery_lists_both_endpoints(server, issuer):
    doc = discovery(server)
    assert doc.get("revocation_endpoint") == issuer + REVOKE, doc.get("revocation_endpoint")
    assert doc.get("introspection_endpoint") == issuer + INTROSPECT, doc.get("introspection_endpoint")
    for name in ("revocation_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported"):
        assert isinstance(doc.get(name), list) and sorted(doc[name]) == AUTH_METHODS, (name, doc.get(name))


def test_an_application_registered_for_client_secret_jwt_introspects_with_an_assertion(server, admin):
    client_id, client_secret = create_app(server, "confidential", "client_secret_jwt")
    issuer_url = discovery(server)["issuer"]
    def assertion():
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": issuer_url + INTROSPECT, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, str(client_secret).encode(), algorithm="HS256")
    form = {"token": str(admin.authtoken), "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    r = requests.post(server.url + INTROSPECT, data={**form, "client_assertion": assertion()}, timeout=10)
    assert r.status_code == 200 and r.json().get("active") is True, r.status_code
    # The same assertion again is a replay.
    again = assertion()
    requests.post(server.url + INTROSPECT, data={**form, "client_assertion": again}, timeout=10)
    r = requests.post(server.url + INTROSPECT, data={**form, "client_assertion": again}, timeout=10)
    assert r.status_code == 401 and r.json().get("error") == "invalid_client", r.status_code


# ---------------------------------------------------------------------------------------------------------------
# 6. Two instances on one PostgreSQL: revoked at A, refused at B


PUBLIC_URL = "http://tessera.test"


def test_revocation_reaches_the_other_instance(fresh_postgres_db):
    env = {"TESSERA_MASTER_KEY": secrets.token_hex(32), "TESSERA_PUBLIC_URL": PUBLIC_URL}
    a = Server(database_url=fresh_postgres_db, env=env, wait=False)
    b = Server(database_url=fresh_postgres_db, env=env, wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
        admin = User(a, "admin", ADMIN_PASSWORD)
        tenant = claims_of(cxone_session(a, admin.authtoken)["token"])["tenantId"]
        client = Client("app-basic", *create_app(a, "confidential", "client_secret_basic",
                                                 database_url=fresh_postgres_db), "client_secret_basic")
        key = create_key(a, admin.authtoken, admin.guid, tenant)

        # An access token issued by A, used at B (twice: B remembers verified tokens), revoked at A.
        access = key_tokens(a, key)["access_token"]
        for _ in range(2):
            assert userinfo(b, access).status_code == 200
            assert current(b, access).status_code == 200
        assert_active(b, client, access, "access-token", admin, tenant, PUBLIC_URL)
        revoke(a, client, access)
        took = wait_for(lambda: userinfo(b, access).status_code == 401, timeout=3)
        assert took is not None, "instance B still takes an access token revoked at A after 3 s"
        refused_by_expert_api(b, access)
        assert_inactive(b, client, access)

        # A refresh token revoked at B: A refuses it and the access token issued with it.
        tokens = key_tokens(b, key)
        assert userinfo(a, tokens["access_token"]).status_code == 200
        revoke(b, client, tokens["refresh_token"])
        took = wait_for(lambda: userinfo(a, tokens["access_token"]).status_code == 401, timeout=3)
        assert took is not None, "instance A still takes the access token of a family revoked at B after 3 s"
        oauth_error(refresh_grant(a, tokens["refresh_token"]), 400, "invalid_grant")
        assert_inactive(a, client, tokens["refresh_token"])

        # An auth token revoked at A, refused at B; the admin's own token still works at both.
        user = create_user(a, admin)
        for _ in range(2):
            assert current(b, user.authtoken).status_code == 200
        revoke(a, client, user.authtoken)
        took = wait_for(lambda: current(b, user.authtoken).status_code in (401, 403), timeout=3)
        assert took is not None, "instance B still takes an auth token revoked at A after 3 s"
        assert_inactive(b, client, user.authtoken)
        for s in (a, b):
            assert current(s, admin.authtoken).status_code == 200
    finally:
        codes = [a.stop(), b.stop()]
    assert codes == [0, 0], [redact(a.output()[-2000:]), redact(b.output()[-2000:])]
