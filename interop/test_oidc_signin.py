"""OpenID Connect sign-in interop tests: the application-registration API (submit, approve, update, disable, enable),
the authorization endpoint's pages (sign-in, consent, errors, sessions, throttling, framing), the authorization-code
grant with PKCE, single-use codes, logout, CORS of the OIDC endpoints and the sign-in page's branding -- driven as
an integrator and a person at a browser would, against a real `tessera serve`.

Everything here is independent client code: requests, a real Chromium through selenium, authlib's and
requests-oauthlib's OAuth2Session (PKCE S256), PyJWT's PyJWKClient; nothing of the server's own code is called.

Secrets (passwords, client secrets, codes, tokens, session cookies) are `Secret` strings (helpers.py), whose repr is
"<secret>"; assertion messages go through `show()`/`redact()`, and conditions on secret values through `check()`.
"""
import base64
import hashlib
import html
import os
import re
import secrets
import subprocess
import threading
import time
import uuid
from types import SimpleNamespace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from requests_oauthlib import OAuth2Session as OAuthlibSession

from conftest import ADMIN_PASSWORD, BIN, Server, free_port
from helpers import (
    User, b64url, bearer, check, create_user, hide_secrets, json_of, no_leak, redact, remember, secret, show, unique,
    wait_for,
)

USERS = "/@api/deki/users"
JSON_OUT = {"dream.out.format": "json"}
BASIC_TOKEN = "/public/user/basic-token"
USER_REFRESH = "/public/user/refresh"
APPS = "/authentication/v1/applications"
AUTHORIZE = "/auth/authorize"
LOGOUT = "/auth/authorize/logout"
TOKEN = "/auth/token"
USERINFO = "/auth/userinfo"
JWKS = "/auth/jwks"
OPENID = "/.well-known/openid-configuration"

SITE_AREA = "na1"
TRACKING = re.compile(r"^TR-\d{10}$")
REGISTERED_ORIGIN = "https://spa.example"
PUBLIC_ORIGIN = "http://localhost:5173"
FOREIGN_ORIGIN = "https://evil.example"
WRONG_PASSWORD_MESSAGE = "The username or password is incorrect."
# ---------------------------------------------------------------------------------------------------------------
# Helpers (the shared ones are in helpers.py; these are copied from test_cxone_auth.py or new)


def oauth_error(r, status, error):
    """`status` with a JSON body whose `error` is `error`; returns the body."""
    assert r.status_code == status, show(r)
    doc = json_of(r)
    assert isinstance(doc, dict) and doc.get("error") == error, show(r)
    assert isinstance(doc.get("error_description"), str) and doc["error_description"], show(r)
    return doc


def api_error(r, status):
    """A registration-API error: `status` and JSON {"error", "error_description", "errorDescription"}."""
    assert r.status_code == status, show(r)
    doc = json_of(r)
    for name in ("error", "error_description", "errorDescription"):
        assert isinstance(doc.get(name), str) and doc[name], (name, show(r))
    return doc


