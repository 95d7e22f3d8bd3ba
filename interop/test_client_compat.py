"""Client-compatibility interop tests: requests built the way public client libraries build them -- MindTouch's PHP
client (PHP-serialized answers, double-urlencoded `=name` segments, every PUT as a POST with `dream.in.verb`), Expert's
server-token example (just-in-time users through users/current and users/authenticate), NICE's JS SDK (refresh with no
client_id, CORS from a registered origin), Python's requests, authlib (private_key_jwt) and PyJWT -- must work against
Tessera unchanged, and what a hostile or sloppy client sends instead must be refused.

Everything here is independent client code: PHP's serialize() format is read back with `phpserialize` (PyPI), PHP's
urlencode is written out below from PHP's documentation, RSA keys are made with `cryptography`, assertions are signed
with PyJWT or authlib; nothing of the server's own code is called. Secrets go through helpers.py (`secret`, `show`,
`check`, `no_leak`) so that pytest never prints them.
"""
import hashlib
import hmac
import json
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import quote

import jwt
import phpserialize
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import ADMIN_PASSWORD, deki_error
from helpers import (
    JSON_OUT, USERS, User, b64url, basic_header, bearer, check, create_user, json_of, no_leak, secret, show, unique,
    wait_for,
)
from test_cxone_auth import (
    ACCESS_KEY_TOKEN, ASSERTION_TYPE, CXONE_CONFIG, JWKS, KEYS, OPENID, TOKEN, USER_REFRESH, USERINFO, access_key_tokens,
    basic_token, check_token_answer, create_key, cxone_session, discovery, key_tokens, keys_call, oauth_error,
    password_form, token_call, token_error, userinfo, verify,
)
from test_developer_tokens import sign
from test_foundation import deki_json_of
from test_oidc_signin import APPS, PageClient, api, approve, exchange, register_app, submit
from test_revocation import developer_token, jwt_of
from test_token_exchange import ACCESS_TOKEN_TYPE, GRANT as EXCHANGE_GRANT, new_key, public_jwk
from test_token_exchange import jwks_host  # noqa: F401 -- a fixture

CURRENT = USERS + "/current"
AUTHENTICATE = USERS + "/authenticate"
TOKENS = "/@api/deki/site/developer-tokens"
INTROSPECT = "/auth/introspect"
REVOKE = "/auth/revoke"
UNPARSABLE = "Unable to parse JWT token"
PHP_TYPE = "application/php; charset=utf-8"
SESSION = "X-Deki-Session"
XML_BODY = {"Content-Type": "application/xml"}
BROWSER_HOST = "web.compat.example"
BROWSER_ORIGIN = "https://" + BROWSER_HOST
FOREIGN_ORIGIN = "https://evil.example"
LOOPBACK_REDIRECT = "http://127.0.0.1:9/cb"


# ---------------------------------------------------------------------------------------------------------------
# Client helpers


def signed(token, user, legacy=False):
    """The X-Deki-Token header of a server token's signature for `user` ("=name" or an id), made now."""
    return {"X-Deki-Token": secret(sign(token["key"], token["secret"], str(user), legacy=legacy))}


def deki(server, path, headers=None, fmt="json", method="GET", **kwargs):
    """A call to /@api/deki; `fmt` is dream.out.format (None: the default, XML)."""
    params = dict(kwargs.pop("params", None) or {})
    if fmt:
        params["dream.out.format"] = fmt
    return requests.request(method, server.url + path, params=params, headers=headers or {}, timeout=15, **kwargs)


def authenticate(server, signature, **params):
    """users/authenticate with ?x-deki-token= (as the Expert example redirects the browser)."""
    return requests.get(server.url + AUTHENTICATE, params={"x-deki-token": signature, **params}, allow_redirects=False,
                        timeout=15)


def user_by_name(server, admin, name):
    """GET users/={name}, the name double-encoded as Expert's documentation asks."""
    return deki(server, f"{USERS}/={quote(quote(name, safe=''), safe='')}", bearer(admin.authtoken))


def users_matching(server, admin, **params):
    """The JSON users list for these parameters (users as a list, whatever their number)."""
    r = deki(server, USERS, bearer(admin.authtoken), params=params)
    assert r.status_code == 200, show(r)
    doc = r.json()
    listed = doc.get("user", [])
    doc["user"] = listed if isinstance(listed, list) else [listed]
    return doc


def site_user_count(server, admin):
    return int(users_matching(server, admin, limit="0")["@totalcount"])


def xml_root(r):
    assert r.headers.get("Content-Type", "").startswith("application/xml"), show(r)
    return ET.fromstring(r.content)


def php_urlencode(text):
    """PHP's urlencode(): letters, digits and -_. stay, a space becomes '+', every other byte of the UTF-8 text is
    %XX in upper case."""
    out = []
    for byte in text.encode("utf-8"):
        if byte < 0x80 and (chr(byte).isalnum() or chr(byte) in "-_."):
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def php_plain(value):
    """phpserialize's answer as plain Python: arrays keyed 0..n-1 become lists."""
    if isinstance(value, dict):
        if value and all(isinstance(k, int) for k in value):
            assert sorted(value) == list(range(len(value))), sorted(value)
            return [php_plain(value[i]) for i in range(len(value))]
        return {k: php_plain(v) for k, v in value.items()}
    return value


def php_of(r):
    """The unserialized PHP answer, whose content type is DReAM's application/php (in UTF-8)."""
    assert r.headers.get("Content-Type") == PHP_TYPE, (r.headers.get("Content-Type"), show(r))
    return php_plain(phpserialize.loads(r.content, decode_strings=True))


def session_of(r):
    value = r.headers.get(SESSION)
    assert value, f"no {SESSION} on {show(r)}"
    assert str(uuid.UUID(value)) == value, value  # a UUID in its canonical lower-case form
    return value


def shares_no_part(session, credential):
    """True when no 8 characters of the session id (without dashes) occur in the credential, and no 8 characters of
    the credential occur in the session id."""
    hexits, text = session.replace("-", "").lower(), str(credential).lower()
    if any(hexits[i:i + 8] in text for i in range(len(hexits) - 7)):
        return False
    return not any(text[i:i + 8] in session.lower() for i in range(len(text) - 7))


def iso_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: conftest's `server`, its admin, the tenant, a signing server token, a browser token


@pytest.fixture(scope="module")
def admin(server):
    return User(server, "admin", ADMIN_PASSWORD, role="Admin")


@pytest.fixture(scope="module")
def tenant_id(server, admin):
    return jwt.decode(cxone_session(server, admin.authtoken)["token"], options={"verify_signature": False})["tenantId"]


@pytest.fixture(scope="module")
def issuer(server):
    return discovery(server)["issuer"]


@pytest.fixture(scope="module")
def signer(server, admin):
    """An unrestricted server token: it signs for any user, and names users who do not exist yet."""
    return developer_token(server, admin, "<developer-token type='server'><name>compat signer</name></developer-token>")


@pytest.fixture(scope="module")
def browser_token(server, admin):
    return developer_token(server, admin, "<developer-token type='browser'><name>compat web app</name>"
                                          f"<host>{BROWSER_HOST}</host></developer-token>")


# ---------------------------------------------------------------------------------------------------------------
# 1. Just-in-time users through users/current and users/authenticate


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy-signature", "tkn-signature"])
def test_jit_user_the_way_the_expert_example_does_it(server, admin, signer, legacy):
    """Expert's server-token example: sign `=username`, GET users/current; when the answer's username is 'Anonymous'
    the user does not exist yet, so send the browser to users/authenticate?x-deki-token=...&redirect=..., which
    creates the user and signs it in. Afterwards the same kind of signature is that user."""
    name = unique("Jit.Person") + "@example.org"
    me = deki(server, CURRENT, signed(signer, "=" + name, legacy))
    assert me.status_code == 200, show(me)
    doc = me.json()
    assert (doc["username"], doc["@anonymous"], doc["@id"]) == ("Anonymous", "true", "2"), doc
    assert SESSION not in me.headers
    deki_error(user_by_name(server, admin, name), 404)  # nothing was created by users/current

    signature = signed(signer, "=" + name, legacy)["X-Deki-Token"]
    r = authenticate(server, signature, redirect="/home")
    assert r.status_code == 302 and r.headers.get("Location") == "/home", show(r)
    cookie = secret(r.cookies.get("authtoken"))
    check(bool(cookie), "users/authenticate set no authtoken cookie")
    me = deki(server, CURRENT, cookies={"authtoken": cookie}).json()
    assert (me["username"], me["@anonymous"]) == (name, "false"), me
    made = user_by_name(server, admin, name)
    assert made.status_code == 200, show(made)
    made = made.json()
    assert made["@id"] == me["@id"] and made["status"] == "active" and made["password"] == {"@exists": "false"}, made
    assert made["permissions.user"]["role"] == "Viewer"

    # A new signature (another epoch) of the same form is that user now, in XML as well.
    again = xml_root(deki(server, CURRENT, signed(signer, "=" + name, legacy), fmt=None))
    assert (again.get("id"), again.get("anonymous"), again.findtext("username")) == (made["@id"], "false", name)
    # Authenticating again signs the same user in and creates nobody.
    r = authenticate(server, signed(signer, "=" + name, legacy)["X-Deki-Token"])
    assert r.status_code == 200, show(r)
    check(r.text.split("_", 1)[0] == made["@id"], "the second sign-in's auth token is not the same user's")
    assert users_matching(server, admin, usernamefilter=name)["@querycount"] == "1"


def test_jit_name_sent_percent_encoded_in_the_signature_is_created_decoded(server, admin, signer):
    """A header carries visible ASCII only, so a name with a space, '@' or 'é' goes percent-encoded into the signature
    (signed as sent, or as decoded): the user created has the decoded name, and every spelling names that one user."""
    name = unique("Jo Smith-é") + "@example.org"
    encoded = "=" + quote(name, safe="")
    assert deki(server, CURRENT, signed(signer, encoded)).json()["username"] == "Anonymous"
    r = authenticate(server, signed(signer, encoded)["X-Deki-Token"])
    assert r.status_code == 200, show(r)
    made = user_by_name(server, admin, name)
    assert made.status_code == 200, show(made)
    deki_error(user_by_name(server, admin, encoded[1:]), 404)
    for spelling in (encoded, "=" + quote(name, safe="@"), "=" + quote(name.upper(), safe="@")):
        me = deki(server, CURRENT, signed(signer, spelling))
        assert me.status_code == 200 and me.json()["@id"] == made.json()["@id"], show(me)
    # Signed over the decoded name, sent encoded: the same user.
    value = sign(signer["key"], signer["secret"], "=" + name).replace("=" + name, encoded)
    assert deki(server, CURRENT, {"X-Deki-Token": secret(value)}).json()["@id"] == made.json()["@id"]
    # A raw space cannot be in the header's signature: that is a malformed signature, not a new name.
    deki_error(deki(server, CURRENT, signed(signer, "=" + name)), 401)


