"""Foundation interop tests: sign-in, the current user, user administration, sites, bad input, throttling,
password storage, PostgreSQL sharing and graceful stop — driven as a new user would, with independent clients
(requests, http.client, ElementTree, sqlite3, argon2-cffi) against a real `tessera serve`.
"""
import base64
import http.client
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest
import requests

from conftest import ADMIN_PASSWORD, BIN, Server, deki_error, deki_error_of

USERS = "/@api/deki/users"
TOKEN_SHAPE = re.compile(r"^(\d+)_(\d+)_([0-9a-f]{64})$")
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token):
    return {"Authorization": "Bearer " + token}


def parse_cookie(set_cookie):
    """Splits one Set-Cookie value into (name, value, {attribute-lowercase: value-or-True})."""
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attributes = {}
    for part in parts[1:]:
        key, eq, val = part.partition("=")
        attributes[key.strip().lower()] = val.strip() if eq else True
    return name, value, attributes


def xml_of(response):
    assert response.headers["Content-Type"].startswith("application/xml"), response.headers
    return ET.fromstring(response.content)


def deki_json_of(element):
    """The deki JSON mapping of an XML element, computed independently of the server: root dropped by the
    caller, attributes as "@name", every value a string, one child an object, repeated children an array,
    an empty element ""."""
    children = list(element)
    text = element.text or ""
    if not element.attrib and not children:
        return text
    out = {"@" + k: v for k, v in element.attrib.items()}
    groups = {}
    for child in children:
        groups.setdefault(child.tag, []).append(deki_json_of(child))
    for tag, values in groups.items():
        out[tag] = values[0] if len(values) == 1 else values
    if text.strip():
        out["#text"] = text
    return out