def pkce_pair():
    """(verifier, S256 challenge) made by hand (RFC 7636 §4.1-4.2)."""
    verifier = secret(secrets.token_urlsafe(48))
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def at_hash(access_token):
    """OpenID Connect Core §3.1.3.6: base64url of the left half of SHA-256 of the access token's ASCII."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def cxone_access_token(server, authtoken):
    """Seed 003: the "Generate Key" basic token of the Expert auth token's user, refreshed into a CXone access JWT."""
    r = requests.post(server.url + BASIC_TOKEN, headers=bearer(authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    r = requests.post(server.url + USER_REFRESH, json={"token": json_of(r)["token"]}, timeout=10)
    assert r.status_code == 200, show(r)
    return json_of(r)["token"]


def cli(server, *args):
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True, text=True,
                          timeout=60)


def cli_fields(result):
    """The `name: value` lines of a CLI answer (values that look secret are remembered)."""
    assert result.returncode == 0, redact(result.stderr + result.stdout)
    fields = {}
    for line in result.stdout.splitlines():
        if ": " in line:
            name, value = line.split(": ", 1)
            fields[name.strip()] = secret(value.strip()) if name.strip() == "client_secret" else value.strip()
    return fields


def query_of(url):
    """The query of a URL as a dict of single values (code and tokens remembered as secrets)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    if "code" in query:
        query["code"] = secret(query["code"])
    return query


def hidden_inputs(page, form_id):
    """The hidden inputs of the form `form_id` of an HTML page, unescaped."""
    match = re.search(r'<form[^>]*\bid="%s"[^>]*>(.*?)</form>' % re.escape(form_id), page, re.S)
    assert match, f"no form {form_id!r} on the page: {describe_page(page)}"
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", match.group(1)):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    return fields


def forms_of(page):
    return re.findall(r'<form[^>]*\bid="([^"]+)"', page)


def error_text(page):
    match = re.search(r'<p class="error" id="error"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def describe_page(page):
    """A page, briefly, for assertion messages: its title, forms and error (secrets redacted)."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    return redact(f"title={title.group(1) if title else None!r} forms={forms_of(page)} error={error_text(page)!r}")


def page_msg(r):
    location = r.headers.get("Location")
    return redact(f"{r.request.method} {urlsplit(r.request.url).path} -> {r.status_code} "
                  f"location={location!r} {describe_page(r.text)}")


def assert_page_headers(r):
    """Every page refuses framing and caching."""
    assert r.headers.get("Content-Type", "").startswith("text/html"), page_msg(r)
    assert r.headers.get("X-Frame-Options") == "DENY", r.headers.get("X-Frame-Options")
    csp = r.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, csp
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")


def assert_error_page(r, status=400):
    """An HTML error page: no redirect, the error paragraph."""
    assert r.status_code == status, page_msg(r)
    assert "Location" not in r.headers, page_msg(r)
    assert_page_headers(r)
    assert error_text(r.text), page_msg(r)
    assert not {"signin", "consent"} & set(forms_of(r.text)), page_msg(r)


def assert_redirect_error(r, redirect_uri, error, state):
    """A 302 to the registered redirect URI with error, error_description and the state; no code."""
    assert r.status_code == 302, page_msg(r)
    location = r.headers["Location"]
    assert location.startswith(redirect_uri + "?"), redact(location)
    query = query_of(location)
    assert query.get("error") == error, redact(location)
    assert query.get("error_description"), redact(location)
    assert query.get("state") == state, redact(location)
    assert "code" not in query, redact(location)
    return query


def code_from(r, redirect_uri, state):
    """A 302 to the redirect URI with a code and the state; returns the code."""
    assert r.status_code == 302, page_msg(r)
    location = r.headers["Location"]
    assert location.startswith(redirect_uri + "?"), redact(location)
    query = query_of(location)
    assert "error" not in query, redact(location)
    assert query.get("state") == state, redact(location)
    check(bool(query.get("code")), "no code in the redirect")
    return query["code"]


def token_call(server, data, auth=None, headers=None):
    r = requests.post(server.url + TOKEN, data=data, auth=auth, headers=headers or {}, timeout=15)
    if r.status_code == 200:
        hide_secrets(r.json())
    return r


def exchange(server, app, code, verifier=None, redirect_uri=None):
    """POST /auth/token grant_type=authorization_code with the app's registered client authentication."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri or app["redirect"]}
    if verifier:
        data["code_verifier"] = verifier
    if app["secret"] is None:
        return token_call(server, {**data, "client_id": app["client_id"]})
    if app["auth_method"] == "client_secret_post":
        return token_call(server, {**data, "client_id": app["client_id"], "client_secret": app["secret"]})
    return token_call(server, data, auth=(app["client_id"], app["secret"]))


def refresh(server, app, refresh_token):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if app["secret"] is None:
        return token_call(server, {**data, "client_id": app["client_id"]})
    return token_call(server, data, auth=(app["client_id"], app["secret"]))


def userinfo(server, token):
    return requests.get(server.url + USERINFO, headers=bearer(token), timeout=10)


def verify_id_token(server, id_token, client_id):
    """Verifies an id_token with PyJWKClient against /auth/jwks (key by kid): RS256, aud, iss; returns its claims."""
    header = jwt.get_unverified_header(id_token)
    assert header.get("alg") == "RS256" and header.get("kid"), header
    key = jwt.PyJWKClient(server.url + JWKS).get_signing_key_from_jwt(id_token).key
    return jwt.decode(id_token, key, algorithms=["RS256"], audience=client_id, issuer=server.url,
                      options={"require": ["iss", "sub", "aud", "iat", "exp"]})


def check_id_token(server, tokens, app, user, nonce, tenant_id, started):
    """The id_token of a code exchange: signature, audience, issuer, nonce, auth_time, at_hash, sub and CXone claims."""
    claims = verify_id_token(server, tokens["id_token"], app["client_id"])
    assert claims["iss"] == server.url and not claims["iss"].endswith("/")
    assert claims["aud"] == app["client_id"]
    assert claims["nonce"] == nonce
    assert type(claims.get("auth_time")) is int, claims.get("auth_time")
    assert started - 5 <= claims["auth_time"] <= time.time() + 5, (started, claims["auth_time"])
    check(claims.get("at_hash") == at_hash(tokens["access_token"]), "at_hash is not the left half of SHA-256(access_token)")
    assert claims["sub"] == "user:" + user.guid
    assert claims["tenantId"] == tenant_id
    assert claims["icAgentId"] == str(user.id)
    assert claims["userId"] == user.guid
    assert claims["area"] == SITE_AREA
    return claims


# ---------------------------------------------------------------------------------------------------------------
# The registration API


def api(server, token, method, path="", **kwargs):
    headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
    return requests.request(method, server.url + APPS + path, headers=headers, timeout=15, **kwargs)


def submit(server, token, body):
    r = api(server, token, "POST", json=body)
    assert r.status_code == 201, show(r)
    doc = json_of(r)
    assert TRACKING.match(doc["trackingNumber"]), show(r)
    assert doc["id"] == doc["trackingNumber"], show(r)
    assert doc["status"] == "pending" and doc["credentials"] == [], show(r)
    assert "clientSecret" not in r.text and "clientId" not in r.text, show(r)
    return doc


def approve(server, token, tracking):
    r = api(server, token, "POST", f"/{tracking}-approve")
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert doc["status"] == "approved" and doc["trackingNumber"] == tracking, show(r)
    return doc


def register_app(server, token, app_type, auth_method=None, redirect=None, logouts=(), origins=(), name=None):
    """Submits and approves an application through the API; returns its description (client id, secret, ...)."""
    name = name or unique(f"OIDC {app_type} app")
    body = {"name": name, "type": app_type, "redirects": [redirect] if redirect else [], "logouts": list(logouts),
            "origins": list(origins)}
    if auth_method:
        body["authMethod"] = auth_method
    tracking = submit(server, token, body)["trackingNumber"]
    (credential,) = approve(server, token, tracking)["credentials"]
    return {"name": name, "type": app_type, "tracking": tracking, "client_id": credential["clientId"],
            "secret": credential.get("clientSecret"), "auth_method": auth_method or ("none" if app_type == "public" else
                                                                                   "client_secret_basic"),
            "redirect": redirect, "logout": logouts[0] if logouts else None}


# ---------------------------------------------------------------------------------------------------------------
# A client web site on another loopback port: the redirect and logout targets, and pages that frame others


class ClientSite:
    """A tiny HTTP server recording every request it gets; `pages` maps a path to the HTML it serves."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits = []
        self.pages = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                site.hits.append((parts.path, query_of(self.path)))
                body = site.pages.get(parts.path, '<!DOCTYPE html><p id="client-page">client page</p>').encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------------------------
# A browser without JavaScript: requests.Session following the pages by hand


class PageClient:
    """Drives /auth/authorize with a requests.Session: GET the request, POST the page's form (its hidden inputs plus
    the fields a person fills in) back to the endpoint."""

    def __init__(self, server):
        self.server = server
        self.http = requests.Session()

    def authorize(self, params, method="GET"):
        params = {k: v for k, v in params.items() if v is not None}
        if method == "GET":
            return self.http.get(self.server.url + AUTHORIZE, params=params, allow_redirects=False, timeout=15)
        return self.http.post(self.server.url + AUTHORIZE, data=params, allow_redirects=False, timeout=15)

    def submit(self, page, form_id, url=None, **fields):
        assert page.status_code in (200, 401), page_msg(page)
        data = {**hidden_inputs(page.text, form_id), **fields}
        return self.http.post(url or self.server.url + AUTHORIZE, data=data, allow_redirects=False, timeout=15)

    def sign_in(self, page, user, password=None):
        assert "signin" in forms_of(page.text), page_msg(page)
        return self.submit(page, "signin", username=user.username, password=password or user.password)

    def allow(self, page):
        assert "consent" in forms_of(page.text), page_msg(page)
        return self.submit(page, "consent", decision="allow")

    def session_cookie(self):
        value = self.http.cookies.get("tessera_session")
        return secret(value) if value else None

    def code(self, app, user, state=None, nonce=None, **extra):
        """Sign in (if asked) and consent (if asked); returns (code, verifier)."""
        verifier, challenge = pkce_pair()
        state = state or unique("state")
        params = {**authorize_params(app, state=state, nonce=nonce, challenge=challenge), **extra}
        r = self.authorize(params)
        if r.status_code == 200 and "signin" in forms_of(r.text):
            r = self.sign_in(r, user)
        if r.status_code == 200 and "consent" in forms_of(r.text):
            r = self.allow(r)
        return code_from(r, app["redirect"], state), verifier


def authorize_params(app, state=None, nonce=None, challenge=None, **extra):
    params = {"client_id": app["client_id"], "redirect_uri": app["redirect"], "response_type": "code",
              "scope": "openid", "state": state, "nonce": nonce}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD, role="Admin")


@pytest.fixture(scope="module")
def admin_token(server, admin):
    """The admin's CXone access token, the registration API's bearer."""
    return cxone_access_token(server, admin.authtoken)


@pytest.fixture(scope="module")
def tenant_id(admin_token):
    return jwt.decode(admin_token, options={"verify_signature": False})["tenantId"]