def test_jit_unknown_numeric_user_is_refused(server, admin, signer):
    """Only names are created just in time: an unknown numeric id is a 401 everywhere, and no user appears."""
    before = site_user_count(server, admin)
    for legacy in (True, False):
        r = deki(server, CURRENT, signed(signer, "987654", legacy))
        deki_error(r, 401)
        assert SESSION not in r.headers
        r = authenticate(server, signed(signer, "987654", legacy)["X-Deki-Token"])
        deki_error(r, 401)
        assert "authtoken" not in r.cookies
    assert site_user_count(server, admin) == before


@pytest.mark.parametrize("kind", ["number", "colon", "slash", "leading-space"])
def test_jit_name_that_cannot_be_a_username_is_400_and_creates_nothing(server, admin, signer, kind):
    tag = uuid.uuid4().hex[:8]
    name = {"number": str(int(tag, 16) % 10 ** 9 + 10 ** 9), "colon": f"colon:{tag}", "slash": f"slash/{tag}",
            "leading-space": f"%20space{tag}"}[kind]
    before = site_user_count(server, admin)
    # users/current: a valid signature for a name nobody has is the anonymous user, as for any unknown name.
    assert deki(server, CURRENT, signed(signer, "=" + name)).json()["@anonymous"] == "true"
    r = authenticate(server, signed(signer, "=" + name)["X-Deki-Token"])
    deki_error(r, 400)
    assert "authtoken" not in r.cookies
    assert site_user_count(server, admin) == before


def test_restricted_server_token_never_creates_users(server, admin):
    owner = create_user(server, admin, "Contributor")
    restricted = developer_token(server, admin, "<developer-token type='server'><name>compat restricted</name>"
                                                f"<restricted-by-user-id>{owner.id}</restricted-by-user-id></developer-token>")
    name = unique("never-made")
    before = site_user_count(server, admin)
    for legacy in (True, False):
        deki_error(deki(server, CURRENT, signed(restricted, "=" + name, legacy)), 403)
        r = authenticate(server, signed(restricted, "=" + name, legacy)["X-Deki-Token"])
        deki_error(r, 403)
        assert "authtoken" not in r.cookies
        # The header form of users/authenticate too.
        r = requests.get(server.url + AUTHENTICATE, headers=signed(restricted, "=" + name, legacy), allow_redirects=False,
                         timeout=15)
        deki_error(r, 403)
        assert "authtoken" not in r.cookies
    deki_error(user_by_name(server, admin, name), 404)
    assert site_user_count(server, admin) == before
    # The token still signs for its own user.
    assert deki(server, CURRENT, signed(restricted, "=" + owner.username)).json()["@id"] == owner.id


# ---------------------------------------------------------------------------------------------------------------
# 2. Malformed bearer tokens on Expert's surface


GARBAGE_BEARERS = [
    ("two-parts", "a.b"), ("one-dot", "."), ("dots-only", ".."), ("five-parts", "a.b.c.d.e"),
    ("js-undefined", "undefined"), ("js-null", "null"), ("dash", "-"), ("underscores", "___"),
    ("auth-token-short-mac", "1_99999999999_abc"), ("base64-padding", "ZGVtbw=="), ("very-long", "g" * 6000),
    ("very-long-dotted", ("x" * 2000 + ".") * 2 + "x"),
]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("case", GARBAGE_BEARERS, ids=[c[0] for c in GARBAGE_BEARERS])
def test_malformed_bearer_is_unable_to_parse_jwt_token(server, case, fmt):
    _, token = case
    r = deki(server, CURRENT, bearer(token), fmt=fmt)
    deki_error(r, 403, UNPARSABLE)
    assert r.headers["Content-Type"].startswith("application/" + fmt), r.headers["Content-Type"]
    assert SESSION not in r.headers


# ---------------------------------------------------------------------------------------------------------------
# 3. dream.out.format=php (MindTouch's PHP client) and jsonp


@pytest.fixture(scope="module")
def unicode_user(server, admin):
    """A user whose names need UTF-8 byte lengths in PHP's format, and quotes and PHP syntax in them."""
    username = "php-é-😀-" + uuid.uuid4().hex[:6]
    fullname = 'Zoë "Q" O\'Neil; s:3:"x";} 😀 — 中文'
    r = requests.post(server.url + USERS, params=JSON_OUT, json={"username": username, "fullname": fullname},
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200, show(r)
    return r.json()


@pytest.fixture(scope="module")
def unicode_token(server, admin):
    return developer_token(server, admin, "<developer-token type='browser'><name>Größe \"😀\" &amp; é</name>"
                                          "<host>php.example</host></developer-token>")


def _php_cases():
    """(id, builder(server, admin, unicode_user) -> (path, headers))."""
    return [
        ("current-admin", lambda s, a, u: (CURRENT, bearer(a.authtoken))),
        ("current-anonymous", lambda s, a, u: (CURRENT, {})),
        ("users-list", lambda s, a, u: (USERS + "?limit=all", bearer(a.authtoken))),
        ("one-unicode-user", lambda s, a, u: (f"{USERS}/{u['@id']}", bearer(a.authtoken))),
        ("developer-tokens", lambda s, a, u: (TOKENS, bearer(a.authtoken))),
        ("error-404", lambda s, a, u: (USERS + "/999999", bearer(a.authtoken))),
        ("error-401", lambda s, a, u: (TOKENS, {})),
    ]


PHP_CASES = _php_cases()


@pytest.mark.parametrize("case", PHP_CASES, ids=[c[0] for c in PHP_CASES])
def test_php_output_is_the_json_document_serialized(server, admin, signer, unicode_token, unicode_user, case):
    """PHP's serialize() of the document: the root element is the one key, below it exactly the deki JSON mapping
    (attributes as "@name", repeated elements as arrays, every value a string), read back with phpserialize."""
    path, headers = case[1](server, admin, unicode_user)
    as_xml = deki(server, path, headers, fmt=None)
    as_json = deki(server, path, headers, fmt="json")
    as_php = deki(server, path, headers, fmt="php")
    assert as_php.status_code == as_json.status_code == as_xml.status_code, (show(as_php), show(as_json))
    root = xml_root(as_xml)
    doc = php_of(as_php)
    assert list(doc) == [root.tag], list(doc)
    assert doc[root.tag] == as_json.json()
    assert doc[root.tag] == deki_json_of(root)
    if case[0] == "developer-tokens":
        listed = doc[root.tag]["developer-token"]
        assert isinstance(listed, list) and len(listed) >= 2, listed
        assert 'Größe "😀" & é' in [t["name"] for t in listed], listed
        check(signer["secret"] not in as_php.text, "the PHP token list shows a secret")


def test_php_string_lengths_count_utf8_bytes(server, admin, unicode_user):
    r = deki(server, f"{USERS}/{unicode_user['@id']}", bearer(admin.authtoken), fmt="php")
    assert r.status_code == 200, show(r)
    for value in (unicode_user["username"], unicode_user["fullname"]):
        raw = value.encode("utf-8")
        assert b's:%d:"%s";' % (len(raw), raw) in r.content, value
    user = php_of(r)["user"]
    assert (user["username"], user["fullname"]) == (unicode_user["username"], unicode_user["fullname"])
    # The same user by =name, double-encoded as the PHP client does, in PHP too.
    segment = "=" + php_urlencode(php_urlencode(unicode_user["username"]))
    again = deki(server, f"{USERS}/{segment}", bearer(admin.authtoken), fmt="php")
    assert php_of(again) == php_of(r)


@pytest.mark.parametrize("fmt, callback", [("jsonp", None), ("jsonp", "cb"), ("JSONP", "jQuery123_456"), ("JsonP", "")])
def test_jsonp_is_refused(server, admin, fmt, callback):
    """jsonp would hand a credentialed answer to any page including the URL as a script: 400, with no part of it."""
    params = {"dream.out.callback": callback} if callback is not None else {}
    for path, headers in ((CURRENT, bearer(admin.authtoken)), (CURRENT, {}), (USERS, bearer(admin.authtoken)),
                          (TOKENS, {}), (CURRENT, {"Cookie": "authtoken=" + admin.authtoken})):
        r = deki(server, path, headers, fmt=fmt, params=params)
        fields = deki_error(r, 400)
        assert "jsonp" in fields["message"].lower(), fields
        assert "javascript" not in r.headers.get("Content-Type", ""), r.headers.get("Content-Type")
        assert admin.guid not in r.text and not r.text.startswith((callback or "") + "("), show(r)


# ---------------------------------------------------------------------------------------------------------------
# 4. Path segments decoded as Expert's framework decodes them


#: (id, name, twin): the twin is the user a single-encoded segment names instead (decoded twice), or None.
PATH_NAMES = [
    ("at", "jane{u}@example.com", None), ("dots", "dot.ted.{u}", None), ("plus", "plus+{u}", "plus {u}"),
    ("space", "with space {u}", None), ("percent-no-escape", "100% sure {u}", None),
    ("percent-escape", "pct%41{u}", "pctA{u}"), ("non-ascii", "Émile-ß-中-{u}", None),
]


@pytest.fixture(scope="module")
def path_users(server, admin):
    """The users of PATH_NAMES (and their twins): {id: (user, twin user or None)}."""
    # PHP's documented results, so that the encodings the tests send are PHP's: urlencode(' ') is '+', urlencode('+')
    # '%2B', so twice a space is %2B and a '+' %252B.
    assert php_urlencode("a b+c@d.e~-_é") == "a+b%2Bc%40d.e%7E-_%C3%A9"
    assert (php_urlencode(php_urlencode(" ")), php_urlencode(php_urlencode("+"))) == ("%2B", "%252B")
    tag = uuid.uuid4().hex[:6]
    made = {}

    def new(name):
        r = requests.post(server.url + USERS, params=JSON_OUT, json={"username": name}, headers=bearer(admin.authtoken),
                          timeout=15)
        assert r.status_code == 200, show(r)
        return r.json()

    for case, name, twin in PATH_NAMES:
        made[case] = (new(name.format(u=tag)), new(twin.format(u=tag)) if twin else None)
    return made


@pytest.mark.parametrize("how", ["python-double", "php-double", "single"])
@pytest.mark.parametrize("case", [c[0] for c in PATH_NAMES])
def test_user_segment_decoded_twice(server, admin, path_users, case, how):
    """users/={name}: Expert's framework decodes a segment once, Deki decodes `=name` again. Double encoding (Python's
    quote twice, or PHP's urlencode twice as MindTouch's PHP client does) names the user; single encoding does too,
    except that what the second pass decodes changes: '%2B' becomes '+' then a space, and '%2541' becomes '%41' then
    'A' -- those name the twin."""
    user, twin = path_users[case]
    name = user["username"]
    segment = {"python-double": quote(quote(name, safe=""), safe=""), "php-double": php_urlencode(php_urlencode(name)),
               "single": quote(name, safe="")}[how]
    r = deki(server, f"{USERS}/={segment}", bearer(admin.authtoken))
    assert r.status_code == 200, show(r)
    expected = twin if (how == "single" and twin) else user
    assert (r.json()["@id"], r.json()["username"]) == (expected["@id"], expected["username"])


def test_user_segment_is_decoded_exactly_twice(server, admin, path_users):
    user, _ = path_users["at"]
    triple = quote(quote(quote(user["username"], safe=""), safe=""), safe="")
    deki_error(deki(server, f"{USERS}/={triple}", bearer(admin.authtoken)), 404)


def test_query_filter_reads_plus_as_a_space(server, admin):
    """A query string is form-encoded: requests' params, PHP's http_build_query (MindTouch's PHP client) and HTML forms
    write a space as '+', and Expert's framework reads '+' in a query as a space (as it does in a path segment). A
    filter with a space finds its user whichever way the space is written."""
    tag = uuid.uuid4().hex[:8]
    r = requests.post(server.url + USERS, params=JSON_OUT, json={"username": unique("quinn"), "fullname": f"Quinn Plus {tag}"},
                      headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200, show(r)
    for query in (f"fullnamefilter=Quinn%20Plus%20{tag}", f"fullnamefilter=Quinn+Plus+{tag}", f"fullnamefilter=quinn+plus+{tag}"):
        found = requests.get(f"{server.url}{USERS}?dream.out.format=json&{query}", headers=bearer(admin.authtoken), timeout=15)
        assert found.status_code == 200 and found.json()["@querycount"] == "1", (query, show(found))
    assert users_matching(server, admin, fullnamefilter=f"Quinn Plus {tag}")["@querycount"] == "1"


@pytest.mark.parametrize("password", ["two words {tag}", "plus+sign+{tag}"], ids=["space", "plus"])
def test_account_password_set_through_a_form_encoded_query_signs_in(server, admin, password):
    """requests sends accountpassword="two words" as two+words (and a '+' as %2B): the user signs in with the
    password that was meant."""
    password = secret(password.format(tag=uuid.uuid4().hex[:8]))
    name = unique("pw-user")
    made = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password}, json={"username": name},
                         headers=bearer(admin.authtoken), timeout=15)
    assert made.status_code == 200, show(made)
    r = requests.get(server.url + AUTHENTICATE, auth=(name, password), timeout=15)
    assert r.status_code == 200, show(r)


