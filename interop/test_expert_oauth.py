"""Expert OAuth API token interop tests: an `oauth` developer token (key = client_id, secret = client_secret) used by
an application the way a third-party client would -- the authorization-code flow through Tessera's sign-in and consent
pages at /@app/auth/1/token/authorize, the token endpoint /@app/auth/1/token/access.json (code, refresh and device-code
grants), the device flow (/@app/auth/1/token/device.json and the /@app/auth/1/token/device page), and a user's list of
authorized applications at /@api/deki/users/current/authorizations, with its revocation.

Everything here is independent client code: the pages are driven with requests.Session (hidden inputs parsed with a
regex, forms posted as a browser would), one flow uses requests-oauthlib's OAuth2Session, and nothing of the server's
own code is called. Secrets (client secrets, passwords, codes, tokens) go through helpers.secret()/remember() and
never reach an assertion message except redacted (show()/redact()/check()).
"""
import html
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from conftest import ADMIN_PASSWORD, free_port
from helpers import basic_header, bearer, check, json_of, no_leak, redact, remember, secret, show, unique

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
AUTHORIZATIONS = CURRENT + "/authorizations"
TOKENS = "/@api/deki/site/developer-tokens"
JSON_OUT = {"dream.out.format": "json"}

AUTHORIZE = "/@app/auth/1/token/authorize"
ACCESS = "/@app/auth/1/token/access.json"
DEVICE_JSON = "/@app/auth/1/token/device.json"
DEVICE_PAGE = "/@app/auth/1/token/device"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

HOST = "app.example.com"
REDIRECT = f"https://{HOST}/cb"
#: RFC 8628 §6.1 alphabet: consonants only (no vowels, so no words), as XXXX-XXXX.
USER_CODE = re.compile(r"^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$")
ACCESS_LIFETIME = 86400
DEVICE_LIFETIME = 600
POLL_INTERVAL = 5
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

remember(ADMIN_PASSWORD)


# ---------------------------------------------------------------------------------------------------------------
# Helpers (the shared ones are in helpers.py; these are copied or adapted from the other interop modules)


def oauth_error(r, status, error):
    """RFC 6749 §5.2: `status` with a JSON body {"error": `error`, ...}; returns the body."""
    __tracebackhide__ = True
    assert r.status_code == status, f"expected {status} {error}: {show(r)}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), \
        f"expected an OAuth JSON error body ({status} {error}), got {r.headers.get('Content-Type')}: {show(r)}"
    doc = json_of(r)
    assert isinstance(doc, dict) and doc.get("error") == error, f"expected error={error}: {show(r)}"
    assert isinstance(doc.get("error_description", ""), str), show(r)
    return doc


class Client:
    """An `oauth` developer token: key (client_id), secret (client_secret), name and allowed redirect hosts."""

    def __init__(self, key, client_secret, name, token_id):
        self.key, self.secret, self.name, self.id = key, secret(client_secret), name, token_id

    @property
    def auth(self):
        return HTTPBasicAuth(self.key, self.secret)

    def __repr__(self):
        return f"<oauth client {self.name}>"