@pytest.fixture(scope="module")
def client_site():
    site = ClientSite()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def apps(server, admin_token, client_site):
    """A confidential app (client_secret_basic) and a public app (PKCE), registered and approved through the API."""
    logout = client_site.url + "/logged-out"
    return {
        "conf": register_app(server, admin_token, "confidential", "client_secret_basic", client_site.url + "/cb/conf",
                             logouts=[logout], origins=[REGISTERED_ORIGIN]),
        "pub": register_app(server, admin_token, "public", redirect=client_site.url + "/cb/public", logouts=[logout],
                            origins=[PUBLIC_ORIGIN]),
    }


@pytest.fixture(scope="module")
def person(server, admin):
    """The person who signs in through the pages."""
    return create_user(server, admin, "Contributor", fullname="Olivia Oidc")


@pytest.fixture()
def fresh_person(server, admin):
    """A person with no session and no grant yet."""
    return create_user(server, admin, "Contributor", fullname="Fresh Person")


@pytest.fixture()
def driver():
    if not os.path.exists("/usr/bin/chromedriver") and not os.environ.get("TESSERA_TEST_REQUIRE_BROWSER"):
        pytest.skip("no /usr/bin/chromedriver (scripts/test installs chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        opts.add_argument(arg)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


# ---------------------------------------------------------------------------------------------------------------
# 1. The registration API


def test_confidential_registration_is_pending_until_approved_then_gets_a_secret_once(server, admin_token, client_site):
    name = unique("Confidential registration")
    body = {"name": name, "description": "interop", "businessUnit": 4321, "contacts": ["dev@example.org"],
            "tenancy": "single", "environments": [SITE_AREA], "type": "confidential",
            "authMethod": "client_secret_post", "redirects": ["https://app.example.org/cb", client_site.url + "/cb/x"],
            "logouts": ["https://app.example.org/bye"], "origins": ["https://App.Example.org"], "scope": "RealTimeApi Admin"}
    doc = submit(server, admin_token, body)
    tracking = doc["trackingNumber"]
    assert doc["name"] == name and doc["type"] == "confidential" and doc["authMethod"] == "client_secret_post"
    assert doc["tenancy"] == "single" and doc["environments"] == [SITE_AREA] and doc["businessUnit"] == 4321
    assert doc["contacts"] == ["dev@example.org"] and doc["isEnabled"] is True
    assert doc["redirects"] == body["redirects"] and doc["logouts"] == body["logouts"]
    assert doc["origins"] == ["https://app.example.org"]  # stored as browsers send them, in lower case
    assert doc["scope"] == ["RealTimeApi", "Admin"]
    # Pending: readable, listed, without any client.
    r = api(server, admin_token, "GET", "/" + tracking)
    assert r.status_code == 200, show(r)
    assert json_of(r)["status"] == "pending" and json_of(r)["credentials"] == [], show(r)

    approved = approve(server, admin_token, tracking)
    (credential,) = approved["credentials"]
    assert credential["environment"] == SITE_AREA
    client_id, client_secret = credential["clientId"], credential["clientSecret"]
    assert str(uuid.UUID(client_id)) == client_id
    check(isinstance(client_secret, str) and len(base64.urlsafe_b64decode(str(client_secret))) == 32,
          "the approval's clientSecret is not 32 bytes of base64url")
    assert approved["approvedBy"] is not None and approved["approvedTime"], approved

    # Approving twice: 409, no new secret.
    r = api(server, admin_token, "POST", f"/{tracking}-approve")
    api_error(r, 409)
    assert "clientSecret" not in r.text, show(r)
    no_leak(r, client_secret)

    # Reading and listing never show a secret again.
    r = api(server, admin_token, "GET", "/" + tracking)
    assert r.status_code == 200, show(r)
    one = json_of(r)
    assert one["status"] == "approved" and one["credentials"] == [{"environment": SITE_AREA, "clientId": client_id}], show(r)
    no_leak(r, client_secret)
    r = api(server, admin_token, "GET")
    assert r.status_code == 200, show(r)
    listed = [a for a in json_of(r)["applications"] if a["trackingNumber"] == tracking]
    assert len(listed) == 1 and listed[0]["credentials"] == [{"environment": SITE_AREA, "clientId": client_id}], show(r)
    assert "clientSecret" not in r.text, show(r)
    no_leak(r, client_secret)

    # The secret works, with the registered method: a made-up code is an invalid grant, a wrong secret a bad client.
    data = {"grant_type": "authorization_code", "code": "not-a-code", "redirect_uri": body["redirects"][0],
            "client_id": client_id}
    oauth_error(token_call(server, {**data, "client_secret": client_secret}), 400, "invalid_grant")
    oauth_error(token_call(server, {**data, "client_secret": "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="}), 401, "invalid_client")


def test_public_registration_gets_a_client_without_secret(server, admin_token):
    doc = submit(server, admin_token, {"name": unique("Public registration"), "type": "public",
                                       "redirects": ["http://localhost:8765/callback", "http://[::1]:8765/cb"]})
    assert doc["authMethod"] == "none" and doc["type"] == "public", doc
    r = api(server, admin_token, "POST", f"/{doc['trackingNumber']}-approve")
    assert r.status_code == 200, show(r)
    (credential,) = json_of(r)["credentials"]
    assert set(credential) == {"environment", "clientId"}, sorted(credential)
    assert "clientSecret" not in r.text, show(r)
    api_error(api(server, admin_token, "POST", f"/{doc['trackingNumber']}-approve"), 409)


def test_type_cannot_change_but_redirects_can(server, admin_token, client_site):
    app = register_app(server, admin_token, "confidential", redirect=client_site.url + "/cb/before")
    r = api(server, admin_token, "PATCH", "/" + app["tracking"], json={"type": "public"})
    doc = api_error(r, 400)
    assert "cannot be changed" in doc["error_description"], show(r)
    r = api(server, admin_token, "GET", "/" + app["tracking"])
    assert json_of(r)["type"] == "confidential", show(r)

    after = client_site.url + "/cb/after"
    r = api(server, admin_token, "PATCH", "/" + app["tracking"], json={"redirects": [after]})
    assert r.status_code == 200, show(r)
    assert json_of(r)["redirects"] == [after], show(r)
    no_leak(r, app["secret"])
    # The authorization endpoint follows at once: the new URI is served, the old one is not registered any more.
    pages = PageClient(server)
    r = pages.authorize(authorize_params({**app, "redirect": after}, state="s"))
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
    assert_error_page(pages.authorize(authorize_params(app, state="s")))


def test_disable_stops_the_client_and_enable_restores_it(server, admin_token, client_site, person):
    app = register_app(server, admin_token, "confidential", redirect=client_site.url + "/cb/toggle")
    pages = PageClient(server)
    code, verifier = pages.code(app, person)

    r = api(server, admin_token, "POST", f"/{app['tracking']}-disable")
    assert r.status_code == 200 and json_of(r)["isEnabled"] is False, show(r)
    assert json_of(api(server, admin_token, "GET", "/" + app["tracking"]))["isEnabled"] is False
    # The token endpoint refuses the client (its code is kept), the authorization endpoint shows an error page.
    oauth_error(exchange(server, app, code, verifier), 401, "invalid_client")
    assert_error_page(pages.authorize(authorize_params(app, state="s")))

    r = api(server, admin_token, "POST", f"/{app['tracking']}-enable")
    assert r.status_code == 200 and json_of(r)["isEnabled"] is True, show(r)
    r = exchange(server, app, code, verifier)
    assert r.status_code == 200, show(r)
    assert userinfo(server, json_of(r)["access_token"]).status_code == 200
    # The session and the grant still hold: a straight redirect with a code.
    code_from(pages.authorize(authorize_params(app, state="again")), app["redirect"], "again")


def test_registration_api_needs_an_admin(server, admin, admin_token, apps):
    tracking = apps["conf"]["tracking"]
    calls = [("GET", "", None), ("POST", "", {"name": "x", "type": "backend"}), ("GET", "/" + tracking, None),
             ("PATCH", "/" + tracking, {"description": "x"}), ("POST", f"/{tracking}-disable", None),
             ("POST", f"/{tracking}-approve", None)]
    viewer = create_user(server, admin, "Viewer", fullname="Vera Viewer")
    contributor = create_user(server, admin, "Contributor", fullname="Carl Contributor")
    contributor_access = cxone_access_token(server, contributor.authtoken)
    for method, path, body in calls:
        api_error(api(server, None, method, path, json=body), 401)
        api_error(api(server, "not-a-token", method, path, json=body), 401)
        api_error(api(server, viewer.authtoken, method, path, json=body), 403)
        api_error(api(server, contributor_access, method, path, json=body), 403)
    # Nothing changed: still enabled, the admin still sees it.
    r = api(server, admin_token, "GET", "/" + tracking)
    assert r.status_code == 200 and json_of(r)["isEnabled"] is True, show(r)


GOOD = {"type": "confidential", "redirects": ["https://app.example.org/cb"]}
BAD_BODIES = [
    ("missing-name", {**GOOD}),
    ("empty-name", {**GOOD, "name": "   "}),
    ("missing-type", {"redirects": ["https://app.example.org/cb"]}),
    ("unknown-type", {**GOOD, "type": "spaceship"}),
    ("public-with-secret-method", {**GOOD, "type": "public", "authMethod": "client_secret_basic"}),
    ("confidential-without-redirects", {"type": "confidential"}),
    ("confidential-empty-redirects", {"type": "confidential", "redirects": []}),
    ("http-redirect-not-loopback", {**GOOD, "redirects": ["http://example.com/cb"]}),
    ("redirect-with-fragment", {**GOOD, "redirects": ["https://app.example.org/cb#fragment"]}),
    ("relative-redirect", {**GOOD, "redirects": ["/cb"]}),
    ("logout-http-not-loopback", {**GOOD, "logouts": ["http://example.com/bye"]}),
    ("origin-with-path", {**GOOD, "origins": ["https://spa.example/app"]}),
    ("contact-not-an-email", {**GOOD, "contacts": ["not-an-email"]}),
    ("single-tenancy-foreign-environment", {**GOOD, "tenancy": "single", "environments": ["eu1"]}),
    ("business-unit-not-a-number", {**GOOD, "businessUnit": "abc"}),
    ("redirects-not-a-list", {**GOOD, "redirects": "https://app.example.org/cb"}),
]


@pytest.mark.parametrize("case, body", BAD_BODIES, ids=[case for case, _ in BAD_BODIES])
def test_bad_registration_is_400(server, admin_token, case, body):
    name = unique("bad-registration")
    body = {"name": name, **body} if case not in ("missing-name", "empty-name") else body
    r = api(server, admin_token, "POST", json=body)
    api_error(r, 400)
    r = api(server, admin_token, "GET")
    assert r.status_code == 200, show(r)
    assert not [a for a in json_of(r)["applications"] if a["name"] == name], f"{case} was registered anyway"


def test_body_that_is_not_a_json_object_is_400(server, admin_token):
    api_error(api(server, admin_token, "POST", json=[{"name": "x", "type": "backend"}]), 400)
    api_error(api(server, admin_token, "POST", data=b"{not json", headers={"Content-Type": "application/json"}), 400)


def test_cli_register_approve_list_disable_enable(server, client_site, person):
    redirect = client_site.url + "/cb/cli"
    name = unique("CLI app")
    fields = cli_fields(cli(server, "app", "register", "--name", name, "--type", "confidential",
                            "--redirect-uri", redirect, "--contact", "ops@example.org"))
    tracking = fields["tracking_number"]
    assert TRACKING.match(tracking) and fields["status"] == "pending", fields
    assert "client_secret" not in fields and "client_id" not in fields, sorted(fields)
    approved = cli_fields(cli(server, "app", "approve", tracking))
    assert approved["environment"] == SITE_AREA, sorted(approved)
    app = {"client_id": approved["client_id"], "secret": approved["client_secret"], "auth_method": "client_secret_basic",
           "redirect": redirect, "tracking": tracking}
    listing = cli(server, "app", "list")
    assert listing.returncode == 0 and tracking in listing.stdout and name in listing.stdout, redact(listing.stdout)
    check(app["secret"] not in listing.stdout, "app list shows a client secret")

    pages = PageClient(server)
    code, verifier = pages.code(app, person)
    assert cli(server, "app", "disable", tracking).returncode == 0
    # A CLI change reaches the running server within 5 s (its cache).
    assert wait_for(lambda: pages.authorize(authorize_params(app, state="s")).status_code == 400, 8, 0.25) is not None, \
        "the CLI's disable did not reach the authorization endpoint within 8 s"
    oauth_error(exchange(server, app, code, verifier), 401, "invalid_client")
    assert cli(server, "app", "enable", tracking).returncode == 0
    assert wait_for(lambda: pages.authorize(authorize_params(app, state="s")).status_code != 400, 8, 0.25) is not None, \
        "the CLI's enable did not reach the authorization endpoint within 8 s"
    r = exchange(server, app, code, verifier)
    assert r.status_code == 200, show(r)


# ---------------------------------------------------------------------------------------------------------------
# 2. The full flow in a real browser, with standard OAuth clients


def wait_until(browser, condition, what, timeout=20):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(browser, timeout).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out waiting for {what}: at {redact(browser.current_url)} "
                    f"{describe_page(browser.page_source)}")