@pytest.mark.parametrize("how", ["put-python-double", "post-override-php-double"])
def test_put_user_by_double_encoded_name(server, admin, path_users, how):
    """PUT users/={double-encoded}: as requests would send it, and as MindTouch's PHP client sends every PUT (POST
    with ?dream.in.verb=PUT, the name urlencoded twice)."""
    user, _ = path_users["plus"]
    fullname = f"Renamed {how} é"
    body = f"<user><fullname>{fullname}</fullname></user>".encode("utf-8")
    if how == "put-python-double":
        r = deki(server, f"{USERS}/={quote(quote(user['username'], safe=''), safe='')}", {**bearer(admin.authtoken), **XML_BODY},
                 method="PUT", data=body)
    else:
        r = deki(server, f"{USERS}/={php_urlencode(php_urlencode(user['username']))}", {**bearer(admin.authtoken), **XML_BODY},
                 method="POST", data=body, params={"dream.in.verb": "PUT"})
    assert r.status_code == 200, show(r)
    assert (r.json()["@id"], r.json()["fullname"]) == (user["@id"], fullname)
    assert deki(server, f"{USERS}/{user['@id']}", bearer(admin.authtoken)).json()["fullname"] == fullname


# ---------------------------------------------------------------------------------------------------------------
# 5. Verb override on /@api/deki


@pytest.mark.parametrize("how", ["query", "query-lower-case", "header"])
def test_post_with_verb_override_updates_a_user(server, admin, how):
    person = create_user(server, admin, "Viewer")
    override = {"query": ({"dream.in.verb": "PUT"}, {}), "query-lower-case": ({"dream.in.verb": "put"}, {}),
                "header": ({}, {"X-HTTP-Method-Override": "PUT"})}[how]
    body = "<user><fullname>Over Ridden</fullname><permissions.user><role>Contributor</role></permissions.user></user>"
    r = deki(server, f"{USERS}/{person.id}", {**bearer(admin.authtoken), **XML_BODY, **override[1]}, method="POST",
             data=body, params=override[0])
    assert r.status_code == 200, show(r)
    again = deki(server, f"{USERS}/{person.id}", bearer(admin.authtoken)).json()
    assert (again["fullname"], again["permissions.user"]["role"]) == ("Over Ridden", "Contributor")


def test_post_with_verb_override_deletes_a_developer_token(server, admin):
    for override in (({"dream.in.verb": "DELETE"}, {}), ({}, {"X-HTTP-Method-Override": "delete"})):
        doc = developer_token(server, admin, "<developer-token type='server'><name>overridden</name></developer-token>")
        assert deki(server, CURRENT, signed(doc, "1")).status_code == 200
        r = deki(server, f"{TOKENS}/{doc['@id']}", {**bearer(admin.authtoken), **override[1]}, method="POST", params=override[0])
        assert r.status_code == 204, show(r)
        deki_error(deki(server, f"{TOKENS}/{doc['@id']}", bearer(admin.authtoken)), 404)
        deki_error(deki(server, CURRENT, signed(doc, "1")), 401)


def test_only_post_is_overridden(server, admin):
    """A GET (or PUT, or DELETE) asking for another verb is still what it is: nothing is deleted by a GET."""
    doc = developer_token(server, admin, "<developer-token type='server'><name>still here</name></developer-token>")
    path = f"{TOKENS}/{doc['@id']}"
    for override in (({"dream.in.verb": "DELETE"}, {}), ({}, {"X-HTTP-Method-Override": "DELETE"})):
        r = deki(server, path, {**bearer(admin.authtoken), **override[1]}, params=override[0])
        assert r.status_code == 200 and r.json()["@id"] == doc["@id"], show(r)
    assert deki(server, path, bearer(admin.authtoken)).status_code == 200
    # A PUT asking to be a GET still changes the user.
    person = create_user(server, admin, "Viewer")
    r = deki(server, f"{USERS}/{person.id}", {**bearer(admin.authtoken), **XML_BODY}, method="PUT",
             data="<user><fullname>Put Anyway</fullname></user>", params={"dream.in.verb": "GET"})
    assert r.status_code == 200 and r.json()["fullname"] == "Put Anyway", show(r)
    # A DELETE asking to be a GET still deletes.
    r = deki(server, path, bearer(admin.authtoken), method="DELETE", params={"dream.in.verb": "GET"})
    assert r.status_code == 204, show(r)
    deki_error(deki(server, path, bearer(admin.authtoken)), 404)


@pytest.mark.parametrize("path, verb, allowed", [
    ("user", "DELETE", {"GET", "PUT"}), ("user", "PATCH", {"GET", "PUT"}), ("user", "BOGUS", {"GET", "PUT"}),
    ("current", "PUT", {"GET"}), ("current", "DELETE", {"GET"}),
])
def test_override_to_a_verb_the_route_lacks_is_405(server, admin, path, verb, allowed):
    person = create_user(server, admin, "Viewer")
    target = {"user": f"{USERS}/{person.id}", "current": CURRENT}[path]
    for override in (({"dream.in.verb": verb}, {}), ({}, {"X-HTTP-Method-Override": verb})):
        r = deki(server, target, {**bearer(admin.authtoken), **XML_BODY, **override[1]}, method="POST",
                 data="<user><fullname>Never</fullname></user>", params=override[0])
        deki_error(r, 405)
        assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed, r.headers.get("Allow")
    assert deki(server, f"{USERS}/{person.id}", bearer(admin.authtoken)).json()["fullname"] != "Never"


def test_overridden_verb_keeps_its_permissions(server, admin):
    """A viewer's POST ?dream.in.verb=PUT is a PUT a viewer may not make (403), and changes nothing."""
    viewer = create_user(server, admin, "Viewer")
    for override in (({"dream.in.verb": "PUT"}, {}), ({}, {"X-HTTP-Method-Override": "PUT"})):
        r = deki(server, f"{USERS}/{viewer.id}", {**bearer(viewer.authtoken), **XML_BODY, **override[1]}, method="POST",
                 data="<user><permissions.user><role>Admin</role></permissions.user></user>", params=override[0])
        deki_error(r, 403)
    assert deki(server, CURRENT, bearer(viewer.authtoken)).json()["permissions.user"]["role"] == "Viewer"


def test_override_does_not_apply_outside_deki(server, admin, tenant_id):
    """CXone's APIs take no verb override: a POST to an application asking to be a DELETE is that POST (an unknown
    action), and the application is neither disabled nor scheduled for deletion; likewise an access key."""
    app = register_app(server, admin.authtoken, "backend", "client_secret_basic")
    for override in (({"dream.in.verb": "DELETE"}, {}), ({}, {"X-HTTP-Method-Override": "DELETE"})):
        r = api(server, admin.authtoken, "POST", "/" + app["tracking"], params=override[0], headers=override[1])
        assert r.status_code in (404, 405), show(r)
    doc = json_of(api(server, admin.authtoken, "GET", "/" + app["tracking"]))
    assert doc["isEnabled"] is True and doc["scheduledDeletionTime"] is None, doc
    key = create_key(server, admin.authtoken, admin.guid, tenant_id)
    for override in (({"dream.in.verb": "DELETE"}, {}), ({}, {"X-HTTP-Method-Override": "DELETE"})):
        r = keys_call(server, "POST", "/" + key["accessKeyId"], token=admin.authtoken, params=override[0], headers=override[1])
        assert r.status_code == 405, show(r)
        no_leak(r, key["accessKeySecret"])
    assert keys_call(server, "GET", "/" + key["accessKeyId"], token=admin.authtoken).status_code == 200
    key_tokens(server, key)


# ---------------------------------------------------------------------------------------------------------------
# 6. Browser tokens used from servers


