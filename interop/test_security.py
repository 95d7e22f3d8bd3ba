"""Security interop tests: the rules that keep a token to what it was given and a stolen or stored secret useless --
scopes of application tokens (openid reads identity only; tessera.admin only by an administrator's consent, and never
what only the user's own credential may do), token exchange that can neither widen nor outlive its subject, sessions
that end on sign-out, password change and deactivation, identity exchange that links and never adopts an account,
nothing usable at rest, redirect parameters, sign-in throttling and proxies, and smaller holes (gateway header
encoding, no-store, browser-token origins, cross-site sign-in, aggregated refusals, audit retention) -- attacked the
way a hostile client would, with the legitimate path beside each attack, against a real `tessera serve`.

Independent client code only: requests, PyJWT, Python's hmac/hashlib/sqlite3 and `cryptography`; the flows reuse the
other interop modules' helpers (pages driven with requests, the test identity provider, the access-key helpers).

Secrets (passwords, client secrets, codes, tokens, keys) are `Secret` strings (helpers.py) and assertion messages go
through `show()`/`redact()`; comparisons on secret values go through `check()`.
"""
import hashlib
import hmac
import json
import os
import random
import re
import sqlite3
import stat
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import ADMIN_PASSWORD, BIN, Server, deki_error
from helpers import (
    User, basic_header, bearer, check, create_user, hide_secrets, json_of, no_leak, redact, secret, show, unique,
)
from test_cxone_auth import access_key_tokens, basic_token, create_key, key_tokens, user_refresh
from test_expert_oauth import code_flow_tokens as expert_code_flow_tokens, create_client as create_expert_client
from test_gateway import IDENTITY, gateway_check
from test_oidc_signin import (
    PageClient, approve, assert_error_page, authorize_params, code_from, exchange as code_exchange, forms_of,
    page_msg, query_of, refresh as oidc_refresh, submit, userinfo,
)
from test_revocation import Client as RevocationClient, endpoint_call
from test_token_exchange import (
    ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, IdP, add_idp, jwks_host, exchange as identity_exchange, exchanged_user,
    token_exchange,
)

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
AUTHENTICATE = USERS + "/authenticate"
AUTHORIZATIONS = CURRENT + "/authorizations"
TOKENS = "/@api/deki/site/developer-tokens"
AUDIT = "/@api/deki/site/audit"
LEGACY = "/@api/deki/site/legacy-tokens"
LINKS = "/@api/deki/site/identity-links"
KEYS = "/access-key-management/v1/access-keys"
ACCESS_KEY_TOKEN = "/authentication/v1/token/access-key"
APPS = "/authentication/v1/applications"
BASIC_TOKEN = "/public/user/basic-token"
TOKEN = "/auth/token"
REVOKE = "/auth/revoke"
INTROSPECT = "/auth/introspect"
AUTHORIZE = "/auth/authorize"
LOGOUT = "/auth/authorize/logout"
EXPERT_EXCHANGE = "/@app/auth/token/exchange"
JSON_OUT = {"dream.out.format": "json"}
XML = {"Content-Type": "application/xml"}

ADMIN_SCOPE = "tessera.admin"
ADMIN_CHALLENGE = 'Bearer realm="Tessera", error="insufficient_scope", scope="tessera.admin"'
REDIRECT = "https://app.example.org/cb/security"
LOGOUT_URI = "https://app.example.org/bye"


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def register(server, token, app_type="confidential", scope=(), name=None, redirect=REDIRECT, logouts=(LOGOUT_URI,)):
    """Submits and approves an application with the registered `scope` list (the registration body's `scope`)."""
    name = name or unique(f"security {app_type} app")
    body = {"name": name, "type": app_type, "redirects": [redirect], "logouts": list(logouts), "scope": list(scope)}
    if app_type == "confidential":
        body["authMethod"] = "client_secret_basic"
    doc = submit(server, token, body)
    assert doc.get("scope", []) == list(scope), show_doc(doc)
    (credential,) = approve(server, token, doc["trackingNumber"])["credentials"]
    return {"name": name, "type": app_type, "tracking": doc["trackingNumber"], "client_id": credential["clientId"],
            "secret": credential.get("clientSecret"),
            "auth_method": "client_secret_basic" if app_type == "confidential" else "none",
            "redirect": redirect, "logout": logouts[0] if logouts else None}


def show_doc(doc):
    return redact(json.dumps(doc, default=str))[:600]


def code_flow(server, app, user, scope="openid", pages=None):
    """Signs `user` in through the pages (consenting when asked) and exchanges the code; returns (tokens, pages)."""
    pages = pages or PageClient(server)
    code, verifier = pages.code(app, user, scope=scope)
    r = code_exchange(server, app, code, verifier)
    assert r.status_code == 200, show(r)
    tokens = json_of(r)
    tokens["scope"] = claims_of(tokens["access_token"]).get("scope")
    assert tokens["scope"] == scope, (tokens["scope"], scope)
    return tokens, pages


def oauth_refused(r, status, error):
    assert r.status_code == status, show(r)
    doc = json_of(r)
    assert doc.get("error") == error, show(r)
    return doc


def insufficient_scope_json(r, challenge=ADMIN_CHALLENGE):
    """The CXone surface's refusal of an application token's scope: 403, JSON insufficient_scope, the challenge."""
    __tracebackhide__ = True
    assert r.status_code == 403, show(r)
    doc = json_of(r)
    assert doc.get("error") == "insufficient_scope", show(r)
    assert r.headers.get("WWW-Authenticate") == challenge, (r.headers.get("WWW-Authenticate"), show(r))


def rev_client(app):
    return RevocationClient(app["name"], app["client_id"], app["secret"], "client_secret_basic")


def introspect_doc(server, app, token):
    r = endpoint_call(server, INTROSPECT, rev_client(app), token)
    assert r.status_code == 200, show(r)
    return r.json()


def put_user(server, token, user_id, xml, params=None):
    return requests.put(f"{server.url}{USERS}/{user_id}", data=xml, params=params, headers={**bearer(token), **XML},
                        timeout=15)


def set_status(server, admin, user_id, status):
    r = put_user(server, admin.authtoken, user_id, f"<user><status>{status}</status></user>")
    assert r.status_code == 200, show(r)


def sign_in_utf8(server, username, password, headers=None):
    """users/authenticate with a UTF-8 Basic header (requests would send latin-1)."""
    return requests.get(server.url + AUTHENTICATE, headers={"Authorization": basic_header(username, password),
                                                           **(headers or {})}, timeout=15)


def make_user(server, admin, username, role="Contributor"):
    """A user with exactly `username` and a password; returns (user document, password)."""
    password = secret("pw-" + uuid.uuid4().hex[:16])
    body = {"username": username, "fullname": "Security Person", "email": f"{uuid.uuid4().hex[:8]}@example.org",
            "permissions.user": {"role": role}}
    r = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password}, json=body,
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200, show(r)
    return r.json(), password


def current_of(server, token):
    return requests.get(server.url + CURRENT, params=JSON_OUT, headers=bearer(token), timeout=10)


def audit_events(server, token, limit=1000):
    r = requests.get(server.url + AUDIT, params={**JSON_OUT, "limit": str(limit)}, headers=bearer(token), timeout=15)
    assert r.status_code == 200, show(r)
    events = r.json().get("event", [])
    return events if isinstance(events, list) else [events]


def create_developer_token(server, token, body):
    r = requests.post(server.url + TOKENS, params=JSON_OUT, json=body, headers=bearer(token), timeout=15)
    if r.status_code == 200:
        hide_secrets(r.json())
        doc = r.json()
        secret(doc.get("secret"))
        if doc.get("authorization"):
            secret(doc["authorization"].partition(" ")[2])
    return r


def cli(server, *args):
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True, text=True,
                          timeout=60)


def sqlite_ro(data_dir):
    return sqlite3.connect(f"file:{os.path.join(data_dir, 'tessera.sqlite')}?mode=ro", uri=True, timeout=10)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: conftest's `server`, its admin, applications, an identity provider


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD, role="Admin")


@pytest.fixture(scope="module")
def tenant_id(server, admin):
    r = user_refresh(server, basic_token(server, admin.authtoken))
    assert r.status_code == 200, show(r)
    return claims_of(json_of(r)["token"])["tenantId"]


@pytest.fixture(scope="module")
def plain_app(server, admin):
    """A confidential app that registered no scope beyond openid."""
    return register(server, admin.authtoken)


@pytest.fixture(scope="module")
def admin_app(server, admin):
    """A confidential app that registered tessera.admin (its consent is never withdrawn in this module)."""
    return register(server, admin.authtoken, scope=[ADMIN_SCOPE])