def element(browser, element_id, what=None):
    from selenium.webdriver.common.by import By
    return wait_until(browser, lambda b: (b.find_elements(By.ID, element_id) or [None])[0], what or f"#{element_id}")


def landed(browser, prefix):
    return wait_until(browser, lambda b: b.current_url if b.current_url.startswith(prefix + "?") else None,
                      f"a redirect to {prefix}")


class AuthlibClient:
    """The confidential app as authlib's OAuth2Session (client_secret_basic, PKCE S256)."""

    def __init__(self, server, app):
        self.server, self.app = server, app
        self.verifier = secret(generate_token(64))
        self.session = AuthlibSession(app["client_id"], app["secret"], scope="openid", redirect_uri=app["redirect"],
                                      token_endpoint_auth_method="client_secret_basic", code_challenge_method="S256")

    def authorization_url(self, nonce):
        url, state = self.session.create_authorization_url(self.server.url + AUTHORIZE, code_verifier=self.verifier,
                                                           nonce=nonce, max_age=600)
        return url, state

    def fetch_token(self, response_url):
        token = self.session.fetch_token(self.server.url + TOKEN, authorization_response=response_url,
                                         code_verifier=self.verifier)
        return hide_secrets(dict(token))

    def get(self, url):
        return self.session.get(url, timeout=10)

    def refresh(self):
        return hide_secrets(dict(self.session.refresh_token(self.server.url + TOKEN)))