def test_browser_key_on_a_post_without_origin(server, admin, browser_token):
    """A community tool on a server sends the browser key with no Origin: the key adds no identity and no CORS headers;
    the request runs as its own credential (cookie or Bearer), or anonymous."""
    key = {"X-Deki-Token": browser_token["key"]}
    cookie = {"authtoken": admin.authtoken}
    name = unique("via-browser-key")
    r = deki(server, USERS, key, method="POST", json={"username": name}, cookies=cookie)
    assert r.status_code == 200 and r.json()["username"] == name, show(r)
    assert "Access-Control-Allow-Origin" not in r.headers
    r = deki(server, USERS, {**key, **bearer(admin.authtoken)}, method="POST", json={"username": name + "-b"})
    assert r.status_code == 200, show(r)
    assert "Access-Control-Allow-Origin" not in r.headers
    # The key alone is anonymous, and anonymous may not create users.
    r = deki(server, USERS, key, method="POST", json={"username": name + "-anon"})
    deki_error(r, 401)
    assert "Access-Control-Allow-Origin" not in r.headers
    deki_error(user_by_name(server, admin, name + "-anon"), 404)
    # The PHP client's PUT (a POST with dream.in.verb) carrying the key, with the cookie.
    made = user_by_name(server, admin, name).json()
    r = deki(server, f"{USERS}/{made['@id']}", {**key, **XML_BODY}, method="POST", params={"dream.in.verb": "PUT"},
             data="<user><fullname>Browser Keyed</fullname></user>", cookies=cookie)
    assert r.status_code == 200 and r.json()["fullname"] == "Browser Keyed", show(r)


def test_browser_key_post_from_a_foreign_origin_is_refused(server, admin, browser_token):
    name = unique("foreign-post")
    headers = {"X-Deki-Token": browser_token["key"], "Origin": FOREIGN_ORIGIN}
    r = deki(server, USERS, headers, method="POST", json={"username": name}, cookies={"authtoken": admin.authtoken})
    deki_error(r, 403)
    assert "Access-Control-Allow-Origin" not in r.headers and "Access-Control-Allow-Credentials" not in r.headers
    deki_error(user_by_name(server, admin, name), 404)


def test_browser_key_post_from_the_allowed_origin_gets_cors(server, admin, browser_token):
    name = unique("allowed-post")
    headers = {"X-Deki-Token": browser_token["key"], "Origin": BROWSER_ORIGIN}
    r = deki(server, USERS, headers, method="POST", json={"username": name}, cookies={"authtoken": admin.authtoken})
    assert r.status_code == 200, show(r)
    assert r.headers.get("Access-Control-Allow-Origin") == BROWSER_ORIGIN
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    assert user_by_name(server, admin, name).status_code == 200


def test_unknown_or_server_key_without_origin_is_403(server, signer):
    """The key must be a browser token's even when no Origin is sent."""
    for key in (uuid.uuid4().hex * 2, signer["key"]):
        for method, kwargs in (("GET", {}), ("POST", {"json": {"username": unique("nope")}})):
            r = deki(server, CURRENT if method == "GET" else USERS, {"X-Deki-Token": key}, method=method, **kwargs)
            deki_error(r, 403)
            assert "Access-Control-Allow-Origin" not in r.headers


# ---------------------------------------------------------------------------------------------------------------
# 7. X-Deki-Session


def test_deki_session_of_auth_tokens(server, admin):
    person = create_user(server, admin, "Viewer")
    first = [session_of(deki(server, CURRENT, bearer(person.authtoken))) for _ in range(2)]
    assert first[0] == first[1]
    # The same auth token as a cookie is the same session, and so is it in every output format.
    assert session_of(deki(server, CURRENT, cookies={"authtoken": person.authtoken})) == first[0]
    for fmt in (None, "php"):
        assert session_of(deki(server, CURRENT, bearer(person.authtoken), fmt=fmt)) == first[0]
    # Another sign-in of the same user (another second, so another token) is another session.
    time.sleep(1.05)
    r = requests.get(server.url + AUTHENTICATE, auth=(person.username, person.password), timeout=15)
    assert r.status_code == 200, show(r)
    second_token = secret(r.text)
    check(second_token != person.authtoken, "two sign-ins a second apart gave the same auth token")
    second = session_of(deki(server, CURRENT, bearer(second_token)))
    assert second != first[0]
    # Another user is another session; an admin's session shares nothing with it.
    admin_session = session_of(deki(server, CURRENT, bearer(admin.authtoken)))
    assert admin_session not in (first[0], second)
    for session, credential in ((first[0], person.authtoken), (second, second_token), (admin_session, admin.authtoken)):
        check(shares_no_part(session, credential), "an X-Deki-Session shares characters with its auth token")


def test_deki_session_of_signatures_and_long_term_jwts(server, admin, signer):
    person = create_user(server, admin, "Contributor")
    other = create_user(server, admin, "Contributor")
    by_signature = session_of(deki(server, CURRENT, signed(signer, person.id)))
    time.sleep(1.05)  # another epoch: another signature, the same credential
    later = signed(signer, "=" + person.username, legacy=True)
    assert session_of(deki(server, CURRENT, later)) == by_signature
    assert session_of(deki(server, CURRENT, signed(signer, other.id))) != by_signature
    assert by_signature != session_of(deki(server, CURRENT, bearer(person.authtoken)))
    check(shares_no_part(by_signature, later["X-Deki-Token"]) and shares_no_part(by_signature, signer["secret"])
          and shares_no_part(by_signature, signer["key"]), "an X-Deki-Session shares characters with the signature or its token")

    doc = developer_token(server, admin, "<developer-token type='server'><name>session jwt</name>"
                                         f"<restricted-by-user-id>{person.id}</restricted-by-user-id></developer-token>")
    token = jwt_of(doc)
    by_jwt = [session_of(deki(server, CURRENT, bearer(token))) for _ in range(2)]
    assert by_jwt[0] == by_jwt[1] and by_jwt[0] != by_signature
    check(shares_no_part(by_jwt[0], token), "an X-Deki-Session shares characters with its long-term JWT")


def test_deki_session_of_access_tokens(server, admin, tenant_id):
    person = create_user(server, admin, "Contributor")
    key = create_key(server, admin.authtoken, person.guid, tenant_id)
    tokens = key_tokens(server, key)
    session = [session_of(deki(server, CURRENT, bearer(tokens["access_token"]))) for _ in range(2)]
    assert session[0] == session[1]
    check(shares_no_part(session[0], tokens["access_token"]), "an X-Deki-Session shares characters with its access token")
    # A refreshed access token belongs to the same session; a new exchange of the key starts another.
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, show(r)
    assert session_of(deki(server, CURRENT, bearer(json_of(r)["access_token"]))) == session[0]
    assert session_of(deki(server, CURRENT, bearer(key_tokens(server, key)["access_token"]))) != session[0]


def test_no_deki_session_for_anonymous_callers(server, signer, browser_token):
    for headers in ({}, signed(signer, "=" + unique("nobody-yet")), {"X-Deki-Token": browser_token["key"]},
                    {"X-Deki-Token": browser_token["key"], "Origin": BROWSER_ORIGIN}):
        r = deki(server, CURRENT, headers)
        assert r.status_code == 200 and r.json()["@anonymous"] == "true", show(r)
        assert SESSION not in r.headers, headers


def test_deki_session_is_readable_through_cors(server, admin, browser_token):
    r = deki(server, CURRENT, {"X-Deki-Token": browser_token["key"], "Origin": BROWSER_ORIGIN},
             cookies={"authtoken": admin.authtoken})
    assert r.status_code == 200 and r.json()["@id"] == "1", show(r)
    assert r.headers.get("Access-Control-Allow-Origin") == BROWSER_ORIGIN
    exposed = [h.strip().lower() for h in r.headers.get("Access-Control-Expose-Headers", "").split(",")]
    assert SESSION.lower() in exposed, r.headers.get("Access-Control-Expose-Headers")
    assert session_of(r) == session_of(deki(server, CURRENT, cookies={"authtoken": admin.authtoken}))


# ---------------------------------------------------------------------------------------------------------------
# 8. Refresh as RFC 6749 §6


@pytest.fixture(scope="module")
def person(server, admin):
    """The person who signs in through the pages."""
    return create_user(server, admin, "Contributor", fullname="Paula Pages")


@pytest.fixture(scope="module")
def code_apps(server, admin):
    """A public app (PKCE) and two confidential apps (client_secret_basic), registered through the API."""
    return {
        "public": register_app(server, admin.authtoken, "public", redirect=LOOPBACK_REDIRECT + "/public"),
        "conf": register_app(server, admin.authtoken, "confidential", "client_secret_basic", LOOPBACK_REDIRECT + "/conf"),
        "other": register_app(server, admin.authtoken, "confidential", "client_secret_basic", LOOPBACK_REDIRECT + "/other"),
    }


def code_tokens(server, app, user):
    """A code flow through the pages, then the code exchange; returns the token answer."""
    code, verifier = PageClient(server).code(app, user)
    r = exchange(server, app, code, verifier)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert doc["issued_token_type"] == ACCESS_TOKEN_TYPE and doc.get("id_token"), show(r)
    return doc


