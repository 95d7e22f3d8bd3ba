"""Legacy token interop tests (issue 6, SPEC §D): the site API key (`apikey` query parameter or `X-ApiKey` header with
`impersonateuserid`) and impersonation tokens (imp_{epoch}_{md5}_{user}) -- off by default, switched on and off per
site with `tessera site legacy-tokens` or PUT /@api/deki/site/legacy-tokens, audited and logged as weak -- against a
real `tessera serve`.

The impersonation tokens are made here with hashlib, by the algorithm of the old Deki code (reference §8.2), whose
two published vectors this module reproduces first. Nothing of the server's own code is called.

API keys, impersonation tokens and auth tokens are credentials: they are held as `Secret` strings (repr "<secret>")
and response bodies are redacted (`show`) before they reach an assertion message.
"""
import hashlib
import re
import subprocess
import time
import uuid

import pytest
import requests

from conftest import BIN, Server, deki_error
from helpers import bearer, check, no_leak, redact, secret, show, unique

USERS = "/@api/deki/users"
CURRENT = USERS + "/current"
AUTHENTICATE = USERS + "/authenticate"
LEGACY = "/@api/deki/site/legacy-tokens"
AUDIT = "/@api/deki/site/audit"
JSON_OUT = {"dream.out.format": "json"}

API_KEY = "secretapikey"  # the reference vectors' key
SITE_KEY = "interop-legacy-site-api-key-0001"  # the key the module's server gets with `--api-key`
VECTOR_EPOCH = 1413073249
VECTORS = {  # reference §8.2 / SPEC §D
    "=admin": "imp_1413073249_f888a14809e62848a36831871950e21b_=admin",
    "1": "imp_1413073249_d1c47dd8d7f3c7aa3293a4dfc8c4fb0f_1",
}
CARRIERS = ["bearer", "x-authtoken", "cookie", "query"]
#: SPEC §D: the API's apiKey is 16-128 printable ASCII characters.
KEY_LENGTHS = (8, 128)


# ---------------------------------------------------------------------------------------------------------------
# The impersonation token, and how it is carried


def imp_hash(user, epoch, api_key):
    """Lowercase hex MD5 of "{u}:{epoch}:{apikey}", u being the numeric id or the username without its '='."""
    u = user[1:] if user.startswith("=") else user
    return hashlib.md5(f"{u}:{epoch}:{api_key}".encode("utf-8")).hexdigest()


def imp_token(api_key, user, epoch=None):
    """imp_{epoch}_{md5hex}_{user}, user being "<id>" or "=<username>"."""
    epoch = int(time.time()) if epoch is None else epoch
    return secret(f"imp_{epoch}_{imp_hash(user, epoch, api_key)}_{user}")


def carried(token, carrier):
    """(headers, query parameters) carrying an auth token the given way."""
    return {
        "bearer": ({"Authorization": "Bearer " + token}, {}),
        "x-authtoken": ({"X-Authtoken": token}, {}),
        "cookie": ({"Cookie": "authtoken=" + token}, {}),
        "query": ({}, {"authtoken": token}),
    }[carrier]


def current(server, headers=None, params=None):
    return requests.get(server.url + CURRENT, params={**JSON_OUT, **(params or {})}, headers=headers or {}, timeout=10)


def with_token(server, token, carrier="bearer", path=CURRENT):
    headers, params = carried(token, carrier)
    return requests.get(server.url + path, params={**JSON_OUT, **params}, headers=headers, allow_redirects=False,
                        timeout=10)


def with_api_key(server, key, user_id=None, header=False):
    """users/current with the site API key in the query (`apikey=`) or the X-ApiKey header, and `impersonateuserid`
    when given."""
    params = {} if user_id is None else {"impersonateuserid": str(user_id)}
    if header:
        return current(server, {"X-ApiKey": key}, params)
    return current(server, params={"apikey": key, **params})


def as_user(r, user, *secrets_sent):
    """users/current answered as `user` (a deki user document)."""
    assert r.status_code == 200, show(r)
    no_leak(r, *secrets_sent)
    me = r.json()
    assert (me["@id"], me["username"], me["@anonymous"]) == (user["@id"], user["username"], "false"), \
        (me.get("@id"), me.get("username"))
    return me