def all_strings(value):
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(all_strings(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and all_strings(v) for k, v in value.items())
    return False


def sign_in(server, username, password, host=None, method="GET"):
    user = username.encode("utf-8") if isinstance(username, str) else username
    pw = password.encode("utf-8") if isinstance(password, str) else password
    headers = {"Host": host} if host else {}
    return requests.request(method, server.url + USERS + "/authenticate", auth=(user, pw), headers=headers,
                            allow_redirects=False, timeout=15)


def current(server, token=None, host=None, fmt=None):
    headers = bearer(token) if token else {}
    if host:
        headers["Host"] = host
    params = {"dream.out.format": fmt} if fmt else None
    return requests.get(server.url + USERS + "/current", headers=headers, params=params, timeout=10)


def create_user(server, token, username, password=None, host=None, **fields):
    """Creates a user with an XML body; returns the parsed <user>."""
    body = ET.Element("user")
    ET.SubElement(body, "username").text = username
    for name, value in fields.items():
        ET.SubElement(body, name.replace("_", ".")).text = value
    headers = {**bearer(token), "Content-Type": "application/xml"}
    if host:
        headers["Host"] = host
    params = {"accountpassword": password} if password is not None else None
    r = requests.post(server.url + USERS, data=ET.tostring(body), headers=headers, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return xml_of(r)


def put_user(server, token, ref, xml, params=None, host=None):
    headers = {**bearer(token), "Content-Type": "application/xml"}
    if host:
        headers["Host"] = host
    return requests.put(f"{server.url}{USERS}/{ref}", data=xml, headers=headers, params=params, timeout=10)


def raw_request(server, method, path, headers, body=None, chunks=None):
    """A request with full control over header lines (duplicates, no Host, odd values) via http.client.
    Returns (status, header list, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if chunks is not None:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for chunk in chunks:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        else:
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def assert_up(server):
    assert server.process.poll() is None, server.output()
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def wait_until(predicate, timeout, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def cli(*args, env=None):
    environment = dict(os.environ)
    environment.pop("TESSERA_DATABASE_URL", None)
    environment.update(env or {})
    return subprocess.run([BIN, *args], env=environment, capture_output=True, text=True, timeout=60)


def stored_hash(data_dir, username):
    """The stored password hash of a user of the default site, read straight from the SQLite file."""
    db = sqlite3.connect(os.path.join(data_dir, "tessera.sqlite"), timeout=10)
    try:
        rows = db.execute(
            "SELECT u.password_hash FROM users u JOIN sites s ON s.id = u.site_id WHERE s.is_default = 1 AND u.username_key = ?",
            (username.lower(),),
        ).fetchall()
    finally:
        db.close()
    assert len(rows) == 1, rows
    return rows[0][0]


@pytest.fixture(scope="module")
def admin_token(server):
    return server.sign_in()


# ---------------------------------------------------------------------------------------------------------------
# 1. Sign-in


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sign_in_answers_token_and_sets_cookie(server, method):
    r = sign_in(server, "admin", ADMIN_PASSWORD, method=method)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers.get("Cache-Control") == "no-store"
    match = TOKEN_SHAPE.match(r.text)
    assert match, r.text
    assert match.group(1) == "1"
    assert int(match.group(2)) > time.time() + 3600  # expires in the future (default 6.5 days)

    cookies = r.raw.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies
    name, value, attributes = parse_cookie(cookies[0])
    assert (name, value) == ("authtoken", r.text)
    assert attributes.get("httponly") is True
    assert str(attributes.get("samesite", "")).lower() == "lax"
    assert "secure" not in attributes  # the public URL is http
    assert attributes.get("path") == "/"

    me = xml_of(current(server, r.text))
    assert (me.get("id"), me.findtext("username")) == ("1", "admin")


def test_sign_in_redirect_to_a_path_sets_cookie(server):
    r = requests.get(server.url + USERS + "/authenticate", params={"redirect": "/somewhere"},
                     auth=("admin", ADMIN_PASSWORD), allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == "/somewhere"
    token = r.cookies.get("authtoken")
    assert token and TOKEN_SHAPE.match(token)
    name, value, attributes = parse_cookie(r.headers["Set-Cookie"])
    assert attributes.get("httponly") is True and str(attributes.get("samesite")).lower() == "lax"
    assert current(server, token).status_code == 200


def test_sign_in_redirect_to_own_absolute_url_is_allowed(server):
    target = server.url + "/landing?x=1"
    r = requests.get(server.url + USERS + "/authenticate", params={"redirect": target},
                     auth=("admin", ADMIN_PASSWORD), allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == target


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/x", "https://evil.example@127.0.0.2/",
                                    "javascript:alert(1)", "/ok\\..\\evil"])
def test_sign_in_refuses_open_redirect(server, target):
    r = requests.get(server.url + USERS + "/authenticate", params={"redirect": target},
                     auth=("admin", ADMIN_PASSWORD), allow_redirects=False, timeout=10)
    deki_error(r, 400)
    assert "Location" not in r.headers
    assert "authtoken" not in r.cookies


def test_wrong_password_and_unknown_user_answer_the_same_401(server):
    wrong = sign_in(server, "admin", "not-the-password")
    unknown = sign_in(server, unique("nobody"), "not-the-password")
    for r in (wrong, unknown):
        assert r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers
        assert "authtoken" not in r.cookies
    wrong_fields = deki_error(wrong, 401)
    unknown_fields = deki_error(unknown, 401)
    assert wrong_fields["message"] == unknown_fields["message"]  # no user enumeration
    # The failure was not sticky: the right password still works (and clears the account's failure count).
    assert sign_in(server, "admin", ADMIN_PASSWORD).status_code == 200


def test_sign_in_without_credentials_asks_for_basic(server):
    r = requests.get(server.url + USERS + "/authenticate", timeout=10)
    deki_error(r, 401)
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic")


# ---------------------------------------------------------------------------------------------------------------
# 2. users/current


def test_current_anonymous(server):
    r = current(server)
    assert r.status_code == 200, r.text
    me = xml_of(r)
    assert me.tag == "user"
    assert (me.get("id"), me.get("anonymous"), me.findtext("username")) == ("2", "true", "Anonymous")
    assert me.findtext("permissions.user/role") == "Anonymous"
    assert me.find("password").get("exists") == "false"
    uuid.UUID(me.get("guid"))
    assert me.get("href") == server.url + USERS + "/2"


@pytest.mark.parametrize("how", ["cookie", "bearer", "bearer-lowercase-scheme"])
def test_current_with_auth_token(server, admin_token, how):
    if how == "cookie":
        r = requests.get(server.url + USERS + "/current", cookies={"authtoken": admin_token}, timeout=10)
    elif how == "bearer":
        r = requests.get(server.url + USERS + "/current", headers=bearer(admin_token), timeout=10)
    else:
        r = requests.get(server.url + USERS + "/current", headers={"Authorization": "bearer " + admin_token}, timeout=10)
    assert r.status_code == 200, r.text
    me = xml_of(r)
    assert (me.get("id"), me.get("anonymous"), me.findtext("username")) == ("1", "false", "admin")
    assert me.findtext("permissions.user/role") == "Admin"
    assert "ADMIN" in me.findtext("permissions.user/operations").split(",")
    assert me.find("password").get("exists") == "true"


def test_current_json_is_the_deki_mapping_of_the_xml(server, admin_token):
    for token in (None, admin_token):
        as_xml = xml_of(current(server, token))
        r = current(server, token, fmt="json")
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        doc = r.json()
        assert all_strings(doc), doc
        assert doc == deki_json_of(as_xml)
    assert doc["@id"] == "1" and doc["@anonymous"] == "false"
    assert doc["permissions.user"]["role"] == "Admin"
    assert doc["password"] == {"@exists": "true"}
    assert doc["username"] == "admin"


def test_current_format_xml_explicitly_and_case_insensitive_json(server):
    assert xml_of(current(server, fmt="xml")).get("id") == "2"
    assert current(server, fmt="JSON").json()["@id"] == "2"


def test_current_unsupported_format_is_400(server):
    r = current(server, fmt="bogus")
    fields = deki_error(r, 400)
    assert "bogus" in fields["message"]


# ---------------------------------------------------------------------------------------------------------------
# 3. User administration


def test_create_users_list_read_and_update(server, admin_token):
    xml_name, json_name = unique("xml-user"), unique("json-user")
    created = create_user(server, admin_token, xml_name, password="first-password-1", fullname="Xavier Ml",
                          email=f"{xml_name}@example.org")
    xml_id = created.get("id")
    assert int(xml_id) > 2
    assert created.findtext("username") == xml_name
    assert created.findtext("fullname") == "Xavier Ml"
    assert created.findtext("email") == f"{xml_name}@example.org"
    assert created.findtext("status") == "active"
    assert created.findtext("license.seat") == "true"
    assert created.findtext("permissions.user/role") == "Viewer"  # the default role
    assert created.find("password").get("exists") == "true"
    assert created.get("href") == f"{server.url}{USERS}/{xml_id}"

    r = requests.post(server.url + USERS, params={"dream.out.format": "json"}, headers=bearer(admin_token),
                      json={"username": json_name, "fullname": "Jay Son", "email": f"{json_name}@example.org",
                            "permissions.user": {"role": "Contributor"}, "license.seat": False}, timeout=10)
    assert r.status_code == 200, r.text
    made = r.json()
    assert all_strings(made)
    json_id = made["@id"]
    assert int(json_id) > int(xml_id)
    assert (made["username"], made["fullname"], made["permissions.user"]["role"], made["license.seat"]) == \
        (json_name, "Jay Son", "Contributor", "false")
    assert made["password"] == {"@exists": "false"}  # no accountpassword given

    # List, JSON: several users are an array, the count matches.
    r = requests.get(server.url + USERS, params={"dream.out.format": "json"}, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, r.text
    listing = r.json()
    assert isinstance(listing["user"], list)
    assert listing["@count"] == str(len(listing["user"]))
    assert int(listing["@querycount"]) >= int(listing["@count"]) >= 4
    by_name = {u["username"]: u for u in listing["user"]}
    assert {"admin", "Anonymous", xml_name, json_name} <= set(by_name)
    assert by_name[json_name]["@id"] == json_id

    # List, XML: same users.
    users = xml_of(requests.get(server.url + USERS, headers=bearer(admin_token), timeout=10))
    assert users.tag == "users"
    assert users.get("count") == str(len(users.findall("user")))
    assert {u.findtext("username") for u in users.findall("user")} == set(by_name)

    # A page of one: a single user is an object, not an array.
    r = requests.get(server.url + USERS, params={"dream.out.format": "json", "limit": "1", "offset": "1"},
                     headers=bearer(admin_token), timeout=10)
    page = r.json()
    assert page["@count"] == "1" and isinstance(page["user"], dict)
    assert page["user"]["@id"] == "2"
    assert page["@querycount"] == listing["@querycount"]

    # Read by id, by =username, by =USERNAME (case-insensitive) and percent-encoded.
    by_id = xml_of(requests.get(f"{server.url}{USERS}/{xml_id}", headers=bearer(admin_token), timeout=10))
    percent_encoded = "=" + "".join(f"%{b:02X}" for b in xml_name.encode())
    for ref in (f"={xml_name}", f"={xml_name.upper()}", percent_encoded):
        by_ref = xml_of(requests.get(f"{server.url}{USERS}/{ref}", headers=bearer(admin_token), timeout=10))
        assert by_ref.get("guid") == by_id.get("guid") == created.get("guid")
    assert deki_json_of(by_id) == {**deki_json_of(created)}

    # Partial update: only the fields sent change.
    r = put_user(server, admin_token, xml_id, "<user><fullname>Renamed Person</fullname>"
                 "<permissions.user><role>Contributor</role></permissions.user>"
                 "<license.seat>false</license.seat></user>")
    assert r.status_code == 200, r.text
    for doc in (xml_of(r), xml_of(requests.get(f"{server.url}{USERS}/{xml_id}", headers=bearer(admin_token), timeout=10))):
        assert doc.findtext("fullname") == "Renamed Person"
        assert doc.findtext("permissions.user/role") == "Contributor"
        assert "MY_ACCESS_KEY" in doc.findtext("permissions.user/operations").split(",")
        assert doc.findtext("license.seat") == "false"
        assert doc.findtext("email") == f"{xml_name}@example.org"  # untouched
        assert doc.findtext("username") == xml_name
        assert doc.findtext("status") == "active"

    # A document fetched with GET can be sent back unchanged (unknown elements and attributes are ignored).
    fetched = requests.get(f"{server.url}{USERS}/{json_id}", headers=bearer(admin_token), timeout=10)
    r = put_user(server, admin_token, json_id, fetched.content)
    assert r.status_code == 200, r.text
    assert deki_json_of(xml_of(r)) == deki_json_of(xml_of(fetched))


@pytest.mark.parametrize("username", ["john smith", "50%41", "Émile-ß", "a+b?c#d&e"])
def test_special_characters_round_trip(server, admin_token, username):
    # The "u" keeps a cased letter in every name, so the upper-case clash below always differs.
    username = f"{username} u{uuid.uuid4().hex[:6]}"
    fullname = 'Ünï <&> "q" \'a\' 😀 — ]]> end'
    created = create_user(server, admin_token, username, fullname=fullname)
    assert (created.findtext("username"), created.findtext("fullname")) == (username, fullname)
    # By =username, double-encoded as Expert's docs ask (a literal "%41" arrives as %252541), in XML and JSON.
    ref = "=" + "".join(f"%25{b:02X}" for b in username.encode())
    r = requests.get(f"{server.url}{USERS}/{ref}", params={"dream.out.format": "json"}, headers=bearer(admin_token), timeout=10)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["@id"], doc["username"], doc["fullname"]) == (created.get("id"), username, fullname)
    assert doc == deki_json_of(created)
    # Unicode case also counts for uniqueness (one-to-one case mappings only: "ß" upper-cases to "SS").
    clash = "".join(c.upper() if len(c.upper()) == 1 else c for c in username)
    assert clash != username
    r = requests.post(server.url + USERS, headers=bearer(admin_token), json={"username": clash}, timeout=10)
    deki_error(r, 409)


def test_duplicate_username_is_409_case_insensitive(server, admin_token):
    name = unique("Dup")
    first = create_user(server, admin_token, name)
    for clash in (name, name.upper(), name.lower()):
        r = requests.post(server.url + USERS, headers={**bearer(admin_token), "Content-Type": "application/xml"},
                          data=f"<user><username>{clash}</username></user>", timeout=10)
        deki_error(r, 409)
    # Renaming another user onto the name is a conflict too.
    other = create_user(server, admin_token, unique("other"))
    r = put_user(server, admin_token, other.get("id"), f"<user><username>{name.swapcase()}</username></user>")
    deki_error(r, 409)
    # And nothing changed.
    again = xml_of(requests.get(f"{server.url}{USERS}/{first.get('id')}", headers=bearer(admin_token), timeout=10))
    assert again.findtext("username") == name


def test_non_admin_is_403_and_anonymous_is_401(server, admin_token):
    name, password = unique("viewer"), "viewer-password-1"
    created = create_user(server, admin_token, name, password=password)
    r = sign_in(server, name, password)
    assert r.status_code == 200, r.text
    token = r.text
    me = xml_of(current(server, token))
    assert (me.get("id"), me.findtext("username")) == (created.get("id"), name)
    assert me.findtext("date.lastlogin")

    body = "<user><username>should-not-exist</username></user>"
    xml_headers = {"Content-Type": "application/xml"}
    attempts = [
        ("GET", USERS, None), ("POST", USERS, body), ("GET", USERS + "/1", None),
        ("PUT", USERS + "/" + created.get("id"), "<user><permissions.user><role>Admin</role></permissions.user></user>"),
    ]
    for method, path, data in attempts:
        r = requests.request(method, server.url + path, headers={**bearer(token), **xml_headers}, data=data, timeout=10)
        deki_error(r, 403)
        r = requests.request(method, server.url + path, headers=xml_headers, data=data, timeout=10)
        deki_error(r, 401)
        assert r.headers.get("WWW-Authenticate", "").startswith("Basic")
    # The viewer did not promote itself, and no user was created.
    me = xml_of(current(server, token))
    assert me.findtext("permissions.user/role") == "Viewer"
    r = requests.get(server.url + USERS + "/=should-not-exist", headers=bearer(admin_token), timeout=10)
    deki_error(r, 404)


def test_last_admin_cannot_be_deactivated_or_demoted(server, admin_token):
    for body in ("<user><status>inactive</status></user>",
                 "<user><permissions.user><role>Viewer</role></permissions.user></user>"):
        deki_error(put_user(server, admin_token, 1, body), 409)
    me = xml_of(current(server, admin_token))
    assert (me.findtext("status"), me.findtext("permissions.user/role")) == ("active", "Admin")


def test_anonymous_user_cannot_be_changed_or_sign_in(server, admin_token):
    deki_error(put_user(server, admin_token, 2, "<user><fullname>Ghost</fullname></user>"), 400)
    r = sign_in(server, "Anonymous", "anything-at-all")
    deki_error(r, 401)


# ---------------------------------------------------------------------------------------------------------------
# 4. Deactivation and password change


def test_deactivate_refuses_token_and_sign_in_until_reactivated_and_ends_old_tokens(server, admin_token):
    name, password = unique("leaver"), "leaver-password-1"
    user_id = create_user(server, admin_token, name, password=password).get("id")
    token = sign_in(server, name, password).text
    assert current(server, token).status_code == 200

    r = put_user(server, admin_token, user_id, "<user><status>inactive</status></user>")
    assert r.status_code == 200, r.text
    assert xml_of(r).findtext("status") == "inactive"
    deki_error(current(server, token), 403)
    deki_error(sign_in(server, name, password), 403)
    deki_error(requests.get(server.url + USERS + "/current", cookies={"authtoken": token}, timeout=10), 403)

    r = put_user(server, admin_token, user_id, "<user><status>Active</status></user>")
    assert r.status_code == 200, r.text
    assert xml_of(r).findtext("status") == "active"
    # A deactivation ends what was issued before it: the old token stays void; a new sign-in works.
    deki_error(current(server, token), 401)
    fresh = sign_in(server, name, password)
    assert fresh.status_code == 200
    assert xml_of(current(server, fresh.text)).get("id") == user_id


def test_password_change_invalidates_tokens(server, admin_token):
    name, old, new = unique("mover"), "old-password-1", "new-password-2"
    user_id = create_user(server, admin_token, name, password=old).get("id")
    old_token = sign_in(server, name, old).text
    assert current(server, old_token).status_code == 200

    r = put_user(server, admin_token, user_id, "<user/>", params={"accountpassword": new})
    assert r.status_code == 200, r.text
    assert xml_of(r).find("password").get("exists") == "true"

    fields = deki_error(current(server, old_token), 401)
    assert new not in fields["uri"] and old not in fields["uri"]
    r = sign_in(server, name, new)
    assert r.status_code == 200, r.text
    assert xml_of(current(server, r.text)).get("id") == user_id
    deki_error(sign_in(server, name, old), 401)
    # Other users' tokens are untouched.
    assert current(server, admin_token).status_code == 200


def test_too_short_password_is_refused_and_changes_nothing(server, admin_token):
    name, password = unique("short"), "long-enough-1"
    user_id = create_user(server, admin_token, name, password=password).get("id")
    token = sign_in(server, name, password).text
    fields = deki_error(put_user(server, admin_token, user_id, "<user/>", params={"accountpassword": "short"}), 400)
    assert "short" not in fields["uri"]  # the query string (a password) never appears in an error
    assert current(server, token).status_code == 200
    assert sign_in(server, name, password).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# 5. Site isolation


def test_sites_are_isolated(server, admin_token):
    other_password = "other-site-admin-" + uuid.uuid4().hex[:8]
    default_anonymous = xml_of(current(server)).get("guid")
    default_admin = xml_of(current(server, admin_token)).get("guid")

    # While the server runs on the same SQLite file.
    done = cli("site", "create", "--name", "Other", "--hostname", "other.test", "--data-dir", server.data_dir,
               env={"TESSERA_ADMIN_PASSWORD": other_password})
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Created site [0-9a-f-]{36} \(other\.test\)", done.stdout), done.stdout
    assert other_password not in done.stdout + done.stderr

    listed = cli("site", "list", "--data-dir", server.data_dir)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert sorted((r[1], r[2], r[3]) for r in rows) == [("Default", "default", ""), ("Other", "-", "other.test")]

    # The server's site directory caches for 5 s: wait until other.test routes to the new site.
    assert wait_until(lambda: xml_of(current(server, host="other.test")).get("guid") != default_anonymous, 10), \
        "other.test never routed to the new site"
    other_anonymous = xml_of(current(server, host="other.test"))
    assert (other_anonymous.get("id"), other_anonymous.get("anonymous")) == ("2", "true")
    # Host matching ignores case, port and a trailing dot.
    for host in ("OTHER.TEST", "other.test:8080", "other.test."):
        assert xml_of(current(server, host=host)).get("guid") == other_anonymous.get("guid"), host

    r = sign_in(server, "admin", other_password, host="other.test")
    assert r.status_code == 200, r.text
    other_token = r.text
    other_admin = xml_of(current(server, other_token, host="other.test"))
    assert (other_admin.get("id"), other_admin.findtext("username")) == ("1", "admin")
    assert other_admin.get("guid") != default_admin

    # Each site's token and password work only there.
    deki_error(current(server, admin_token, host="other.test"), 401)
    deki_error(current(server, other_token), 401)
    r = requests.get(server.url + USERS + "/current", headers={"Host": "other.test"},
                     cookies={"authtoken": admin_token}, timeout=10)
    deki_error(r, 401)
    deki_error(sign_in(server, "admin", ADMIN_PASSWORD, host="other.test"), 401)
    deki_error(sign_in(server, "admin", other_password), 401)

    # Users of one site are invisible in the other; the same username may exist in both.
    only_default, shared, only_other = unique("here"), unique("shared"), unique("there")
    create_user(server, admin_token, only_default)
    in_default = create_user(server, admin_token, shared, password="shared-password-1")
    in_other = create_user(server, other_token, shared, password="shared-password-2", host="other.test")
    create_user(server, other_token, only_other, host="other.test")
    assert in_default.get("guid") != in_other.get("guid")
    assert in_other.get("id") == "3"  # ids are per site: the first user created in the new site

    def get(ref, token, host=None):
        headers = bearer(token)
        if host:
            headers["Host"] = host
        return requests.get(f"{server.url}{USERS}/{ref}", headers=headers, timeout=10)

    deki_error(get("=" + only_default, other_token, "other.test"), 404)
    deki_error(get("=" + only_other, admin_token), 404)
    assert xml_of(get("=" + shared, admin_token)).get("guid") == in_default.get("guid")
    assert xml_of(get("=" + shared, other_token, "other.test")).get("guid") == in_other.get("guid")

    other_list = requests.get(server.url + USERS, params={"dream.out.format": "json"},
                              headers={**bearer(other_token), "Host": "other.test"}, timeout=10).json()
    assert {u["username"] for u in other_list["user"]} == {"admin", "Anonymous", shared, only_other}

    # Each site's copy of the shared name has its own password.
    assert sign_in(server, shared, "shared-password-2", host="other.test").status_code == 200
    assert sign_in(server, shared, "shared-password-1").status_code == 200
    deki_error(sign_in(server, shared, "shared-password-1", host="other.test"), 401)


# ---------------------------------------------------------------------------------------------------------------
# 6. Bad input


def basic(text):
    return "Basic " + base64.b64encode(text.encode("utf-8")).decode()


XML = ("Content-Type", "application/xml")
JSON = ("Content-Type", "application/json")
AUTH = "/@api/deki/users/authenticate"
CURRENT = "/@api/deki/users/current"

# (id, method, path, headers, body, expected status). "{admin}", "{tampered}", "{expired}", "{host}" are filled in
# at run time; a header value None means "leave the Host header out".
BAD_INPUT = [
    ("basic-not-base64", "GET", AUTH, [("Authorization", "Basic !!!not-base64!!!")], None, 400),
    ("basic-not-utf8", "GET", AUTH, [("Authorization", "Basic " + base64.b64encode(b"admin:\xff\xfe").decode())], None, 400),
    ("basic-no-colon", "GET", AUTH, [("Authorization", basic("adminonly"))], None, 400),
    ("basic-empty-username", "GET", AUTH, [("Authorization", basic(":" + ADMIN_PASSWORD))], None, 400),
    ("basic-control-char", "GET", AUTH, [("Authorization", basic("ad\x01min:x"))], None, 400),
    ("basic-alone", "GET", AUTH, [("Authorization", "Basic")], None, 401),
    ("basic-two-spaces", "GET", AUTH, [("Authorization", "Basic  " + basic("admin:x")[6:])], None, 401),
    ("digest-scheme", "GET", AUTH, [("Authorization", "Digest x")], None, 401),
    ("bearer-on-authenticate", "GET", AUTH, [("Authorization", "Bearer {admin}")], None, 401),
    ("basic-too-long", "GET", AUTH, [("Authorization", basic("admin:" + "x" * 9000))], None, 400),
    ("two-authorization-on-authenticate", "GET", AUTH,
     [("Authorization", basic("admin:" + ADMIN_PASSWORD)), ("Authorization", basic("admin:" + ADMIN_PASSWORD))], None, 400),
    ("host-with-space", "GET", CURRENT, [("Host", "bad host!")], None, 400),
    ("host-empty", "GET", CURRENT, [("Host", "")], None, 400),
    ("host-bad-port", "GET", CURRENT, [("Host", "example.com:99999")], None, 400),
    ("host-empty-label", "GET", CURRENT, [("Host", "a..b")], None, 400),
    ("host-unclosed-ipv6", "GET", CURRENT, [("Host", "[::1")], None, 400),
    ("host-underscore-slash", "GET", CURRENT, [("Host", "evil.com/path")], None, 400),
    # RFC 9112 §3.2: a server MUST answer 400 to a request with more than one Host header line.
    ("host-twice", "GET", CURRENT, [("Host", "{host}"), ("Host", "other.example")], None, 400),
    ("body-too-large", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b"<user><username>big</username><fullname>" + b"x" * 65536 + b"</fullname></user>", 413),
    ("body-too-large-anonymous", "POST", USERS, [XML], b"x" * (64 * 1024 + 1), 413),
    ("body-too-large-chunked", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     [b"<user><username>big</username><fullname>", b"x" * 70000, b"</fullname></user>"], 413),
    ("content-type-text-plain", "POST", USERS, [("Authorization", "Bearer {admin}"), ("Content-Type", "text/plain")],
     b"<user><username>plain</username></user>", 415),
    ("content-type-form", "POST", USERS, [("Authorization", "Bearer {admin}"),
                                          ("Content-Type", "application/x-www-form-urlencoded")], b"username=form", 415),
    ("content-type-missing", "POST", USERS, [("Authorization", "Bearer {admin}")], b"<user><username>x</username></user>", 400),
    ("body-empty", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"", 400),
    ("xml-unclosed", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>unclosed</username>", 400),
    ("xml-mismatched", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>m</fullname></user>", 400),
    ("xml-doctype-entity", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b'<?xml version="1.0"?><!DOCTYPE user [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     b"<user><username>&b;</username></user>", 400),
    ("xml-external-entity", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b'<!DOCTYPE user [<!ENTITY x SYSTEM "file:///etc/passwd">]><user><username>&x;</username></user>', 400),
    ("xml-unknown-entity", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>&nope;</username></user>", 400),
    ("xml-wrong-root", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<page><username>root</username></page>", 400),
    ("xml-two-roots", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user/><user/>", 400),
    ("xml-not-xml", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"username=hello", 400),
    ("xml-too-deep", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user>" + b"<a>" * 40 + b"</a>" * 40 + b"</user>", 400),
    ("json-malformed", "POST", USERS, [("Authorization", "Bearer {admin}"), JSON], b'{"username": ', 400),
    ("json-array", "POST", USERS, [("Authorization", "Bearer {admin}"), JSON], b'[{"username": "arr"}]', 400),
    ("json-object-username", "POST", USERS, [("Authorization", "Bearer {admin}"), JSON], b'{"username": {"x": "y"}}', 400),
    ("username-missing", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><fullname>No Name</fullname></user>", 400),
    ("username-numeric", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>12345</username></user>", 400),
    ("username-equals", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>=eq</username></user>", 400),
    ("username-slash", "POST", USERS, [("Authorization", "Bearer {admin}"), XML], b"<user><username>a/b</username></user>", 400),
    ("email-invalid", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b"<user><username>mailer</username><email>not an address</email></user>", 400),
    ("role-unknown", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b"<user><username>roler</username><permissions.user><role>Overlord</role></permissions.user></user>", 400),
    ("role-anonymous", "POST", USERS, [("Authorization", "Bearer {admin}"), XML],
     b"<user><username>roler2</username><permissions.user><role>Anonymous</role></permissions.user></user>", 400),
    ("password-too-short", "POST", USERS + "?accountpassword=short", [("Authorization", "Bearer {admin}"), XML],
     b"<user><username>shorty</username></user>", 400),
    ("status-invalid", "PUT", USERS + "/1", [("Authorization", "Bearer {admin}"), XML], b"<user><status>sleeping</status></user>", 400),
    ("seat-invalid", "PUT", USERS + "/1", [("Authorization", "Bearer {admin}"), XML], b"<user><license.seat>maybe</license.seat></user>", 400),
    ("user-ref-not-numeric", "GET", USERS + "/abc", [("Authorization", "Bearer {admin}")], None, 400),
    ("user-ref-empty-name", "GET", USERS + "/=", [("Authorization", "Bearer {admin}")], None, 400),
    ("user-ref-too-long", "GET", USERS + "/12345678901", [("Authorization", "Bearer {admin}")], None, 400),
    ("user-unknown-id", "GET", USERS + "/999999", [("Authorization", "Bearer {admin}")], None, 404),
    ("user-unknown-id-put", "PUT", USERS + "/999999", [("Authorization", "Bearer {admin}"), XML], b"<user/>", 404),
    ("limit-not-number", "GET", USERS + "?limit=abc", [("Authorization", "Bearer {admin}")], None, 400),
    # Expert reads limit as an unsigned 32-bit number (0 gives only the counts; a large one is capped, not refused).
    ("limit-negative", "GET", USERS + "?limit=-1", [("Authorization", "Bearer {admin}")], None, 400),
    ("limit-over-32-bits", "GET", USERS + "?limit=4294967296", [("Authorization", "Bearer {admin}")], None, 400),
    ("seatfilter-unknown", "GET", USERS + "?seatfilter=maybe", [("Authorization", "Bearer {admin}")], None, 400),
    ("offset-negative", "GET", USERS + "?offset=-1", [("Authorization", "Bearer {admin}")], None, 400),
    ("format-bogus-on-list", "GET", USERS + "?dream.out.format=yaml", [("Authorization", "Bearer {admin}")], None, 400),
    ("unknown-route", "GET", "/@api/deki/nothing-here", [], None, 404),
    ("unknown-route-root", "GET", "/nothing-here", [], None, 404),  # "/" is the dashboard's front door
    ("unknown-route-deep", "GET", USERS + "/1/extra/segments", [("Authorization", "Bearer {admin}")], None, 404),
    # Neither a JWT nor an auth token: Expert's 403 "Unable to parse JWT token".
    ("bearer-garbage", "GET", CURRENT, [("Authorization", "Bearer garbage")], None, 403),
    ("bearer-garbage-json", "GET", CURRENT + "?dream.out.format=json", [("Authorization", "Bearer garbage")], None, 403),
    ("bearer-tampered", "GET", CURRENT, [("Authorization", "Bearer {tampered}")], None, 401),
    ("bearer-other-user-id", "GET", CURRENT, [("Authorization", "Bearer {other_user}")], None, 401),
    ("bearer-anonymous-id", "GET", CURRENT, [("Authorization", "Bearer {anonymous}")], None, 401),
    ("bearer-expired", "GET", CURRENT, [("Authorization", "Bearer {expired}")], None, 401),
    ("bearer-extra-space", "GET", CURRENT, [("Authorization", "Bearer  {admin}")], None, 401),
    ("bearer-two-tokens", "GET", CURRENT, [("Authorization", "Bearer {admin} {admin}")], None, 401),
    ("bearer-empty", "GET", CURRENT, [("Authorization", "Bearer ")], None, 401),
    ("bearer-too-long", "GET", CURRENT, [("Authorization", "Bearer " + "1" * 9000)], None, 401),
    ("bearer-non-ascii", "GET", CURRENT, [("Authorization", "Bearer tök")], None, 401),
    ("basic-on-current", "GET", CURRENT, [("Authorization", basic("admin:" + ADMIN_PASSWORD))], None, 401),
    ("two-authorization", "GET", CURRENT, [("Authorization", "Bearer {admin}"), ("Authorization", "Bearer {admin}")], None, 400),
    ("cookie-garbage", "GET", CURRENT, [("Cookie", "authtoken=garbage")], None, 401),
    ("cookie-tampered", "GET", CURRENT, [("Cookie", "authtoken={tampered}")], None, 401),
]


@pytest.fixture(scope="module")
def token_variants(server, admin_token):
    user_id, expires, mac = TOKEN_SHAPE.match(admin_token).groups()
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    return {
        "admin": admin_token,
        "tampered": f"{user_id}_{expires}_{flipped}",
        # Same MAC, another user id or a later expiry: the MAC covers both.
        "other_user": f"3_{expires}_{mac}",
        "anonymous": f"2_{expires}_{mac}",
        "expired": f"{user_id}_1000000000_{mac}",
        "host": f"127.0.0.1:{server.port}",
    }


@pytest.mark.parametrize("case", BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_input(server, token_variants, case):
    _, method, path, headers, body, expected = case
    filled = [(k, v.format(**token_variants)) for k, v in headers]
    if not any(k.lower() == "host" for k, _ in filled):
        filled.insert(0, ("Host", token_variants["host"]))
    if isinstance(body, list):
        status, response_headers, content = raw_request(server, method, path, filled, chunks=body)
    else:
        status, response_headers, content = raw_request(server, method, path, filled, body=body)
    fields = deki_error_of(status, response_headers, content, expected)
    if expected == 401:
        assert any(k.lower() == "www-authenticate" and v.startswith("Basic") for k, v in response_headers)
    # Nothing secret is echoed back.
    assert ADMIN_PASSWORD not in content.decode("utf-8", "replace")
    assert token_variants["admin"] not in content.decode("utf-8", "replace")
    assert fields["status"] == str(expected)
    assert_up(server)


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", CURRENT, {"GET"}),
    ("POST", CURRENT, {"GET"}),
    ("PUT", AUTH, {"GET", "POST"}),
    ("DELETE", USERS + "/7", {"GET", "PUT"}),
    ("PATCH", USERS, {"GET", "POST"}),
    ("POST", "/healthz", {"GET"}),
])
def test_wrong_method_is_405_with_allow(server, admin_token, method, path, allowed):
    r = requests.request(method, server.url + path, headers=bearer(admin_token), timeout=10)
    deki_error(r, 405)
    assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed
    assert_up(server)


# ---------------------------------------------------------------------------------------------------------------
# 7. Throttling


@pytest.fixture()
def throttle_server():
    s = Server()
    yield s
    s.stop()


def test_repeated_failures_are_slowed_then_blocked(throttle_server):
    s = throttle_server
    admin = s.sign_in()
    name, password = unique("target"), "target-password-1"
    create_user(s, admin, name, password=password)

    # Failures 1-3 are answered at once, the 4th is slowed down (0.25 s).
    for _ in range(3):
        deki_error(sign_in(s, name, "wrong-password"), 401)
    started = time.monotonic()
    deki_error(sign_in(s, name, "wrong-password"), 401)
    assert time.monotonic() - started >= 0.25

    # Failures 5-10 at once (their delays overlap), the 10th blocks the account.
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: sign_in(s, name, "wrong-password"), range(6)))
    for r in results:
        deki_error(r, 401)

    blocked = sign_in(s, name, "wrong-password")
    deki_error(blocked, 429)
    retry_after = int(blocked.headers["Retry-After"])
    assert 1 <= retry_after <= 300
    # While blocked, even the right password is refused, and no token is issued.
    right = sign_in(s, name, password)
    deki_error(right, 429)
    assert "authtoken" not in right.cookies
    assert 1 <= int(right.headers["Retry-After"]) <= 300
    # Usernames are matched without case: the block is per account, not per spelling.
    deki_error(sign_in(s, name.upper(), password), 429)
    # The block is per account: another account from the same address still signs in (address limit is 50).
    assert sign_in(s, "admin", ADMIN_PASSWORD).status_code == 200
    assert_up(s)


# ---------------------------------------------------------------------------------------------------------------
# 8. Password storage


def test_passwords_are_stored_as_argon2id(server, admin_token):
    hasher = argon2.PasswordHasher()
    admin_hash = stored_hash(server.data_dir, "admin")
    assert admin_hash.startswith(OWASP_PREFIX), admin_hash
    assert hasher.verify(admin_hash, ADMIN_PASSWORD)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        hasher.verify(admin_hash, ADMIN_PASSWORD + "x")

    # A non-ASCII password travels as UTF-8 (query string and Basic) and is hashed as UTF-8.
    password = "pässwörd-€-密码-" + uuid.uuid4().hex[:4]
    first, second = unique("hashed"), unique("hashed")
    create_user(server, admin_token, first, password=password)
    create_user(server, admin_token, second, password=password)
    first_hash, second_hash = stored_hash(server.data_dir, first), stored_hash(server.data_dir, second)
    for h in (first_hash, second_hash):
        assert h.startswith(OWASP_PREFIX), h
        assert hasher.verify(h, password.encode("utf-8"))
        params = argon2.extract_parameters(h)
        assert (params.type, params.version, params.memory_cost, params.time_cost, params.parallelism, params.hash_len,
                params.salt_len) == (argon2.Type.ID, 19, 19456, 2, 1, 32, 16)
    assert first_hash != second_hash  # a fresh salt each time
    assert sign_in(server, first, password).status_code == 200


def test_hashes_made_by_argon2_cffi_are_accepted_and_upgraded(server, admin_token):
    """The other direction: a hash made by the reference implementation verifies on the server; one with other
    parameters (p=2, so two lanes) is upgraded to the server's parameters on sign-in."""
    same = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
    other = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2, hash_len=24, salt_len=12)
    for hasher in (same, other):
        name, password = unique("imported"), "imported-ü-" + uuid.uuid4().hex[:6]
        create_user(server, admin_token, name, password="placeholder-1")
        token = sign_in(server, name, "placeholder-1").text
        made = hasher.hash(password)
        db = sqlite3.connect(os.path.join(server.data_dir, "tessera.sqlite"), timeout=10)
        with db:
            changed = db.execute("UPDATE users SET password_hash = ? WHERE username_key = ? AND site_id = "
                                 "(SELECT id FROM sites WHERE is_default = 1)", (made, name.lower())).rowcount
            assert changed == 1
        db.close()
        r = sign_in(server, name, password)
        assert r.status_code == 200, r.text
        deki_error(sign_in(server, name, "placeholder-1"), 401)
        now_stored = stored_hash(server.data_dir, name)
        assert now_stored.startswith(OWASP_PREFIX), now_stored
        if hasher is other:
            assert now_stored != made  # upgraded
        assert argon2.PasswordHasher().verify(now_stored, password.encode("utf-8"))
        # An upgrade is not a password change: tokens issued before it stay valid.
        assert current(server, token).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# 9. PostgreSQL: several instances on one database


def test_two_instances_share_one_postgres(fresh_postgres_db):
    # Instances sharing a database share the master key (the second would refuse to start otherwise).
    shared = {"TESSERA_MASTER_KEY": os.urandom(32).hex()}
    a = Server(database_url=fresh_postgres_db, wait=False, env=shared)
    b = Server(database_url=fresh_postgres_db, wait=False, env=shared)
    try:
        a.wait_ready()
        b.wait_ready()
        outputs = [a.output(), b.output()]
        assert sum("Created the default site" in o for o in outputs) == 1, outputs
        # Neither instance left its data dir with an SQLite file: they use PostgreSQL.
        assert not os.path.exists(os.path.join(a.data_dir, "tessera.sqlite"))

        admin_a = a.sign_in()
        admin_b = b.sign_in()
        assert xml_of(current(b, admin_a)).get("guid") == xml_of(current(a, admin_b)).get("guid")

        name, password = unique("pg-user"), "pg-password-1"
        made = create_user(a, admin_a, name, password=password, fullname="Post Gres")
        seen = xml_of(requests.get(f"{b.url}{USERS}/={name}", headers=bearer(admin_b), timeout=10))
        # Everything but the href (each instance links with its own public URL) is the same.
        assert seen.get("href") == f"{b.url}{USERS}/{made.get('id')}"
        assert {**deki_json_of(seen), "@href": None} == {**deki_json_of(made), "@href": None}

        token = sign_in(a, name, password).text
        me = xml_of(current(b, token))
        assert (me.get("id"), me.findtext("username")) == (made.get("id"), name)
        # A change through B is seen through A, and B's password change ends A's tokens.
        r = put_user(b, admin_b, made.get("id"), "<user/>", params={"accountpassword": "pg-password-2"})
        assert r.status_code == 200, r.text
        deki_error(current(a, token), 401)
        assert sign_in(a, name, "pg-password-2").status_code == 200
        # Both instances allocate ids from the same sequence.
        ids = {create_user(s, t, unique("seq")).get("id") for s, t in ((a, admin_a), (b, admin_b), (a, admin_a))}
        assert len(ids) == 3
    finally:
        codes = [a.stop(), b.stop()]
    assert codes == [0, 0], [a.output(), b.output()]


# ---------------------------------------------------------------------------------------------------------------
# 10. Graceful stop


def test_sigterm_stops_cleanly_and_data_survives_restart():
    first = Server()
    try:
        token = first.sign_in()
        name = unique("durable")
        made = create_user(first, token, name, password="durable-password-1")
        started = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        code = first.process.wait(timeout=5)
        assert code == 0, first.output()
        assert time.monotonic() - started < 5
        with pytest.raises(requests.ConnectionError):
            requests.get(first.url + "/healthz", timeout=2)
    finally:
        first.stop()

    second = Server(data_dir=first.data_dir)
    try:
        assert "Created the default site" not in second.output()
        assert xml_of(current(second, token)).get("id") == "1"  # the site's token key persisted
        again = xml_of(requests.get(f"{second.url}{USERS}/={name}", headers=bearer(token), timeout=10))
        assert again.get("guid") == made.get("guid")
        assert sign_in(second, name, "durable-password-1").status_code == 200
    finally:
        assert second.stop() == 0
