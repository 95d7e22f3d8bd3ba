"""CXone Mpower authentication interop tests: the "Generate Key" bootstrap of seed 003, access keys and their
management API, the access-key token endpoint, the OAuth 2.0 token endpoint with back-end apps (client_secret_basic,
client_secret_post, client_secret_jwt), refresh-token rotation, discovery, userinfo, signing-key rotation and two
instances on one PostgreSQL -- driven as a CXone integration developer would, against a real `tessera serve`.

Everything here is independent client code: requests, PyJWT (JWKS verification, HS256 client assertions) and authlib's
OAuth2Session; nothing of the server's own code is called.

Secrets (passwords, access-key secrets, client secrets, tokens) are kept out of pytest's output: they are held as
`Secret` strings, whose repr (what pytest prints for arguments and operands) is "<secret>"; assertion messages go
through `show()`, which redacts response bodies; comparisons between secrets go through `check()`, which fails with a
fixed message instead of letting pytest diff the operands.
"""
import base64
import json
import re
import secrets
import subprocess
import time
import uuid
from urllib.parse import quote, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT

from conftest import ADMIN_PASSWORD, BIN, Server
from helpers import (
    Secret, User, basic_header, bearer, check, create_user, hide_secrets, json_of, no_leak, redact, secret, show,
    unique, wait_for,
)

USERS = "/@api/deki/users"
JSON_OUT = {"dream.out.format": "json"}
KEYS = "/access-key-management/v1/access-keys"
ACCESS_KEY_TOKEN = "/authentication/v1/token/access-key"
BASIC_TOKEN = "/public/user/basic-token"
USER_REFRESH = "/public/user/refresh"
TOKEN = "/auth/token"
USERINFO = "/auth/userinfo"
JWKS = "/auth/jwks"
OPENID = "/.well-known/openid-configuration"
CXONE_CONFIG = "/.well-known/cxone-configuration"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 86400
DEFAULT_BU, DEFAULT_AREA, DEFAULT_CLUSTER = 1000, "na1", "C1"
KEY_SHAPE = re.compile(r"^[A-Z2-7]{52}====$")  # 56 characters of upper-case base32 ending in "===="
CLAIMS_IN_BOTH = ("iss", "sub", "aud", "tenantId", "tenant", "userId", "icBUId", "icAgentId", "icSPId", "icClusterId",
                  "icDomain", "area", "name", "given_name", "family_name", "role", "views", "iat", "exp")
KEY_FIELDS = {"accessKeyId", "userId", "tenantId", "agentId", "billingId", "isActive", "lastUsedDate"}


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def flip(text, index):
    """`text` with one character changed (staying in the base32 / base64url alphabets); a Secret stays one."""
    __tracebackhide__ = True
    changed = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]
    return Secret(changed) if isinstance(text, Secret) else changed


def tamper(token):
    """A JWT with one character of its signature changed (not the last, whose low bits may be padding)."""
    return flip(token, len(token) - 8)


def oauth_error(r, status, errors):
    """`status` with a JSON body whose `error` is one of `errors` (a name or a tuple); returns the body."""
    errors = (errors,) if isinstance(errors, str) else errors
    assert r.status_code == status, show(r)
    doc = json_of(r)
    assert isinstance(doc, dict) and doc.get("error") in errors, show(r)
    return doc