def refused(r, status, *secrets_sent, words=()):
    assert r.status_code == status, show(r)
    no_leak(r, *secrets_sent)
    fields = deki_error(r, status)
    if words:
        assert any(w in (fields["message"] or "").lower() for w in words), (words, redact(fields["message"] or ""))
    check("authtoken" not in r.cookies, "a refused request set an authtoken cookie")
    return fields


# ---------------------------------------------------------------------------------------------------------------
# Other helpers


def cli(server, *args):
    """A `tessera` command on the server's own store (as test_cxone_auth.py's `cli`)."""
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True,
                          text=True, timeout=60)


def legacy_cli(server, *args):
    result = cli(server, "site", "legacy-tokens", *args)
    code = result.returncode  # (not `result`, whose repr shows the arguments, a key among them)
    assert code == 0, (redact(result.stdout), redact(result.stderr))
    return result


def wait_for(predicate, timeout=10, interval=0.1):
    """Calls predicate() until it is true or `timeout` s passed; returns whether it became true."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def create_user(server, admin_token, username, role="Contributor", password=None):
    body = {"username": username, "fullname": "Legacy Person", "email": f"{username}@example.org",
            "permissions.user": {"role": role}}
    password = password or "pw-" + uuid.uuid4().hex
    r = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password},
                      json=body, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, show(r)
    return r.json()


def set_status(server, admin_token, user_id, status):
    r = requests.put(f"{server.url}{USERS}/{user_id}", data=f"<user><status>{status}</status></user>",
                     headers={**bearer(admin_token), "Content-Type": "application/xml"}, timeout=10)
    assert r.status_code == 200, show(r)


def json_of(r):
    """The JSON body of a legacy-tokens answer, its apiKey (if any) as a `Secret`."""
    doc = r.json()
    if isinstance(doc, dict) and isinstance(doc.get("apiKey"), str):
        doc["apiKey"] = secret(doc["apiKey"])
    return doc


def get_legacy(server, token):
    r = requests.get(server.url + LEGACY, params=JSON_OUT, headers=bearer(token), timeout=10)
    assert r.status_code == 200, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
    return json_of(r)


def put_legacy(server, token, body):
    return requests.put(server.url + LEGACY, params=JSON_OUT, json=body, headers=bearer(token), timeout=10)


def audit_events(server, admin_token):
    """The site's audit events (JSON), and the raw body."""
    r = requests.get(server.url + AUDIT, params={**JSON_OUT, "limit": "1000"}, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, show(r)
    events = r.json().get("event", [])
    return (events if isinstance(events, list) else [events]), r.text


def enable_events(server, admin_token):
    events, body = audit_events(server, admin_token)
    return [e for e in events if e.get("@action") == "site.legacy-tokens.enable"], body


# ---------------------------------------------------------------------------------------------------------------
# Module fixtures: conftest's `server`, its admin and users; legacy tokens enabled by the CLI with the vectors' key


@pytest.fixture(scope="module")
def admin_token(server):
    return secret(server.sign_in())


@pytest.fixture(scope="module")
def admin(server, admin_token):
    r = current(server, bearer(admin_token))
    assert r.status_code == 200, show(r)
    return r.json()


@pytest.fixture(scope="module")
def people(server, admin_token):
    """A contributor whose username has underscores (the imp_ token's separator), and one who is deactivated."""
    user = create_user(server, admin_token, "legacy_user_" + uuid.uuid4().hex[:6])
    inactive = create_user(server, admin_token, unique("legacy-inactive"))
    set_status(server, admin_token, inactive["@id"], "inactive")
    return {"user": user, "inactive": inactive}


@pytest.fixture(scope="module")
def legacy(server, people):
    """Legacy tokens enabled on the running server by the CLI, with --api-key (so nothing secret is printed)."""
    key = secret(SITE_KEY)
    result = legacy_cli(server, "--enable", "--api-key", key)
    check("api_key:" not in result.stdout, "the CLI printed an api_key although --api-key was given")
    check(key not in result.stdout + result.stderr, "the CLI printed the API key")
    assert "weak" in result.stderr, result.stderr
    user = people["user"]
    assert wait_for(lambda: with_api_key(server, key, user["@id"]).status_code == 200), \
        show(with_api_key(server, key, user["@id"]))
    return key


# ---------------------------------------------------------------------------------------------------------------
# The algorithm itself


def test_reference_vectors_are_reproduced_by_this_implementation():
    """Validates the imp_ token maker every other test uses."""
    for user, expected in VECTORS.items():
        assert imp_token(API_KEY, user, VECTOR_EPOCH) == expected
    assert imp_hash("=admin", 1, "k") == imp_hash("admin", 1, "k")  # the '=' is not hashed
    assert re.fullmatch(r"imp_\d+_[0-9a-f]{32}_=?[^_].*", imp_token("k", "=some_user_name"))


# ---------------------------------------------------------------------------------------------------------------
# Off by default


def test_legacy_tokens_are_off_by_default(server, admin_token, people):
    """Runs before the `legacy` fixture enables them on this module's server."""
    state = get_legacy(server, admin_token)
    assert state.get("enabled") is False and "warning" not in state, state
    user = people["user"]
    for header in (False, True):
        refused(with_api_key(server, API_KEY, user["@id"], header=header), 403, API_KEY, words=("disabled",))
    for token in (*VECTORS.values(), imp_token(API_KEY, user["@id"]), imp_token(API_KEY, "=" + user["username"])):
        for carrier in CARRIERS:
            refused(with_token(server, token, carrier), 403, token)
        refused(with_token(server, token, "bearer", AUTHENTICATE), 403, token)


# ---------------------------------------------------------------------------------------------------------------
# The site API key


@pytest.mark.parametrize("header", [False, True], ids=["query", "x-apikey-header"])
def test_api_key_impersonates_the_user(server, legacy, people, admin, header):
    user = people["user"]
    as_user(with_api_key(server, legacy, user["@id"], header=header), user, legacy)
    as_user(with_api_key(server, legacy, admin["@id"], header=header), admin, legacy)


@pytest.mark.parametrize("header", [False, True], ids=["query", "x-apikey-header"])
def test_api_key_refusals(server, legacy, people, header):
    user = people["user"]
    wrong = secret("not-" + legacy)
    refused(with_api_key(server, wrong, user["@id"], header=header), 403, wrong)
    refused(with_api_key(server, legacy.upper(), user["@id"], header=header), 403, legacy)
    refused(with_api_key(server, legacy, None, header=header), 400, legacy)  # no impersonateuserid
    refused(with_api_key(server, legacy, people["inactive"]["@id"], header=header), 403, legacy)
    refused(with_api_key(server, legacy, 999999, header=header), 403, legacy)  # no such user


# ---------------------------------------------------------------------------------------------------------------
# Impersonation tokens


@pytest.mark.parametrize("form", ["id", "username"])
@pytest.mark.parametrize("carrier", CARRIERS)
def test_impersonation_token_in_each_carrier(server, legacy, people, carrier, form):
    user = people["user"]
    token = imp_token(legacy, user["@id"] if form == "id" else "=" + user["username"])
    as_user(with_token(server, token, carrier), user, token, legacy)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_impersonation_token_is_exchanged_at_authenticate(server, legacy, people, carrier):
    user = people["user"]
    token = imp_token(legacy, "=" + user["username"])
    r = with_token(server, token, carrier, AUTHENTICATE)
    assert r.status_code == 200, show(r)
    no_leak(r, legacy)
    authtoken = secret(r.text.strip())
    check(bool(authtoken) and not authtoken.startswith("imp_"), "users/authenticate did not answer a normal authtoken")
    check(r.cookies.get("authtoken") == authtoken, "the authtoken cookie is not the token answered")
    # The normal authtoken works on its own, as a Bearer and as the cookie.
    as_user(current(server, bearer(authtoken)), user)
    as_user(current(server, {"Cookie": "authtoken=" + authtoken}), user)


def test_impersonation_token_window(server, legacy, people):
    user = people["user"]
    now = int(time.time())
    as_user(with_token(server, imp_token(legacy, user["@id"], now - 30)), user)
    as_user(with_token(server, imp_token(legacy, user["@id"], now + 30)), user)
    for epoch in (now - 120, now + 120, now - 3600):
        token = imp_token(legacy, user["@id"], epoch)
        refused(with_token(server, token), 401, token)
        refused(with_token(server, token, "bearer", AUTHENTICATE), 401, token)


def test_impersonation_token_with_a_wrong_hash(server, legacy, people):
    user = people["user"]
    good = imp_token(legacy, user["@id"])
    epoch = good.split("_")[1]
    wrong_key = f"imp_{epoch}_{imp_hash(user['@id'], epoch, 'another-api-key')}_{user['@id']}"
    other_user = f"imp_{epoch}_{imp_hash('1', epoch, legacy)}_{user['@id']}"  # the hash of another user
    zeros = f"imp_{epoch}_{'0' * 32}_{user['@id']}"
    for token in (wrong_key, other_user, zeros):
        token = secret(token)
        for carrier in CARRIERS:
            refused(with_token(server, token, carrier), 401, token)
        refused(with_token(server, token, "bearer", AUTHENTICATE), 401, token)


def test_reference_vectors_are_refused(server, legacy):
    """Stale (2014) and made with another key: 401 in every carrier, and at users/authenticate."""
    for token in VECTORS.values():
        for carrier in CARRIERS:
            refused(with_token(server, token, carrier), 401, token)
        refused(with_token(server, token, "bearer", AUTHENTICATE), 401, token)


def test_cli_takes_the_reference_vectors_key(server, legacy, admin):
    """`--api-key secretapikey` (the reference's 12-character key, as an existing integration's key may be): fresh
    tokens made with it work, and the vectors -- now with the right hash -- are refused only for being stale."""
    try:
        legacy_cli(server, "--enable", "--api-key", API_KEY)
        assert wait_for(lambda: with_api_key(server, API_KEY, admin["@id"]).status_code == 200), \
            show(with_api_key(server, API_KEY, admin["@id"]))
        for user in ("=admin", "1"):
            as_user(with_token(server, imp_token(API_KEY, user)), admin)
        for token in VECTORS.values():
            refused(with_token(server, token), 401, token)
            refused(with_token(server, token, "cookie", AUTHENTICATE), 401, token)
    finally:
        legacy_cli(server, "--enable", "--api-key", legacy)
        assert wait_for(lambda: with_api_key(server, legacy, admin["@id"]).status_code == 200)


def test_cli_disable_and_enable_apply_to_the_running_server(server, legacy, people, admin_token):
    user = people["user"]
    assert get_legacy(server, admin_token)["enabled"] is True
    legacy_cli(server, "--disable")
    try:
        assert wait_for(lambda: with_api_key(server, legacy, user["@id"]).status_code == 403), \
            show(with_api_key(server, legacy, user["@id"]))
        refused(with_api_key(server, legacy, user["@id"], header=True), 403, legacy, words=("disabled",))
        token = imp_token(legacy, user["@id"])
        for carrier in CARRIERS:
            refused(with_token(server, token, carrier), 403, token)
        for vector in VECTORS.values():
            refused(with_token(server, vector), 403, vector)  # 403 (disabled) now, not 401 (stale)
        state = get_legacy(server, admin_token)
        assert state["enabled"] is False and "warning" not in state, state
    finally:
        legacy_cli(server, "--enable", "--api-key", legacy)
    assert wait_for(lambda: with_api_key(server, legacy, user["@id"]).status_code == 200)
    as_user(with_token(server, imp_token(legacy, user["@id"])), user)


def test_get_legacy_state_never_shows_the_key(server, legacy, admin_token):
    state = get_legacy(server, admin_token)
    assert state["enabled"] is True, state
    assert "weak" in state.get("warning", ""), state
    assert "apiKey" not in state
    r = requests.get(server.url + LEGACY, params=JSON_OUT, headers=bearer(admin_token), timeout=10)
    check(legacy not in r.text, "GET legacy-tokens shows the API key")


# ---------------------------------------------------------------------------------------------------------------
# The API: PUT /@api/deki/site/legacy-tokens on a site of its own (no key has ever been set there)


@pytest.fixture(scope="module")
def api_site():
    s = Server()
    try:
        token = secret(s.sign_in())
        user = create_user(s, token, unique("api-site-user"))
        name, password = unique("api-site-contributor"), secret("pw-" + uuid.uuid4().hex)
        create_user(s, token, name, password=password)
        yield {"server": s, "admin": token, "user": user, "contributor": secret(s.sign_in(name, password))}
    finally:
        s.stop()


def test_api_enable_generates_a_key_once_and_disable_refuses_at_once(api_site):
    s, admin_token, user = api_site["server"], api_site["admin"], api_site["user"]
    assert get_legacy(s, admin_token) == {"enabled": False}
    assert "weak" not in s.output()
    refused(with_token(s, VECTORS["1"]), 403, VECTORS["1"])

    # Enabling without a key: one is generated and answered, this once.
    r = put_legacy(s, admin_token, {"enabled": True})
    assert r.status_code == 200, show(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
    doc = json_of(r)
    key = doc.get("apiKey")
    assert doc.get("enabled") is True, sorted(doc)
    assert "weak" in doc.get("warning", ""), doc.get("warning")
    check(isinstance(key, str) and re.fullmatch(r"[\x21-\x7e]{%d,%d}" % KEY_LENGTHS, key) is not None,
          "no apiKey of 16-128 printable ASCII characters answered")

    # The running server applies it at once: the key and tokens made with it work.
    as_user(with_api_key(s, key, user["@id"]), user, key)
    as_user(with_api_key(s, key, user["@id"], header=True), user, key)
    as_user(with_token(s, imp_token(key, "=" + user["username"]), "x-authtoken"), user, key)
    refused(with_api_key(s, API_KEY, user["@id"]), 403, key)  # the vectors' key is not this site's
    refused(with_token(s, VECTORS["1"]), 401, VECTORS["1"])  # enabled: stale now, not disabled

    # GET never shows the key.
    r = requests.get(s.url + LEGACY, params=JSON_OUT, headers=bearer(admin_token), timeout=10)
    state = json_of(r)
    assert state.get("enabled") is True and "weak" in state.get("warning", ""), state
    assert "apiKey" not in state
    check(key not in r.text, "GET legacy-tokens shows the API key")

    # Audited as weak, without the key; logged as weak, without the key.
    events, body = enable_events(s, admin_token)
    assert events, "no site.legacy-tokens.enable audit event"
    assert any("weak" in (e.get("detail") or "") for e in events), [e.get("detail") for e in events]
    assert all(e.get("@outcome") == "success" and e.get("actor-user-id") == "1" for e in events), events
    check(key not in body, "the audit trail contains the API key")
    assert wait_for(lambda: "weak" in s.output(), timeout=5), "the server log has no 'weak' line after enabling"
    check(key not in s.output(), "the server log contains the API key")

    # Enabling again while a key exists: no new key.
    r = put_legacy(s, admin_token, {"enabled": True})
    assert r.status_code == 200, show(r)
    assert json_of(r).get("enabled") is True and "apiKey" not in json_of(r), sorted(json_of(r))
    as_user(with_api_key(s, key, user["@id"]), user, key)

    # Disabling refuses everything at once.
    fresh = imp_token(key, user["@id"])
    r = put_legacy(s, admin_token, {"enabled": False})
    assert r.status_code == 200, show(r)
    assert json_of(r).get("enabled") is False and "apiKey" not in json_of(r), sorted(json_of(r))
    refused(with_api_key(s, key, user["@id"]), 403, key, words=("disabled",))
    refused(with_token(s, fresh), 403, fresh)
    for vector in VECTORS.values():
        refused(with_token(s, vector), 403, vector)
    assert get_legacy(s, admin_token) == {"enabled": False}

    # Re-enabling keeps the key that exists; a key given in the request replaces it and is not answered.
    r = put_legacy(s, admin_token, {"enabled": True})
    assert r.status_code == 200 and "apiKey" not in json_of(r), show(r)
    as_user(with_api_key(s, key, user["@id"]), user, key)
    chosen = secret("chosen-key-" + uuid.uuid4().hex)
    r = put_legacy(s, admin_token, {"enabled": True, "apiKey": chosen})
    assert r.status_code == 200, show(r)
    assert json_of(r).get("enabled") is True and "apiKey" not in json_of(r), sorted(json_of(r))
    no_leak(r, chosen)
    as_user(with_api_key(s, chosen, user["@id"]), user, chosen)
    refused(with_api_key(s, key, user["@id"]), 403, key)
    as_user(with_token(s, imp_token(chosen, user["@id"]), "cookie"), user, chosen)
    check(chosen not in s.output(), "the server log contains the API key")

    r = put_legacy(s, admin_token, {"enabled": False})
    assert r.status_code == 200, show(r)
    refused(with_api_key(s, chosen, user["@id"]), 403, chosen)


def test_api_needs_an_admin_and_a_valid_key(api_site):
    s, admin_token = api_site["server"], api_site["admin"]
    before = get_legacy(s, admin_token)
    contributor = api_site["contributor"]
    for body in ({"enabled": True}, {"enabled": False}, {"enabled": True, "apiKey": "x" * 32}):
        refused(put_legacy(s, contributor, body), 403)
        refused(requests.put(s.url + LEGACY, params=JSON_OUT, json=body, timeout=10), 401)  # anonymous
    refused(requests.get(s.url + LEGACY, params=JSON_OUT, headers=bearer(contributor), timeout=10), 403)

    too_short, too_long = secret("k" * (KEY_LENGTHS[0] - 1)), secret("k" * (KEY_LENGTHS[1] + 1))
    for bad_key in (too_short, too_long, secret("tab\tinside-the-api-key"), secret("caf\u00e9-caf\u00e9-caf\u00e9-caf\u00e9"),
                    secret("new\nline-inside-the-key")):
        refused(put_legacy(s, admin_token, {"enabled": True, "apiKey": bad_key}), 400, bad_key)
    for bad_body in ({"enabled": True, "apiKey": 12345678901234567890}, {}, {"enabled": "yes"}, [True]):
        refused(put_legacy(s, admin_token, bad_body), 400)
    assert get_legacy(s, admin_token) == before  # nothing changed


# ---------------------------------------------------------------------------------------------------------------
# The CLI generating a key, and a restart


def test_cli_generated_key_survives_a_restart_which_warns_in_the_log():
    first = Server()
    try:
        admin_token = secret(first.sign_in())
        user = create_user(first, admin_token, unique("restart-user"))
        result = legacy_cli(first, "--enable")
        match = re.search(r"^api_key: (\S+)\s*$", result.stdout, re.M)
        assert match, "the CLI printed no 'api_key: <key>' line"
        key = secret(match.group(1))
        check(re.fullmatch(r"[\x21-\x7e]{%d,%d}" % KEY_LENGTHS, key) is not None,
              "the generated key is not 16-128 printable ASCII")
        assert "weak" in result.stderr, redact(result.stderr)
        assert wait_for(lambda: with_api_key(first, key, user["@id"]).status_code == 200), \
            show(with_api_key(first, key, user["@id"]))
        events, body = enable_events(first, admin_token)
        assert any("weak" in (e.get("detail") or "") for e in events), "the CLI's enabling was not audited as weak"
        check(key not in body, "the audit trail contains the API key")
    finally:
        assert first.stop() == 0, redact(first.output()[-2000:])
    check(key not in first.output(), "the server log contains the API key")

    second = Server(data_dir=first.data_dir)
    try:
        log = second.output()
        assert "weak" in log, redact(log[-2000:])  # at start, for the site with legacy tokens on
        check(key not in log, "the server log contains the API key")
        as_user(with_api_key(second, key, user["@id"], header=True), user, key)
        as_user(with_token(second, imp_token(key, user["@id"]), "query"), user, key)

        legacy_cli(second, "--disable")
        assert wait_for(lambda: with_api_key(second, key, user["@id"]).status_code == 403)
        refused(with_api_key(second, key, user["@id"]), 403, key, words=("disabled",))
        token = imp_token(key, user["@id"])
        refused(with_token(second, token), 403, token)
    finally:
        second.stop()