@pytest.fixture(scope="module")
def exchanger(server, admin):
    """A second confidential app, registering no extra scope, that exchanges other clients' tokens."""
    return register(server, admin.authtoken)


@pytest.fixture(scope="module")
def admin_openid(server, admin, plain_app):
    """An Admin user's code-flow tokens with scope openid only."""
    tokens, _ = code_flow(server, plain_app, admin)
    assert tokens["scope"] == "openid"
    return tokens


@pytest.fixture(scope="module")
def admin_scoped(server, admin, admin_app):
    """An Admin user's code-flow tokens with scope "openid tessera.admin"."""
    tokens, _ = code_flow(server, admin_app, admin, scope="openid " + ADMIN_SCOPE)
    assert tokens["scope"] == "openid " + ADMIN_SCOPE
    return tokens


@pytest.fixture(scope="module")
def idp(server, jwks_host):
    provider = IdP("security")
    provider.jwks_url = jwks_host.publish(provider.path, provider.jwks())
    add_idp(server, provider)
    return provider


# ---------------------------------------------------------------------------------------------------------------
# 1. Scopes


CXONE_ADMINISTRATION = [("GET", KEYS), ("GET", APPS), ("POST", BASIC_TOKEN)]
EXPERT_ADMINISTRATION = [("GET", TOKENS), ("GET", USERS), ("GET", AUDIT), ("GET", AUTHORIZATIONS)]


def test_openid_token_reads_identity(server, admin, admin_openid):
    token = admin_openid["access_token"]
    r = current_of(server, token)
    assert r.status_code == 200 and r.json()["username"] == "admin", show(r)
    r = userinfo(server, token)
    assert r.status_code == 200 and r.json()["sub"] == "user:" + admin.guid, show(r)
    r = gateway_check(server, headers=bearer(token))
    assert r.status_code == 200, show(r)
    assert r.headers.get("X-Tessera-Username") == "admin" and r.headers.get("X-Tessera-Scopes") == "openid", \
        {name: r.headers.get(name) for name in IDENTITY}