def token_error(r, status, errors, basic_used=False):
    """An RFC 6749 §5.2 error of the token endpoint: no-store, error_description; WWW-Authenticate: Basic on a 401
    when the client authenticated with Basic."""
    doc = oauth_error(r, status, errors)
    assert isinstance(doc.get("error_description"), str), show(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")
    if basic_used and status == 401:
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers.get("WWW-Authenticate")
    return doc


def set_status(server, admin, user, status):
    r = requests.put(f"{server.url}{USERS}/{user.id}", data=f"<user><status>{status}</status></user>",
                     headers={**bearer(admin.authtoken), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)


def basic_token(server, token):
    """Seed 003 step 1: the "Generate Key" basic token, for the user the bearer `token` belongs to."""
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(token), timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)["token"]


def user_refresh(server, token):
    """POST /public/user/refresh {"token"}; returns the response."""
    r = requests.post(server.url + USER_REFRESH, json={"token": token}, timeout=10)
    if r.status_code == 200:
        hide_secrets(r.json())  # remembers them
    return r


def cxone_session(server, authtoken):
    """Seed 003 steps 1-2: a basic token refreshed into an access JWT; returns the refresh answer."""
    r = user_refresh(server, basic_token(server, authtoken))
    assert r.status_code == 200, show(r)
    return json_of(r)


def keys_call(server, method, path="", token=None, **kwargs):
    headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
    return requests.request(method, server.url + KEYS + path, headers=headers, timeout=15, **kwargs)


def create_key(server, token, user_guid, tenant_id):
    r = keys_call(server, "POST", token=token, json={"userId": user_guid, "tenantId": tenant_id})
    assert r.status_code == 201, show(r)
    return json_of(r)["accessKey"]


def get_key(server, token, key_id):
    r = keys_call(server, "GET", "/" + key_id, token=token)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert "accessKeySecret" not in json.dumps(doc), show(r)
    return doc["resultSet"]


def list_keys(server, token, **params):
    r = keys_call(server, "GET", token=token, params=params)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert "accessKeySecret" not in json.dumps(doc), show(r)
    return doc


def patch_key(server, token, key_id, active):
    r = keys_call(server, "PATCH", "/" + key_id, token=token, json={"isActive": active})
    assert r.status_code == 200, show(r)
    result = json_of(r)["resultSet"]
    assert result["accessKeyId"] == key_id and result["isActive"] is active, show(r)
    assert "accessKeySecret" not in result, show(r)
    return result


def access_key_tokens(server, key):
    """POST /authentication/v1/token/access-key with JSON; returns the response."""
    r = requests.post(server.url + ACCESS_KEY_TOKEN, timeout=15,
                      json={"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})
    if r.status_code == 200:
        hide_secrets(r.json())
    return r


def key_tokens(server, key):
    r = access_key_tokens(server, key)
    assert r.status_code == 200, show(r)
    return json_of(r)


def token_call(server, data=None, auth=None, headers=None, json_body=None):
    r = requests.post(server.url + TOKEN, data=data, json=json_body, auth=auth, headers=headers or {}, timeout=15)
    if r.status_code == 200:
        hide_secrets(r.json())
    return r


def check_token_answer(r, refresh_lifetime=REFRESH_LIFETIME, access_lifetime=ACCESS_LIFETIME):
    """A 200 token answer: no-store, no-cache and the token fields."""
    assert r.status_code == 200, show(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")
    assert "no-cache" in r.headers.get("Pragma", ""), r.headers.get("Pragma")
    doc = json_of(r)
    assert doc["token_type"] == "Bearer", show(r)
    assert type(doc["expires_in"]) is int and doc["expires_in"] == access_lifetime, show(r)
    assert type(doc["refresh_token_expires_in"]) is int and doc["refresh_token_expires_in"] == refresh_lifetime, show(r)
    for name in ("access_token", "refresh_token", "id_token"):
        assert isinstance(doc.get(name), str) and doc[name], f"{name} missing: {show(r)}"
    assert doc["access_token"].count(".") == 2 and doc["id_token"].count(".") == 2, show(r)
    return doc


def userinfo(server, token=None, method="GET", headers=None):
    h = {**(bearer(token) if token is not None else {}), **(headers or {})}
    return requests.request(method, server.url + USERINFO, headers=h, timeout=10)


def discovery(server):
    r = requests.get(server.url + OPENID, timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)


def jwks_of(server):
    r = requests.get(server.url + JWKS, timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)


def verify(server, token, audience, issuer, jwks=None):
    """Verifies an RS256 token against the server's JWKS (PyJWKSet, key chosen by kid); returns its claims."""
    key_set = jwt.PyJWKSet.from_dict(jwks or jwks_of(server))
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, key_set[kid].key, algorithms=["RS256"], audience=audience, issuer=issuer,
                      options={"require": ["iss", "sub", "aud", "iat", "exp"]})


def check_claims(claims, issuer, user, audience, tenant_id=None, access=True, lifetime=ACCESS_LIFETIME):
    """Every claim the contract lists, with its type."""
    missing = [c for c in CLAIMS_IN_BOTH + (("jti",) if access else ()) if c not in claims]
    assert not missing, missing
    assert claims["iss"] == issuer
    assert claims["sub"] == "user:" + user.guid
    assert claims["aud"] == audience
    assert claims["userId"] == user.guid
    assert str(uuid.UUID(claims["tenantId"])) == claims["tenantId"].lower()
    if tenant_id:
        assert claims["tenantId"] == tenant_id
    assert isinstance(claims["tenant"], str) and claims["tenant"]
    assert type(claims["icBUId"]) is int and claims["icBUId"] == DEFAULT_BU
    assert isinstance(claims["icAgentId"], str) and claims["icAgentId"] == str(user.id)
    assert isinstance(claims["icSPId"], str) and claims["icSPId"]
    assert claims["icClusterId"] == DEFAULT_CLUSTER
    assert isinstance(claims["icDomain"], str) and claims["icDomain"]
    assert claims["area"] == DEFAULT_AREA
    for name in ("name", "given_name", "family_name"):
        assert isinstance(claims[name], str), name
    assert claims["name"]
    role = claims["role"]
    assert isinstance(role, dict) and {"legacyId", "id", "lastUpdateTime", "secondaryRoles"} <= set(role), role
    assert role["legacyId"] == user.role
    uuid.UUID(role["id"])
    now = time.time()
    assert type(role["lastUpdateTime"]) is int and 0 <= role["lastUpdateTime"] <= now * 1000 + 60_000, role
    assert role["lastUpdateTime"] == 0 or role["lastUpdateTime"] > 10 ** 12, role  # milliseconds, not seconds
    assert role["secondaryRoles"] == []
    assert isinstance(claims["views"], dict)
    assert type(claims["iat"]) is int and type(claims["exp"]) is int
    assert claims["exp"] - claims["iat"] == lifetime
    assert abs(claims["iat"] - now) < 120
    if access:
        uuid.UUID(claims["jti"])


def cli(server, *args, database_url=None):
    command = [BIN, *args, "--data-dir", server.data_dir]
    if database_url:
        command += ["--database-url", database_url]
    return subprocess.run(command, env=server.env, capture_output=True, text=True, timeout=60)


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
    if app_type == "public":
        assert client_secret is None, "a public app got a client secret"
    else:
        check(client_secret is not None and len(base64.urlsafe_b64decode(str(client_secret))) == 32,
              "no base64url client_secret of 32 bytes printed")
    return client_id, client_secret


def client_assertion(client_id, secret_value, audience, jti=None, lifetime=60, drop=(), **overrides):
    """A client_secret_jwt assertion made by hand with PyJWT (HS256 over the secret's UTF-8 bytes); `drop` names
    claims to leave out, `overrides` replaces claims."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
              "jti": jti or str(uuid.uuid4()), **overrides}
    for name in drop:
        claims.pop(name)
    return secret(jwt.encode(claims, secret_value.encode("utf-8"), algorithm="HS256"))


def password_form(key):
    return {"grant_type": "password", "username": key["accessKeyId"], "password": key["accessKeySecret"]}


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: one server (conftest's `server`), its admin, a few users, the tenant id, apps, keys


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD, role="Admin")


@pytest.fixture(scope="module")
def issuer(server):
    return discovery(server)["issuer"]


@pytest.fixture(scope="module")
def tenant_id(server, admin):
    return jwt.decode(cxone_session(server, admin.authtoken)["token"], options={"verify_signature": False})["tenantId"]


@pytest.fixture(scope="module")
def people(server, admin):
    """Contributors alice and bob, viewer vera."""
    return {
        "alice": create_user(server, admin, "Contributor", fullname="Alice Contributor"),
        "bob": create_user(server, admin, "Contributor", fullname="Bob Contributor"),
        "vera": create_user(server, admin, "Viewer", fullname="Vera Viewer"),
    }


@pytest.fixture(scope="module")
def alice_tokens(server, admin, people, tenant_id):
    """Alice's access key and every kind of token she can hold."""
    alice = people["alice"]
    key = create_key(server, alice.authtoken, alice.guid, tenant_id)
    tokens = key_tokens(server, key)
    return {"key": key, "access": tokens["access_token"], "id_token": tokens["id_token"],
            "refresh": tokens["refresh_token"], "basic": basic_token(server, alice.authtoken)}


@pytest.fixture(scope="module")
def backend_user(server, admin):
    """The integration user whose access key the back-end apps use."""
    return create_user(server, admin, "Contributor", fullname="Back End")


@pytest.fixture(scope="module")
def backend_key(server, admin, backend_user, tenant_id):
    return create_key(server, admin.authtoken, backend_user.guid, tenant_id)


@pytest.fixture(scope="module")
def apps(server):
    """Back-end apps made with the CLI while the server runs, one per auth method plus a second basic one, and a
    confidential and a public app."""
    return {
        "client_secret_basic": create_app(server, "backend", "client_secret_basic"),
        "client_secret_post": create_app(server, "backend", "client_secret_post"),
        "client_secret_jwt": create_app(server, "backend", "client_secret_jwt"),
        "other_basic": create_app(server, "backend"),  # the default method: client_secret_basic
        "confidential": create_app(server, "confidential", "client_secret_post"),
        "public": create_app(server, "public"),
    }


# ---------------------------------------------------------------------------------------------------------------
# 1. Seed 003, step by step


def test_seed_003_generate_key_walkthrough(server, admin, issuer):
    # Sign in (Expert auth token), then "Generate Key": the basic authorization token.
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    basic = json_of(r)["token"]
    assert isinstance(basic, str) and basic.count(".") == 2, show(r)

    # "This token must be refreshed before it can make API calls": POST /public/user/refresh {"token"}.
    r = user_refresh(server, basic)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    token, refresh = doc["token"], doc["refreshToken"]
    assert type(doc["tokenExpirationTimeSec"]) is int and doc["tokenExpirationTimeSec"] == ACCESS_LIFETIME, show(r)
    assert isinstance(refresh, str) and refresh, show(r)
    assert type(doc["refreshTokenExpirationTimeSec"]) is int and doc["refreshTokenExpirationTimeSec"] > 0, show(r)
    assert isinstance(doc["sessionId"], str) and doc["sessionId"], show(r)
    # The same values under the OAuth names too.
    check(doc.get("access_token") == token, "access_token differs from token")
    check(doc.get("refresh_token") == refresh, "refresh_token differs from refreshToken")
    assert doc.get("expires_in") == ACCESS_LIFETIME, show(r)

    # "You can find the GUID for userID and tenantID by pasting the token into jwt.io."
    claims = jwt.decode(token, options={"verify_signature": False})
    tenant = claims["tenantId"]
    uuid.UUID(tenant)
    assert claims["sub"] == "user:" + admin.guid
    user_id = claims["sub"].replace("user:", "")  # as NICE's clients derive it

    # Create the access key with the bearer token: 201, both wrappers, identical content.
    r = keys_call(server, "POST", token=token, json={"userId": user_id, "tenantId": tenant})
    assert r.status_code == 201, show(r)
    created = json_of(r)
    assert {"accessKey", "resultSet"} <= set(created), show(r)
    key = created["accessKey"]
    differing = sorted(k for k in set(key) | set(created["resultSet"]) if key.get(k) != created["resultSet"].get(k))
    assert not differing, f"accessKey and resultSet differ in {differing}"
    assert {"accessKeyId", "accessKeySecret", "userId", "tenantId", "agentId", "billingId", "isActive"} <= set(key)
    assert KEY_SHAPE.match(key["accessKeyId"]), "accessKeyId is not 56 characters of base32 ending in ===="
    check(bool(KEY_SHAPE.match(key["accessKeySecret"])), "accessKeySecret is not 56 characters of base32 ending in ====")
    check(key["accessKeySecret"] != key["accessKeyId"], "the secret equals the id")
    assert (key["userId"], key["tenantId"], key["isActive"]) == (admin.guid, tenant, True)
    assert type(key["agentId"]) is int and key["agentId"] == int(admin.id)
    assert type(key["billingId"]) is int and key["billingId"] == DEFAULT_BU

    # Exchange the key for tokens, JSON body, no client app.
    r = access_key_tokens(server, key)
    tokens = check_token_answer(r)
    check(tokens["refresh_token"] != refresh, "the access key answered the refresh token of the basic-token session")

    # Verify both JWTs with PyJWT against /auth/jwks, with PyJWKClient as a client library would.
    kids = [k["kid"] for k in jwks_of(server)["keys"]]
    client = jwt.PyJWKClient(server.url + JWKS)
    verified = {}
    for name, audience in (("access_token", "access-key@cxone"), ("id_token", "access-key")):
        header = jwt.get_unverified_header(tokens[name])
        assert (header.get("alg"), header.get("typ")) == ("RS256", "JWT"), header
        assert header.get("kid") in kids, (header, kids)
        signing_key = client.get_signing_key_from_jwt(tokens[name])
        verified[name] = jwt.decode(tokens[name], signing_key.key, algorithms=["RS256"], audience=audience,
                                    issuer=issuer, options={"require": ["iss", "sub", "aud", "iat", "exp"]})
        check_claims(verified[name], issuer, admin, audience, tenant_id=tenant, access=(name == "access_token"))
    # The refreshed basic-token JWT is an access token of the access-key kind too.
    check_claims(verify(server, token, "access-key@cxone", issuer), issuer, admin, "access-key@cxone", tenant)
    assert verified["access_token"]["jti"] != jwt.decode(token, options={"verify_signature": False})["jti"]

    # The access token works for the API: the key (without its secret) and userinfo.
    result = get_key(server, tokens["access_token"], key["accessKeyId"])
    assert KEY_FIELDS <= set(result), sorted(result)
    assert (result["accessKeyId"], result["userId"], result["isActive"]) == (key["accessKeyId"], admin.guid, True)
    r = userinfo(server, tokens["access_token"])
    assert r.status_code == 200, show(r)
    assert json_of(r)["sub"] == "user:" + admin.guid


def test_basic_token_needs_an_access_key_permission(server, admin, people, alice_tokens, issuer):
    r = requests.post(server.url + BASIC_TOKEN, timeout=10)
    assert r.status_code == 401, show(r)
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(people["vera"].authtoken), timeout=10)
    assert r.status_code == 403, show(r)
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer("not-a-token"), timeout=10)
    assert r.status_code == 401, show(r)
    # A contributor (MY_ACCESS_KEY) may, with the Expert token or with a CXone access token.
    alice = people["alice"]
    for token in (alice.authtoken, alice_tokens["access"]):
        doc = user_refresh(server, basic_token(server, token)).json()
        claims = verify(server, doc["token"], "access-key@cxone", issuer)
        check_claims(claims, issuer, alice, "access-key@cxone")


@pytest.mark.parametrize("case", ["garbage", "tampered-basic-token", "id-token", "empty-string"])
def test_user_refresh_refuses_invalid_tokens(server, alice_tokens, case):
    token = {"garbage": "garbage-" + secrets.token_hex(8), "tampered-basic-token": tamper(alice_tokens["basic"]),
             "id-token": alice_tokens["id_token"], "empty-string": ""}[case]
    r = user_refresh(server, token)
    doc = oauth_error(r, 400, ("invalid_grant",) if case != "empty-string" else ("invalid_grant", "invalid_request"))
    assert isinstance(doc.get("error_description"), str), show(r)
    no_leak(r, token)


def test_user_refresh_without_token_is_400(server):
    for kwargs in ({"json": {}}, {"data": b"", "headers": {"Content-Type": "application/json"}}, {"data": b"{nope"}):
        r = requests.post(server.url + USER_REFRESH, timeout=10, **kwargs)
        assert r.status_code == 400, show(r)
        assert "error" in json_of(r), show(r)


# ---------------------------------------------------------------------------------------------------------------
# 2. The access-key token endpoint: form bodies and bad input


@pytest.fixture(scope="module")
def victim(server, admin, tenant_id):
    """A key of its own user, hammered with bad input."""
    user = create_user(server, admin, "Contributor", fullname="Key Victim")
    return user, create_key(server, admin.authtoken, user.guid, tenant_id)


def test_access_key_token_with_form_body(server, victim, issuer, tenant_id):
    user, key = victim
    body = urlencode({"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})
    assert "%3D%3D%3D%3D" in body  # the '=' padding is percent-encoded, as the Camunda connector warns
    r = requests.post(server.url + ACCESS_KEY_TOKEN, data=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=15)
    tokens = check_token_answer(r)
    check_claims(verify(server, tokens["access_token"], "access-key@cxone", issuer), issuer, user, "access-key@cxone",
                 tenant_id)
    check_claims(verify(server, tokens["id_token"], "access-key", issuer), issuer, user, "access-key", tenant_id,
                 access=False)
    # requests' own form encoding (a dict) too.
    r = requests.post(server.url + ACCESS_KEY_TOKEN, timeout=15,
                      data={"accessKeyId": key["accessKeyId"], "accessKeySecret": key["accessKeySecret"]})
    check_token_answer(r)


def _json(doc):
    return {"data": json.dumps(doc), "headers": {"Content-Type": "application/json"}}


#: (id, request builder (key id, secret) -> requests kwargs, expected status, accepted error codes)
BAD_ACCESS_KEY_REQUESTS = [
    ("wrong-secret", lambda k, s: _json({"accessKeyId": k, "accessKeySecret": flip(s, 20)}), 400, ("invalid_grant",)),
    ("unknown-key", lambda k, s: _json({"accessKeyId": flip(k, 20), "accessKeySecret": s}), 400, ("invalid_grant",)),
    ("short-secret", lambda k, s: _json({"accessKeyId": k, "accessKeySecret": "x"}), 400, ("invalid_grant",)),
    ("secret-as-id", lambda k, s: _json({"accessKeyId": s, "accessKeySecret": s}), 400, ("invalid_grant",)),
    ("missing-secret", lambda k, s: _json({"accessKeyId": k}), 400, ("invalid_request",)),
    ("missing-id", lambda k, s: _json({"accessKeySecret": s}), 400, ("invalid_request",)),
    ("empty-object", lambda k, s: _json({}), 400, ("invalid_request",)),
    ("null-values", lambda k, s: _json({"accessKeyId": None, "accessKeySecret": None}), 400,
     ("invalid_request", "invalid_grant")),
    ("empty-strings", lambda k, s: _json({"accessKeyId": "", "accessKeySecret": ""}), 400,
     ("invalid_request", "invalid_grant")),
    ("numbers", lambda k, s: _json({"accessKeyId": 1, "accessKeySecret": 2}), 400, ("invalid_request", "invalid_grant")),
    ("json-array", lambda k, s: _json([k, s]), 400, ("invalid_request",)),
    ("json-string", lambda k, s: _json(s), 400, ("invalid_request",)),
    ("broken-json", lambda k, s: {"data": '{"accessKeyId": "%s", "accessKeySecret": "%s"' % (k, s),
                                  "headers": {"Content-Type": "application/json"}}, 400, ("invalid_request",)),
    ("not-json-or-form", lambda k, s: {"data": f"accessKeyId is {k} and the secret is {s}",
                                       "headers": {"Content-Type": "text/plain"}}, 400, ("invalid_request",)),
    ("empty-body", lambda k, s: {"data": b"", "headers": {"Content-Type": "application/json"}}, 400,
     ("invalid_request",)),
    ("no-body-no-type", lambda k, s: {}, 400, ("invalid_request",)),
    ("form-missing-secret", lambda k, s: {"data": {"accessKeyId": k}}, 400, ("invalid_request",)),
    ("form-wrong-secret", lambda k, s: {"data": {"accessKeyId": k, "accessKeySecret": flip(s, 3)}}, 400,
     ("invalid_grant",)),
    ("binary-garbage", lambda k, s: {"data": bytes(range(256)) * 4, "headers": {"Content-Type": "application/json"}},
     400, ("invalid_request",)),
]


@pytest.mark.parametrize("case", BAD_ACCESS_KEY_REQUESTS, ids=[c[0] for c in BAD_ACCESS_KEY_REQUESTS])
def test_access_key_token_bad_input(server, victim, case):
    _, key = victim
    _, build, status, errors = case
    k, s = key["accessKeyId"], key["accessKeySecret"]
    r = requests.post(server.url + ACCESS_KEY_TOKEN, timeout=15, **build(k, s))
    assert r.status_code != 500, show(r)
    doc = oauth_error(r, status, errors)
    assert isinstance(doc.get("error_description"), str), show(r)
    no_leak(r, s, flip(s, 20), flip(s, 3))


def test_access_key_token_huge_body_is_refused(server, victim):
    _, key = victim
    s = key["accessKeySecret"]
    body = json.dumps({"accessKeyId": key["accessKeyId"], "accessKeySecret": s, "padding": "x" * (70 * 1024)})
    r = requests.post(server.url + ACCESS_KEY_TOKEN, data=body, headers={"Content-Type": "application/json"},
                      timeout=15)
    assert r.status_code in (400, 413), show(r)
    if r.status_code == 400:
        oauth_error(r, 400, ("invalid_request",))
    no_leak(r, s)


def test_access_key_still_works_after_bad_input(server, victim, issuer):
    user, key = victim
    tokens = key_tokens(server, key)
    check_claims(verify(server, tokens["access_token"], "access-key@cxone", issuer), issuer, user, "access-key@cxone")


def test_deactivated_key_gets_no_token_until_reactivated(server, admin, tenant_id, issuer):
    user = create_user(server, admin, "Contributor")
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    key_tokens(server, key)
    patch_key(server, admin.authtoken, key["accessKeyId"], False)
    assert get_key(server, admin.authtoken, key["accessKeyId"])["isActive"] is False
    r = access_key_tokens(server, key)
    oauth_error(r, 400, "invalid_grant")
    no_leak(r, key["accessKeySecret"])
    patch_key(server, admin.authtoken, key["accessKeyId"], True)
    assert get_key(server, admin.authtoken, key["accessKeyId"])["isActive"] is True
    tokens = key_tokens(server, key)
    check_claims(verify(server, tokens["access_token"], "access-key@cxone", issuer), issuer, user, "access-key@cxone")


def test_deleted_key_gets_no_token(server, admin, tenant_id):
    user = create_user(server, admin, "Contributor")
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    key_tokens(server, key)
    r = keys_call(server, "DELETE", "/" + key["accessKeyId"], token=admin.authtoken)
    assert r.status_code == 200, show(r)
    assert r.content == b"", show(r)
    r = keys_call(server, "GET", "/" + key["accessKeyId"], token=admin.authtoken)
    assert r.status_code == 404, show(r)
    r = access_key_tokens(server, key)
    oauth_error(r, 400, "invalid_grant")
    no_leak(r, key["accessKeySecret"])


def test_key_of_deactivated_user_gets_no_token(server, admin, tenant_id, issuer):
    user = create_user(server, admin, "Contributor")
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    key_tokens(server, key)
    set_status(server, admin, user, "inactive")
    try:
        r = access_key_tokens(server, key)
        oauth_error(r, 400, "invalid_grant")
        no_leak(r, key["accessKeySecret"])
    finally:
        set_status(server, admin, user, "active")
    # The key itself was never deactivated: with its user active again it works again.
    tokens = key_tokens(server, key)
    check_claims(verify(server, tokens["access_token"], "access-key@cxone", issuer), issuer, user, "access-key@cxone")


def test_access_token_works_on_the_expert_api_and_fails_there_as_seed_001_says(server, admin, tenant_id):
    """One caller resolution: a CXone access token is a Bearer on users/current too. There, a token that does not
    verify is Expert's 403 "invalid json web token", and one whose user was deactivated "invalid user requesting"."""
    user = create_user(server, admin, "Contributor")
    access = key_tokens(server, create_key(server, admin.authtoken, user.guid, tenant_id))["access_token"]
    r = requests.get(server.url + "/@api/deki/users/current", params=JSON_OUT, headers=bearer(access), timeout=10)
    assert r.status_code == 200, show(r)
    assert r.json()["username"] == user.username
    head, payload, signature = str(access).split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    r = requests.get(server.url + "/@api/deki/users/current", params=JSON_OUT, headers=bearer(f"{head}.{payload}.{flipped}"), timeout=10)
    assert r.status_code == 403 and r.json()["message"] == "invalid json web token", show(r)
    set_status(server, admin, user, "inactive")
    try:
        r = requests.get(server.url + "/@api/deki/users/current", params=JSON_OUT, headers=bearer(access), timeout=10)
        assert r.status_code == 403 and r.json()["message"] == "invalid user requesting", show(r)
    finally:
        set_status(server, admin, user, "active")


# ---------------------------------------------------------------------------------------------------------------
# 3. Access-key management: permissions, listing, paging, errors


def _key_ids(listing):
    return {k["accessKeyId"] for k in listing["accessKeys"]}


def test_contributor_manages_own_keys(server, people, tenant_id, issuer):
    alice = people["alice"]
    key = create_key(server, alice.authtoken, alice.guid, tenant_id)
    assert (key["userId"], key["tenantId"], key["agentId"], key["billingId"], key["isActive"]) == \
        (alice.guid, tenant_id, int(alice.id), DEFAULT_BU, True)
    tokens = key_tokens(server, key)
    check_claims(verify(server, tokens["access_token"], "access-key@cxone", issuer), issuer, alice, "access-key@cxone",
                 tenant_id)
    # With the Expert auth token and with the CXone access token alike.
    for token in (alice.authtoken, tokens["access_token"]):
        listing = list_keys(server, token, userId=alice.guid)
        assert key["accessKeyId"] in _key_ids(listing)
        assert {k["userId"] for k in listing["accessKeys"]} == {alice.guid}
        assert listing["totalRecords"] == len(listing["accessKeys"])
        unfiltered = list_keys(server, token)
        assert key["accessKeyId"] in _key_ids(unfiltered)
        assert {k["userId"] for k in unfiltered["accessKeys"]} == {alice.guid}  # a contributor sees own keys only
        for entry in listing["accessKeys"]:
            assert KEY_FIELDS <= set(entry), sorted(entry)
        result = get_key(server, token, key["accessKeyId"])
        assert KEY_FIELDS <= set(result), sorted(result)
        assert (result["userId"], result["tenantId"], result["agentId"], result["billingId"]) == \
            (alice.guid, tenant_id, int(alice.id), DEFAULT_BU)
    # A second key made with the access token.
    second = create_key(server, tokens["access_token"], alice.guid, tenant_id)
    assert second["accessKeyId"] != key["accessKeyId"]
    patch_key(server, tokens["access_token"], second["accessKeyId"], False)
    oauth_error(access_key_tokens(server, second), 400, "invalid_grant")
    patch_key(server, alice.authtoken, second["accessKeyId"], True)
    key_tokens(server, second)
    r = keys_call(server, "DELETE", "/" + second["accessKeyId"], token=tokens["access_token"])
    assert r.status_code == 200 and r.content == b"", show(r)
    r = keys_call(server, "GET", "/" + second["accessKeyId"], token=alice.authtoken)
    assert r.status_code == 404, show(r)
    assert second["accessKeyId"] not in _key_ids(list_keys(server, alice.authtoken))


def test_contributor_cannot_touch_another_users_keys(server, people, tenant_id):
    alice, bob = people["alice"], people["bob"]
    bob_key = create_key(server, bob.authtoken, bob.guid, tenant_id)
    alice_access = key_tokens(server, create_key(server, alice.authtoken, alice.guid, tenant_id))["access_token"]
    path = "/" + bob_key["accessKeyId"]
    for token in (alice.authtoken, alice_access):
        r = keys_call(server, "POST", token=token, json={"userId": bob.guid, "tenantId": tenant_id})
        assert r.status_code == 403, show(r)
        r = keys_call(server, "GET", token=token, params={"userId": bob.guid})
        assert r.status_code == 403, show(r)
        for method, body in (("GET", None), ("PATCH", {"isActive": False}), ("DELETE", None)):
            r = keys_call(server, method, path, token=token, json=body)
            assert r.status_code in (403, 404), show(r)
            no_leak(r, bob_key["accessKeySecret"])
        assert bob_key["accessKeyId"] not in _key_ids(list_keys(server, token))
    # Bob's key is untouched: still there, still active, still gets tokens.
    assert get_key(server, bob.authtoken, bob_key["accessKeyId"])["isActive"] is True
    key_tokens(server, bob_key)


def test_viewer_gets_403(server, admin, people, tenant_id):
    vera = people["vera"]
    r = keys_call(server, "POST", token=vera.authtoken, json={"userId": vera.guid, "tenantId": tenant_id})
    assert r.status_code == 403, show(r)
    r = keys_call(server, "GET", token=vera.authtoken)
    assert r.status_code == 403, show(r)
    r = keys_call(server, "GET", token=vera.authtoken, params={"userId": vera.guid})
    assert r.status_code == 403, show(r)
    # Even a key of her own (made by the admin) is beyond her.
    own = create_key(server, admin.authtoken, vera.guid, tenant_id)
    for method, body in (("GET", None), ("PATCH", {"isActive": False}), ("DELETE", None)):
        r = keys_call(server, method, "/" + own["accessKeyId"], token=vera.authtoken, json=body)
        assert r.status_code in (403, 404), show(r)
        no_leak(r, own["accessKeySecret"])
    assert get_key(server, admin.authtoken, own["accessKeyId"])["isActive"] is True


def test_admin_manages_other_users_keys(server, admin, people, tenant_id):
    bob = people["bob"]
    key = create_key(server, admin.authtoken, bob.guid, tenant_id)
    assert (key["userId"], key["agentId"]) == (bob.guid, int(bob.id))
    admin_key = create_key(server, admin.authtoken, admin.guid, tenant_id)
    admin_access = key_tokens(server, admin_key)["access_token"]

    for token in (admin.authtoken, admin_access):
        by_user = list_keys(server, token, userId=bob.guid, top=1000)
        assert key["accessKeyId"] in _key_ids(by_user)
        assert {k["userId"] for k in by_user["accessKeys"]} == {bob.guid}
        by_agent = list_keys(server, token, agentId=bob.id, top=1000)
        assert _key_ids(by_agent) == _key_ids(by_user)
        everyone = list_keys(server, token, top=1000)
        assert {key["accessKeyId"], admin_key["accessKeyId"]} <= _key_ids(everyone)
        assert {bob.guid, admin.guid} <= {k["userId"] for k in everyone["accessKeys"]}
        assert everyone["totalRecords"] >= by_user["totalRecords"] + 1
    # Bob sees the key the admin made for him.
    assert key["accessKeyId"] in _key_ids(list_keys(server, bob.authtoken))

    result = get_key(server, admin_access, key["accessKeyId"])
    assert (result["userId"], result["agentId"]) == (bob.guid, int(bob.id))
    patch_key(server, admin_access, key["accessKeyId"], False)
    oauth_error(access_key_tokens(server, key), 400, "invalid_grant")
    patch_key(server, admin.authtoken, key["accessKeyId"], True)
    key_tokens(server, key)
    r = keys_call(server, "DELETE", "/" + key["accessKeyId"], token=admin_access)
    assert r.status_code == 200 and r.content == b"", show(r)
    r = keys_call(server, "GET", "/" + key["accessKeyId"], token=bob.authtoken)
    assert r.status_code == 404, show(r)
    oauth_error(access_key_tokens(server, key), 400, "invalid_grant")


def test_list_paging_with_top_skip_and_links(server, admin, tenant_id):
    user = create_user(server, admin, "Contributor", fullname="Many Keys")
    made = [create_key(server, admin.authtoken, user.guid, tenant_id)["accessKeyId"] for _ in range(3)]

    first = list_keys(server, admin.authtoken, userId=user.guid, top=2)
    assert first["totalRecords"] == 3
    assert len(first["accessKeys"]) == 2
    links = first["_links"]
    assert {"self", "next", "previous"} <= set(links), links
    assert isinstance(links["self"], str) and links["self"]
    assert links["previous"] is None
    assert isinstance(links["next"], str) and links["next"]

    r = keys_call(server, "GET", token=admin.authtoken)  # just to have the base URL for relative links
    next_url = urljoin(r.url, links["next"])
    assert urlsplit(next_url).path == KEYS
    r = requests.get(next_url, headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    second = json_of(r)
    assert second["totalRecords"] == 3
    assert len(second["accessKeys"]) == 1
    assert second["_links"]["next"] is None
    assert isinstance(second["_links"]["previous"], str) and second["_links"]["previous"]
    assert _key_ids(first) | _key_ids(second) == set(made)
    assert not _key_ids(first) & _key_ids(second)

    # skip/top directly, and the previous link leads back to the first page.
    middle = list_keys(server, admin.authtoken, userId=user.guid, skip=1, top=1)
    assert [k["accessKeyId"] for k in middle["accessKeys"]] == [first["accessKeys"][1]["accessKeyId"]]
    r = requests.get(urljoin(next_url, second["_links"]["previous"]), headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    assert [k["accessKeyId"] for k in json_of(r)["accessKeys"]] == [k["accessKeyId"] for k in first["accessKeys"]]
    past = list_keys(server, admin.authtoken, userId=user.guid, skip=3)
    assert (past["totalRecords"], past["accessKeys"]) == (3, [])
    everything = list_keys(server, admin.authtoken, userId=user.guid)  # top defaults to 100
    assert _key_ids(everything) == set(made) and everything["_links"]["next"] is None


def test_management_without_or_with_bad_bearer_is_401(server, admin, tenant_id, alice_tokens):
    key_id = alice_tokens["key"]["accessKeyId"]
    calls = [("POST", "", {"userId": admin.guid, "tenantId": tenant_id}), ("GET", "", None), ("GET", "/" + key_id, None),
             ("PATCH", "/" + key_id, {"isActive": False}), ("DELETE", "/" + key_id, None)]
    bad = {"none": None, "garbage": "garbage-token", "basic-token": alice_tokens["basic"],
           "id-token": alice_tokens["id_token"], "tampered-access-token": tamper(alice_tokens["access"])}
    for name, token in bad.items():
        for method, path, body in calls:
            r = keys_call(server, method, path, token=token, json=body)
            assert r.status_code == 401, f"{name}: {show(r)}"
            no_leak(r, alice_tokens["key"]["accessKeySecret"])
    assert get_key(server, admin.authtoken, key_id)["isActive"] is True  # nothing changed


def test_management_bad_requests(server, admin, people, tenant_id):
    alice = people["alice"]
    cases = [
        ("wrong-tenant", {"json": {"userId": admin.guid, "tenantId": str(uuid.uuid4())}}, 403),
        ("unknown-user", {"json": {"userId": str(uuid.uuid4()), "tenantId": tenant_id}}, 404),
        ("malformed-json", {"data": '{"userId": "' + admin.guid + '",', "headers": {"Content-Type": "application/json"}},
         400),
        ("missing-tenant", {"json": {"userId": admin.guid}}, 400),
        ("missing-user", {"json": {"tenantId": tenant_id}}, 400),
        ("empty-body", {"data": b"", "headers": {"Content-Type": "application/json"}}, 400),
        ("json-array", {"json": [admin.guid, tenant_id]}, 400),
    ]
    before = list_keys(server, admin.authtoken, top=1000)["totalRecords"]
    for name, kwargs, status in cases:
        r = keys_call(server, "POST", token=admin.authtoken, **kwargs)
        assert r.status_code == status, f"{name}: {show(r)}"
        assert isinstance(json_of(r), dict), f"{name}: {show(r)}"
    # A contributor naming a wrong tenant for herself is 403 too.
    r = keys_call(server, "POST", token=alice.authtoken, json={"userId": alice.guid, "tenantId": str(uuid.uuid4())})
    assert r.status_code == 403, show(r)
    assert list_keys(server, admin.authtoken, top=1000)["totalRecords"] == before  # none was created
    unknown = base64.b32encode(secrets.token_bytes(32)).decode()
    for method, body in (("GET", None), ("PATCH", {"isActive": False}), ("DELETE", None)):
        r = keys_call(server, method, "/" + unknown, token=admin.authtoken, json=body)
        assert r.status_code == 404, show(r)


# ---------------------------------------------------------------------------------------------------------------
# 4. /auth/token: password grant with back-end apps


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"])
def test_password_grant_with_authlib(server, apps, backend_key, backend_user, issuer, tenant_id, method):
    client_id, client_secret = apps[method]
    token_endpoint = discovery(server)["token_endpoint"]
    session = OAuth2Session(client_id, client_secret, token_endpoint_auth_method=method)
    if method == "client_secret_jwt":
        # Stock authlib: it signs exp = iat + 3600 and a fresh jti, with the token endpoint as audience.
        session.register_client_auth_method(ClientSecretJWT(token_endpoint))
    token = session.fetch_token(token_endpoint, grant_type="password", username=backend_key["accessKeyId"],
                                password=backend_key["accessKeySecret"])
    token = hide_secrets(dict(token))
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == ACCESS_LIFETIME and token["refresh_token_expires_in"] == REFRESH_LIFETIME
    check(isinstance(token.get("refresh_token"), str) and bool(token["refresh_token"]), "no refresh_token")
    access = verify(server, token["access_token"], client_id + "@cxone", issuer)
    check_claims(access, issuer, backend_user, client_id + "@cxone", tenant_id)
    identity = verify(server, token["id_token"], client_id, issuer)
    check_claims(identity, issuer, backend_user, client_id, tenant_id, access=False)
    # The session calls userinfo with its token.
    r = session.get(server.url + USERINFO, timeout=10)
    assert r.status_code == 200, show(r)
    assert json_of(r)["sub"] == "user:" + backend_user.guid


def test_basic_credentials_percent_encoded_or_plain(server, apps, backend_key, issuer):
    """RFC 6749 §2.3.1 percent-encodes id and secret before Base64; many clients (authlib among them) do not. Secrets
    are base64url with padding, so they read the same either way: no '+' to be taken for a space, no '/'."""
    client_id, client_secret = apps["client_secret_basic"]
    for _ in range(5):
        _, fresh = create_app(server, "backend")
        check(re.fullmatch(r"[A-Za-z0-9_-]{43}=", str(fresh)) is not None, "a client secret is not 43 base64url characters and '='")
    encoded = basic_header(quote(client_id, safe=""), quote(client_secret, safe=""))
    plain = basic_header(client_id, client_secret)
    for how, header in (("percent-encoded", encoded), ("plain", plain)):
        r = token_call(server, data=password_form(backend_key), headers={"Authorization": header})
        assert r.status_code == 200, f"{how} Basic credentials: {show(r)}"
        verify(server, check_token_answer(r)["access_token"], client_id + "@cxone", issuer)
    # authlib's client_secret_basic sends them plain.
    session = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic")
    token = hide_secrets(dict(session.fetch_token(issuer + TOKEN, grant_type="password",
                                                  username=backend_key["accessKeyId"],
                                                  password=backend_key["accessKeySecret"])))
    verify(server, token["access_token"], client_id + "@cxone", issuer)


def test_token_endpoint_json_body_and_form_labelled_json(server, apps, backend_key, issuer):
    client_id, client_secret = apps["client_secret_post"]
    fields = {**password_form(backend_key), "client_id": client_id, "client_secret": client_secret}
    # The official SDK's quirk: a form body labelled application/json.
    r = token_call(server, data=urlencode(fields), headers={"Content-Type": "application/json"})
    verify(server, check_token_answer(r)["access_token"], client_id + "@cxone", issuer)
    # A real JSON body.
    r = token_call(server, json_body=fields)
    verify(server, check_token_answer(r)["access_token"], client_id + "@cxone", issuer)


def test_client_assertion_audience_may_be_the_issuer(server, apps, backend_key, issuer):
    client_id, client_secret = apps["client_secret_jwt"]
    for audience in (issuer + TOKEN, issuer):
        r = token_call(server, data={**password_form(backend_key), "client_assertion_type": ASSERTION_TYPE,
                                     "client_assertion": client_assertion(client_id, client_secret, audience)})
        verify(server, check_token_answer(r)["access_token"], client_id + "@cxone", issuer)


def _client_auth_cases():
    """(id, builder(apps, token_endpoint) -> (form fields, headers), basic used). Every case must be invalid_client."""

    def basic(app, secret=None):
        return lambda a, t: ({}, {"Authorization": basic_header(a[app][0], secret or a[app][1])})

    def post(app, secret=None):
        return lambda a, t: ({"client_id": a[app][0], "client_secret": secret or a[app][1]}, {})

    def assertion(app, secret=None, **overrides):
        def build(a, t):
            made = client_assertion(a[app][0], secret or a[app][1], t, **overrides)
            return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": made}, {}
        return build

    def unknown_basic(a, t):
        return {}, {"Authorization": basic_header(str(uuid.uuid4()), a["client_secret_basic"][1])}

    return [
        ("basic-app-authenticating-by-post", post("client_secret_basic"), False),
        ("basic-app-authenticating-by-jwt", assertion("client_secret_basic"), False),
        ("post-app-authenticating-by-basic", basic("client_secret_post"), True),
        ("post-app-authenticating-by-jwt", assertion("client_secret_post"), False),
        ("jwt-app-authenticating-by-basic", basic("client_secret_jwt"), True),
        ("jwt-app-authenticating-by-post", post("client_secret_jwt"), False),
        ("basic-wrong-secret", basic("client_secret_basic", "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="), True),
        ("post-wrong-secret", post("client_secret_post", "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="), False),
        ("jwt-wrong-secret", assertion("client_secret_jwt", "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="), False),
        ("basic-unknown-client", unknown_basic, True),
        ("jwt-without-jti", assertion("client_secret_jwt", drop=("jti",)), False),
        ("jwt-without-exp", assertion("client_secret_jwt", drop=("exp",)), False),
        ("jwt-expiring-too-late", assertion("client_secret_jwt", lifetime=7200), False),
        ("jwt-expired", assertion("client_secret_jwt", lifetime=-120, iat=int(time.time()) - 300), False),
        ("jwt-wrong-audience", assertion("client_secret_jwt", aud="https://elsewhere.example.org/auth/token"), False),
        ("jwt-iss-not-the-client", assertion("client_secret_jwt", iss=str(uuid.uuid4())), False),
    ]


CLIENT_AUTH_CASES = _client_auth_cases()


@pytest.mark.parametrize("case", CLIENT_AUTH_CASES, ids=[c[0] for c in CLIENT_AUTH_CASES])
def test_client_authentication_failures_are_invalid_client(server, apps, backend_key, issuer, case):
    _, build, basic_used = case
    fields, headers = build(apps, issuer + TOKEN)
    r = token_call(server, data={**password_form(backend_key), **fields}, headers=headers)
    token_error(r, 401, "invalid_client", basic_used=basic_used)
    no_leak(r, backend_key["accessKeySecret"], *(s for _, s in apps.values() if s))


def test_password_grant_without_client_authentication_is_refused(server, backend_key):
    r = token_call(server, data=password_form(backend_key))
    assert r.status_code in (400, 401), show(r)
    token_error(r, r.status_code, "invalid_client" if r.status_code == 401 else "invalid_request")


def test_client_assertion_cannot_be_replayed(server, apps, backend_key, issuer):
    client_id, client_secret = apps["client_secret_jwt"]
    jti = str(uuid.uuid4())
    made = client_assertion(client_id, client_secret, issuer + TOKEN, jti=jti)
    fields = {**password_form(backend_key), "client_assertion_type": ASSERTION_TYPE, "client_assertion": made}
    check_token_answer(token_call(server, data=fields))
    r = token_call(server, data=fields)  # the very same assertion
    token_error(r, 401, "invalid_client")
    # A new assertion reusing the jti is a replay too, a fresh jti is fine.
    again = client_assertion(client_id, client_secret, issuer + TOKEN, jti=jti, lifetime=90)
    r = token_call(server, data={**fields, "client_assertion": again})
    token_error(r, 401, "invalid_client")
    fresh = client_assertion(client_id, client_secret, issuer + TOKEN)
    check_token_answer(token_call(server, data={**fields, "client_assertion": fresh}))


def post_credentials(app):
    client_id, client_secret = app
    return {"client_id": client_id, "client_secret": client_secret}


def _password_grant_cases():
    """(id, builder(apps, key) -> (form, auth tuple or None), status, error)."""
    wrong = {"username": "WRONGKEY" + "A" * 44 + "====", "password": "B" * 52 + "===="}
    return [
        ("confidential-app", lambda a, k: ({**password_form(k), **post_credentials(a["confidential"])}, None), 400,
         "unauthorized_client"),
        ("public-app", lambda a, k: ({**password_form(k), "client_id": a["public"][0]}, None), 400,
         "unauthorized_client"),
        ("wrong-key-secret", lambda a, k: ({**password_form(k), "password": flip(k["accessKeySecret"], 7)},
                                           a["client_secret_basic"]), 400, "invalid_grant"),
        ("unknown-key", lambda a, k: ({"grant_type": "password", **wrong}, a["client_secret_basic"]), 400,
         "invalid_grant"),
        ("missing-password", lambda a, k: ({"grant_type": "password", "username": k["accessKeyId"]},
                                           a["client_secret_basic"]), 400, "invalid_request"),
        ("missing-grant-type", lambda a, k: ({"username": k["accessKeyId"], "password": k["accessKeySecret"]},
                                             a["client_secret_basic"]), 400, "invalid_request"),
        ("client-credentials-grant", lambda a, k: ({"grant_type": "client_credentials"}, a["client_secret_basic"]), 400,
         "unsupported_grant_type"),
        ("made-up-grant", lambda a, k: ({"grant_type": "urn:example:made-up"}, a["client_secret_basic"]), 400,
         "unsupported_grant_type"),
        ("unknown-authorization-code", lambda a, k: ({"grant_type": "authorization_code", "code": secrets.token_hex(16),
                                                      "redirect_uri": "https://app.example.org/callback",
                                                      **post_credentials(a["confidential"])}, None), 400,
         "invalid_grant"),
    ]


PASSWORD_GRANT_CASES = _password_grant_cases()


@pytest.mark.parametrize("case", PASSWORD_GRANT_CASES, ids=[c[0] for c in PASSWORD_GRANT_CASES])
def test_token_endpoint_errors(server, apps, backend_key, case):
    _, build, status, error = case
    form, auth = build(apps, backend_key)
    r = token_call(server, data=form, auth=auth)
    token_error(r, status, error)
    no_leak(r, backend_key["accessKeySecret"], *(s for _, s in apps.values() if s))


def test_app_created_by_cli_works_at_once(server, backend_key, issuer):
    client_id, client_secret = create_app(server, "backend", "client_secret_post")
    r = token_call(server, data={**password_form(backend_key), "client_id": client_id, "client_secret": client_secret})
    verify(server, check_token_answer(r)["access_token"], client_id + "@cxone", issuer)


# ---------------------------------------------------------------------------------------------------------------
# 5. Refresh tokens: rotation, reuse detection, binding


def test_refresh_rotation_and_reuse_detection(server, apps, backend_key, backend_user, issuer):
    client_id, client_secret = apps["client_secret_basic"]
    token_endpoint = issuer + TOKEN
    session = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic")
    first = hide_secrets(dict(session.fetch_token(token_endpoint, grant_type="password",
                                                  username=backend_key["accessKeyId"],
                                                  password=backend_key["accessKeySecret"])))
    second = hide_secrets(dict(session.refresh_token(token_endpoint, refresh_token=first["refresh_token"])))
    check(second["refresh_token"] != first["refresh_token"], "the refresh token was not rotated")
    check(second["access_token"] != first["access_token"], "the refresh answered the old access token")
    check_claims(verify(server, second["access_token"], client_id + "@cxone", issuer), issuer, backend_user,
                 client_id + "@cxone")

    auth = (client_id, client_secret)
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth)
    token_error(r, 400, "invalid_grant")
    # Reuse revoked the whole family: the newest refresh token is dead too, and so are the session's access tokens.
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}, auth=auth)
    token_error(r, 400, "invalid_grant")
    no_leak(r, second["refresh_token"], first["refresh_token"])
    for access in (first["access_token"], second["access_token"]):
        assert userinfo(server, access).status_code == 401


def test_access_key_refresh_tokens_need_no_client(server, victim, issuer):
    user, key = victim
    tokens = key_tokens(server, key)
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, show(r)
    assert "no-store" in r.headers.get("Cache-Control", "")
    renewed = json_of(r)
    check(isinstance(renewed.get("refresh_token"), str) and renewed["refresh_token"] != tokens["refresh_token"],
          "no new refresh token")
    assert renewed["token_type"] == "Bearer" and renewed["expires_in"] == ACCESS_LIFETIME
    check_claims(verify(server, renewed["access_token"], "access-key@cxone", issuer), issuer, user, "access-key@cxone")
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    token_error(r, 400, "invalid_grant")
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]})
    token_error(r, 400, "invalid_grant")