def refresh_grant(server, refresh_token, auth=None, **extra):
    return token_call(server, data={"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}, auth=auth)


def credentials(app):
    return app["client_id"], app["secret"]


def test_public_client_refreshes_with_the_refresh_token_alone(server, code_apps, person):
    """NICE's SDK refreshes with grant_type and refresh_token only, no client_id."""
    app = code_apps["public"]
    tokens = code_tokens(server, app, person)
    r = refresh_grant(server, tokens["refresh_token"])
    renewed = check_token_answer(r)
    assert renewed["issued_token_type"] == ACCESS_TOKEN_TYPE
    check(renewed["refresh_token"] != tokens["refresh_token"], "the refresh token was not rotated")
    assert jwt.decode(renewed["access_token"], options={"verify_signature": False})["client_id"] == app["client_id"]
    assert userinfo(server, renewed["access_token"]).status_code == 200
    # With client_id, as other public clients send it, the next one refreshes too.
    r = refresh_grant(server, renewed["refresh_token"], client_id=app["client_id"])
    check_token_answer(r)


def test_confidential_client_must_authenticate_to_refresh(server, code_apps, person):
    app = code_apps["conf"]
    tokens = code_tokens(server, app, person)
    for extra in ({}, {"client_id": app["client_id"]}):
        r = refresh_grant(server, tokens["refresh_token"], **extra)
        token_error(r, 401, "invalid_client")
        no_leak(r, tokens["refresh_token"])
    # The refused attempts spent nothing: the client itself refreshes.
    check_token_answer(refresh_grant(server, tokens["refresh_token"], auth=credentials(app)))


def test_refresh_by_the_wrong_client_is_invalid_grant_and_revokes_nothing(server, code_apps, person):
    app, other = code_apps["conf"], code_apps["other"]
    tokens = code_tokens(server, app, person)
    public = code_tokens(server, code_apps["public"], person)
    for refresh in (tokens["refresh_token"], public["refresh_token"]):
        r = refresh_grant(server, refresh, auth=credentials(other))
        token_error(r, 400, "invalid_grant")
        no_leak(r, refresh)
    # The rightful clients refresh, and the access tokens issued before still work.
    check_token_answer(refresh_grant(server, tokens["refresh_token"], auth=credentials(app)))
    check_token_answer(refresh_grant(server, public["refresh_token"]))
    for access in (tokens["access_token"], public["access_token"]):
        assert userinfo(server, access).status_code == 200


@pytest.mark.parametrize("client", ["conf", "public"])
def test_spent_refresh_token_presented_again_revokes_the_family(server, code_apps, person, client):
    app = code_apps[client]
    auth = credentials(app) if app["secret"] else None
    tokens = code_tokens(server, app, person)
    renewed = check_token_answer(refresh_grant(server, tokens["refresh_token"], auth=auth))
    token_error(refresh_grant(server, tokens["refresh_token"], auth=auth), 400, "invalid_grant")
    token_error(refresh_grant(server, renewed["refresh_token"], auth=auth), 400, "invalid_grant")
    for access in (tokens["access_token"], renewed["access_token"]):
        assert userinfo(server, access).status_code == 401


# ---------------------------------------------------------------------------------------------------------------
# 9. private_key_jwt (RFC 7523) with RS256


def pem(private_key):
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def rsa_jwk(private_key, kid):
    """A public JWK as clients publish theirs: no alg member (RFC 7517 makes it optional)."""
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig"})
    return jwk


def assertion(client_id, key, audience, kid=None, alg="RS256", jti=None, lifetime=60, drop=(), **claims):
    """An RFC 7523 client assertion made by hand with PyJWT."""
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime,
            "jti": jti or str(uuid.uuid4()), **claims}
    for name in drop:
        body.pop(name)
    headers = {"kid": kid} if kid else None
    return secret(jwt.encode(body, key, algorithm=alg, headers=headers))


def hmac_jwt(header, claims, key_bytes):
    """A JWT HMAC-SHA256-signed by hand (PyJWT refuses PEM-looking HMAC keys): the alg-confusion attack."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return secret(signing_input + "." + b64url(hmac.new(key_bytes, signing_input.encode(), hashlib.sha256).digest()))


def assertion_form(made):
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": made}


def pk_form(client_id, key, audience, **kwargs):
    """The form fields of a fresh assertion (see `assertion`)."""
    return assertion_form(assertion(client_id, key, audience, **kwargs))


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def register_pk_app(server, admin, keys):
    """Submits a back-end private_key_jwt application with `keys` ({"jwks": ...} or {"jwksEndpoint": ...}) and
    approves it; returns (client id, the submission's answer, the approval's answer)."""
    submitted = submit(server, admin.authtoken, {"name": unique("pk app"), "type": "backend", "authMethod": "private_key_jwt",
                                                 **keys})
    approved = approve(server, admin.authtoken, submitted["trackingNumber"])
    (credential,) = approved["credentials"]
    return credential["clientId"], submitted, approved


@pytest.fixture(scope="module")
def pk_key():
    return rsa_key()


@pytest.fixture(scope="module")
def pk_apps(server, admin, pk_key, jwks_host):
    """Two private_key_jwt back-end apps with the same key: one with its JWK Set, one with a jwksEndpoint."""
    kid = "compat-" + uuid.uuid4().hex[:8]
    jwks = {"keys": [rsa_jwk(pk_key, kid)]}
    url = jwks_host.publish(f"/{unique('pk')}/jwks.json", jwks)
    static_id, static_submitted, static_approved = register_pk_app(server, admin, {"jwks": jwks})
    endpoint_id, endpoint_submitted, endpoint_approved = register_pk_app(server, admin, {"jwksEndpoint": url})
    return {"kid": kid, "jwks": jwks, "url": url,
            "static": {"client_id": static_id, "submitted": static_submitted, "approved": static_approved},
            "endpoint": {"client_id": endpoint_id, "submitted": endpoint_submitted, "approved": endpoint_approved}}


@pytest.fixture(scope="module")
def backend_key(server, admin, tenant_id):
    """The integration user's access key, the password grant's username and password."""
    user = create_user(server, admin, "Contributor", fullname="Key Holder")
    return user, create_key(server, admin.authtoken, user.guid, tenant_id)


def test_private_key_jwt_registration_keeps_the_keys_and_approval_gives_no_secret(server, admin, pk_apps):
    for kind in ("static", "endpoint"):
        app = pk_apps[kind]
        assert app["submitted"]["authMethod"] == "private_key_jwt"
        (credential,) = app["approved"]["credentials"]
        assert set(credential) == {"environment", "clientId"}, sorted(credential)
        doc = json_of(api(server, admin.authtoken, "GET", "/" + app["submitted"]["trackingNumber"]))
        if kind == "static":
            assert doc["jwks"] == pk_apps["jwks"] and doc["jwksEndpoint"] is None, doc
        else:
            assert doc["jwksEndpoint"] == pk_apps["url"] and doc["jwks"] is None, doc


@pytest.mark.parametrize("kind", ["static", "endpoint"])
def test_private_key_jwt_with_authlib(server, pk_apps, pk_key, backend_key, issuer, kind):
    user, key = backend_key
    client_id = pk_apps[kind]["client_id"]
    endpoint = issuer + TOKEN
    session = OAuth2Session(client_id, pem(pk_key).decode(),
                            token_endpoint_auth_method=PrivateKeyJWT(endpoint, headers={"kid": pk_apps["kid"]}))
    token = dict(session.fetch_token(endpoint, grant_type="password", username=key["accessKeyId"],
                                     password=key["accessKeySecret"]))
    for name in ("access_token", "refresh_token", "id_token"):
        token[name] = secret(token[name])
    assert token["issued_token_type"] == ACCESS_TOKEN_TYPE and token["token_type"] == "Bearer"
    claims = verify(server, token["access_token"], client_id + "@cxone", issuer)
    assert claims["sub"] == "user:" + user.guid
    assert verify(server, token["id_token"], client_id, issuer)["sub"] == "user:" + user.guid
    # authlib's refresh authenticates the same way.
    renewed = dict(session.refresh_token(endpoint, refresh_token=token["refresh_token"]))
    assert verify(server, secret(renewed["access_token"]), client_id + "@cxone", issuer)["sub"] == "user:" + user.guid


@pytest.mark.parametrize("audience", ["token-endpoint", "issuer", "list-with-token-endpoint"])
@pytest.mark.parametrize("with_kid", [True, False], ids=["kid", "no-kid"])
def test_private_key_jwt_hand_made_assertion(server, pk_apps, pk_key, backend_key, issuer, audience, with_kid):
    _, key = backend_key
    client_id = pk_apps["static"]["client_id"]
    aud = {"token-endpoint": issuer + TOKEN, "issuer": issuer,
           "list-with-token-endpoint": ["https://other.example/api", issuer + TOKEN]}[audience]
    made = assertion(client_id, pk_key, aud, kid=pk_apps["kid"] if with_kid else None)
    r = token_call(server, data={**password_form(key), **assertion_form(made)})
    doc = check_token_answer(r)
    assert doc["issued_token_type"] == ACCESS_TOKEN_TYPE
    verify(server, doc["access_token"], client_id + "@cxone", issuer)


def _pk_refusals():
    """(id, builder(ctx) -> (form fields, headers), error, status). ctx: client_id, key, other_key, kid, aud, issuer,
    other_client_id (another private_key_jwt app, with another key)."""

    def made(**kw):
        def build(c):
            args = {"client_id": c["client_id"], "key": c["key"], "audience": c["aud"], "kid": c["kid"], **kw}
            args = {k: (v(c) if callable(v) else v) for k, v in args.items()}
            return assertion_form(assertion(args.pop("client_id"), args.pop("key"), args.pop("audience"), **args)), {}
        return build

    def confusion(header_alg):
        def build(c):
            now = int(time.time())
            claims = {"iss": c["client_id"], "sub": c["client_id"], "aud": c["aud"], "iat": now, "exp": now + 60,
                      "jti": str(uuid.uuid4())}
            return assertion_form(hmac_jwt({"alg": header_alg, "typ": "JWT", "kid": c["kid"]}, claims, public_pem(c["key"]))), {}
        return build

    def alg_none(c):
        now = int(time.time())
        claims = {"iss": c["client_id"], "sub": c["client_id"], "aud": c["aud"], "iat": now, "exp": now + 60,
                  "jti": str(uuid.uuid4())}
        return assertion_form(secret(jwt.encode(claims, None, algorithm="none", headers={"kid": c["kid"]}))), {}

    def client_secret_basic(c):
        return {}, {"Authorization": basic_header(c["client_id"], "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU=")}

    def client_secret_post(c):
        return {"client_id": c["client_id"], "client_secret": "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU="}, {}

    def client_id_mismatch(c):
        fields, _ = made()(c)
        return {**fields, "client_id": c["other_client_id"]}, {}

    def assertion_and_basic(c):
        fields, _ = made()(c)
        return fields, {"Authorization": basic_header(c["client_id"], "d3Jvbmctc2VjcmV0LXZhbHVlLWhlcmU=")}

    def wrong_assertion_type(c):
        fields, _ = made()(c)
        return {**fields, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}, {}

    bad = ("invalid_client", 401)
    return [
        ("wrong-key-same-kid", made(key=lambda c: c["other_key"]), *bad),
        ("wrong-key-no-kid", made(key=lambda c: c["other_key"], kid=None), *bad),
        ("kid-not-in-set", made(kid="not-" + uuid.uuid4().hex[:8]), *bad),
        ("alg-none", alg_none, *bad),
        ("hs256-signed-with-the-public-key", confusion("HS256"), *bad),
        ("rs256-header-hmac-signature", confusion("RS256"), *bad),
        ("rs384-signed", made(alg="RS384"), *bad),
        ("expired", made(lifetime=-120, iat=lambda c: int(time.time()) - 300), *bad),
        ("exp-too-far", made(lifetime=7200), *bad),
        ("not-yet-valid", made(nbf=lambda c: int(time.time()) + 600), *bad),
        ("missing-exp", made(drop=("exp",)), *bad),
        ("missing-jti", made(drop=("jti",)), *bad),
        ("wrong-iss", made(iss=lambda c: str(uuid.uuid4())), *bad),
        ("iss-of-another-pk-app", made(client_id=lambda c: c["other_client_id"]), *bad),
        ("wrong-sub", made(sub=lambda c: str(uuid.uuid4())), *bad),
        ("missing-sub", made(drop=("sub",)), *bad),
        ("wrong-aud", made(audience="https://elsewhere.example/auth/token"), *bad),
        ("aud-userinfo", made(audience=lambda c: c["issuer"] + USERINFO), *bad),
        ("client-id-mismatch", client_id_mismatch, *bad),
        ("client-secret-basic", client_secret_basic, *bad),
        ("client-secret-post", client_secret_post, *bad),
        ("assertion-and-basic", assertion_and_basic, "invalid_request", 400),
        ("wrong-assertion-type", wrong_assertion_type, "invalid_request", 400),
    ]


PK_REFUSALS = _pk_refusals()


@pytest.fixture(scope="module")
def other_pk_app(server, admin):
    other_key = rsa_key()
    client_id, _, _ = register_pk_app(server, admin, {"jwks": {"keys": [rsa_jwk(other_key, "other")]}})
    return client_id, other_key


@pytest.mark.parametrize("kind", ["static", "endpoint"])
@pytest.mark.parametrize("case", PK_REFUSALS, ids=[c[0] for c in PK_REFUSALS])
def test_private_key_jwt_refusals(server, pk_apps, pk_key, other_pk_app, backend_key, issuer, case, kind):
    _, key = backend_key
    _, build, error, status = case
    ctx = {"client_id": pk_apps[kind]["client_id"], "key": pk_key, "other_key": other_pk_app[1], "kid": pk_apps["kid"],
           "aud": issuer + TOKEN, "issuer": issuer, "other_client_id": other_pk_app[0]}
    fields, headers = build(ctx)
    r = token_call(server, data={**password_form(key), **fields}, headers=headers)
    token_error(r, status, error)
    no_leak(r, key["accessKeySecret"])


def test_private_key_jwt_assertion_cannot_be_replayed(server, pk_apps, pk_key, backend_key, issuer):
    _, key = backend_key
    client_id, jti = pk_apps["static"]["client_id"], str(uuid.uuid4())
    first = assertion(client_id, pk_key, issuer + TOKEN, kid=pk_apps["kid"], jti=jti)
    check_token_answer(token_call(server, data={**password_form(key), **assertion_form(first)}))
    token_error(token_call(server, data={**password_form(key), **assertion_form(first)}), 401, "invalid_client")
    # A new assertion with the same jti is a replay too; also for the other app with the same key (jtis are per client).
    again = assertion(client_id, pk_key, issuer + TOKEN, kid=pk_apps["kid"], jti=jti, lifetime=90)
    token_error(token_call(server, data={**password_form(key), **assertion_form(again)}), 401, "invalid_client")
    other = assertion(pk_apps["endpoint"]["client_id"], pk_key, issuer + TOKEN, kid=pk_apps["kid"], jti=jti)
    check_token_answer(token_call(server, data={**password_form(key), **assertion_form(other)}))


def test_private_key_jwt_key_rotation_through_the_endpoint(server, admin, jwks_host, backend_key, issuer):
    """The application publishes a new key under a new kid: the server re-reads the endpoint for a kid it does not
    know (at most every few seconds, so made-up kids cannot make every request a fetch) and accepts the new key."""
    _, key = backend_key
    old, new = rsa_key(), rsa_key()
    path = f"/{unique('rotating')}/jwks.json"
    url = jwks_host.publish(path, {"keys": [rsa_jwk(old, "old")]})
    client_id, _, _ = register_pk_app(server, admin, {"jwksEndpoint": url})

    def attempt(private_key, kid):
        return token_call(server, data={**password_form(key), **pk_form(client_id, private_key, issuer + TOKEN, kid=kid)})

    check_token_answer(attempt(old, "old"))
    assert jwks_host.count(path) == 1
    for _ in range(6):
        token_error(attempt(new, "new"), 401, "invalid_client")
    assert jwks_host.count(path) <= 2, jwks_host.count(path)
    jwks_host.publish(path, {"keys": [rsa_jwk(old, "old"), rsa_jwk(new, "new")]})
    took = wait_for(lambda: attempt(new, "new").status_code == 200, timeout=15, interval=0.5)
    assert took is not None, "the new key was not picked up from the jwksEndpoint within 15 s"
    check_token_answer(attempt(new, "new"))
    check_token_answer(attempt(old, "old"))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_private_key_jwt_refuses_a_small_key_published_later(server, admin, jwks_host, backend_key, issuer):
    """Keys are RSA of 2048 bits or more, also those read from the endpoint after registration: a 1024-bit key
    published under a new kid does not authenticate the client."""
    _, key = backend_key
    good, small = rsa_key(), rsa_key(1024)
    path = f"/{unique('small')}/jwks.json"
    url = jwks_host.publish(path, {"keys": [rsa_jwk(good, "good"), rsa_jwk(small, "small")]})
    client_id, _, _ = register_pk_app(server, admin, {"jwksEndpoint": url})
    check_token_answer(token_call(server, data={**password_form(key), **pk_form(client_id, good, issuer + TOKEN, kid="good")}))
    r = token_call(server, data={**password_form(key), **pk_form(client_id, small, issuer + TOKEN, kid="small")})
    token_error(r, 401, "invalid_client")


def _ec_jwk():
    jwk = public_jwk(ec.generate_private_key(ec.SECP256R1()), "ec-only", "ES256")
    jwk.pop("alg")
    return jwk


PK_BAD_REGISTRATIONS = [
    ("no-keys", lambda k: {"authMethod": "private_key_jwt"}),
    ("empty-key-set", lambda k: {"authMethod": "private_key_jwt", "jwks": {"keys": []}}),
    ("rsa-1024", lambda k: {"authMethod": "private_key_jwt",
                            "jwks": {"keys": [rsa_jwk(rsa_key(1024), "small")]}}),
    ("ec-key-only", lambda k: {"authMethod": "private_key_jwt", "jwks": {"keys": [_ec_jwk()]}}),
    ("ec-key-es256", lambda k: {"authMethod": "private_key_jwt",
                                "jwks": {"keys": [public_jwk(new_key("ES256"), "es", "ES256")]}}),
    ("rsa-key-for-rs512-only", lambda k: {"authMethod": "private_key_jwt",
                                          "jwks": {"keys": [{**rsa_jwk(k, "rs512"), "alg": "RS512"}]}}),
    ("http-endpoint-not-loopback", lambda k: {"authMethod": "private_key_jwt", "jwksEndpoint": "http://keys.example.com/jwks"}),
    ("both-jwks-and-endpoint", lambda k: {"authMethod": "private_key_jwt", "jwks": {"keys": [rsa_jwk(k, "a")]},
                                          "jwksEndpoint": "https://keys.example.com/jwks"}),
    ("jwks-on-client-secret-basic", lambda k: {"authMethod": "client_secret_basic", "jwks": {"keys": [rsa_jwk(k, "a")]}}),
    ("endpoint-on-default-method", lambda k: {"jwksEndpoint": "https://keys.example.com/jwks"}),
    ("jwks-not-a-key-set", lambda k: {"authMethod": "private_key_jwt", "jwks": ["not", "a", "set"]}),
]


@pytest.mark.parametrize("case", PK_BAD_REGISTRATIONS, ids=[c[0] for c in PK_BAD_REGISTRATIONS])
def test_private_key_jwt_registration_validation(server, admin, pk_key, case):
    name = unique("bad pk registration")
    r = api(server, admin.authtoken, "POST", json={"name": name, "type": "backend", **case[1](pk_key)})
    oauth_error(r, 400, "invalid_request")
    listed = json_of(api(server, admin.authtoken, "GET"))["applications"]
    assert not [a for a in listed if a["name"] == name], f"{case[0]} was registered anyway"


def test_discovery_lists_private_key_jwt_and_rs256(server):
    doc = discovery(server)
    for name in ("token_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported",
                 "introspection_endpoint_auth_methods_supported"):
        assert "private_key_jwt" in doc.get(name, []), (name, doc.get(name))
    assert "RS256" in doc["token_endpoint_auth_signing_alg_values_supported"]


def test_private_key_jwt_at_introspection_and_revocation(server, pk_apps, pk_key, backend_key, issuer):
    user, key = backend_key
    client_id, kid = pk_apps["endpoint"]["client_id"], pk_apps["kid"]
    made = assertion(client_id, pk_key, issuer + TOKEN, kid=kid)
    tokens = check_token_answer(token_call(server, data={**password_form(key), **assertion_form(made)}))

    def call(path, token, aud, jti=None):
        form = {"token": token, **pk_form(client_id, pk_key, aud, kid=kid, jti=jti)}
        return requests.post(server.url + path, data=form, timeout=15)

    r = call(INTROSPECT, tokens["access_token"], issuer + INTROSPECT)
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert (doc["active"], doc["client_id"], doc["sub"]) == (True, client_id, "user:" + user.guid), doc
    # The same assertion twice is a replay, here too; one made for the revocation endpoint is not for introspection.
    jti = str(uuid.uuid4())
    assert call(INTROSPECT, tokens["access_token"], issuer, jti=jti).status_code == 200
    token_error(call(INTROSPECT, tokens["access_token"], issuer, jti=jti), 401, "invalid_client")
    token_error(call(INTROSPECT, tokens["access_token"], issuer + REVOKE), 401, "invalid_client")
    # A wrong key at either endpoint.
    form = {"token": tokens["refresh_token"], **pk_form(client_id, rsa_key(), issuer + REVOKE, kid=kid)}
    wrong = requests.post(server.url + REVOKE, data=form, timeout=15)
    token_error(wrong, 401, "invalid_client")
    assert json_of(call(INTROSPECT, tokens["refresh_token"], issuer + INTROSPECT))["active"] is True
    r = call(REVOKE, tokens["refresh_token"], issuer + REVOKE)
    assert r.status_code == 200 and r.content == b"", show(r)
    assert json_of(call(INTROSPECT, tokens["refresh_token"], issuer + INTROSPECT)) == {"active": False}
    r = token_call(server, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                 **pk_form(client_id, pk_key, issuer + TOKEN, kid=kid)})
    token_error(r, 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------------------------
# 10. CORS on the CXone endpoints a browser application calls


@pytest.fixture(scope="module")
def cors_origin(server, admin):
    """A registered origin of its own (an approved, enabled confidential app's)."""
    origin = f"https://{unique('app')}.example.org"
    register_app(server, admin.authtoken, "confidential", "client_secret_basic", "https://app.example.org/cb", origins=[origin])
    return origin


@pytest.fixture(scope="module")
def cors_ctx(server, admin, tenant_id):
    """What the CXone calls below are made of: an access key, its tokens, an application's tracking number."""
    key = create_key(server, admin.authtoken, admin.guid, tenant_id)
    tokens = key_tokens(server, key)
    tracking = register_app(server, admin.authtoken, "backend")["tracking"]
    return {"key": key, "tokens": tokens, "tracking": tracking, "tenant": tenant_id}


def _cors_calls():
    """(id, method, path builder, request kwargs builder(server, admin, ctx))."""
    def auth(a, c):
        return {"headers": bearer(a.authtoken)}

    return [
        ("cxone-configuration", "GET", lambda c: CXONE_CONFIG + "?tenantId=" + c["tenant"], lambda s, a, c: {}),
        ("access-key-token", "POST", lambda c: ACCESS_KEY_TOKEN,
         lambda s, a, c: {"json": {"accessKeyId": c["key"]["accessKeyId"], "accessKeySecret": c["key"]["accessKeySecret"]}}),
        ("access-key-token-refused", "POST", lambda c: ACCESS_KEY_TOKEN,
         lambda s, a, c: {"json": {"accessKeyId": c["key"]["accessKeyId"], "accessKeySecret": "A" * 52 + "===="}}),
        ("access-keys-list", "GET", lambda c: KEYS, lambda s, a, c: auth(a, c)),
        ("access-keys-create", "POST", lambda c: KEYS,
         lambda s, a, c: {**auth(a, c), "json": {"userId": a.guid, "tenantId": c["tenant"]}}),
        ("access-key-patch", "PATCH", lambda c: KEYS + "/" + c["key"]["accessKeyId"],
         lambda s, a, c: {**auth(a, c), "json": {"isActive": True}}),
        ("user-refresh", "POST", lambda c: USER_REFRESH, lambda s, a, c: {"json": {"token": basic_token(s, a.authtoken)}}),
        ("applications", "GET", lambda c: APPS, lambda s, a, c: auth(a, c)),
        ("application", "GET", lambda c: APPS + "/" + c["tracking"], lambda s, a, c: auth(a, c)),
        ("token", "POST", lambda c: TOKEN,
         lambda s, a, c: {"data": {"grant_type": "refresh_token", "refresh_token": key_tokens(s, c["key"])["refresh_token"]}}),
        ("userinfo", "GET", lambda c: USERINFO, lambda s, a, c: {"headers": bearer(c["tokens"]["access_token"])}),
        ("userinfo-refused", "GET", lambda c: USERINFO, lambda s, a, c: {}),
        ("jwks", "GET", lambda c: JWKS, lambda s, a, c: {}),
        ("openid-configuration", "GET", lambda c: OPENID, lambda s, a, c: {}),
    ]


CORS_CALLS = _cors_calls()


def cors_call(server, admin, ctx, call, origin):
    _, method, path, build = call
    kwargs = build(server, admin, ctx)
    headers = {**kwargs.pop("headers", {}), "Origin": origin}
    return requests.request(method, server.url + path(ctx), headers=headers, timeout=15, **kwargs)


@pytest.mark.parametrize("call", CORS_CALLS, ids=[c[0] for c in CORS_CALLS])
def test_cors_on_cxone_endpoints(server, admin, cors_origin, cors_ctx, call):
    r = cors_call(server, admin, cors_ctx, call, cors_origin)
    assert r.status_code < 500 and (r.status_code < 300 or call[0].endswith("refused")), show(r)
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin, (call[0], dict(r.headers))
    assert "origin" in [v.strip().lower() for v in r.headers.get("Vary", "").split(",")], r.headers.get("Vary")
    for foreign in (FOREIGN_ORIGIN, cors_origin + ":8443", cors_origin.replace("https://", "http://"), "null"):
        r = cors_call(server, admin, cors_ctx, call, foreign)
        assert r.status_code < 500, show(r)
        assert "Access-Control-Allow-Origin" not in r.headers, (call[0], foreign, dict(r.headers))


PREFLIGHT_CALLS = [c for c in CORS_CALLS if not c[0].endswith("-refused")]


@pytest.mark.parametrize("call", PREFLIGHT_CALLS, ids=[c[0] for c in PREFLIGHT_CALLS])
def test_cors_preflight_on_cxone_endpoints(server, cors_origin, cors_ctx, call):
    _, method, path, _ = call
    headers = {"Origin": cors_origin, "Access-Control-Request-Method": method,
               "Access-Control-Request-Headers": "authorization, content-type"}
    r = requests.options(server.url + path(cors_ctx), headers=headers, timeout=15)
    assert r.status_code == 204, show(r)
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin, dict(r.headers)
    methods = {m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert method in methods, r.headers.get("Access-Control-Allow-Methods")
    allowed = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {"authorization", "content-type"} <= allowed, r.headers.get("Access-Control-Allow-Headers")
    r = requests.options(server.url + path(cors_ctx), headers={**headers, "Origin": FOREIGN_ORIGIN}, timeout=15)
    assert r.status_code < 500, show(r)
    assert "Access-Control-Allow-Origin" not in r.headers and "Access-Control-Allow-Methods" not in r.headers, dict(r.headers)


def test_cors_ends_when_the_application_is_disabled_or_deleted(server, admin, cors_ctx):
    origin = f"https://{unique('short-lived')}.example.org"
    app = register_app(server, admin.authtoken, "confidential", "client_secret_basic", "https://app.example.org/cb",
                       origins=[origin])
    calls = [c for c in CORS_CALLS if c[0] in ("cxone-configuration", "access-keys-list", "token", "jwks")]

    def allowed():
        answers = [cors_call(server, admin, cors_ctx, call, origin) for call in calls]
        return [r.headers.get("Access-Control-Allow-Origin") == origin for r in answers]

    assert allowed() == [True] * len(calls)
    for action in ("-disable", None):
        if action:
            r = api(server, admin.authtoken, "POST", f"/{app['tracking']}{action}")
        else:
            r = api(server, admin.authtoken, "DELETE", "/" + app["tracking"])
        assert r.status_code in (200, 202), show(r)
        assert allowed() == [False] * len(calls), action
        r = requests.options(server.url + TOKEN, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=15)
        assert "Access-Control-Allow-Origin" not in r.headers, dict(r.headers)
        assert api(server, admin.authtoken, "POST", f"/{app['tracking']}-enable").status_code == 200
        assert allowed() == [True] * len(calls)


# ---------------------------------------------------------------------------------------------------------------
# 11. Expert's user search


@pytest.fixture(scope="module")
def searchable(server, admin):
    """Users made for the search, under two prefixes unique to this run (P, Q). `%` and `_` are literal characters
    in Tessera's filters (a prefix comparison, not SQL LIKE), which the P% and P_ users show."""
    p, q = "p" + uuid.uuid4().hex[:8], "q" + uuid.uuid4().hex[:8]
    people = {
        "anna": (f"{p}-anna", f"{p}F Anna", f"anna@{p}.example", "Contributor", "active", True),
        "bert": (f"{p}-Bert", f"{p}F Bert", f"{p}-mail-bert@example.org", "Viewer", "active", False),
        "carl": (f"{p}-carl", f"{q}G Carl", f"carl@{p}.example", "Contributor", "inactive", True),
        "dora": (f"{p}%dora", f"{p}F Dora", "", "Viewer", "active", True),
        "emil": (f"{p}_emil", f"{q}G Emil", f"emil@{p}.example", "Viewer", "active", True),
        "fred": (f"{q}-fred", f"{p}F Fred", f"{p}-mail-fred@example.org", "Admin", "active", True),
        "gita": (f"{p}-Ébé", f"{p}F Ébé", "", "Viewer", "active", True),
    }
    ids = {}
    for label, (username, fullname, email, role, status, seat) in people.items():
        body = {"username": username, "fullname": fullname, "email": email, "status": status, "license.seat": seat,
                "permissions.user": {"role": role}}
        r = requests.post(server.url + USERS, params=JSON_OUT, json=body, headers=bearer(admin.authtoken), timeout=15)
        assert r.status_code == 200, show(r)
        ids[r.json()["@id"]] = label
    return {"p": p, "q": q, "ids": ids}


def _search_cases():
    """(id, parameters builder(p, q), expected labels in order)."""
    everyone = ["anna", "bert", "carl", "dora", "emil", "gita"]  # usernamefilter=P, in id order
    # Without sortby, a username filter answers in the order of the username index (Expert leaves the order to its
    # database, whose index answers the filter): P% < P-anna < P-bert < P-carl < P-ébé < P_emil.
    by_name = ["dora", "anna", "bert", "carl", "gita", "emil"]
    by_fullname = ["anna", "bert", "dora", "gita", "carl", "emil"]
    return [
        ("username-prefix", lambda p, q: {"usernamefilter": p}, by_name),
        ("username-prefix-upper-case", lambda p, q: {"usernamefilter": p.upper()}, by_name),
        ("username-dash", lambda p, q: {"usernamefilter": p + "-"}, ["anna", "bert", "carl", "gita"]),
        ("percent-is-literal", lambda p, q: {"usernamefilter": p + "%"}, ["dora"]),
        ("underscore-is-literal", lambda p, q: {"usernamefilter": p + "_"}, ["emil"]),
        ("username-any-case", lambda p, q: {"usernamefilter": p + "-b"}, ["bert"]),
        ("username-non-ascii-case", lambda p, q: {"usernamefilter": p + "-é"}, ["gita"]),
        ("fullname-prefix", lambda p, q: {"fullnamefilter": p + "F"}, ["anna", "bert", "dora", "fred", "gita"]),
        ("fullname-prefix-any-case", lambda p, q: {"fullnamefilter": p.upper() + "f"}, ["anna", "bert", "dora", "fred", "gita"]),
        ("username-or-fullname", lambda p, q: {"usernamefilter": p + "-a", "fullnamefilter": q + "G"}, ["anna", "carl", "emil"]),
        ("username-or-email-by-email", lambda p, q: {"usernameemailfilter": p + "-mail"}, ["bert", "fred"]),
        ("username-or-email-both", lambda p, q: {"usernameemailfilter": p},
         ["anna", "bert", "carl", "dora", "emil", "fred", "gita"]),
        ("email-any-case", lambda p, q: {"usernameemailfilter": "ANNA@" + p}, ["anna"]),
        ("username-email-and-username", lambda p, q: {"usernameemailfilter": p, "usernamefilter": p + "-"},
         ["anna", "bert", "carl", "gita"]),
        ("username-email-and-fullname", lambda p, q: {"usernameemailfilter": p + "-mail", "fullnamefilter": p + "F"},
         ["bert", "fred"]),
        ("username-email-and-other-username", lambda p, q: {"usernameemailfilter": p + "-mail", "usernamefilter": q}, ["fred"]),
        ("role-viewer", lambda p, q: {"usernamefilter": p, "rolefilter": "viewer"}, ["dora", "bert", "gita", "emil"]),
        ("role-upper-case", lambda p, q: {"usernamefilter": p, "rolefilter": "CONTRIBUTOR"}, ["anna", "carl"]),
        ("role-is-exact", lambda p, q: {"usernamefilter": p, "rolefilter": "Contrib"}, []),
        ("role-admin", lambda p, q: {"fullnamefilter": p + "F", "rolefilter": "admin"}, ["fred"]),
        ("not-activated", lambda p, q: {"usernamefilter": p, "activatedfilter": "false"}, ["carl"]),
        ("activated", lambda p, q: {"usernamefilter": p, "activatedfilter": "TRUE"}, ["dora", "anna", "bert", "gita", "emil"]),
        ("activated-other-value-ignored", lambda p, q: {"usernamefilter": p, "activatedfilter": "maybe"}, by_name),
        ("unseated", lambda p, q: {"usernamefilter": p, "seatfilter": "unseated"}, ["bert"]),
        ("seat-false", lambda p, q: {"usernamefilter": p, "seatfilter": "false"}, ["bert"]),
        ("seated", lambda p, q: {"usernamefilter": p, "seatfilter": "seated"}, ["dora", "anna", "carl", "gita", "emil"]),
        ("seat-true", lambda p, q: {"usernamefilter": p, "seatfilter": "true"}, ["dora", "anna", "carl", "gita", "emil"]),
        ("sort-username", lambda p, q: {"usernamefilter": p, "sortby": "username"}, by_name),
        ("sort-username-descending", lambda p, q: {"usernamefilter": p, "sortby": "-username"}, by_name[::-1]),
        ("sort-nick", lambda p, q: {"usernamefilter": p, "sortby": "nick"}, by_name),
        ("sort-fullname", lambda p, q: {"usernamefilter": p, "sortby": "fullname"}, by_fullname),
        ("sort-fullname-descending", lambda p, q: {"usernamefilter": p, "sortby": "-fullname"}, by_fullname[::-1]),
        ("sort-email-descending", lambda p, q: {"usernameemailfilter": p + "-mail", "sortby": "-email"}, ["fred", "bert"]),
        ("sort-status", lambda p, q: {"usernamefilter": p, "sortby": "status"}, ["anna", "bert", "dora", "emil", "gita", "carl"]),
        ("sort-role", lambda p, q: {"usernamefilter": p, "sortby": "role"}, ["anna", "carl", "bert", "dora", "emil", "gita"]),
        ("sort-id-descending", lambda p, q: {"usernamefilter": p, "sortby": "-id"}, everyone[::-1]),
        ("sort-unknown-ignored", lambda p, q: {"usernamefilter": p, "sortby": "shoe_size"}, by_name),
        ("limit", lambda p, q: {"usernamefilter": p, "sortby": "username", "limit": "2"}, by_name[:2]),
        ("limit-offset", lambda p, q: {"usernamefilter": p, "sortby": "username", "limit": "2", "offset": "2"}, by_name[2:4]),
        ("offset-to-the-end", lambda p, q: {"usernamefilter": p, "sortby": "username", "offset": "4", "limit": "10"}, by_name[4:]),
        ("offset-past-the-end", lambda p, q: {"usernamefilter": p, "offset": "6"}, []),
        ("limit-all", lambda p, q: {"usernamefilter": p, "limit": "all"}, by_name),
        ("limit-all-upper-case", lambda p, q: {"usernamefilter": p, "limit": "ALL"}, by_name),
        ("limit-as-count", lambda p, q: {"usernamefilter": p, "count": "2"}, by_name[:2]),
        ("limit-as-max", lambda p, q: {"usernamefilter": p, "max": "3", "offset": "1"}, by_name[1:4]),
        ("limit-zero-counts-only", lambda p, q: {"usernamefilter": p, "limit": "0"}, []),
    ]


SEARCH_CASES = _search_cases()


@pytest.mark.parametrize("case", SEARCH_CASES, ids=[c[0] for c in SEARCH_CASES])
def test_user_search(server, admin, searchable, case):
    _, build, expected = case
    params = build(searchable["p"], searchable["q"])
    # With a page asked for, every user of the P prefix matches; otherwise the page is all that matches.
    matching = 6 if {"limit", "count", "max", "offset"} & set(params) else len(expected)
    total = site_user_count(server, admin)
    doc = users_matching(server, admin, **params)
    found = [searchable["ids"].get(u["@id"], u["username"]) for u in doc["user"]]
    assert found == expected, (params, found)
    assert (int(doc["@count"]), int(doc["@querycount"]), int(doc["@totalcount"])) == (len(expected), matching, total), doc
    # The XML answer says the same.
    root = xml_root(deki(server, USERS, bearer(admin.authtoken), fmt=None, params=params))
    assert root.tag == "users"
    assert [searchable["ids"].get(u.get("id")) for u in root.findall("user")] == expected
    assert (root.get("count"), root.get("querycount"), root.get("totalcount")) == (str(len(expected)), str(matching), str(total))


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"limit": "2.5"}, {"count": "-3"}, {"max": "lots"}, {"offset": "x"},
                                    {"seatfilter": "maybe"}, {"seatfilter": "yes"}])