def create_client(server, admin_token, name=None, hosts=f"{HOST},127.0.0.1"):
    """POST /@api/deki/site/developer-tokens type=oauth as the admin (as test_developer_tokens.py does)."""
    name = name or unique("Expert App")
    body = (f"<developer-token type='oauth'><name>{html.escape(name)}</name><host>{hosts}</host></developer-token>")
    r = requests.post(server.url + TOKENS, params=JSON_OUT, data=body.encode("utf-8"),
                      headers={**bearer(admin_token), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)
    doc = r.json()
    remember(doc.get("secret"))
    assert doc["@type"] == "oauth" and doc["name"] == name, redact(repr(sorted(doc)))
    check(isinstance(doc.get("secret"), str) and len(doc["secret"]) >= 32, "the oauth token came without a secret")
    return Client(doc["key"], doc["secret"], name, doc["@id"])


def current(server, token=None, cookie=None):
    return requests.get(server.url + CURRENT, params=JSON_OUT, headers=bearer(token) if token else {},
                        cookies={"authtoken": cookie} if cookie else None, timeout=10)


def current_user(server, token):
    r = current(server, token)
    assert r.status_code == 200, show(r)
    return r.json()


def access(server, client, data, client_secret=None, headers=None):
    """POST access.json as a form, with Basic client_id:client_secret (the client's own secret unless given)."""
    sent = {"Authorization": basic_header(client.key, client.secret if client_secret is None else client_secret)}
    sent.update(headers or {})
    return requests.post(server.url + ACCESS, data=data, headers=sent, timeout=15)


def tokens_of(r, scope="profile"):
    """A successful access.json answer (RFC 6749 §5.1): the fields the SPEC lists, no-store; returns the document."""
    __tracebackhide__ = True
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers.get("Cache-Control")
    check(isinstance(doc.get("access_token"), str) and len(doc["access_token"]) >= 20, f"no access_token: {show(r)}")
    check(isinstance(doc.get("refresh_token"), str) and len(doc["refresh_token"]) >= 20, f"no refresh_token: {show(r)}")
    assert doc.get("token_type") == "Bearer", show(r)
    if "seated" in scope.split():  # seated "expires earlier" (seed 002): at most the profile lifetime
        assert isinstance(doc.get("expires_in"), int) and 0 < doc["expires_in"] <= ACCESS_LIFETIME, show(r)
    else:
        assert doc.get("expires_in") == ACCESS_LIFETIME, show(r)
    assert set(str(doc.get("scope", "")).split()) == set(scope.split()), show(r)
    return doc


def code_grant(server, client, code, redirect_uri=REDIRECT, client_secret=None):
    return access(server, client, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
                  client_secret=client_secret)


def refresh_grant(server, client, refresh_token, client_secret=None):
    return access(server, client, {"grant_type": "refresh_token", "refresh_token": refresh_token}, client_secret=client_secret)


def device_poll(server, client, device_code, client_secret=None):
    return access(server, client, {"grant_type": DEVICE_GRANT, "device_code": device_code}, client_secret=client_secret)


# Pages: forms and their fields, parsed with regular expressions.

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
INPUT = re.compile(r"<input\b([^>]*)>", re.I)
BUTTON = re.compile(r"<button\b([^>]*)>", re.I)
ATTR = re.compile(r'([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*"([^"]*)"')


def attributes(tag):
    return {name.lower(): html.unescape(value) for name, value in ATTR.findall(tag)}


def form_of(page, form_id):
    """(form attributes, {name: value} of its named inputs, [button attributes]) of the form with id `form_id`, or None."""
    for tag, body in FORM.findall(page):
        attrs = attributes(tag)
        if attrs.get("id") == form_id:
            fields = {}
            for input_tag in INPUT.findall(body):
                a = attributes(input_tag)
                if "name" in a:
                    fields[a["name"]] = a.get("value", "")
            return attrs, fields, [attributes(b) for b in BUTTON.findall(body)]
    return None


def hidden_inputs(page):
    """The hidden inputs of a page: {name: value}."""
    found = {}
    for tag in INPUT.findall(page):
        a = attributes(tag)
        if a.get("type") == "hidden" and "name" in a:
            found[a["name"]] = a.get("value", "")
    return found


def element_text(page, element_id):
    m = re.search(rf'<(\w+)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip() if m else None


def page_error(page):
    return element_text(page, "error")


def redirect_query(r, redirect_uri=REDIRECT):
    """A 302 to `redirect_uri` with a query: its parameters, one value each (a code is a Secret)."""
    __tracebackhide__ = True
    assert r.status_code == 302, show(r)
    location = r.headers.get("Location", "")
    parts = urlsplit(location)
    target = urlsplit(redirect_uri)
    assert (parts.scheme, parts.netloc, parts.path) == (target.scheme, target.netloc, target.path), redact(location)
    assert not parts.fragment, redact(location)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert all(len(v) == 1 for v in query.values()), redact(location)
    result = {name: values[0] for name, values in query.items()}
    if "code" in result:
        result["code"] = secret(result["code"])
    return result


def assert_page_headers(r):
    """The SPEC's page headers: no framing, no caching."""
    assert r.headers.get("X-Frame-Options", "").upper() == "DENY", r.headers
    assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", ""), r.headers
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    assert r.headers.get("Content-Type", "").startswith("text/html"), r.headers


def error_page(r, status=400):
    """An HTML error page: `status`, no redirect, `<p class="error" id="error">`; returns the message."""
    __tracebackhide__ = True
    assert r.status_code == status, show(r)
    assert "Location" not in r.headers, redact(r.headers.get("Location", ""))
    assert r.headers.get("Content-Type", "").startswith("text/html"), show(r)
    assert re.search(r'<p class="error" id="error"[^>]*>', r.text), show(r)
    return page_error(r.text)


class Browser:
    """A person's browser, as requests.Session: cookies kept, forms posted with all their fields."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()

    def get(self, path_or_url, params=None):
        url = path_or_url if path_or_url.startswith("http") else self.server.url + path_or_url
        return self.session.get(url, params=params, allow_redirects=False, timeout=15)

    def submit(self, page, form_id, keep_query=False, **fields):
        """Posts the form `form_id` of `page` with its fields plus `fields`. The forms have no action, so they post to
        the page's own URL; by default its query is left off (every parameter is carried in the hidden fields),
        `keep_query` posts to the document URL exactly as a browser does."""
        __tracebackhide__ = True
        found = form_of(page.text, form_id)
        assert found is not None, f"no form id={form_id}: {show(page)}"
        attrs, values, _ = found
        assert attrs.get("method", "").lower() == "post", attrs
        values.update(fields)
        action = attrs.get("action")
        target = page.url if keep_query else urlsplit(page.url)._replace(query="", fragment="").geturl()
        if action:
            target = requests.compat.urljoin(page.url, action)
        return self.session.post(target, data=values, allow_redirects=False, timeout=15)

    def sign_in(self, page, username="admin", password=ADMIN_PASSWORD, keep_query=False):
        __tracebackhide__ = True
        assert page.status_code == 200 and form_of(page.text, "signin"), show(page)
        hidden = hidden_inputs(page.text)
        assert hidden.get("step") == "signin" and hidden.get("csrf"), show(page)
        return self.submit(page, "signin", keep_query=keep_query, username=username, password=password)


def authorize_params(client, redirect_uri=REDIRECT, scope="profile", state=None, **extra):
    params = {"client_id": client.key, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope,
              "state": state or unique("state")}
    params.update(extra)
    return params


def authorize(browser, client, redirect_uri=REDIRECT, scope="profile", state=None, decision="allow", **extra):
    """The code flow through the pages: GET authorize, sign in if asked, answer the consent page if shown; returns
    the final 302 and the state sent."""
    __tracebackhide__ = True
    params = authorize_params(client, redirect_uri, scope, state, **extra)
    r = browser.get(AUTHORIZE, params)
    if r.status_code == 200 and form_of(r.text, "signin"):
        r = browser.sign_in(r)
    if r.status_code == 200 and form_of(r.text, "consent"):
        assert element_text(r.text, "client-name") == client.name, show(r)
        r = browser.submit(r, "consent", decision=decision)
    assert r.status_code == 302, show(r)
    return r, params["state"]


def get_code(browser, client, redirect_uri=REDIRECT, scope="profile", **extra):
    r, state = authorize(browser, client, redirect_uri, scope, **extra)
    query = redirect_query(r, redirect_uri)
    assert query.get("state") == state, redact(r.headers["Location"])
    check(query.get("code"), f"no code in the redirect: {redact(r.headers['Location'])}")
    return query["code"]


def code_flow_tokens(server, client, scope="profile"):
    """Sign in, allow, exchange: the tokens (checked)."""
    code = get_code(Browser(server), client, scope=scope)
    return tokens_of(code_grant(server, client, code), scope=scope)


def start_device(server, client, scope="profile"):
    r = requests.post(server.url + DEVICE_JSON, data={"scope": scope}, auth=client.auth, timeout=15)
    assert r.status_code == 200, show(r)
    return json_of(r)


def decide_device(server, started, decision):
    """Opens verification_uri_complete in a new browser, signs in, answers; returns the final page."""
    browser = Browser(server)
    page = browser.get(started["verification_uri_complete"])
    assert_page_headers(page)
    page = browser.sign_in(page)
    assert page.status_code == 200, show(page)
    found = form_of(page.text, "device")
    assert found is not None, show(page)
    _, fields, buttons = found
    assert fields.get("user_code") == started["user_code"], show(page)
    assert re.search(r'<input\b[^>]*\bid="user_code"', page.text), show(page)
    assert {b.get("id") for b in buttons} >= {"allow", "deny"}, buttons
    assert fields.get("csrf"), show(page)
    return browser.submit(page, "device", decision=decision)


# ---------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def admin_token(server):
    return secret(server.sign_in())


@pytest.fixture(scope="module")
def admin_user(server, admin_token):
    doc = current_user(server, admin_token)
    assert doc["username"] == "admin", doc
    return doc


@pytest.fixture()
def client(server, admin_token):
    """A fresh oauth developer token for each test, so grants never carry over."""
    return create_client(server, admin_token)


@pytest.fixture(scope="module")
def other_client(server, admin_token):
    return create_client(server, admin_token, name=unique("Other App"))


# ---------------------------------------------------------------------------------------------------------------
# 1. The authorization-code flow


def test_code_flow_through_the_pages(server, client, admin_user):
    browser = Browser(server)
    state = "st " + secrets.token_hex(4) + "&x=y/é"  # characters that need encoding come back unchanged
    params = authorize_params(client, state=state)

    page = browser.get(AUTHORIZE, params)
    assert page.status_code == 200, show(page)
    assert_page_headers(page)
    attrs, fields, buttons = form_of(page.text, "signin")
    assert attrs.get("method", "").lower() == "post"
    assert any(b.get("id") == "submit" for b in buttons), buttons
    assert re.search(r'<input\b[^>]*\bid="username"', page.text) and re.search(r'<input\b[^>]*\bid="password"', page.text)
    hidden = hidden_inputs(page.text)
    assert hidden.get("step") == "signin" and len(hidden.get("csrf", "")) >= 16, show(page)
    for name in ("client_id", "redirect_uri", "response_type", "scope", "state"):
        assert hidden.get(name) == params[name], (name, show(page))
    assert element_text(page.text, "client-name") == client.name, show(page)

    consent = browser.sign_in(page)
    assert consent.status_code == 200, show(consent)
    assert_page_headers(consent)
    found = form_of(consent.text, "consent")
    assert found is not None, show(consent)
    assert {b.get("id") for b in found[2]} >= {"allow", "deny"}, found[2]
    assert found[1].get("step") == "consent" and found[1].get("csrf"), show(consent)
    assert element_text(consent.text, "client-name") == client.name, show(consent)
    assert element_text(consent.text, "user") == "admin", show(consent)
    assert "tessera_session" in browser.session.cookies, "no session cookie after signing in"

    r = browser.submit(consent, "consent", decision="allow")
    query = redirect_query(r)
    assert set(query) == {"code", "state"}, redact(r.headers["Location"])
    assert query["state"] == state, redact(r.headers["Location"])
    code = query["code"]

    r = code_grant(server, client, code)
    first = tokens_of(r)
    no_leak(r, client.secret, code)
    me = current_user(server, first["access_token"])
    assert (me["@id"], me["username"]) == (admin_user["@id"], "admin"), me

    # Refresh rotates: new tokens, the new access token works, the old refresh token is spent.
    second = tokens_of(refresh_grant(server, client, first["refresh_token"]))
    check(second["access_token"] != first["access_token"], "refresh answered the same access token")
    check(second["refresh_token"] != first["refresh_token"], "refresh did not rotate the refresh token")
    assert current_user(server, second["access_token"])["@id"] == admin_user["@id"]
    third = tokens_of(refresh_grant(server, client, second["refresh_token"]))
    assert current_user(server, third["access_token"])["@id"] == admin_user["@id"]

    oauth_error(refresh_grant(server, client, first["refresh_token"]), 400, "invalid_grant")


def test_second_authorize_with_a_session_and_a_grant_redirects_at_once(server, client):
    browser = Browser(server)
    get_code(browser, client)  # signs in and allows
    r = browser.get(AUTHORIZE, authorize_params(client, state="again"))
    query = redirect_query(r)  # no page: straight back with a code
    assert query.get("state") == "again" and query.get("code"), redact(r.headers.get("Location", ""))
    tokens_of(code_grant(server, client, query["code"]))
    # prompt=consent asks again.
    page = browser.get(AUTHORIZE, authorize_params(client, prompt="consent"))
    assert page.status_code == 200 and form_of(page.text, "consent"), show(page)


def test_sign_in_form_posted_to_its_document_url_like_a_browser(server, client):
    """The sign-in and consent forms have no action attribute, so a browser posts them to the document's URL --
    query string included (HTML: a form's action defaults to the document URL). The server must accept that."""
    browser = Browser(server)
    params = authorize_params(client)
    page = browser.get(AUTHORIZE, params)
    assert page.status_code == 200 and urlsplit(page.url).query, show(page)
    attrs, _, _ = form_of(page.text, "signin")
    assert "action" not in attrs, attrs
    consent = browser.sign_in(page, keep_query=True)
    assert consent.status_code == 200 and form_of(consent.text, "consent"), \
        f"POST {AUTHORIZE}?<the authorize query> with the sign-in form: expected the consent page, got {show(consent)}"
    r = browser.submit(consent, "consent", keep_query=True, decision="allow")
    assert redirect_query(r).get("state") == params["state"]


def test_loopback_redirect_uri(server, client, admin_user):
    """The token's hosts include 127.0.0.1: http://127.0.0.1:PORT/cb is a valid redirect (RFC 8252 §7.3)."""
    redirect_uri = f"http://127.0.0.1:{free_port()}/cb"
    code = get_code(Browser(server), client, redirect_uri=redirect_uri)
    doc = tokens_of(code_grant(server, client, code, redirect_uri=redirect_uri))
    assert current_user(server, doc["access_token"])["@id"] == admin_user["@id"]


def test_code_exchange_with_a_standard_client(server, client, admin_user, monkeypatch):
    """requests-oauthlib's OAuth2Session builds the authorize URL, checks the state, exchanges the code (Basic
    client authentication) and refreshes; the pages in between are answered by a Browser."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server is plain http on loopback
    oauth = OAuth2Session(client.key, redirect_uri=REDIRECT, scope=["profile"])
    url, state = oauth.authorization_url(server.url + AUTHORIZE)
    browser = Browser(server)
    page = browser.sign_in(browser.get(url))
    r = browser.submit(page, "consent", decision="allow")
    assert r.status_code == 302, show(r)
    location = r.headers["Location"]
    remember(*parse_qs(urlsplit(location).query).get("code", []))

    token = oauth.fetch_token(server.url + ACCESS, authorization_response=location, auth=client.auth,
                              include_client_id=False)
    remember(token.get("access_token"), token.get("refresh_token"))
    assert token.get("token_type") == "Bearer" and token.get("expires_in") == ACCESS_LIFETIME, redact(str(token))
    assert token.get("scope") == ["profile"], redact(str(token))
    check(token.get("refresh_token"), "no refresh token")
    r = oauth.get(server.url + CURRENT, params=JSON_OUT, timeout=10)
    assert r.status_code == 200 and r.json()["@id"] == admin_user["@id"], show(r)

    old_access, old_refresh = token["access_token"], token["refresh_token"]
    new = oauth.refresh_token(server.url + ACCESS, auth=client.auth)
    remember(new.get("access_token"), new.get("refresh_token"))
    check(new["access_token"] != old_access and new["refresh_token"] != old_refresh, "refresh did not rotate")
    r = oauth.get(server.url + CURRENT, params=JSON_OUT, timeout=10)
    assert r.status_code == 200 and r.json()["@id"] == admin_user["@id"], show(r)
    assert state  # oauthlib compared it with the redirect's


# ---------------------------------------------------------------------------------------------------------------
# 2. Errors of the code flow


@pytest.mark.parametrize("auth_id", ["2", "0", "abc"])
def test_other_auth_ids_are_404(server, client, auth_id):
    r = requests.get(f"{server.url}/@app/auth/{auth_id}/token/authorize", params=authorize_params(client),
                     allow_redirects=False, timeout=10)
    assert r.status_code == 404, show(r)
    assert "Location" not in r.headers
    for endpoint, data in (("access.json", {"grant_type": "refresh_token", "refresh_token": "x" * 20}),
                           ("device.json", {"scope": "profile"})):
        r = requests.post(f"{server.url}/@app/auth/{auth_id}/token/{endpoint}", data=data, auth=client.auth, timeout=10)
        assert r.status_code == 404, show(r)
    r = requests.get(f"{server.url}/@app/auth/{auth_id}/token/device", timeout=10)
    assert r.status_code == 404, show(r)


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/cb",
    f"https://sub.{HOST}/cb",
    f"https://{HOST}.evil.example/cb",
    f"https://{HOST}@evil.example/cb",
    f"https://evil.example/cb?next={HOST}",
    "https://127.0.0.2/cb",
    "http://localhost:5000/cb",
])
def test_redirect_host_not_in_the_tokens_hosts_is_an_error_page(server, client, redirect_uri):
    r = requests.get(server.url + AUTHORIZE, params=authorize_params(client, redirect_uri=redirect_uri),
                     allow_redirects=False, timeout=10)
    message = error_page(r, 400)
    assert message, show(r)
    assert "evil.example/cb?" not in r.text.replace("&amp;", "&")  # no link back to the refused target


def test_unknown_client_or_missing_redirect_is_an_error_page(server, client):
    params = authorize_params(client)
    error_page(requests.get(server.url + AUTHORIZE, params={**params, "client_id": secrets.token_hex(32)},
                            allow_redirects=False, timeout=10), 400)
    error_page(requests.get(server.url + AUTHORIZE, params={k: v for k, v in params.items() if k != "redirect_uri"},
                            allow_redirects=False, timeout=10), 400)
    error_page(requests.get(server.url + AUTHORIZE, params={k: v for k, v in params.items() if k != "client_id"},
                            allow_redirects=False, timeout=10), 400)


def test_wrong_secret_is_401_invalid_client(server, client, other_client):
    code = get_code(Browser(server), client)
    for wrong in (secrets.token_hex(32), other_client.secret, client.secret[:-1]):
        r = code_grant(server, client, code, client_secret=wrong)
        oauth_error(r, 401, "invalid_client")
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers  # RFC 6749 §5.2
        no_leak(r, wrong, code)


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit", "foo"])
def test_unknown_grant_type_is_unsupported_grant_type(server, client, grant_type):
    oauth_error(access(server, client, {"grant_type": grant_type, "username": "admin", "password": ADMIN_PASSWORD}),
                400, "unsupported_grant_type")


@pytest.mark.parametrize("scope", ["admin", "openid", "profile admin", "PROFILE"])
def test_unknown_scope_redirects_with_invalid_scope(server, client, scope):
    r = Browser(server).get(AUTHORIZE, authorize_params(client, scope=scope, state="sc"))
    query = redirect_query(r)
    assert query.get("error") == "invalid_scope" and query.get("state") == "sc", redact(r.headers["Location"])
    assert "code" not in query


def test_unsupported_response_type_redirects_with_error(server, client):
    r = Browser(server).get(AUTHORIZE, authorize_params(client, response_type="token", state="rt"))
    query = redirect_query(r)
    assert query.get("error") == "unsupported_response_type" and query.get("state") == "rt", redact(r.headers["Location"])


def test_deny_on_consent_redirects_with_access_denied(server, client):
    r, state = authorize(Browser(server), client, decision="deny")
    query = redirect_query(r)
    assert query.get("error") == "access_denied" and query.get("state") == state, redact(r.headers["Location"])
    assert "code" not in query


def test_code_replay_is_invalid_grant(server, client):
    code = get_code(Browser(server), client)
    first = tokens_of(code_grant(server, client, code))
    oauth_error(code_grant(server, client, code), 400, "invalid_grant")
    # A replayed code revokes what it gave (RFC 6749 §4.1.2): the first refresh token is refused, and so is the
    # access token.
    oauth_error(refresh_grant(server, client, first["refresh_token"]), 400, "invalid_grant")
    r = current(server, first["access_token"])
    assert r.status_code != 200, show(r)


def test_code_and_refresh_token_of_another_client_are_invalid_grant(server, client, other_client):
    code = get_code(Browser(server), client)
    oauth_error(code_grant(server, other_client, code), 400, "invalid_grant")
    code = get_code(Browser(server), client)
    doc = tokens_of(code_grant(server, client, code))
    oauth_error(refresh_grant(server, other_client, doc["refresh_token"]), 400, "invalid_grant")


def test_redirect_uri_must_match_the_authorize_request(server, client):
    redirect_uri = f"http://127.0.0.1:{free_port()}/cb"
    code = get_code(Browser(server), client, redirect_uri=redirect_uri)
    oauth_error(code_grant(server, client, code, redirect_uri=f"http://127.0.0.1:{free_port()}/cb"), 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------------------------
# 3. The device flow


def test_device_authorization_answer(server, client):
    r = requests.post(server.url + DEVICE_JSON, data={"scope": "profile"}, auth=client.auth, timeout=15)
    assert r.status_code == 200, show(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    doc = json_of(r)
    assert set(doc) == {"device_code", "user_code", "verification_uri", "verification_uri_complete", "expires_in",
                        "interval"}, sorted(doc)
    check(isinstance(doc["device_code"], str) and len(doc["device_code"]) >= 20, "device_code too short")
    user_code = doc["user_code"]
    check(bool(USER_CODE.match(user_code)), "user_code is not XXXX-XXXX of the consonant alphabet: shape "
          + re.sub("[A-Z]", "A", re.sub("[a-z]", "a", re.sub("[0-9]", "9", user_code))))
    assert doc["verification_uri"] == server.url + DEVICE_PAGE, doc["verification_uri"]
    assert doc["verification_uri_complete"] == f"{server.url}{DEVICE_PAGE}?user_code={user_code}"
    assert doc["expires_in"] == DEVICE_LIFETIME and doc["interval"] == POLL_INTERVAL, (doc["expires_in"], doc["interval"])
    no_leak(r, client.secret)
    # Two requests: two different codes.
    again = start_device(server, client)
    check(again["device_code"] != doc["device_code"] and again["user_code"] != user_code, "device codes repeat")


def test_device_poll_is_428_authorization_pending(server, client):
    started = start_device(server, client)
    for _ in range(2):
        oauth_error(device_poll(server, client, started["device_code"]), 428, "authorization_pending")


def test_device_allow_then_tokens_once(server, client, admin_user):
    started = start_device(server, client)
    done = decide_device(server, started, "allow")
    assert done.status_code == 200, show(done)
    assert re.search(r'\bid="done"', done.text), show(done)

    r = device_poll(server, client, started["device_code"])
    doc = tokens_of(r)
    no_leak(r, client.secret, started["device_code"])
    assert current_user(server, doc["access_token"])["@id"] == admin_user["@id"]
    second = tokens_of(refresh_grant(server, client, doc["refresh_token"]))
    assert current_user(server, second["access_token"])["@id"] == admin_user["@id"]

    oauth_error(device_poll(server, client, started["device_code"]), 400, "invalid_grant")


def test_device_denied_is_access_denied(server, client):
    started = start_device(server, client)
    page = decide_device(server, started, "deny")
    assert page.status_code == 200, show(page)
    oauth_error(device_poll(server, client, started["device_code"]), 400, "access_denied")


def test_device_code_of_another_client_is_invalid_grant(server, client, other_client):
    started = start_device(server, client)
    oauth_error(device_poll(server, other_client, started["device_code"]), 400, "invalid_grant")


@pytest.mark.parametrize("user_code", ["BBBB-BBBB", "ZZZZ-ZZZZ", "AEIO-UAEI", "hello"])
def test_unknown_user_code_page_is_400(server, user_code):
    browser = Browser(server)
    page = browser.get(DEVICE_PAGE, {"user_code": user_code})
    if page.status_code == 200 and form_of(page.text, "signin"):  # signs in first, then says the code is unknown
        page = browser.sign_in(page)
    assert page.status_code == 400, show(page)
    assert "unknown or has expired" in (page_error(page.text) or ""), show(page)


def test_used_user_code_is_unknown_afterwards(server, client):
    started = start_device(server, client)
    assert decide_device(server, started, "allow").status_code == 200
    browser = Browser(server)
    page = browser.get(started["verification_uri_complete"])
    if page.status_code == 200 and form_of(page.text, "signin"):
        page = browser.sign_in(page)
    assert page.status_code == 400 and "unknown or has expired" in (page_error(page.text) or ""), show(page)


def test_device_page_post_without_csrf_is_403(server, client):
    started = start_device(server, client)
    r = requests.post(server.url + DEVICE_PAGE, data={"step": "signin", "username": "admin", "password": ADMIN_PASSWORD,
                                                      "user_code": started["user_code"]}, timeout=10)
    assert r.status_code == 403, show(r)
    oauth_error(device_poll(server, client, started["device_code"]), 428, "authorization_pending")


def test_device_json_wrong_secret_is_401(server, client, other_client):
    for wrong in (secrets.token_hex(32), other_client.secret):
        r = requests.post(server.url + DEVICE_JSON, data={"scope": "profile"}, auth=(client.key, wrong), timeout=15)
        oauth_error(r, 401, "invalid_client")
        no_leak(r, wrong)


# ---------------------------------------------------------------------------------------------------------------
# 4. A user's authorizations


def authorizations(server, admin_token, how="bearer"):
    if how == "cookie":
        r = requests.get(server.url + AUTHORIZATIONS, cookies={"authtoken": admin_token}, timeout=10)
    else:
        r = requests.get(server.url + AUTHORIZATIONS, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert isinstance(doc.get("authorizations"), list) and doc.get("count") == len(doc["authorizations"]), show(r)
    return {a["clientId"]: a for a in doc["authorizations"]}


def revoke_authorization(server, admin_token, client_key):
    return requests.delete(f"{server.url}{AUTHORIZATIONS}/{client_key}", headers=bearer(admin_token), timeout=10)


@pytest.fixture()
def granted(server, admin_token):
    """Two clients the admin authorized: one through the code flow (scope profile), one through the device flow
    (scope "profile seated"); each with its tokens."""
    code_client = create_client(server, admin_token, name=unique("Code App"))
    device_client = create_client(server, admin_token, name=unique("Device App"))
    code_tokens = code_flow_tokens(server, code_client)
    started = start_device(server, device_client, scope="profile seated")
    assert decide_device(server, started, "allow").status_code == 200
    device_tokens = tokens_of(device_poll(server, device_client, started["device_code"]), scope="profile seated")
    return {"code": (code_client, code_tokens), "device": (device_client, device_tokens)}


def test_authorizations_list_the_clients(server, admin_token, granted):
    started = time.time()
    for how in ("bearer", "cookie"):
        listed = authorizations(server, admin_token, how)
        for kind, scope in (("code", "profile"), ("device", "profile seated")):
            client, _ = granted[kind]
            entry = listed.get(client.key)
            assert entry is not None, (kind, sorted(listed))
            assert set(entry) == {"clientId", "name", "scope", "created", "updated"}, entry
            assert entry["name"] == client.name, entry
            assert set(entry["scope"].split()) == set(scope.split()), entry
            assert ISO_8601.match(entry["created"]) and ISO_8601.match(entry["updated"]), entry
            assert entry["created"] <= entry["updated"], entry
    assert time.time() - started < 60


def test_revoking_an_authorization(server, admin_token, admin_user, granted):
    code_client, code_tokens = granted["code"]
    device_client, device_tokens = granted["device"]
    r = revoke_authorization(server, admin_token, code_client.key)
    assert r.status_code == 204 and r.content == b"", show(r)

    listed = authorizations(server, admin_token)
    assert code_client.key not in listed and device_client.key in listed, sorted(listed)
    # The other client is untouched.
    assert current_user(server, device_tokens["access_token"])["@id"] == admin_user["@id"]
    tokens_of(refresh_grant(server, device_client, device_tokens["refresh_token"]), scope="profile seated")

    # Deleting again, or deleting what was never granted: 404.
    r = revoke_authorization(server, admin_token, code_client.key)
    assert r.status_code == 404, show(r)
    r = revoke_authorization(server, admin_token, secrets.token_hex(32))
    assert r.status_code == 404, show(r)


def test_revoked_authorization_refresh_token_is_invalid_grant(server, admin_token, granted):
    code_client, code_tokens = granted["code"]
    assert revoke_authorization(server, admin_token, code_client.key).status_code == 204
    oauth_error(refresh_grant(server, code_client, code_tokens["refresh_token"]), 400, "invalid_grant")


def test_revoked_authorization_access_token_is_refused(server, admin_token, admin_user, granted):
    """The Expert surface answers a JWT that no longer verifies as seed 001's table does: 403 "invalid json web token"."""
    code_client, code_tokens = granted["code"]
    assert current_user(server, code_tokens["access_token"])["@id"] == admin_user["@id"]
    assert revoke_authorization(server, admin_token, code_client.key).status_code == 204
    r = current(server, code_tokens["access_token"])
    assert r.status_code == 403 and "invalid json web token" in r.text, show(r)


def test_revoked_device_authorization_tokens_fail(server, admin_token, granted):
    device_client, device_tokens = granted["device"]
    assert revoke_authorization(server, admin_token, device_client.key).status_code == 204
    assert device_client.key not in authorizations(server, admin_token)
    oauth_error(refresh_grant(server, device_client, device_tokens["refresh_token"]), 400, "invalid_grant")


def test_authorizations_need_a_signed_in_user(server, client):
    r = requests.get(server.url + AUTHORIZATIONS, timeout=10)
    assert r.status_code == 401, show(r)
    r = requests.delete(f"{server.url}{AUTHORIZATIONS}/{client.key}", timeout=10)
    assert r.status_code == 401, show(r)
    r = requests.get(server.url + AUTHORIZATIONS, headers=bearer("garbage-token"), timeout=10)
    assert r.status_code in (401, 403), show(r)


def test_a_new_grant_after_revocation_works(server, admin_token, client, admin_user):
    code_flow_tokens(server, client)
    assert revoke_authorization(server, admin_token, client.key).status_code == 204
    doc = code_flow_tokens(server, client)  # consent is asked again and given
    assert current_user(server, doc["access_token"])["@id"] == admin_user["@id"]
    assert client.key in authorizations(server, admin_token)


# ---------------------------------------------------------------------------------------------------------------
# 5. Malformed token-endpoint requests

FORM_TYPE = "application/x-www-form-urlencoded"
ENC_REDIRECT = "https%3A%2F%2Fapp.example.com%2Fcb"
ENC_DEVICE = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"

#: (id, endpoint, raw body, content type, authorization: "basic" | None | a header value, status, error)
MALFORMED = [
    ("access-no-grant-type", ACCESS, f"code=abcdef&redirect_uri={ENC_REDIRECT}", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-empty-grant-type", ACCESS, "grant_type=", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-empty-body", ACCESS, "", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-no-code", ACCESS, f"grant_type=authorization_code&redirect_uri={ENC_REDIRECT}", FORM_TYPE, "basic", 400,
     "invalid_request"),
    ("access-empty-code", ACCESS, f"grant_type=authorization_code&code=&redirect_uri={ENC_REDIRECT}", FORM_TYPE, "basic",
     400, "invalid_request"),
    ("access-no-redirect-uri", ACCESS, "grant_type=authorization_code&code=abcdefgh", FORM_TYPE, "basic", 400,
     "invalid_request"),
    ("access-garbage-code", ACCESS, f"grant_type=authorization_code&code=abcdefgh&redirect_uri={ENC_REDIRECT}", FORM_TYPE,
     "basic", 400, "invalid_grant"),
    ("access-over-long-code", ACCESS, f"grant_type=authorization_code&code={'a' * 5000}&redirect_uri={ENC_REDIRECT}",
     FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-no-refresh-token", ACCESS, "grant_type=refresh_token", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-garbage-refresh-token", ACCESS, "grant_type=refresh_token&refresh_token=garbage", FORM_TYPE, "basic", 400,
     "invalid_grant"),
    ("access-over-long-refresh-token", ACCESS, f"grant_type=refresh_token&refresh_token={'a' * 5000}", FORM_TYPE, "basic",
     400, "invalid_grant"),
    ("access-no-device-code", ACCESS, f"grant_type={ENC_DEVICE}", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-garbage-device-code", ACCESS, f"grant_type={ENC_DEVICE}&device_code=garbage", FORM_TYPE, "basic", 400,
     "invalid_grant"),
    ("access-device-code-shaped-garbage", ACCESS, f"grant_type={ENC_DEVICE}&device_code={'A' * 43}", FORM_TYPE, "basic",
     400, "invalid_grant"),
    ("access-over-long-device-code", ACCESS, f"grant_type={ENC_DEVICE}&device_code={'a' * 5000}", FORM_TYPE, "basic", 400,
     "invalid_request"),
    ("access-over-long-grant-type", ACCESS, f"grant_type={'x' * 5000}", FORM_TYPE, "basic", 400, "unsupported_grant_type"),
    ("access-body-over-64k", ACCESS, f"grant_type=authorization_code&code={'a' * 70000}", FORM_TYPE, "basic", 413,
     "invalid_request"),
    ("access-xml-body", ACCESS, "<grant_type>refresh_token</grant_type>", "application/xml", "basic", 415,
     "invalid_request"),
    ("access-multipart-body", ACCESS,
     '--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n--b--\r\n',
     "multipart/form-data; boundary=b", "basic", 415, "invalid_request"),
    ("access-html-body", ACCESS, "grant_type=refresh_token&refresh_token=x", "text/html", "basic", 415, "invalid_request"),
    ("access-octet-stream-body", ACCESS, "grant_type=refresh_token&refresh_token=x", "application/octet-stream", "basic",
     415, "invalid_request"),
    ("access-bad-percent-encoding", ACCESS, "grant_type=%zz", FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-duplicate-parameter", ACCESS, "grant_type=refresh_token&grant_type=refresh_token&refresh_token=abcdef",
     FORM_TYPE, "basic", 400, "invalid_request"),
    ("access-no-client-authentication", ACCESS, "grant_type=refresh_token&refresh_token=abcdef", FORM_TYPE, None, 401,
     "invalid_client"),
    ("access-malformed-basic", ACCESS, "grant_type=refresh_token&refresh_token=abcdef", FORM_TYPE, "Basic !!!", 401,
     "invalid_client"),
    ("access-bearer-instead-of-basic", ACCESS, "grant_type=refresh_token&refresh_token=abcdef", FORM_TYPE,
     "Bearer abcdef", 401, "invalid_client"),
    ("access-unknown-client", ACCESS, "grant_type=refresh_token&refresh_token=abcdef", FORM_TYPE,
     basic_header("a" * 64, "b" * 64), 401, "invalid_client"),
    ("access-over-long-client-id", ACCESS, "grant_type=refresh_token&refresh_token=abcdef", FORM_TYPE,
     basic_header("a" * 5000, "b" * 64), 401, "invalid_client"),
    ("device-no-client-authentication", DEVICE_JSON, "scope=profile", FORM_TYPE, None, 401, "invalid_client"),
    ("device-unknown-client", DEVICE_JSON, "scope=profile", FORM_TYPE, basic_header("a" * 64, "b" * 64), 401,
     "invalid_client"),
    ("device-scope-admin", DEVICE_JSON, "scope=admin", FORM_TYPE, "basic", 400, "invalid_scope"),
    ("device-scope-empty", DEVICE_JSON, "scope=", FORM_TYPE, "basic", 400, "invalid_scope"),
    ("device-duplicate-scope", DEVICE_JSON, "scope=profile&scope=profile", FORM_TYPE, "basic", 400, "invalid_request"),
    ("device-bad-percent-encoding", DEVICE_JSON, "scope=%G1", FORM_TYPE, "basic", 400, "invalid_request"),
    ("device-body-over-64k", DEVICE_JSON, "scope=" + "p" * 70000, FORM_TYPE, "basic", 413, "invalid_request"),
    ("device-xml-body", DEVICE_JSON, "<scope>profile</scope>", "application/xml", "basic", 415, "invalid_request"),
]


@pytest.mark.parametrize("endpoint, body, content_type, authorization, status, error",
                         [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_token_requests(server, other_client, endpoint, body, content_type, authorization, status, error):
    headers = {"Content-Type": content_type}
    if authorization == "basic":
        headers["Authorization"] = basic_header(other_client.key, other_client.secret)
    elif authorization:
        headers["Authorization"] = authorization
    r = requests.post(server.url + endpoint, data=body.encode("utf-8"), headers=headers, timeout=15)
    oauth_error(r, status, error)
    assert len(r.content) < 2000, f"the error answer is {len(r.content)} bytes: it echoes the input"
    no_leak(r, other_client.secret)


@pytest.mark.parametrize("endpoint", [ACCESS, DEVICE_JSON])
def test_unsupported_media_type_names_what_is_accepted(server, other_client, endpoint):
    """A 415 from a form endpoint must not advise the very type it refused."""
    r = requests.post(server.url + endpoint, data=b"<x/>", auth=other_client.auth,
                      headers={"Content-Type": "application/xml"}, timeout=15)
    assert r.status_code == 415, show(r)
    assert "use application/xml" not in r.text, f"the 415 advises the refused type: {show(r)}"


@pytest.mark.parametrize("endpoint", [ACCESS, DEVICE_JSON])
def test_token_endpoints_take_post_only(server, other_client, endpoint):
    r = requests.get(server.url + endpoint, auth=other_client.auth, timeout=10)
    assert r.status_code == 405, show(r)
    assert "POST" in r.headers.get("Allow", ""), r.headers