def test_generate_key_session_refreshes_at_both_endpoints(server, people, alice_tokens, issuer):
    alice = people["alice"]
    # The /public/user/refresh refresh token at /auth/token, with no client.
    doc = cxone_session(server, alice.authtoken)
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": doc["refreshToken"]})
    assert r.status_code == 200, show(r)
    renewed = json_of(r)
    check(renewed["refresh_token"] != doc["refreshToken"], "the refresh token was not rotated")
    check_claims(verify(server, renewed["access_token"], "access-key@cxone", issuer), issuer, alice, "access-key@cxone")
    # And a refresh token of /auth/token at /public/user/refresh (as the Singer tap does).
    r = user_refresh(server, renewed["refresh_token"])
    assert r.status_code == 200, show(r)
    again = json_of(r)
    check_claims(verify(server, again["token"], "access-key@cxone", issuer), issuer, alice, "access-key@cxone")
    check(again["refreshToken"] != renewed["refresh_token"], "the refresh token was not rotated")
    # The refresh token of the access-key fixture at /public/user/refresh as well.
    tokens = key_tokens(server, alice_tokens["key"])
    r = user_refresh(server, tokens["refresh_token"])
    assert r.status_code == 200, show(r)
    assert json_of(r)["tokenExpirationTimeSec"] == ACCESS_LIFETIME