def test_user_search_bad_parameters_are_400(server, admin, searchable, params):
    deki_error(deki(server, USERS, bearer(admin.authtoken), params={"usernamefilter": searchable["p"], **params}), 400)


def test_user_search_needs_an_admin(server, admin, searchable):
    viewer = create_user(server, admin, "Viewer")
    deki_error(deki(server, USERS, bearer(viewer.authtoken), params={"usernamefilter": searchable["p"]}), 403)
    deki_error(deki(server, USERS, params={"usernamefilter": searchable["p"]}), 401)


# ---------------------------------------------------------------------------------------------------------------
# 12. Older spellings: PATCH access-keys?accessKeyId=, DELETE applications/{id}, issued_token_type


def test_patch_access_key_by_query_parameter(server, admin, tenant_id):
    user = create_user(server, admin, "Contributor")
    key = create_key(server, admin.authtoken, user.guid, tenant_id)
    key_tokens(server, key)
    for active in (False, True):
        r = keys_call(server, "PATCH", token=admin.authtoken, params={"accessKeyId": key["accessKeyId"]}, json={"isActive": active})
        assert r.status_code == 200, show(r)
        result = json_of(r)["resultSet"]
        assert (result["accessKeyId"], result["isActive"]) == (key["accessKeyId"], active), show(r)
        no_leak(r, key["accessKeySecret"])
        if active:
            key_tokens(server, key)
        else:
            oauth_error(access_key_tokens(server, key), 400, "invalid_grant")
    # The '=' padding unencoded in the query, as a sloppy client writes it.
    r = requests.patch(f"{server.url}{KEYS}?accessKeyId={key['accessKeyId']}", json={"isActive": False},
                       headers=bearer(admin.authtoken), timeout=15)
    assert r.status_code == 200 and json_of(r)["resultSet"]["isActive"] is False, show(r)
    r = keys_call(server, "PATCH", token=admin.authtoken, json={"isActive": True})
    assert r.status_code == 400, show(r)
    unknown = "A" * 52 + "===="
    r = keys_call(server, "PATCH", token=admin.authtoken, params={"accessKeyId": unknown}, json={"isActive": True})
    assert r.status_code == 404, show(r)
    r = keys_call(server, "PATCH", token=admin.authtoken, params={"accessKeyId": key["accessKeyId"]}, json={"isActive": "yes"})
    assert r.status_code == 400, show(r)
    r = keys_call(server, "PATCH", token=user.authtoken, params={"accessKeyId": key["accessKeyId"]}, json={"isActive": True})
    assert r.status_code == 200, show(r)  # the key's own user may
    key_tokens(server, key)