@pytest.mark.parametrize("method, path", CXONE_ADMINISTRATION, ids=[p for _, p in CXONE_ADMINISTRATION])
def test_openid_token_of_an_admin_cannot_administer_cxone(server, admin, admin_openid, method, path):
    r = requests.request(method, server.url + path, headers=bearer(admin_openid["access_token"]), timeout=15)
    insufficient_scope_json(r)
    assert "token" not in r.json(), show(r)
    # The user's own credential may (the role allows it).
    r = requests.request(method, server.url + path, headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200, show(r)
    hide_secrets(r.json())


@pytest.mark.parametrize("path", [p for _, p in EXPERT_ADMINISTRATION])
def test_openid_token_of_an_admin_cannot_administer_expert(server, admin, admin_openid, path):
    r = requests.get(server.url + path, params=JSON_OUT, headers=bearer(admin_openid["access_token"]), timeout=15)
    deki_error(r, 403)
    r = requests.get(server.url + path, params=JSON_OUT, headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200, show(r)


def test_expert_oauth_profile_token_cannot_administer(server, admin):
    client = create_expert_client(server, admin.authtoken)
    tokens = expert_code_flow_tokens(server, client)  # signs in as admin
    token = tokens["access_token"]
    r = current_of(server, token)
    assert r.status_code == 200 and r.json()["username"] == "admin", show(r)
    for path in (TOKENS, USERS, AUDIT):
        deki_error(requests.get(server.url + path, params=JSON_OUT, headers=bearer(token), timeout=15), 403)
    insufficient_scope_json(requests.get(server.url + KEYS, headers=bearer(token), timeout=15))


def test_exchanged_openid_token_cannot_administer(server, admin_openid, exchanger):
    r = token_exchange(server, admin_openid["access_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    assert r.status_code == 200, show(r)
    token = secret(r.json()["access_token"])
    assert r.json()["scope"] == "openid", show(r)
    assert userinfo(server, token).status_code == 200
    deki_error(requests.get(server.url + TOKENS, params=JSON_OUT, headers=bearer(token), timeout=15), 403)
    insufficient_scope_json(requests.get(server.url + KEYS, headers=bearer(token), timeout=15))


def test_scope_the_app_did_not_register_is_invalid_scope(server, admin, plain_app, admin_app):
    pages = PageClient(server)
    for app, scope in ((plain_app, "openid " + ADMIN_SCOPE), (admin_app, "openid tessera.superuser"),
                       (admin_app, "openid profile")):
        r = pages.authorize(authorize_params(app, state="s", scope=scope))
        assert r.status_code == 302, page_msg(r)
        location = r.headers["Location"]
        assert location.startswith(app["redirect"] + "?"), redact(location)
        query = query_of(location)
        assert query.get("error") == "invalid_scope" and "code" not in query, redact(location)


def test_a_unicode_spelling_of_a_registered_scope_is_invalid_scope(server, admin):
    """Scope tokens are printable ASCII (RFC 6749 3.3): "\u212ab.read" (Kelvin sign) is not the registered
    "Kb.read", though a Swift String takes one for the other."""
    app = register(server, admin.authtoken, scope=("Kb.read",))
    pages = PageClient(server)
    r = pages.authorize(authorize_params(app, state="s", scope="openid \u212ab.read"))
    assert r.status_code == 302, page_msg(r)
    query = query_of(r.headers["Location"])
    assert query.get("error") == "invalid_scope" and "code" not in query, redact(r.headers["Location"])
    r = pages.authorize(authorize_params(app, state="s", scope="openid Kb.read"))
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)


def test_contributor_is_shown_no_allow_and_forcing_allow_is_access_denied(server, admin, admin_app):
    contributor = create_user(server, admin, "Contributor", fullname="Connie Contributor")
    pages = PageClient(server)
    r = pages.authorize(authorize_params(admin_app, state="adm", scope="openid " + ADMIN_SCOPE))
    r = pages.sign_in(r, contributor)
    assert r.status_code == 200, page_msg(r)
    assert re.search(r"<title>[^<]*Administrative access", r.text), page_msg(r)
    assert "consent" in forms_of(r.text), page_msg(r)
    assert 'value="allow"' not in r.text and 'id="allow"' not in r.text, page_msg(r)
    # A hostile page posts decision=allow anyway.
    r = pages.submit(r, "consent", decision="allow")
    assert r.status_code == 302, page_msg(r)
    query = query_of(r.headers["Location"])
    assert query.get("error") == "access_denied" and "code" not in query, redact(r.headers["Location"])
    assert query.get("state") == "adm"
    # Nothing was recorded: asking again shows the page again, no code.
    r = pages.authorize(authorize_params(admin_app, state="again", scope="openid " + ADMIN_SCOPE))
    assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)


def test_admin_consent_gives_administration_and_withdrawal_ends_everything_it_made(server, admin, tenant_id,
                                                                                    exchanger):
    app = register(server, admin.authtoken, scope=[ADMIN_SCOPE])
    tokens, _ = code_flow(server, app, admin, scope="openid " + ADMIN_SCOPE)
    assert tokens["scope"] == "openid " + ADMIN_SCOPE
    access, refresh_token = tokens["access_token"], tokens["refresh_token"]
    assert claims_of(access)["scope"] == "openid " + ADMIN_SCOPE

    # Administration works with the consented scope.
    r = requests.get(server.url + TOKENS, params=JSON_OUT, headers=bearer(access), timeout=15)
    assert r.status_code == 200, show(r)
    r = create_developer_token(server, access, {"@type": "server", "name": unique("made by app")})
    assert r.status_code == 200, show(r)
    token_id = r.json()["@id"]
    r = requests.post(server.url + KEYS, json={"userId": admin.guid, "tenantId": tenant_id}, headers=bearer(access),
                      timeout=15)
    assert r.status_code == 201, show(r)
    key = json_of(r)["accessKey"]
    assert access_key_tokens(server, key).status_code == 200
    # A token exchanged from it belongs to the same session.
    r = token_exchange(server, access, ACCESS_TOKEN_TYPE, auth=(exchanger["client_id"], exchanger["secret"]),
                       scope="openid")
    assert r.status_code == 200, show(r)
    exchanged = secret(r.json()["access_token"])
    assert userinfo(server, exchanged).status_code == 200

    # The admin withdraws the consent with their own credential.
    r = requests.delete(f"{server.url}{AUTHORIZATIONS}/{app['client_id']}", headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 204, show(r)

    assert userinfo(server, access).status_code == 401
    oauth_refused(oidc_refresh(server, app, refresh_token), 400, "invalid_grant")
    r = requests.get(f"{server.url}{TOKENS}/{token_id}", params=JSON_OUT, headers=bearer(admin.authtoken), timeout=15)
    deki_error(r, 404)
    r = access_key_tokens(server, key)
    oauth_refused(r, 400, "invalid_grant")
    no_leak(r, key["accessKeySecret"])
    assert userinfo(server, exchanged).status_code == 401, "the exchanged token outlived the withdrawn consent"
    # The admin's own credential is untouched.
    assert current_of(server, admin.authtoken).status_code == 200


def _first_hand_only(server, admin, target):
    """(id, method, path, params, body kwargs, surface) of what only the user's own credential may do."""
    return [
        ("set-password", "PUT", f"{USERS}/{target['@id']}", {"accountpassword": "app-chosen-pw-1"},
         {"data": "<user/>", "headers": XML}, "expert"),
        ("create-user-with-password", "POST", USERS, {**JSON_OUT, "accountpassword": "app-chosen-pw-1"},
         {"json": {"username": unique("app-made"), "permissions.user": {"role": "Admin"}}}, "expert"),
        ("generate-key", "POST", BASIC_TOKEN, None, {}, "cxone"),
        ("legacy-tokens", "PUT", LEGACY, JSON_OUT, {"json": {"enabled": True}}, "expert"),
    ]


@pytest.mark.parametrize("case", ["set-password", "create-user-with-password", "generate-key", "legacy-tokens",
                                  "approve-application"])
def test_admin_scoped_app_token_cannot_do_what_needs_the_users_own_credential(server, admin, admin_scoped, case):
    token = admin_scoped["access_token"]
    target, target_password = make_user(server, admin, unique("target"))
    if case == "approve-application":
        pending = submit(server, admin.authtoken, {"name": unique("pending"), "type": "confidential",
                                                   "redirects": [REDIRECT]})
        r = requests.post(f"{server.url}{APPS}/{pending['trackingNumber']}-approve", headers=bearer(token), timeout=15)
        assert r.status_code == 403, show(r)
        assert json_of(r).get("error") == "insufficient_scope", show(r)
        assert "clientSecret" not in r.text
        r = requests.get(f"{server.url}{APPS}/{pending['trackingNumber']}", headers=bearer(admin.authtoken), timeout=15)
        assert json_of(r)["status"] == "pending", show(r)
        return
    (_, method, path, params, kwargs, surface) = next(c for c in _first_hand_only(server, admin, target) if c[0] == case)
    headers = {**bearer(token), **kwargs.pop("headers", {})}
    r = requests.request(method, server.url + path, params=params, headers=headers, timeout=15, **kwargs)
    if surface == "cxone":
        assert r.status_code == 403, show(r)
        assert json_of(r).get("error") == "insufficient_scope", show(r)
        assert "token" not in r.json(), show(r)
    else:
        deki_error(r, 403)
    # Nothing changed.
    if case == "set-password":
        assert sign_in_utf8(server, target["username"], target_password).status_code == 200
        assert sign_in_utf8(server, target["username"], "app-chosen-pw-1").status_code == 401
    if case == "create-user-with-password":
        r = requests.get(f"{server.url}{USERS}/={kwargs['json']['username']}", params=JSON_OUT,
                         headers=bearer(admin.authtoken), timeout=15)
        assert r.status_code == 404, show(r)
    if case == "legacy-tokens":
        r = requests.get(server.url + LEGACY, params=JSON_OUT, headers=bearer(admin.authtoken), timeout=15)
        assert r.status_code == 200 and r.json().get("enabled") is False, show(r)
    # The same calls with the admin's own credential are not refused for scope (the legitimate path).
    if case == "set-password":
        r = put_user(server, admin.authtoken, target["@id"], "<user/>", params={"accountpassword": "admin-set-pw-1"})
        assert r.status_code == 200, show(r)


def test_first_hand_credentials_administer(server, admin, tenant_id):
    key = create_key(server, admin.authtoken, admin.guid, tenant_id)
    key_access = key_tokens(server, key)["access_token"]
    r = user_refresh(server, basic_token(server, admin.authtoken))
    assert r.status_code == 200, show(r)
    session_token = json_of(r)["token"]
    for name, token in (("auth token", admin.authtoken), ("access-key token", key_access),
                        ("basic-token session", session_token)):
        r = requests.get(server.url + KEYS, headers=bearer(token), timeout=15)
        assert r.status_code == 200, (name, show(r))
        r = requests.get(server.url + TOKENS, params=JSON_OUT, headers=bearer(token), timeout=15)
        assert r.status_code == 200, (name, show(r))


def test_app_token_refreshing_keeps_its_scope_not_the_role(server, admin, admin_openid, plain_app):
    """A refreshed application token is still limited to its scope (refreshing is no way to first-hand)."""
    r = oidc_refresh(server, plain_app, admin_openid["refresh_token"])
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    admin_openid["refresh_token"] = doc["refresh_token"]
    assert claims_of(doc["access_token"]).get("scope") == "openid"
    insufficient_scope_json(requests.get(server.url + KEYS, headers=bearer(doc["access_token"]), timeout=15))


def test_exchange_does_not_hand_an_unregistered_scope_to_another_client(server, admin, admin_scoped, exchanger):
    """A client that registered no tessera.admin and got no administrator's consent must not obtain it by exchanging
    another client's token (rule: an exchanged token carries only consented scopes)."""
    r = token_exchange(server, admin_scoped["access_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    if r.status_code == 200:
        token = secret(r.json()["access_token"])
        scope = r.json().get("scope", "")
        r2 = requests.get(server.url + TOKENS, params=JSON_OUT, headers=bearer(token), timeout=15)
        assert ADMIN_SCOPE not in scope.split() and r2.status_code == 403, \
            f"client {exchanger['client_id']} (no tessera.admin registered) got scope {scope!r} by exchange: {show(r2)}"
    else:
        oauth_refused(r, 400, "invalid_scope")


def test_exchanging_a_first_hand_token_gives_an_application_token(server, admin, tenant_id, exchanger):
    key = create_key(server, admin.authtoken, admin.guid, tenant_id)
    first_hand = key_tokens(server, key)
    assert requests.get(server.url + KEYS, headers=bearer(first_hand["access_token"]), timeout=15).status_code == 200
    r = token_exchange(server, first_hand["access_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    assert r.status_code == 200, show(r)
    token = secret(r.json()["access_token"])
    assert "first_hand" not in claims_of(token), sorted(claims_of(token))
    insufficient_scope_json(requests.get(server.url + KEYS, headers=bearer(token), timeout=15))
    deki_error(requests.get(server.url + TOKENS, params=JSON_OUT, headers=bearer(token), timeout=15), 403)
    # Tessera's own id_token is no access token to exchange.
    r = token_exchange(server, first_hand["id_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    oauth_refused(r, 400, "invalid_grant")


def test_long_term_jwt_regenerated_by_an_app_does_not_outlive_its_consent(server, admin):
    """A tessera.admin token may not give a ten-year JWT to a developer token it did not create (that JWT would outlive
    the consent); the JWT of a token the app did create ends with the consent, as the token is deleted."""
    restricted = create_developer_token(server, admin.authtoken, {"@type": "server", "name": unique("admin own"),
                                                                  "restricted-by-user-id": "1"})
    assert restricted.status_code == 200, show(restricted)
    token_id = restricted.json()["@id"]
    app = register(server, admin.authtoken, scope=[ADMIN_SCOPE])
    tokens, _ = code_flow(server, app, admin, scope="openid " + ADMIN_SCOPE)
    r = requests.put(f"{server.url}{TOKENS}/{token_id}", params=JSON_OUT,
                     data="<developer-token><generate-jwt>true</generate-jwt></developer-token>",
                     headers={**bearer(tokens["access_token"]), **XML}, timeout=15)
    assert r.status_code == 403 and "own credential" in r.json()["message"], show(r)

    created = create_developer_token(server, tokens["access_token"], {"@type": "server", "name": unique("app made"),
                                                                      "restricted-by-user-id": "1"})
    assert created.status_code == 200, show(created)
    r = requests.put(f"{server.url}{TOKENS}/{created.json()['@id']}", params=JSON_OUT,
                     data="<developer-token><generate-jwt>true</generate-jwt></developer-token>",
                     headers={**bearer(tokens["access_token"]), **XML}, timeout=15)
    assert r.status_code == 200, show(r)
    long_term = secret(r.json()["authorization"].partition(" ")[2])
    assert current_of(server, long_term).status_code == 200
    r = requests.delete(f"{server.url}{AUTHORIZATIONS}/{app['client_id']}", headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 204, show(r)
    r = current_of(server, long_term)
    assert r.status_code in (401, 403), \
        f"a long-term JWT the app generated still acts as the admin after the consent was withdrawn: {show(r)}"


# ---------------------------------------------------------------------------------------------------------------
# 2. Token exchange


def test_exchange_by_public_or_unauthenticated_client_is_refused(server, admin, admin_openid):
    public = register(server, admin.authtoken, app_type="public")
    r = token_exchange(server, admin_openid["access_token"], ACCESS_TOKEN_TYPE, client_id=public["client_id"])
    oauth_refused(r, 400, "unauthorized_client")
    r = token_exchange(server, admin_openid["access_token"], ACCESS_TOKEN_TYPE)
    oauth_refused(r, 401, "invalid_client")


def test_exchange_cannot_widen_scope(server, admin_openid, admin_app):
    """Even a client that registered tessera.admin cannot turn an openid subject into an administrative token."""
    for app in (admin_app,):
        r = token_exchange(server, admin_openid["access_token"], ACCESS_TOKEN_TYPE,
                           auth=(app["client_id"], app["secret"]), scope="openid " + ADMIN_SCOPE)
        oauth_refused(r, 400, "invalid_scope")


def test_exchanged_token_does_not_outlive_its_subject(server, admin_openid, exchanger):
    wait = claims_of(admin_openid["access_token"])["iat"] + 1.5 - time.time()
    if wait > 0:
        time.sleep(wait)  # so that an uncapped token would expire after its subject
    r = token_exchange(server, admin_openid["access_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    assert r.status_code == 200, show(r)
    issued = claims_of(secret(r.json()["access_token"]))
    subject = claims_of(admin_openid["access_token"])
    assert issued["iat"] > subject["iat"], "the subject was not older than the exchange: nothing tested"
    assert issued["exp"] <= subject["exp"], (issued["exp"], subject["exp"])
    assert r.json()["expires_in"] <= subject["exp"] - int(time.time()) + 2, r.json()["expires_in"]


@pytest.mark.parametrize("ending", ["revoked", "replayed"])
def test_exchanged_token_belongs_to_the_subjects_session(server, admin, plain_app, exchanger, ending):
    person = create_user(server, admin, "Contributor", fullname="Subject Session")
    tokens, _ = code_flow(server, plain_app, person)
    r = token_exchange(server, tokens["access_token"], ACCESS_TOKEN_TYPE,
                       auth=(exchanger["client_id"], exchanger["secret"]))
    assert r.status_code == 200, show(r)
    exchanged = secret(r.json()["access_token"])
    assert userinfo(server, exchanged).status_code == 200
    assert introspect_doc(server, exchanger, exchanged).get("active") is True

    if ending == "revoked":
        r = endpoint_call(server, REVOKE, rev_client(plain_app), tokens["refresh_token"])
        assert r.status_code == 200, show(r)
    else:
        first = oidc_refresh(server, plain_app, tokens["refresh_token"])
        assert first.status_code == 200, show(first)
        json_of(first)
        oauth_refused(oidc_refresh(server, plain_app, tokens["refresh_token"]), 400, "invalid_grant")

    assert userinfo(server, exchanged).status_code == 401
    doc = introspect_doc(server, exchanger, exchanged)
    assert doc == {"active": False}, redact(json.dumps(doc))
    assert userinfo(server, tokens["access_token"]).status_code == 401


def test_exchanged_external_id_token_gives_identity_only(server, idp, exchanger):
    auth = (exchanger["client_id"], exchanger["secret"])
    r = token_exchange(server, idp.token(unique("ext")), ID_TOKEN_TYPE, auth=auth)
    assert r.status_code == 200, show(r)
    assert r.json()["scope"] == "openid", show(r)
    token = secret(r.json()["access_token"])
    assert userinfo(server, token).status_code == 200
    r = token_exchange(server, idp.token(unique("ext")), ID_TOKEN_TYPE, auth=auth, scope="openid profile")
    oauth_refused(r, 400, "invalid_scope")
    r = token_exchange(server, idp.token(unique("ext")), ID_TOKEN_TYPE, auth=auth, scope="openid " + ADMIN_SCOPE)
    oauth_refused(r, 400, "invalid_scope")


# ---------------------------------------------------------------------------------------------------------------
# 3. Signing out


def test_signing_out_ends_the_code_flow_tokens_of_that_sign_in(server, admin, plain_app):
    person = create_user(server, admin, "Contributor", fullname="Sign Out")
    tokens, pages = code_flow(server, plain_app, person)
    other, other_pages = code_flow(server, plain_app, person)  # another browser, another sign-in
    check(pages.session_cookie() is not None, "no tessera_session cookie after signing in")
    same_cookie = pages.session_cookie() == other_pages.session_cookie()
    assert userinfo(server, tokens["access_token"]).status_code == 200

    sign_out(server, pages)

    assert userinfo(server, tokens["access_token"]).status_code == 401
    oauth_refused(oidc_refresh(server, plain_app, tokens["refresh_token"]), 400, "invalid_grant")
    assert_session_signed_out(pages, plain_app)
    # The other browser's sign-in, and the tokens issued in it, are untouched.
    why = (" (both browsers got the same tessera_session cookie: sign-in sessions of one user started in the same"
           " second are one session)" if same_cookie else "")
    assert userinfo(server, other["access_token"]).status_code == 200, "signing out ended another browser's tokens" + why
    r = oidc_refresh(server, plain_app, other["refresh_token"])
    assert r.status_code == 200, show(r) + why
    json_of(r)
    code_from(other_pages.authorize(authorize_params(plain_app, state="other")), plain_app["redirect"], "other")


@pytest.mark.parametrize("ending", ["sign-out", "password-change", "deactivation", "consent-withdrawn"])
def test_a_code_issued_before_the_session_ended_gives_no_live_tokens(server, admin, plain_app, ending):
    """Beyond the rules as written: a code still unredeemed (up to 60 s) when its sign-in session, the password or
    the consent ends must not be redeemable into tokens that outlive that end."""
    person = create_user(server, admin, "Contributor", fullname="Pending Code")
    pages = PageClient(server)
    code, verifier = pages.code(plain_app, person)
    if ending == "sign-out":
        sign_out(server, pages)
    elif ending == "password-change":
        r = put_user(server, admin.authtoken, person.id, "<user/>", params={"accountpassword": "changed-password-1"})
        assert r.status_code == 200, show(r)
    elif ending == "deactivation":
        set_status(server, admin, person.id, "inactive")
        set_status(server, admin, person.id, "active")
    else:
        r = requests.delete(f"{server.url}{AUTHORIZATIONS}/{plain_app['client_id']}", headers=bearer(person.authtoken),
                            timeout=15)
        assert r.status_code == 204, show(r)
    r = code_exchange(server, plain_app, code, verifier)
    if r.status_code == 200:
        tokens = json_of(r)
        live = userinfo(server, tokens["access_token"]).status_code
        refreshed = oidc_refresh(server, plain_app, tokens["refresh_token"])
        json_of(refreshed) if refreshed.status_code == 200 else None
        assert live == 401 and refreshed.status_code == 400, \
            f"a code issued before {ending} was redeemed into live tokens (userinfo {live}, refresh {refreshed.status_code})"
    else:
        oauth_refused(r, 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------------------------
# 4. Password change and deactivation


class Holdings:
    """A user's code-flow tokens and sign-in session, an access key and its tokens."""

    def __init__(self, server, admin, app, tenant_id):
        self.person = create_user(server, admin, "Contributor", fullname="Held Tokens")
        self.tokens, self.pages = code_flow(server, app, self.person)
        self.key = create_key(server, admin.authtoken, self.person.guid, tenant_id)
        self.key_tokens = key_tokens(server, self.key)


def sign_out(server, pages, **params):
    """The logout page as a person uses it: asked first (no id_token_hint names them), then the confirmation posted."""
    ask = pages.http.get(server.url + LOGOUT, params=params, allow_redirects=False, timeout=15)
    assert ask.status_code == 200 and "signout" in forms_of(ask.text), page_msg(ask)
    done = pages.submit(ask, "signout", url=server.url + LOGOUT)
    assert done.status_code in (200, 302), page_msg(done)
    return done


def test_logout_asks_before_ending_a_session_a_hint_does_not_name(server, admin, plain_app):
    """A link on any page (a cross-site GET carries the Lax session cookie) must not sign a person out and end their
    applications' tokens: without an id_token_hint naming them, the logout page asks, and only the confirmation,
    posted with its CSRF token, signs out."""
    person = create_user(server, admin, "Contributor", fullname="Logout Victim")
    tokens, pages = code_flow(server, plain_app, person)
    other = create_user(server, admin, "Contributor", fullname="Logout Attacker")
    other_tokens, _ = code_flow(server, plain_app, other)
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    for params in ({}, {"id_token_hint": other_tokens["id_token"], "post_logout_redirect_uri": LOGOUT_URI, "state": "s"}):
        r = pages.http.get(server.url + LOGOUT, params=params, headers=cross_site, allow_redirects=False, timeout=15)
        assert r.status_code == 200 and "signout" in forms_of(r.text), page_msg(r)
        assert "tessera_session=;" not in r.headers.get("Set-Cookie", "")
        # A forged confirmation without the page's CSRF token is asked again.
        r = pages.http.post(server.url + LOGOUT, data=params, headers=cross_site, allow_redirects=False, timeout=15)
        assert r.status_code == 200 and "signout" in forms_of(r.text), page_msg(r)
    assert userinfo(server, tokens["access_token"]).status_code == 200
    code_from(pages.authorize(authorize_params(plain_app, state="still", prompt="none")), plain_app["redirect"], "still")
    # Confirmed: signed out, back to the registered URI with the state, the session's tokens ended.
    done = sign_out(server, pages, post_logout_redirect_uri=LOGOUT_URI, client_id=plain_app["client_id"], state="bye")
    assert done.status_code == 302 and done.headers["Location"] == LOGOUT_URI + "?state=bye", page_msg(done)
    assert userinfo(server, tokens["access_token"]).status_code == 401
    # The person's own id_token as the hint signs out at once, as relying parties expect.
    tokens, pages = code_flow(server, plain_app, person)
    r = pages.http.get(server.url + LOGOUT, params={"id_token_hint": tokens["id_token"]}, allow_redirects=False, timeout=15)
    assert r.status_code == 200 and 'id="signed-out"' in r.text, page_msg(r)
    assert userinfo(server, tokens["access_token"]).status_code == 401


def assert_session_signed_out(pages, app):
    r = pages.authorize(authorize_params(app, state="after"))
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)


def test_password_change_ends_tokens_and_session_but_not_the_access_key(server, admin, plain_app, tenant_id):
    held = Holdings(server, admin, plain_app, tenant_id)
    access, refresh_token = held.tokens["access_token"], held.tokens["refresh_token"]
    assert introspect_doc(server, plain_app, access).get("active") is True
    code_from(held.pages.authorize(authorize_params(plain_app, state="before")), plain_app["redirect"], "before")

    r = put_user(server, admin.authtoken, held.person.id, "<user/>", params={"accountpassword": "a-new-password-1"})
    assert r.status_code == 200, show(r)

    assert userinfo(server, access).status_code == 401
    oauth_refused(oidc_refresh(server, plain_app, refresh_token), 400, "invalid_grant")
    assert introspect_doc(server, plain_app, access) == {"active": False}
    assert_session_signed_out(held.pages, plain_app)
    assert current_of(server, held.person.authtoken).status_code == 401
    assert userinfo(server, held.key_tokens["access_token"]).status_code == 401, "an access token issued before lives on"
    # The access key keeps working: new tokens.
    fresh = key_tokens(server, held.key)
    assert userinfo(server, fresh["access_token"]).status_code == 200


def test_deactivation_ends_tokens_and_reactivation_does_not_revive_them(server, admin, plain_app, tenant_id):
    held = Holdings(server, admin, plain_app, tenant_id)
    access, refresh_token = held.tokens["access_token"], held.tokens["refresh_token"]
    set_status(server, admin, held.person.id, "inactive")
    try:
        assert userinfo(server, access).status_code in (401, 403)
        oauth_refused(oidc_refresh(server, plain_app, refresh_token), 400, "invalid_grant")
        oauth_refused(access_key_tokens(server, held.key), 400, "invalid_grant")
    finally:
        set_status(server, admin, held.person.id, "active")
    assert userinfo(server, access).status_code == 401
    oauth_refused(oidc_refresh(server, plain_app, refresh_token), 400, "invalid_grant")
    assert introspect_doc(server, plain_app, access) == {"active": False}
    assert userinfo(server, held.key_tokens["access_token"]).status_code == 401
    assert_session_signed_out(held.pages, plain_app)
    # New ones work.
    tokens, _ = code_flow(server, plain_app, held.person)
    assert userinfo(server, tokens["access_token"]).status_code == 200
    assert userinfo(server, key_tokens(server, held.key)["access_token"]).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# 5. Identity exchange links, never adopts


def test_identity_exchange_never_takes_over_an_existing_account(server, admin, idp):
    local, _ = make_user(server, admin, unique("local"), role="Admin")
    username = local["username"]
    token = idp.token(username, given_name="Mallory", family_name="Impostor")
    r = identity_exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)
    check("authtoken" not in r.cookies, "a refused exchange set a session cookie")
    events = [e for e in audit_events(server, admin.authtoken, limit=200)
              if e["@action"] == "identity.exchange" and e["@outcome"] == "refused"]
    assert any(username in e.get("detail", "") for e in events), [e.get("detail") for e in events][:5]

    r = requests.post(server.url + LINKS, json={"issuer": idp.issuer, "subject": username, "username": username},
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 201, show(r)
    doc = exchanged_user(identity_exchange(server, idp.token(username)), token)
    assert doc["@id"] == local["@id"], (doc["@id"], local["@id"])


def test_identity_link_with_the_cli(server, admin, idp):
    local, _ = make_user(server, admin, unique("cli-linked"))
    username = local["username"]
    token = idp.token(username)
    r = identity_exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)
    result = cli(server, "idp", "link", "--issuer", idp.issuer, "--subject", username, "--username", username)
    assert result.returncode == 0, redact(result.stdout + result.stderr)
    token = idp.token(username)
    doc = exchanged_user(identity_exchange(server, token), token)
    assert doc["@id"] == local["@id"], (doc["@id"], local["@id"])


def test_app_token_cannot_link_an_identity(server, admin, admin_scoped, idp):
    local, _ = make_user(server, admin, unique("no-app-link"))
    r = requests.post(server.url + LINKS, json={"issuer": idp.issuer, "subject": local["username"],
                                                "username": local["username"]},
                      headers=bearer(admin_scoped["access_token"]), params=JSON_OUT, timeout=15)
    assert r.status_code == 403, show(r)
    token = idp.token(local["username"])
    r = identity_exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)


def test_kelvin_sign_spelling_of_an_existing_user_is_refused(server, admin, idp):
    """U+212A KELVIN SIGN is canonically K: NFC makes "\u212aate" the name "Kate", which is taken."""
    tag = uuid.uuid4().hex[:8]
    local, password = make_user(server, admin, f"Kate-{tag}")
    token = idp.token(f"\u212aate-{tag}")
    r = identity_exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)
    r = sign_in_utf8(server, f"\u212aate-{tag}", password)
    assert r.status_code == 200 and current_of(server, secret(r.text)).json()["@id"] == local["@id"], show(r)


def test_cyrillic_look_alike_is_a_different_user(server, admin, idp):
    tag = uuid.uuid4().hex[:8]
    latin, _ = make_user(server, admin, f"bob-{tag}")
    look_alike = f"b\u043eb-{tag}"
    token = idp.token(look_alike)
    doc = exchanged_user(identity_exchange(server, token), token)
    assert doc["@id"] != latin["@id"], "the Cyrillic look-alike signed in as the Latin user"
    assert doc["username"] == look_alike, doc["username"]


def test_nfd_spelling_of_an_nfc_user_is_the_same_name(server, admin, idp):
    tag = uuid.uuid4().hex[:8]
    nfc, nfd = f"zo\u00eb-{tag}", f"zoe\u0308-{tag}"
    local, password = make_user(server, admin, nfc)
    assert local["username"] == nfc
    token = idp.token(nfd)
    r = identity_exchange(server, token)
    assert r.status_code == 403 and "not linked" in r.text, show(r)
    # Other spellings of the same name: upper case, upper case decomposed.
    for variant in (nfc.upper(), nfd.upper()):
        token = idp.token(variant)
        r = identity_exchange(server, token)
        assert r.status_code == 403 and "not linked" in r.text, (ascii(variant), show(r))
    # Basic with the NFD spelling signs in the NFC account.
    r = sign_in_utf8(server, nfd, password)
    assert r.status_code == 200, show(r)
    me = current_of(server, secret(r.text))
    assert me.status_code == 200 and me.json()["@id"] == local["@id"], show(me)


# ---------------------------------------------------------------------------------------------------------------
# 6. Nothing usable at rest


def _derive256(master, label, *parts):
    message = b"".join(f"{len(p.encode())}:".encode() + p.encode() for p in (label, *parts))
    return hmac.new(master, message, hashlib.sha256).digest()


def _auth_token(key, site_id, user_id, stamp, expires):
    """An auth token as README and the server build it: {userId}_{expiry}_{HMAC-SHA256 hex} over
    "authtoken|{site}|{userId}|{expiry}|{securityStamp}"."""
    message = f"authtoken|{site_id}|{user_id}|{expires}|{stamp}".encode()
    return secret(f"{user_id}_{expires}_{hmac.new(key, message, hashlib.sha256).hexdigest()}")


def test_stored_auth_token_key_is_sealed_and_forges_nothing(server, admin):
    with sqlite_ro(server.data_dir) as db:
        site_id, stored = db.execute("SELECT id, auth_token_key FROM sites WHERE is_default = 1").fetchone()
        stamp = db.execute("SELECT security_stamp FROM users WHERE site_id = ? AND id = 1", (site_id,)).fetchone()[0]
    stored = bytes(stored)
    assert len(stored) != 32, "the site's auth-token key is stored as 32 bare bytes"
    expires = int(time.time()) + 3600
    forged = _auth_token(stored, site_id, 1, stamp, expires)
    r = current_of(server, forged)
    assert r.status_code in (401, 403), f"an auth token forged with the stored key was accepted: {show(r)}"

    # Control: the construction is right -- with the key unsealed under master.key the same forgery works. (So the
    # database alone yields nothing; the data directory with master.key does.)
    with open(os.path.join(server.data_dir, "master.key")) as f:
        master = bytes.fromhex(f.read().strip())
    key = AESGCM(_derive256(master, "site-auth-token-key", site_id)).decrypt(stored[:12], stored[12:], None)
    assert len(key) == 32
    r = current_of(server, _auth_token(key, site_id, 1, stamp, expires))
    assert r.status_code == 200 and r.json()["username"] == "admin", show(r)


def test_data_directory_and_database_are_owner_only(server):
    assert mode_of(server.data_dir) == 0o700, oct(mode_of(server.data_dir))
    for name in ("tessera.sqlite", "tessera.sqlite-wal", "tessera.sqlite-shm", "master.key"):
        path = os.path.join(server.data_dir, name)
        assert os.path.exists(path), name
        assert mode_of(path) == 0o600, (name, oct(mode_of(path)))


def test_loose_permissions_are_tightened_at_start():
    first = Server()
    first.stop()
    os.chmod(first.data_dir, 0o755)
    for name in ("tessera.sqlite", "tessera.sqlite-wal", "tessera.sqlite-shm"):
        path = os.path.join(first.data_dir, name)
        if os.path.exists(path):
            os.chmod(path, 0o644)
    second = Server(data_dir=first.data_dir)
    try:
        assert mode_of(second.data_dir) == 0o700, oct(mode_of(second.data_dir))
        for name in ("tessera.sqlite", "tessera.sqlite-wal", "tessera.sqlite-shm"):
            path = os.path.join(second.data_dir, name)
            if os.path.exists(path):
                assert mode_of(path) == 0o600, (name, oct(mode_of(path)))
        assert "tightened permissions" in second.output(), redact(second.output()[-2000:])
    finally:
        second.stop()


# ---------------------------------------------------------------------------------------------------------------
# 7. Redirects


BAD_SIGN_IN_REDIRECTS = [
    ("tab", "/\t/evil.example"),
    ("backslash", "/\\evil.example"),
    ("newline", "/\n/evil.example"),
    ("carriage-return", "/\r/evil.example"),
    ("leading-space", " /x"),
    ("absolute-foreign", "https://evil.example"),
    ("tab-before-slashes", "\t//evil.example"),
    ("ideographic-space", "/\u3000/evil.example"),
    ("zero-width-space", "/\u200b/evil.example"),
    # Two slashes then a mark that joins the second into one character: still a host to a browser, which drops the
    # variation selector from it (IDNA) and goes to evil.example.
    ("slashes-then-variation-selector", "//\ufe0fevil.example"),
    ("slashes-then-combining-mark", "//\u064bevil.example"),
]


@pytest.mark.parametrize("target", [t for _, t in BAD_SIGN_IN_REDIRECTS], ids=[i for i, _ in BAD_SIGN_IN_REDIRECTS])
def test_sign_in_refuses_redirects_that_leave_the_site(server, target):
    r = requests.get(server.url + AUTHENTICATE, params={"redirect": target}, auth=("admin", ADMIN_PASSWORD),
                     allow_redirects=False, timeout=15)
    assert r.status_code == 400, (r.status_code, r.headers.get("Location"))
    assert "Location" not in r.headers
    assert "authtoken" not in r.cookies


@pytest.mark.parametrize("raw", ["/%09/evil.example", "/%5Cevil.example", "%20/x", "/%0a/evil.example"])
def test_sign_in_refuses_percent_encoded_redirects_that_decode_to_a_way_out(server, raw):
    r = requests.get(f"{server.url}{AUTHENTICATE}?redirect={raw}", auth=("admin", ADMIN_PASSWORD),
                     allow_redirects=False, timeout=15)
    assert r.status_code == 400, (r.status_code, r.headers.get("Location"))
    assert "Location" not in r.headers


def test_sign_in_redirects_to_a_plain_path(server):
    r = requests.get(server.url + AUTHENTICATE, params={"redirect": "/path/on/site?x=1"},
                     auth=("admin", ADMIN_PASSWORD), allow_redirects=False, timeout=15)
    assert r.status_code == 302, show(r)
    assert r.headers["Location"] == "/path/on/site?x=1"


@pytest.mark.parametrize("suffix", ["\t", " ", "\n", "%09"])
def test_authorize_refuses_a_registered_redirect_uri_with_a_suffix(server, plain_app, suffix):
    pages = PageClient(server)
    r = pages.authorize(authorize_params({**plain_app, "redirect": plain_app["redirect"] + suffix}, state="s"))
    assert_error_page(r, 400)
    # The registered one is served.
    r = pages.authorize(authorize_params(plain_app, state="s"))
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)


def test_authorize_and_logout_match_registered_uris_by_bytes(server, admin):
    """A URI equal to the registered one only under Unicode canonical equivalence (U+212A KELVIN SIGN for K, U+037E
    for ;) is another URI (RFC 6749 3.1.2.3): no code and no sign-out redirect go to it."""
    app = register(server, admin.authtoken, redirect="https://app.example.org/OK/cb;v=1", logouts=("https://app.example.org/OK/bye",))
    pages = PageClient(server)
    for look_alike in ("https://app.example.org/O\u212a/cb;v=1", "https://app.example.org/OK/cb\u037ev=1"):
        r = pages.authorize(authorize_params({**app, "redirect": look_alike}, state="s"))
        assert_error_page(r, 400)
    r = requests.get(server.url + LOGOUT, params={"client_id": app["client_id"], "state": "s",
                                                  "post_logout_redirect_uri": "https://app.example.org/O\u212a/bye"},
                     allow_redirects=False, timeout=15)
    assert_error_page(r, 400)
    # The registered spellings are served.
    r = pages.authorize(authorize_params(app, state="s"))
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
    r = requests.get(server.url + LOGOUT, params={"client_id": app["client_id"], "state": "s",
                                                  "post_logout_redirect_uri": "https://app.example.org/OK/bye"},
                     allow_redirects=False, timeout=15)
    assert r.status_code == 302 and r.headers["Location"] == "https://app.example.org/OK/bye?state=s", page_msg(r)


def test_logout_refuses_a_post_logout_redirect_with_a_tab(server, plain_app):
    for uri in (LOGOUT_URI + "\t", "\t" + LOGOUT_URI, LOGOUT_URI + " "):
        r = requests.get(server.url + LOGOUT, params={"client_id": plain_app["client_id"],
                                                      "post_logout_redirect_uri": uri, "state": "s"},
                         allow_redirects=False, timeout=15)
        assert_error_page(r, 400)
    r = requests.get(server.url + LOGOUT, params={"client_id": plain_app["client_id"],
                                                  "post_logout_redirect_uri": LOGOUT_URI, "state": "s"},
                     allow_redirects=False, timeout=15)
    assert r.status_code == 302 and r.headers["Location"] == LOGOUT_URI + "?state=s", page_msg(r)


# ---------------------------------------------------------------------------------------------------------------
# 8. Throttling and proxies


def _fail_in_parallel(server, username, forwarded_fors, workers=5):
    def attempt(xff):
        return requests.get(server.url + AUTHENTICATE, auth=(username, "wrong-password-x"),
                            headers={"X-Forwarded-For": xff}, timeout=30).status_code
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(attempt, forwarded_fors))


def test_trusted_proxy_failures_from_many_addresses_do_not_lock_out_the_user():
    s = Server(extra_args=["--trusted-proxies", "127.0.0.1/32"])
    try:
        admin = User(s, "admin", ADMIN_PASSWORD)
        victim = create_user(s, admin, "Contributor", fullname="Victim")
        statuses = _fail_in_parallel(s, victim.username, [f"203.0.113.{i}" for i in range(1, 16)])
        assert statuses == [401] * 15, statuses
        r = requests.get(s.url + AUTHENTICATE, auth=(victim.username, victim.password),
                         headers={"X-Forwarded-For": "198.51.100.7"}, timeout=30)
        assert r.status_code == 200, show(r)
        # The identity headers never reflect the forwarded address.
        r = gateway_check(s, headers={**bearer(victim.authtoken), "X-Forwarded-For": "203.0.113.99"})
        assert r.status_code == 200, show(r)
        assert not [n for n in IDENTITY if "203.0.113" in r.headers.get(n, "")]
        assert not [n for n in r.headers if n.lower().startswith("x-tessera") and "203.0.113" in r.headers[n]]
    finally:
        s.stop()


def test_a_joining_mark_in_forwarded_does_not_choose_the_client_address():
    """The proxy appends `, for=<its peer>` to the client's Forwarded header. A client that ends its own element with
    U+0600 (which joins the character after it) must not swallow that comma: its failures still count against
    the address the proxy saw, and the throttle closes."""
    s = Server(extra_args=["--trusted-proxies", "127.0.0.1/32"])
    try:
        admin = User(s, "admin", ADMIN_PASSWORD)
        victim = create_user(s, admin, "Contributor", fullname="Victim")
        statuses = []
        for i in range(14):
            forwarded = f"for=203.0.113.{i + 1};by=\u0600, for=198.51.100.9".encode()
            statuses.append(requests.get(s.url + AUTHENTICATE, auth=(victim.username, "wrong-password-x"),
                                         headers={"Forwarded": forwarded}, timeout=30).status_code)
        assert 429 in statuses and set(statuses) <= {401, 429}, statuses
        assert statuses[-1] == 429, statuses
    finally:
        s.stop()


def test_a_nul_in_a_name_or_id_is_refused_not_cut(server):
    """SQLite cut bound text at a NUL, so the sign-in form's `admin%00<anything>` signed in as admin under a new
    throttle key each time. Every store look-up now refuses such text: 400, no session, and the OAuth endpoints say
    invalid_request (not a 503)."""
    browser = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(server.url + "/", timeout=15).text).group(1)
    r = browser.post(server.url + "/", data=f"csrf={csrf}&username=admin%00{unique('x')}&password={quote(ADMIN_PASSWORD)}",
                     headers={"Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False, timeout=15)
    assert r.status_code == 400, (r.status_code, r.headers.get("Location"))
    assert not [c for c in browser.cookies if "session" in c.name.lower()]
    r = requests.post(server.url + "/authentication/v1/token/access-key", json={"accessKeyId": "k\u0000x", "accessKeySecret": "s"},
                      timeout=15)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", show(r)
    r = requests.post(server.url + "/auth/token", data="grant_type=refresh_token&refresh_token=r&client_id=c%00x&client_secret=s",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=15)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", show(r)


def test_guessing_device_user_codes_is_throttled():
    """RFC 8628 5.1: a user code has about 35 bits, safe only while guesses are few. Unknown codes from one address
    slow down, then the address is refused (429); on a server of its own, since every test shares 127.0.0.1."""
    s = Server()
    try:
        alphabet = "BCDFGHJKLMNPQRSTVWXZ"

        def guess(_):
            code = "".join(random.choice(alphabet) for _ in range(8))
            return requests.get(s.url + "/@app/auth/1/token/device", params={"user_code": code[:4] + "-" + code[4:]},
                                timeout=60).status_code
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(guess, range(36)))
        # 20 unknown codes block the address; up to 7 more may already be past the check when the 20th is counted.
        assert set(statuses) <= {400, 429}, statuses
        assert statuses.count(400) <= 20 + 7 and 429 in statuses, statuses
        assert guess(0) == 429
    finally:
        s.stop()


def test_forwarded_for_is_ignored_without_trusted_proxies():
    s = Server()
    try:
        admin = User(s, "admin", ADMIN_PASSWORD)
        victim = create_user(s, admin, "Contributor", fullname="Victim")
        statuses = _fail_in_parallel(s, victim.username, [f"203.0.113.{i}" for i in range(1, 11)])
        assert statuses == [401] * 10, statuses
        r = requests.get(s.url + AUTHENTICATE, auth=(victim.username, victim.password),
                         headers={"X-Forwarded-For": "198.51.100.7"}, timeout=30)
        assert r.status_code == 429, show(r)
        assert "authtoken" not in r.cookies
        forged = {"X-Forwarded-For": "198.51.100.66", "X-Tessera-Username": "admin", "X-Tessera-User-Id": "1",
                  "Forwarded": "for=198.51.100.66"}
        r = gateway_check(s, headers={**bearer(admin.authtoken), **forged})
        assert r.status_code == 200, show(r)
        assert r.headers.get("X-Tessera-User-Id") == admin.id
        assert not [n for n in r.headers if n.lower().startswith("x-tessera") and "198.51.100" in r.headers[n]]
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------------------------
# 9. Smaller holes


GATEWAY_NAMES = ["a%b", "a b", "zo\u00eb", "o'brien", 'q"u,o;t=e', "nb\u00a0sp", "a+b=c&d", "~ok_-.", "\u0431\u043e\u0431"]


@pytest.mark.parametrize("stem", GATEWAY_NAMES, ids=[quote(n, safe="") for n in GATEWAY_NAMES])
def test_gateway_username_header_percent_encodes_every_reserved_byte(server, admin, stem):
    username = f"{stem}{uuid.uuid4().hex[:6]}"
    doc, password = make_user(server, admin, username)
    r = sign_in_utf8(server, username, password)
    assert r.status_code == 200, show(r)
    r = gateway_check(server, headers=bearer(secret(r.text)))
    assert r.status_code == 200, show(r)
    expected = quote(doc["username"], safe="")
    assert re.fullmatch(r"[A-Za-z0-9._~%-]*", expected)
    assert r.headers.get("X-Tessera-Username") == expected, (r.headers.get("X-Tessera-Username"), expected)


def test_answers_with_secrets_are_no_store(server, admin, tenant_id, plain_app, exchanger, idp):
    answers = {}
    person = create_user(server, admin, "Contributor", fullname="No Store")
    r = create_developer_token(server, admin.authtoken, {"@type": "server", "name": unique("no-store"),
                                                         "restricted-by-user-id": person.id})
    answers["developer-token create"] = r
    r2 = requests.put(f"{server.url}{TOKENS}/{r.json()['@id']}", params=JSON_OUT,
                      data="<developer-token><generate-jwt>true</generate-jwt></developer-token>",
                      headers={**bearer(admin.authtoken), **XML}, timeout=15)
    assert r2.status_code == 200, show(r2)
    secret((r2.json().get("authorization") or " ").partition(" ")[2])
    answers["developer-token generate-jwt"] = r2
    r = requests.post(server.url + KEYS, json={"userId": person.guid, "tenantId": tenant_id},
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 201, show(r)
    key = json_of(r)["accessKey"]
    answers["access-key create"] = r
    pending = submit(server, admin.authtoken, {"name": unique("no-store app"), "type": "backend"})
    r = requests.post(f"{server.url}{APPS}/{pending['trackingNumber']}-approve", headers=bearer(admin.authtoken),
                      timeout=15)
    assert r.status_code == 200, show(r)
    json_of(r)
    answers["application approval"] = r
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(person.authtoken), timeout=15)
    assert r.status_code == 200, show(r)
    answers["basic token"] = r
    r = user_refresh(server, json_of(r)["token"])
    answers["/public/user/refresh"] = r
    r = access_key_tokens(server, key)
    answers["access-key token"] = r
    tokens_r = None
    pages = PageClient(server)
    code, verifier = pages.code(plain_app, person)
    tokens_r = code_exchange(server, plain_app, code, verifier)
    answers["/auth/token authorization_code"] = tokens_r
    tokens = json_of(tokens_r)
    answers["/auth/token refresh_token"] = oidc_refresh(server, plain_app, tokens["refresh_token"])
    answers["/auth/token token-exchange"] = token_exchange(server, tokens["access_token"], ACCESS_TOKEN_TYPE,
                                                           auth=(exchanger["client_id"], exchanger["secret"]))
    id_token = idp.token(unique("nostore"))
    answers["/@app/auth/token/exchange"] = identity_exchange(server, id_token)
    answers["users/authenticate"] = sign_in_utf8(server, person.username, person.password)
    answers["users/authenticate?redirect"] = requests.get(server.url + AUTHENTICATE, params={"redirect": "/x"},
                                                          auth=(person.username, person.password),
                                                          allow_redirects=False, timeout=15)
    for name, r in answers.items():
        assert r.status_code in (200, 201, 302), (name, show(r))
    missing = {name: r.headers.get("Cache-Control") for name, r in answers.items()
               if "no-store" not in r.headers.get("Cache-Control", "")}
    assert not missing, missing


def _browser_token(server, admin, host):
    r = requests.post(server.url + TOKENS, params=JSON_OUT, headers={**bearer(admin.authtoken), **XML},
                      data=f"<developer-token type='browser'><name>{unique('browser')}</name><host>{host}</host>"
                           "</developer-token>", timeout=15)
    assert r.status_code == 200, show(r)
    return r.json()["key"]


@pytest.mark.parametrize("host, origin, allowed", [
    ("app.example.com", "http://app.example.com", False),
    ("app.example.com", "https://app.example.com", True),
    ("http://app.example.com", "http://app.example.com", True),
    ("localhost:3000", "http://localhost:3000", True),
    ("localhost:3000", "http://localhost:3001", False),
    ("*.partner.example", "http://x.partner.example", False),
    ("*.partner.example", "https://x.partner.example", True),
])
def test_browser_token_origin_schemes(server, admin, host, origin, allowed):
    key = _browser_token(server, admin, host)
    r = requests.get(server.url + CURRENT, params=JSON_OUT, headers={"X-Deki-Token": key, "Origin": origin}, timeout=15)
    if allowed:
        assert r.status_code == 200, show(r)
        assert r.headers.get("Access-Control-Allow-Origin") == origin
    else:
        deki_error(r, 403)
        assert "Access-Control-Allow-Origin" not in r.headers


def test_a_look_alike_key_neither_hides_nor_finds_a_browser_token(server, admin):
    """U+212A KELVIN SIGN is canonically K: sent first, a look-alike of a token's key must not make the real key
    unknown; sent after, it must not be taken for the real key."""
    key = "K" + unique("lookalike")
    r = requests.post(server.url + TOKENS, params=JSON_OUT, headers={**bearer(admin.authtoken), **XML},
                      data=f"<developer-token type='browser'><name>{unique('browser')}</name><key>{key}</key>"
                           "<host>app.example.com</host></developer-token>", timeout=15)
    assert r.status_code == 200, show(r)
    origin = {"Origin": "https://app.example.com"}
    look_alike = ("\u212a" + key[1:]).encode()
    for attempt in range(2):
        r = requests.get(server.url + CURRENT, params=JSON_OUT, headers={"X-Deki-Token": look_alike, **origin}, timeout=15)
        deki_error(r, 403)
        assert "Access-Control-Allow-Origin" not in r.headers
        r = requests.get(server.url + CURRENT, params=JSON_OUT, headers={"X-Deki-Token": key, **origin}, timeout=15)
        assert r.status_code == 200, show(r)


CROSS_SITE = [
    ("sec-fetch-site-cross-site", {"Sec-Fetch-Site": "cross-site"}, False),
    ("foreign-origin", {"Origin": "https://evil.example"}, False),
    ("null-origin", {"Origin": "null"}, False),
    ("own-origin-port-differs", {"Origin": "http://127.0.0.1:1"}, False),
    ("own-origin", {"Origin": "OWN"}, True),
    ("same-origin-fetch", {"Sec-Fetch-Site": "same-origin", "Origin": "OWN"}, True),
    ("no-origin", {}, True),
]


@pytest.mark.parametrize("endpoint", ["users/authenticate", "users/authenticate POST", "token/exchange"])
@pytest.mark.parametrize("case, headers, allowed", CROSS_SITE, ids=[c[0] for c in CROSS_SITE])
def test_cookie_setting_sign_in_refuses_cross_site_browsers(server, idp, endpoint, case, headers, allowed):
    headers = {k: (server.url if v == "OWN" else v) for k, v in headers.items()}
    if endpoint.startswith("users/authenticate"):
        r = requests.request("POST" if endpoint.endswith("POST") else "GET", server.url + AUTHENTICATE,
                             auth=("admin", ADMIN_PASSWORD), headers=headers, allow_redirects=False, timeout=15)
    else:
        token = idp.token(unique("xsite"))
        r = requests.post(server.url + EXPERT_EXCHANGE, data=str(token).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded", **headers}, timeout=15)
    if allowed:
        assert r.status_code == 200, show(r)
        check("authtoken" in r.cookies, "an allowed sign-in set no authtoken cookie")
        secret(r.cookies.get("authtoken"))
    else:
        assert r.status_code == 403, show(r)
        assert "Set-Cookie" not in r.headers, redact(r.headers.get("Set-Cookie", ""))


def test_refused_credentials_are_aggregated_in_the_audit_trail():
    s = Server()
    try:
        admin_token = secret(s.sign_in())
        bogus = secret(f"1_{int(time.time()) + 3600}_{'0' * 64}")
        statuses = [requests.get(s.url + CURRENT, headers=bearer(bogus), timeout=10).status_code for _ in range(25)]
        assert set(statuses) <= {401, 403} and len(statuses) == 25, statuses
        events = [e for e in audit_events(s, admin_token) if e["@action"] == "credential.refused"]
        assert 1 <= len(events) <= 2, [(e["@date"], e.get("detail")) for e in events]
        reasons = {e.get("detail") for e in events}
        assert len(reasons) == 1, reasons
        assert all(e["client-address"] == "127.0.0.1" for e in events), events
        # The API's count attribute and the stored count agree.
        assert sum(int(e["@count"]) for e in events) == 25, events
        with sqlite_ro(s.data_dir) as db:
            rows = db.execute("SELECT count, detail FROM audit_events WHERE action = 'credential.refused'").fetchall()
        assert 1 <= len(rows) <= 2 and sum(c for c, _ in rows) == 25, rows
    finally:
        s.stop()


def test_refusals_cannot_be_split_by_attacker_chosen_text():
    """Beyond the rules: a browser token's key is public (it sits in a web page); refusals of it with ever new Origin
    values must still aggregate per reason, address and minute, not become one row each."""
    s = Server()
    try:
        admin_token = secret(s.sign_in())
        r = requests.post(s.url + TOKENS, params=JSON_OUT, headers={**bearer(admin_token), **XML}, timeout=15,
                          data="<developer-token type='browser'><name>public key</name><host>app.example.com</host>"
                               "</developer-token>")
        assert r.status_code == 200, show(r)
        key = r.json()["key"]
        for i in range(25):
            r = requests.get(s.url + CURRENT, headers={"X-Deki-Token": key, "Origin": f"https://flood{i}.example"},
                             timeout=10)
            assert r.status_code == 403, show(r)
        events = [e for e in audit_events(s, admin_token) if e["@action"] == "credential.refused"]
        assert 1 <= len(events) <= 2, f"25 refusals of one kind made {len(events)} audit rows: " + \
            redact(repr([e.get("detail") for e in events][:3]))
        assert sum(int(e["@count"]) for e in events) == 25, events
    finally:
        s.stop()


def test_audit_retention_forgets_old_events():
    s = Server(extra_args=["--audit-retention-days", "1"])
    data_dir = s.data_dir
    try:
        admin_token = secret(s.sign_in())
        r = create_developer_token(s, admin_token, {"@type": "server", "name": "retention"})
        assert r.status_code == 200, show(r)
        assert audit_events(s, admin_token)  # flushed
    finally:
        s.stop()
    marker = "retention-marker-" + uuid.uuid4().hex[:8]
    db = sqlite3.connect(os.path.join(data_dir, "tessera.sqlite"))
    try:
        columns = [row[1] for row in db.execute("PRAGMA table_info(audit_events)") if row[1] != "id"]
        source = db.execute(f"SELECT {', '.join(columns)} FROM audit_events ORDER BY id LIMIT 1").fetchone()
        values = dict(zip(columns, source))
        recent = dict(values, detail=marker + "-recent", at=int(time.time()) - 3600, aggregate_key=None)
        values.update(at=int(time.time()) - 3 * 86400, detail=marker, aggregate_key=None)
        for row in (values, recent):
            db.execute(f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       [row[c] for c in columns])
        db.commit()
        assert db.execute("SELECT COUNT(*) FROM audit_events WHERE detail = ?", (marker,)).fetchone()[0] == 1
    finally:
        db.close()
    s = Server(data_dir=data_dir, extra_args=["--audit-retention-days", "1"])
    try:
        admin_token = secret(s.sign_in())
        deadline = time.time() + 10
        while True:
            details = [e.get("detail", "") for e in audit_events(s, admin_token)]
            if marker not in details or time.time() > deadline:
                break
            time.sleep(0.2)
        assert marker not in details, "an audit event 3 days old survived a start with --audit-retention-days 1"
        assert marker + "-recent" in details, "an audit event of an hour ago was forgotten"
    finally:
        s.stop()