class OAuthlibClient:
    """The public app as requests-oauthlib's OAuth2Session (client_id in the body, PKCE S256)."""

    def __init__(self, server, app):
        self.server, self.app = server, app
        self.session = OAuthlibSession(app["client_id"], redirect_uri=app["redirect"], scope=["openid"], pkce="S256")

    def authorization_url(self, nonce):
        url, state = self.session.authorization_url(self.server.url + AUTHORIZE, nonce=nonce, max_age=600)
        remember(self.session._code_verifier)
        return url, state

    def fetch_token(self, response_url):
        token = self.session.fetch_token(self.server.url + TOKEN, authorization_response=response_url,
                                         include_client_id=True)
        return hide_secrets(dict(token))

    def get(self, url):
        return self.session.get(url, timeout=10)

    def refresh(self):
        return hide_secrets(dict(self.session.refresh_token(self.server.url + TOKEN, client_id=self.app["client_id"])))


@pytest.mark.parametrize("kind", ["conf", "pub"])
def test_browser_sign_in_consent_code_tokens_refresh_logout(server, apps, person, tenant_id, client_site, driver,
                                                            monkeypatch, kind):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # requests-oauthlib: the server runs on plain loopback http
    app = apps[kind]
    client = AuthlibClient(server, app) if kind == "conf" else OAuthlibClient(server, app)
    nonce = unique("nonce")
    url, state = client.authorization_url(nonce)
    sent = query_of(url)
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"] and sent["state"] == state, sent.keys()
    assert sent["nonce"] == nonce and sent["max_age"] == "600"
    started = int(time.time())

    driver.get(url)
    element(driver, "signin", "the sign-in form")
    assert element(driver, "client-name").text == app["name"]
    # A wrong password: the same page again, with the error.
    element(driver, "username").send_keys(person.username)
    element(driver, "password").send_keys("wrong-" + secrets.token_hex(4))
    element(driver, "submit").click()
    error = element(driver, "error", "the sign-in error")
    assert error.text == WRONG_PASSWORD_MESSAGE, describe_page(driver.page_source)
    element(driver, "signin", "the sign-in form after a wrong password")
    # The right password: the consent page names the app and the person.
    username = element(driver, "username")
    username.clear()
    username.send_keys(person.username)
    element(driver, "password").send_keys(str(person.password))
    element(driver, "submit").click()
    element(driver, "consent", "the consent form")
    assert element(driver, "client-name").text == app["name"]
    assert element(driver, "user").text == person.username
    element(driver, "allow").click()
    response_url = landed(driver, app["redirect"])
    back = query_of(response_url)
    assert back.get("state") == state and "error" not in back, redact(response_url)
    check(bool(back.get("code")), "no code in the redirect")
    assert (urlsplit(app["redirect"]).path, back) in client_site.hits, "the client's redirect URI was not loaded"
    session = {c["name"]: c for c in driver.get_cookies()}.get("tessera_session")
    assert session is not None, sorted(c["name"] for c in driver.get_cookies())
    remember(session["value"])
    assert session["httpOnly"] is True and session.get("sameSite") == "Lax", {k: session.get(k) for k in ("httpOnly", "sameSite")}
    # The CSRF cookie is Lax too: a Strict one, left behind by a navigation from another site, was replaced, and
    # every form open in another tab failed.
    csrf_cookie = {c["name"]: c for c in driver.get_cookies()}.get("tessera_csrf")
    assert csrf_cookie is not None and csrf_cookie["httpOnly"] is True and csrf_cookie.get("sameSite") == "Lax", csrf_cookie and \
        {k: csrf_cookie.get(k) for k in ("httpOnly", "sameSite")}

    # The standard client spends the code (PKCE verifier, its client authentication); the id_token verifies.
    tokens = client.fetch_token(response_url)
    assert tokens["token_type"] == "Bearer"
    check(bool(tokens.get("refresh_token")), "no refresh_token")
    check_id_token(server, tokens, app, person, nonce, tenant_id, started)
    r = client.get(server.url + USERINFO)
    assert r.status_code == 200, show(r)
    assert json_of(r)["sub"] == "user:" + person.guid

    # Refresh rotates; the new access token works.
    renewed = client.refresh()
    check(renewed["refresh_token"] != tokens["refresh_token"], "the refresh token did not rotate")
    check(renewed["access_token"] != tokens["access_token"], "the refresh returned the same access token")
    r = userinfo(server, renewed["access_token"])
    assert r.status_code == 200 and json_of(r)["sub"] == "user:" + person.guid, show(r)

    # Logout through the browser: back to the registered URI with the state, the session cookie gone.
    logout_state = unique("bye")
    driver.get(server.url + LOGOUT + "?" + urlencode({"id_token_hint": tokens["id_token"],
                                                      "post_logout_redirect_uri": app["logout"], "state": logout_state}))
    after = landed(driver, app["logout"])
    assert query_of(after) == {"state": logout_state}, redact(after)
    assert "tessera_session" not in {c["name"] for c in driver.get_cookies()}
    # Signed out: prompt=none says login_required.
    _, challenge = pkce_pair()
    none_state = unique("none")
    driver.get(server.url + AUTHORIZE + "?" + urlencode(authorize_params(app, state=none_state, challenge=challenge,
                                                                         prompt="none")))
    query = query_of(landed(driver, app["redirect"]))
    assert query.get("error") == "login_required" and query.get("state") == none_state, redact(str(query))


# ---------------------------------------------------------------------------------------------------------------
# 3. Framing


def test_authorize_page_is_not_rendered_in_a_frame(server, apps, client_site, driver):
    from selenium.webdriver.common.by import By
    url = server.url + AUTHORIZE + "?" + urlencode(authorize_params(apps["conf"], state="framed"))
    # The headers that forbid framing.
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
    assert_page_headers(r)
    # Top level, the browser shows the sign-in form ...
    driver.get(url)
    element(driver, "signin", "the sign-in form at top level")
    # ... in a frame of another origin it does not, while a framable page in the next frame renders.
    client_site.pages["/framable"] = '<!DOCTYPE html><p id="framable">framable</p>'
    client_site.pages["/frame"] = (f'<!DOCTYPE html><iframe id="auth" src="{html.escape(url)}"></iframe>'
                                   f'<iframe id="control" src="{client_site.url}/framable"></iframe>')
    driver.get(client_site.url + "/frame")
    time.sleep(2)  # let both frames load (or fail to)
    driver.switch_to.frame(driver.find_element(By.ID, "control"))
    assert driver.find_elements(By.ID, "framable"), "the control frame did not render: the framing check proves nothing"
    driver.switch_to.default_content()
    driver.switch_to.frame(driver.find_element(By.ID, "auth"))
    source = driver.page_source
    assert not driver.find_elements(By.ID, "signin") and 'id="signin"' not in source, "the sign-in page rendered in a frame"
    assert not driver.find_elements(By.ID, "password")
    driver.switch_to.default_content()