def test_delete_application_schedules_its_deletion(server, admin, backend_key):
    _, key = backend_key
    app = register_app(server, admin.authtoken, "backend", "client_secret_basic")
    auth = credentials(app)
    check_token_answer(token_call(server, data=password_form(key), auth=auth))
    refresh = check_token_answer(token_call(server, data=password_form(key), auth=auth))["refresh_token"]

    started = datetime.now(timezone.utc)
    r = api(server, admin.authtoken, "DELETE", "/" + app["tracking"])
    assert r.status_code == 202, show(r)
    doc = json_of(r)
    when = iso_time(doc["scheduledDeletionTime"])
    assert abs((when - started).total_seconds() - 7 * 86400) < 120, doc["scheduledDeletionTime"]
    assert doc["isEnabled"] is False and doc["trackingNumber"] == app["tracking"], doc
    no_leak(r, app["secret"])
    # The client stops authenticating at once, for every grant.
    token_error(token_call(server, data=password_form(key), auth=auth), 401, "invalid_client", basic_used=True)
    token_error(refresh_grant(server, refresh, auth=auth), 401, "invalid_client", basic_used=True)
    doc = json_of(api(server, admin.authtoken, "GET", "/" + app["tracking"]))
    assert doc["isEnabled"] is False and iso_time(doc["scheduledDeletionTime"]) == when, doc
    # Asking again does not move the time.
    r = api(server, admin.authtoken, "DELETE", "/" + app["tracking"])
    assert r.status_code == 202 and iso_time(json_of(r)["scheduledDeletionTime"]) == when, show(r)
    # Enabling cancels.
    r = api(server, admin.authtoken, "POST", f"/{app['tracking']}-enable")
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert doc["isEnabled"] is True and doc["scheduledDeletionTime"] is None, doc
    check_token_answer(token_call(server, data=password_form(key), auth=auth))
    check_token_answer(refresh_grant(server, refresh, auth=auth))