def test_client_bound_refresh_token_needs_its_own_client(server, apps, backend_key):
    owner = apps["client_secret_basic"]
    r = token_call(server, data=password_form(backend_key), auth=owner)
    refresh = check_token_answer(r)["refresh_token"]
    # Another (valid, authenticated) client presenting it.
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": refresh}, auth=apps["other_basic"])
    token_error(r, 400, "invalid_grant")
    no_leak(r, refresh)
    # No client authentication at all.
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert r.status_code in (400, 401), show(r)
    token_error(r, r.status_code, "invalid_grant" if r.status_code == 400 else "invalid_client")
    no_leak(r, refresh)


def test_refresh_grant_bad_input(server):
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": "garbage-" + secrets.token_hex(16)})
    token_error(r, 400, "invalid_grant")
    r = token_call(server, data={"grant_type": "refresh_token"})
    token_error(r, 400, "invalid_request")


def test_lifetime_options_and_expiry():
    """The access lifetime by flag, the refresh lifetime by environment, both at the server's minimum of 60 s (it
    refuses less): this test waits a minute for the tokens to expire."""
    s = Server(env={"TESSERA_REFRESH_TOKEN_LIFETIME": "60"}, extra_args=("--access-token-lifetime", "60"))
    try:
        admin = User(s, "admin", ADMIN_PASSWORD, role="Admin")
        iss = discovery(s)["issuer"]
        doc = cxone_session(s, admin.authtoken)
        assert doc["tokenExpirationTimeSec"] == 60
        claims = verify(s, doc["token"], "access-key@cxone", iss)
        check_claims(claims, iss, admin, "access-key@cxone", lifetime=60)
        key = create_key(s, admin.authtoken, admin.guid, claims["tenantId"])
        tokens = check_token_answer(access_key_tokens(s, key), refresh_lifetime=60, access_lifetime=60)
        r = token_call(s, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert r.status_code == 200, show(r)
        renewed = json_of(r)
        issued = time.time()
        assert renewed["expires_in"] == 60
        exp = verify(s, renewed["access_token"], "access-key@cxone", iss)["exp"]
        assert userinfo(s, renewed["access_token"]).status_code == 200

        time.sleep(max(0.0, exp + 1.2 - time.time()))
        with pytest.raises(jwt.ExpiredSignatureError):
            verify(s, renewed["access_token"], "access-key@cxone", iss)
        r = userinfo(s, renewed["access_token"])
        assert r.status_code == 401, show(r)
        assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")
        r = keys_call(s, "GET", token=renewed["access_token"])
        assert r.status_code == 401, show(r)

        time.sleep(max(0.0, issued + 61.5 - time.time()))
        r = token_call(s, data={"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]})
        token_error(r, 400, "invalid_grant")
    finally:
        assert s.stop() == 0, redact(s.output()[-2000:])


# ---------------------------------------------------------------------------------------------------------------
# 6. Discovery, JWKS and userinfo


def test_openid_configuration(server, issuer):
    doc = discovery(server)
    assert issuer == server.url  # no --public-url: the default site's base URL, no trailing slash
    assert not issuer.endswith("/")
    assert doc["authorization_endpoint"] == issuer + "/auth/authorize"
    assert doc["token_endpoint"] == issuer + "/auth/token"
    assert doc["userinfo_endpoint"] == issuer + "/auth/userinfo"
    assert doc["jwks_uri"] == issuer + "/auth/jwks"
    assert doc["end_session_endpoint"] == issuer + "/auth/authorize/logout"
    expected_lists = {
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "HS256", "HS384", "HS512"],
        "scopes_supported": ["openid"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_object_signing_alg_values_supported": ["none"],
        "display_values_supported": ["page", "popup"],
        "claim_types_supported": ["normal"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"],
    }
    for name, values in expected_lists.items():
        assert isinstance(doc.get(name), list) and sorted(doc[name]) == sorted(values), (name, doc.get(name))
    urls = {k: v for k, v in doc.items() if isinstance(v, str) and v.startswith(("http://", "https://"))}
    assert len(urls) >= 6, urls
    assert all(v.startswith(issuer + "/") or v == issuer for v in urls.values()), urls
    # jwks_uri serves the keys.
    assert requests.get(doc["jwks_uri"], timeout=10).status_code == 200


def test_jwks_shape(server):
    doc = jwks_of(server)
    keys = doc["keys"]
    assert isinstance(keys, list) and keys
    for key in keys:
        assert (key.get("kty"), key.get("use"), key.get("alg")) == ("RSA", "sig", "RS256"), key
        assert isinstance(key.get("kid"), str) and key["kid"]
        assert isinstance(key.get("n"), str) and isinstance(key.get("e"), str)
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), sorted(key)  # no private members
        assert len(base64.urlsafe_b64decode(key["n"] + "=" * (-len(key["n"]) % 4))) >= 256  # >= 2048-bit modulus
    assert len({k["kid"] for k in keys}) == len(keys)
    assert len(jwt.PyJWKSet.from_dict(doc).keys) == len(keys)


def test_cxone_configuration(server, issuer, tenant_id):
    r = requests.get(server.url + CXONE_CONFIG, params={"tenantId": tenant_id}, timeout=10)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    expected = {"private", "area", "cluster", "domain", "acdDomain", "uhDomain", "ui_endpoint", "auth_endpoint",
                "api_endpoint", "tenantId"}
    assert expected <= set(doc), sorted(doc)
    assert doc["private"] is False
    assert (doc["area"], doc["cluster"], doc["tenantId"]) == (DEFAULT_AREA, DEFAULT_CLUSTER, tenant_id)
    for name in ("domain", "acdDomain", "uhDomain"):
        assert isinstance(doc[name], str) and doc[name], name
    assert (doc["ui_endpoint"], doc["auth_endpoint"], doc["api_endpoint"]) == (issuer, issuer, issuer)


@pytest.mark.parametrize("value, status", [("unknown", 404), ("not-a-uuid", 400), ("missing", 400), ("empty", 400),
                                           ("uuid-and-junk", 400)])
def test_cxone_configuration_errors(server, tenant_id, value, status):
    params = {"unknown": {"tenantId": str(uuid.uuid4())}, "not-a-uuid": {"tenantId": "not-a-uuid"}, "missing": {},
              "empty": {"tenantId": ""}, "uuid-and-junk": {"tenantId": tenant_id + "x"}}[value]
    r = requests.get(server.url + CXONE_CONFIG, params=params, timeout=10)
    assert r.status_code == status, show(r)
    doc = json_of(r)
    for name in ("error", "error_description", "errorDescription"):
        assert isinstance(doc.get(name), str) and doc[name], (name, show(r))


def test_userinfo_with_access_token(server, people, alice_tokens):
    alice = people["alice"]
    claims = jwt.decode(alice_tokens["access"], options={"verify_signature": False})
    for method in ("GET", "POST"):
        r = userinfo(server, alice_tokens["access"], method=method)
        assert r.status_code == 200, show(r)
        doc = json_of(r)
        assert {"sub", "name", "given_name", "family_name", "email"} <= set(doc), sorted(doc)
        assert doc["sub"] == "user:" + alice.guid
        assert doc["email"] == alice.email
        assert (doc["name"], doc["given_name"], doc["family_name"]) == \
            (claims["name"], claims["given_name"], claims["family_name"])
    # An access token from /auth/token's refresh works too.
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": alice_tokens["refresh"]})
    assert r.status_code == 200, show(r)
    r = userinfo(server, json_of(r)["access_token"])
    assert r.status_code == 200 and json_of(r)["sub"] == "user:" + alice.guid, show(r)


USERINFO_REFUSALS = ["missing", "garbage", "id-token", "basic-token", "tampered", "basic-scheme", "alg-none"]


@pytest.mark.parametrize("case", USERINFO_REFUSALS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_refuses_everything_but_access_tokens(server, alice_tokens, case, method):
    access = alice_tokens["access"]
    head, body, _ = access.split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    headers = {
        "missing": {},
        "garbage": bearer("garbage-" + secrets.token_hex(8)),
        "id-token": bearer(alice_tokens["id_token"]),
        "basic-token": bearer(alice_tokens["basic"]),
        "tampered": bearer(tamper(access)),
        "basic-scheme": {"Authorization": basic_header("admin", ADMIN_PASSWORD)},
        "alg-none": bearer(f"{none_header}.{body}."),
    }[case]
    r = userinfo(server, method=method, headers=headers)
    assert r.status_code == 401, f"{case}: {show(r)}"
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge, challenge
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")


# ---------------------------------------------------------------------------------------------------------------
# 7. Signing-key rotation


def test_signing_key_rotation_keeps_old_tokens_valid():
    # A fixed public URL (the issuer), so that tokens stay valid across the restart at the end (on another port).
    env = {"TESSERA_SIGNING_KEY_REFRESH": "1", "TESSERA_PUBLIC_URL": "http://rotation.test"}
    s = Server(env=env)
    try:
        admin = User(s, "admin", ADMIN_PASSWORD, role="Admin")
        iss = discovery(s)["issuer"]
        before = jwks_of(s)["keys"]
        assert len(before) == 1, [k["kid"] for k in before]
        old_kid = before[0]["kid"]
        old = cxone_session(s, admin.authtoken)["token"]
        assert jwt.get_unverified_header(old)["kid"] == old_kid

        listed = cli(s, "keys", "list")
        assert listed.returncode == 0, listed.stderr
        rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
        assert [(r[0], r[1]) for r in rows] == [(old_kid, "current")], listed.stdout

        rotated = cli(s, "keys", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        match = re.search(r"^rotated: (\S+)$", rotated.stdout, re.M)
        assert match, rotated.stdout
        new_kid = match.group(1)
        assert new_kid != old_kid

        took = wait_for(lambda: [k["kid"] for k in jwks_of(s)["keys"]] == [new_kid, old_kid], timeout=3.5)
        assert took is not None, [k["kid"] for k in jwks_of(s)["keys"]]
        listed = cli(s, "keys", "list")
        states = {line.split("\t")[0]: line.split("\t")[1] for line in listed.stdout.strip().splitlines()}
        assert states == {new_kid: "current", old_kid: "previous"}, listed.stdout

        new = cxone_session(s, admin.authtoken)["token"]
        assert jwt.get_unverified_header(new)["kid"] == new_kid
        jwks = jwks_of(s)
        for token in (old, new):
            check_claims(verify(s, token, "access-key@cxone", iss, jwks=jwks), iss, admin, "access-key@cxone")
            r = userinfo(s, token)
            assert r.status_code == 200 and json_of(r)["sub"] == "user:" + admin.guid, show(r)
        # A fresh PyJWKClient (what a relying party would use) finds both keys.
        client = jwt.PyJWKClient(s.url + JWKS)
        assert client.get_signing_key_from_jwt(old).key_id == old_kid
        assert client.get_signing_key_from_jwt(new).key_id == new_kid
        # The key ring survives a restart.
        assert s.stop() == 0
        again = Server(data_dir=s.data_dir, env=env)
        try:
            assert [k["kid"] for k in jwks_of(again)["keys"]] == [new_kid, old_kid]
            assert userinfo(again, old).status_code == 200
        finally:
            again.stop()
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------------------------
# 8. Two instances on one PostgreSQL


PUBLIC_URL = "http://tessera.test"


def test_two_instances_on_one_postgres_share_keys_and_tokens(fresh_postgres_db):
    env = {"TESSERA_MASTER_KEY": secrets.token_hex(32), "TESSERA_PUBLIC_URL": PUBLIC_URL,
           "TESSERA_SIGNING_KEY_REFRESH": "1"}
    a = Server(database_url=fresh_postgres_db, env=env, wait=False)
    b = Server(database_url=fresh_postgres_db, env=env, wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
        assert discovery(a)["issuer"] == discovery(b)["issuer"] == PUBLIC_URL
        assert discovery(a)["token_endpoint"] == PUBLIC_URL + TOKEN
        jwks = jwks_of(a)
        assert jwks == jwks_of(b)

        admin = User(a, "admin", ADMIN_PASSWORD, role="Admin")
        token = cxone_session(a, admin.authtoken)["token"]
        check_claims(verify(b, token, "access-key@cxone", PUBLIC_URL), PUBLIC_URL, admin, "access-key@cxone")
        r = userinfo(b, token)
        assert r.status_code == 200 and json_of(r)["sub"] == "user:" + admin.guid, show(r)

        # A key made through A is exchanged at B; B's refresh token rotates at A; reuse at B is caught.
        tenant = jwt.decode(token, options={"verify_signature": False})["tenantId"]
        key = create_key(a, token, admin.guid, tenant)
        tokens = key_tokens(b, key)
        verify(a, tokens["access_token"], "access-key@cxone", PUBLIC_URL)
        assert get_key(b, admin.authtoken, key["accessKeyId"])["userId"] == admin.guid
        r = token_call(a, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert r.status_code == 200, show(r)
        r = token_call(b, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        token_error(r, 400, "invalid_grant")
        # An app made by the CLI on the shared database works at both.
        client_id, client_secret = create_app(a, "backend", database_url=fresh_postgres_db)
        encoded = basic_header(quote(client_id, safe=""), quote(client_secret, safe=""))
        for s in (a, b):
            r = token_call(s, data=password_form(key), headers={"Authorization": encoded})
            verify(s, check_token_answer(r)["access_token"], client_id + "@cxone", PUBLIC_URL)

        # A rotation by the CLI reaches both instances.
        old_kid = jwks["keys"][0]["kid"]
        rotated = cli(a, "keys", "rotate", database_url=fresh_postgres_db)
        assert rotated.returncode == 0, rotated.stderr
        new_kid = re.search(r"^rotated: (\S+)$", rotated.stdout, re.M).group(1)
        for s in (a, b):
            took = wait_for(lambda: [k["kid"] for k in jwks_of(s)["keys"]][:2] == [new_kid, old_kid], timeout=3.5)
            assert took is not None, [k["kid"] for k in jwks_of(s)["keys"]]
        assert jwks_of(a) == jwks_of(b)
        fresh = cxone_session(b, admin.authtoken)["token"]
        assert jwt.get_unverified_header(fresh)["kid"] == new_kid
        for s in (a, b):
            for t in (token, fresh):
                assert userinfo(s, t).status_code == 200
    finally:
        codes = [a.stop(), b.stop()]
    assert codes == [0, 0], [redact(a.output()[-2000:]), redact(b.output()[-2000:])]