def test_every_page_refuses_framing_and_caching(server, apps, fresh_person):
    pages = PageClient(server)
    sign_in_page = pages.authorize(authorize_params(apps["conf"], state="s"))
    assert sign_in_page.status_code == 200, page_msg(sign_in_page)
    assert_page_headers(sign_in_page)
    consent = pages.sign_in(sign_in_page, fresh_person)
    assert consent.status_code == 200 and "consent" in forms_of(consent.text), page_msg(consent)
    assert_page_headers(consent)
    assert_page_headers(pages.authorize({"client_id": str(uuid.uuid4()), "redirect_uri": "https://x.example/cb"}))
    r = requests.get(server.url + LOGOUT, timeout=10)
    assert r.status_code == 200 and 'id="signed-out"' in r.text, page_msg(r)
    assert_page_headers(r)


# ---------------------------------------------------------------------------------------------------------------
# 4. Codes are single use


@pytest.mark.parametrize("kind", ["conf", "pub"])
def test_replayed_code_fails_and_revokes_what_its_first_use_issued(server, apps, person, kind):
    app = apps[kind]
    pages = PageClient(server)
    code, verifier = pages.code(app, person)
    first = exchange(server, app, code, verifier)
    assert first.status_code == 200, show(first)
    tokens = json_of(first)
    assert userinfo(server, tokens["access_token"]).status_code == 200

    oauth_error(exchange(server, app, code, verifier), 400, "invalid_grant")
    r = userinfo(server, tokens["access_token"])
    assert r.status_code == 401, show(r)
    oauth_error(refresh(server, app, tokens["refresh_token"]), 400, "invalid_grant")


def test_code_is_bound_to_its_verifier_redirect_and_client(server, apps, person):
    app = apps["conf"]
    pages = PageClient(server)
    code, verifier = pages.code(app, person)
    other_verifier, _ = pkce_pair()
    oauth_error(exchange(server, app, code, other_verifier), 400, "invalid_grant")
    code, verifier = pages.code(app, person)
    oauth_error(exchange(server, app, code, None), 400, "invalid_grant")
    code, verifier = pages.code(app, person)
    oauth_error(exchange(server, app, code, verifier, redirect_uri=app["redirect"] + "/other"), 400, "invalid_grant")
    code, verifier = pages.code(app, person)
    oauth_error(exchange(server, apps["pub"], code, verifier, redirect_uri=app["redirect"]), 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------------------------
# 5. Errors of the authorization endpoint


def _unknown_client(app):
    return {"client_id": str(uuid.uuid4())}


AUTHORIZE_ERRORS = [
    # (case, app, changes (a dict, or a function of the app), expected: 400 for a page, else the redirected error)
    ("unknown-client", "conf", _unknown_client, 400),
    ("missing-client-id", "conf", {"client_id": None}, 400),
    ("unregistered-redirect", "conf", {"redirect_uri": "https://evil.example/cb"}, 400),
    ("redirect-prefix-of-registered", "conf", lambda app: {"redirect_uri": app["redirect"] + "/more"}, 400),
    ("redirect-of-another-app", "conf", lambda app: {"redirect_uri": app["redirect"].replace("/conf", "/public")}, 400),
    ("missing-redirect", "conf", {"redirect_uri": None}, 400),
    ("response-type-token", "conf", {"response_type": "token"}, "unsupported_response_type"),
    ("scope-without-openid", "conf", {"scope": "profile email"}, "invalid_scope"),
    ("plain-pkce", "conf", {"code_challenge_method": "plain"}, "invalid_request"),
    ("plain-pkce-public", "pub", {"code_challenge_method": "plain"}, "invalid_request"),
    ("public-without-pkce", "pub", {"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ("prompt-bogus", "conf", {"prompt": "bogus"}, "invalid_request"),
    ("display-bogus", "conf", {"display": "bogus"}, "invalid_request"),
    ("foreign-tenant", "conf", lambda app: {"tenantId": str(uuid.uuid4())}, "invalid_request"),
    ("prompt-none-without-session", "pub", {"prompt": "none"}, "login_required"),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case, kind, changes, expected", AUTHORIZE_ERRORS, ids=[c[0] for c in AUTHORIZE_ERRORS])
def test_authorize_errors(server, apps, case, kind, changes, expected, method):
    app = apps[kind]
    state = unique("state")
    _, challenge = pkce_pair()
    params = authorize_params(app, state=state, nonce="n-1", challenge=challenge)
    params.update(changes(app) if callable(changes) else changes)
    r = PageClient(server).authorize(params, method=method)
    if expected == 400:
        assert_error_page(r)
        assert app["redirect"] not in r.headers.get("Location", "")
    else:
        assert_redirect_error(r, app["redirect"], expected, state)


def test_valid_request_with_own_tenant_id_and_popup_shows_sign_in(server, apps, tenant_id):
    _, challenge = pkce_pair()
    for method in ("GET", "POST"):
        params = authorize_params(apps["pub"], state="s", challenge=challenge, tenantId=tenant_id, display="popup",
                                  login_hint="someone")
        r = PageClient(server).authorize(params, method=method)
        assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
        assert "Location" not in r.headers
        assert re.search(r'<strong id="client-name">%s</strong>' % re.escape(html.escape(apps["pub"]["name"])), r.text)
        carried = hidden_inputs(r.text, "signin")
        assert carried["step"] == "signin" and carried["csrf"], sorted(carried)
        for name, value in params.items():
            assert carried.get(name) == value, name


# ---------------------------------------------------------------------------------------------------------------
# 6. Sessions, prompts, consent, CSRF, throttling and logout without a browser


def test_session_prompts_and_consent(server, apps, fresh_person):
    app, user = apps["conf"], fresh_person
    pages = PageClient(server)
    verifier, challenge = pkce_pair()
    state = unique("state")
    params = authorize_params(app, state=state, nonce="n-1", challenge=challenge)

    # prompt=none with no session: login_required.
    assert_redirect_error(pages.authorize({**params, "prompt": "none"}), app["redirect"], "login_required", state)
    # A wrong password: 401, the same page with the error, the username kept.
    page = pages.authorize(params)
    r = pages.sign_in(page, user, password="wrong-" + secrets.token_hex(4))
    assert r.status_code == 401 and error_text(r.text) == WRONG_PASSWORD_MESSAGE, page_msg(r)
    assert "signin" in forms_of(r.text) and f'value="{html.escape(user.username)}"' in r.text, page_msg(r)
    # The right password: a session cookie (HttpOnly, SameSite=Lax) and the consent page.
    r = pages.sign_in(r, user)
    assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)
    cookie = r.headers.get("Set-Cookie", "")
    assert "tessera_session=" in cookie, redact(cookie)
    attributes = cookie.lower()
    assert "httponly" in attributes and "samesite=lax" in attributes, redact(cookie)
    assert pages.session_cookie()
    assert re.search(r'id="user">%s<' % re.escape(html.escape(user.username)), r.text), page_msg(r)
    # prompt=none before consenting: consent_required.
    assert_redirect_error(pages.authorize({**params, "prompt": "none"}), app["redirect"], "consent_required", state)
    code_from(pages.allow(pages.authorize(params)), app["redirect"], state)

    # With a session and a grant: straight to the redirect URI, no page; prompt=none too.
    code_from(pages.authorize(params), app["redirect"], state)
    code_from(pages.authorize({**params, "prompt": "none"}), app["redirect"], state)
    # prompt=consent: the consent page again; allowing gives a code.
    r = pages.authorize({**params, "prompt": "consent"})
    assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)
    code_from(pages.allow(r), app["redirect"], state)
    # prompt=login: the sign-in page again, then (the grant stands) a code.
    r = pages.authorize({**params, "prompt": "login"})
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
    code = code_from(pages.sign_in(r, user), app["redirect"], state)
    # max_age=0 a second later: the sign-in page.
    time.sleep(1.2)
    r = pages.authorize({**params, "max_age": "0"})
    assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
    r = pages.authorize({**params, "max_age": "3600"})
    code = code_from(r, app["redirect"], state)
    tokens = json_of(exchange(server, app, code, verifier))
    claims = verify_id_token(server, tokens["id_token"], app["client_id"])
    assert claims["nonce"] == "n-1" and claims["sub"] == "user:" + user.guid


def test_deny_redirects_access_denied(server, apps, fresh_person):
    app = apps["pub"]
    pages = PageClient(server)
    _, challenge = pkce_pair()
    params = authorize_params(app, state="deny-state", challenge=challenge)
    r = pages.sign_in(pages.authorize(params), fresh_person)
    assert "consent" in forms_of(r.text), page_msg(r)
    r = pages.submit(r, "consent", decision="deny")
    assert_redirect_error(r, app["redirect"], "access_denied", "deny-state")
    # No grant was recorded: prompt=none still needs consent.
    assert_redirect_error(pages.authorize({**params, "prompt": "none"}), app["redirect"], "consent_required", "deny-state")


def test_grant_is_per_client(server, admin_token, apps, client_site, fresh_person):
    pages = PageClient(server)
    pages.code(apps["conf"], fresh_person)
    other = register_app(server, admin_token, "confidential", redirect=client_site.url + "/cb/other")
    params = authorize_params(other, state="o")
    assert_redirect_error(pages.authorize({**params, "prompt": "none"}), other["redirect"], "consent_required", "o")
    r = pages.authorize(params)
    assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)
    assert re.search(r'id="client-name">%s<' % re.escape(html.escape(other["name"])), r.text), page_msg(r)


@pytest.mark.parametrize("csrf", ["missing", "wrong", "no-cookie"])
def test_form_without_valid_csrf_is_403(server, apps, person, csrf):
    pages = PageClient(server)
    page = pages.authorize(authorize_params(apps["conf"], state="c"))
    fields = {**hidden_inputs(page.text, "signin"), "username": person.username, "password": person.password}
    if csrf == "missing":
        del fields["csrf"]
    elif csrf == "wrong":
        fields["csrf"] = "0" * 64
    else:
        pages.http.cookies.clear()
    r = pages.http.post(server.url + AUTHORIZE, data=fields, allow_redirects=False, timeout=15)
    assert_error_page(r, 403)
    assert "tessera_session" not in r.headers.get("Set-Cookie", ""), redact(r.headers.get("Set-Cookie", ""))
    assert pages.session_cookie() is None


def test_login_hint_prefills_the_username(server, apps):
    hint = "hinted.person@example.org"
    r = PageClient(server).authorize(authorize_params(apps["conf"], state="h", login_hint=hint))
    assert r.status_code == 200, page_msg(r)
    field = re.search(r'<input[^>]*\bid="username"[^>]*>', r.text)
    assert field and f'value="{html.escape(hint)}"' in field.group(0), page_msg(r)
    # Escaped, never markup.
    r = PageClient(server).authorize(authorize_params(apps["conf"], state="h", login_hint='"><script>x</script>'))
    assert r.status_code == 200 and "<script>" not in r.text, page_msg(r)


def test_form_posted_back_to_the_page_address_works(server, apps, fresh_person):
    """A form without an action posts to the page's own address -- query string included -- as every browser does;
    the sign-in must work that way too (the parameters come twice: in the query and as hidden fields)."""
    app = apps["conf"]
    pages = PageClient(server)
    page = pages.authorize(authorize_params(app, state="same-url"))
    assert 'action=' not in re.search(r'<form[^>]*\bid="signin"[^>]*>', page.text).group(0)
    r = pages.submit(page, "signin", url=page.url, username=fresh_person.username, password=fresh_person.password)
    assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)
    r = pages.submit(r, "consent", url=page.url, decision="allow")
    code_from(r, app["redirect"], "same-url")