def test_delete_application_needs_an_admin_and_a_known_application(server, admin):
    app = register_app(server, admin.authtoken, "backend", "client_secret_basic")
    viewer = create_user(server, admin, "Viewer")
    r = api(server, viewer.authtoken, "DELETE", "/" + app["tracking"])
    assert r.status_code == 403, show(r)
    assert api(server, None, "DELETE", "/" + app["tracking"]).status_code == 401
    assert api(server, admin.authtoken, "DELETE", "/TR-0000000000").status_code == 404
    assert json_of(api(server, admin.authtoken, "GET", "/" + app["tracking"]))["scheduledDeletionTime"] is None


def test_issued_token_type_on_every_token_answer(server, admin, code_apps, person, backend_key):
    """issued_token_type (CXone's token schema) on every answer of /auth/token and the access-key endpoint, and the
    id_token still beside it on all but a token exchange."""
    _, key = backend_key
    answers = {}
    backend = register_app(server, admin.authtoken, "backend", "client_secret_basic")
    answers["password"] = check_token_answer(token_call(server, data=password_form(key), auth=credentials(backend)))
    answers["password-refresh"] = check_token_answer(refresh_grant(server, answers["password"]["refresh_token"],
                                                                   auth=credentials(backend)))
    answers["code"] = code_tokens(server, code_apps["conf"], person)
    answers["code-refresh"] = check_token_answer(refresh_grant(server, answers["code"]["refresh_token"],
                                                               auth=credentials(code_apps["conf"])))
    answers["access-key"] = check_token_answer(access_key_tokens(server, key))
    answers["access-key-refresh"] = check_token_answer(refresh_grant(server, answers["access-key"]["refresh_token"]))
    for name, doc in answers.items():
        assert doc.get("issued_token_type") == ACCESS_TOKEN_TYPE, (name, sorted(doc))
        assert isinstance(doc.get("id_token"), str) and doc["id_token"].count(".") == 2, name
    # A token exchange (RFC 8693) says what it issued too, and issues no id_token.
    r = token_call(server, data={"grant_type": EXCHANGE_GRANT, "subject_token": answers["code"]["access_token"],
                                 "subject_token_type": ACCESS_TOKEN_TYPE}, auth=credentials(code_apps["other"]))
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    assert doc["issued_token_type"] == ACCESS_TOKEN_TYPE and "id_token" not in doc, sorted(doc)