def test_logout_without_a_browser(server, apps, fresh_person):
    app = apps["conf"]
    pages = PageClient(server)
    code, verifier = pages.code(app, fresh_person)
    tokens = json_of(exchange(server, app, code, verifier))
    cookie = pages.session_cookie()
    check(bool(cookie), "no session cookie")

    # An unregistered post_logout_redirect_uri: an error page, no redirect, still signed in.
    r = pages.http.get(server.url + LOGOUT, params={"id_token_hint": tokens["id_token"], "state": "x",
                                                    "post_logout_redirect_uri": "https://evil.example/bye"},
                       allow_redirects=False, timeout=10)
    assert_error_page(r)
    code_from(pages.authorize(authorize_params(app, state="still", prompt="none")), app["redirect"], "still")

    # The registered one: back there with the state, the cookie cleared.
    r = pages.http.get(server.url + LOGOUT, params={"id_token_hint": tokens["id_token"], "state": "bye-1",
                                                    "post_logout_redirect_uri": app["logout"]},
                       allow_redirects=False, timeout=10)
    assert r.status_code == 302, page_msg(r)
    assert r.headers["Location"] == app["logout"] + "?state=bye-1", redact(r.headers["Location"])
    cleared = r.headers.get("Set-Cookie", "")
    assert re.search(r"tessera_session=;", cleared) and re.search(r"max-age=0|expires=thu, 01 jan 1970", cleared.lower()), \
        redact(cleared)
    assert_redirect_error(pages.authorize(authorize_params(app, state="gone", prompt="none")), app["redirect"],
                          "login_required", "gone")
    # The old cookie, kept by a careless browser, is revoked on the server.
    fresh = PageClient(server)
    fresh.http.cookies.set("tessera_session", cookie)
    assert_redirect_error(fresh.authorize(authorize_params(app, state="old", prompt="none")), app["redirect"],
                          "login_required", "old")
    # Without a redirect: the signed-out page.
    r = fresh.http.get(server.url + LOGOUT, allow_redirects=False, timeout=10)
    assert r.status_code == 200 and re.search(r'id="signed-out">You are signed out', r.text), page_msg(r)


def test_repeated_wrong_passwords_are_throttled():
    """On a server of its own, so that the failures (which also count per address) slow nothing else down."""
    s = Server()
    try:
        redirect = "http://127.0.0.1:9/cb"
        fields = cli_fields(cli(s, "app", "create", "--name", "Throttle app", "--type", "confidential",
                                "--redirect-uri", redirect))
        app = {"client_id": fields["client_id"], "redirect": redirect}
        pages = PageClient(s)
        ghost = SimpleNamespace(username=unique("nobody"), password=secret("wrong-" + secrets.token_hex(4)))
        statuses = []
        page = pages.authorize(authorize_params(app, state="t"))
        assert page.status_code == 200 and "signin" in forms_of(page.text), page_msg(page)
        for _ in range(15):
            r = pages.sign_in(page, ghost)
            statuses.append(r.status_code)
            if r.status_code == 429:
                break
            assert r.status_code == 401 and error_text(r.text) == WRONG_PASSWORD_MESSAGE, page_msg(r)
        assert statuses[-1] == 429, statuses
        assert 4 <= len(statuses) <= 12, statuses
        assert "Too many sign-in attempts" in (error_text(r.text) or ""), page_msg(r)
        assert "signin" in forms_of(r.text), page_msg(r)
        # Per account: another person still signs in from the same address.
        admin = User(s, "admin", ADMIN_PASSWORD, role="Admin")
        r = pages.sign_in(pages.authorize(authorize_params(app, state="t")), admin)
        assert r.status_code == 200 and "consent" in forms_of(r.text), page_msg(r)
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------------------------
# 7. CORS of the OIDC endpoints


CORS_PATHS = [TOKEN, USERINFO, JWKS, OPENID]


@pytest.mark.parametrize("path", CORS_PATHS)
def test_cors_preflight_for_registered_origins_only(server, apps, path):
    for origin in (REGISTERED_ORIGIN, PUBLIC_ORIGIN):
        r = requests.options(server.url + path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                         "Access-Control-Request-Headers": "authorization, content-type"},
                             timeout=10)
        assert r.status_code in (200, 204), show(r)
        assert r.headers.get("Access-Control-Allow-Origin") == origin, (origin, dict(r.headers))
        assert "POST" in r.headers.get("Access-Control-Allow-Methods", ""), dict(r.headers)
        assert "authorization" in r.headers.get("Access-Control-Allow-Headers", "").lower(), dict(r.headers)
    for origin in (FOREIGN_ORIGIN, REGISTERED_ORIGIN + ":8443", "null"):
        r = requests.options(server.url + path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
                             timeout=10)
        assert "Access-Control-Allow-Origin" not in r.headers, (origin, dict(r.headers))


def test_cors_on_actual_requests(server, apps, person):
    pages = PageClient(server)
    code, verifier = pages.code(apps["pub"], person)
    # The token endpoint, called from the public app's page.
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": apps["pub"]["redirect"],
            "client_id": apps["pub"]["client_id"], "code_verifier": verifier}
    r = token_call(server, data, headers={"Origin": PUBLIC_ORIGIN})
    assert r.status_code == 200, show(r)
    assert r.headers.get("Access-Control-Allow-Origin") == PUBLIC_ORIGIN, dict(r.headers)
    access = json_of(r)["access_token"]
    # An error answer carries it too, so the page can read the error.
    r = token_call(server, {**data, "code": "spent"}, headers={"Origin": REGISTERED_ORIGIN})
    assert r.status_code == 400 and r.headers.get("Access-Control-Allow-Origin") == REGISTERED_ORIGIN, dict(r.headers)
    for path, headers in ((USERINFO, bearer(access)), (JWKS, {}), (OPENID, {})):
        r = requests.get(server.url + path, headers={**headers, "Origin": REGISTERED_ORIGIN}, timeout=10)
        assert r.status_code == 200, show(r)
        assert r.headers.get("Access-Control-Allow-Origin") == REGISTERED_ORIGIN, (path, dict(r.headers))
        r = requests.get(server.url + path, headers={**headers, "Origin": FOREIGN_ORIGIN}, timeout=10)
        assert r.status_code == 200, show(r)
        assert "Access-Control-Allow-Origin" not in r.headers, (path, dict(r.headers))
    r = requests.get(server.url + USERINFO, headers={"Origin": REGISTERED_ORIGIN}, timeout=10)
    assert r.status_code == 401 and r.headers.get("Access-Control-Allow-Origin") == REGISTERED_ORIGIN, dict(r.headers)


def test_cors_origins_of_a_disabled_app_do_not_count(server, admin_token):
    origin = "https://" + unique("disabled") + ".example"
    app = register_app(server, admin_token, "confidential", redirect="https://app.example.org/cb", origins=[origin])

    def allowed():
        r = requests.get(server.url + JWKS, headers={"Origin": origin}, timeout=10)
        return r.headers.get("Access-Control-Allow-Origin") == origin

    assert allowed()
    assert api(server, admin_token, "POST", f"/{app['tracking']}-disable").status_code == 200
    assert not allowed()
    assert api(server, admin_token, "POST", f"/{app['tracking']}-enable").status_code == 200
    assert allowed()


# ---------------------------------------------------------------------------------------------------------------
# 8. Branding


def test_branding_shows_on_the_sign_in_page():
    s = Server()
    try:
        redirect = "https://app.example.org/cb"
        fields = cli_fields(cli(s, "app", "create", "--name", "Branded app", "--type", "confidential",
                                "--redirect-uri", redirect))
        url = s.url + AUTHORIZE + "?" + urlencode({"client_id": fields["client_id"], "redirect_uri": redirect,
                                                   "response_type": "code", "scope": "openid"})
        site_line = cli(s, "site", "list").stdout.strip().splitlines()[0].split("\t")
        site_name = site_line[1]
        assert site_name, site_line
        r = requests.get(url, timeout=10)
        assert r.status_code == 200 and 'class="logo"' not in r.text, page_msg(r)
        assert "#123456" not in r.text

        result = cli(s, "site", "branding", "--logo", "https://cdn.example/logo.png", "--colour", "#123456")
        assert result.returncode == 0, redact(result.stderr)
        # The running server sees the change within 5 s (its cache of sites).
        took = wait_for(lambda: "cdn.example/logo.png" in requests.get(url, timeout=10).text, 8, 0.2)
        assert took is not None, "the branding did not reach the sign-in page within 8 s"
        r = requests.get(url, timeout=10)
        assert r.status_code == 200 and "signin" in forms_of(r.text), page_msg(r)
        assert '<img class="logo" src="https://cdn.example/logo.png"' in r.text, page_msg(r)
        assert re.search(r'<span class="tenant">%s</span>' % re.escape(html.escape(site_name)), r.text), page_msg(r)
        assert "--brand:#123456" in r.text and "header{background:var(--brand)" in r.text, page_msg(r)
        assert "img-src https://cdn.example" in r.headers.get("Content-Security-Policy", ""), r.headers
        # A bad colour or logo is refused by the CLI and changes nothing.
        assert cli(s, "site", "branding", "--colour", "red").returncode != 0
        assert cli(s, "site", "branding", "--logo", "javascript:alert(1)").returncode != 0
        time.sleep(0.5)
        r = requests.get(url, timeout=10)
        assert "--brand:#123456" in r.text and "https://cdn.example/logo.png" in r.text, page_msg(r)
    finally:
        s.stop()


def test_discovery_advertises_the_pages(server):
    r = requests.get(server.url + OPENID, timeout=10)
    assert r.status_code == 200, show(r)
    doc = r.json()
    assert doc["issuer"] == server.url
    assert doc["authorization_endpoint"] == server.url + AUTHORIZE
    assert doc["end_session_endpoint"] == server.url + LOGOUT
    assert "S256" in doc["code_challenge_methods_supported"] and "plain" not in doc["code_challenge_methods_supported"]
    assert "code" in doc["response_types_supported"] and "authorization_code" in doc["grant_types_supported"]
