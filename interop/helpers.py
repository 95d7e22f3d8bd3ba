"""Helpers shared by the interop modules: keeping secrets out of test output, and small request builders.

Every secret a test handles goes through `secret()` (or `remember()`): pytest then prints it as <secret>, and
`show()`/`redact()` replace it (and anything shaped like a JWT or an access key) in response bodies before they
reach an assertion message.
"""
import base64
import re
import secrets
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests

KEY_ANYWHERE = re.compile(r"[A-Z2-7]{52}====")
JWT_ANYWHERE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

#: Every secret handled so far, in every module.
SENSITIVE = set()


class Secret(str):
    """A secret string: pytest shows it as <secret> wherever it prints a repr (arguments, assertion operands)."""
    __slots__ = ()

    def __repr__(self):
        return "<secret>"


def remember(*values):
    for value in values:
        if isinstance(value, str) and len(value) >= 6:
            SENSITIVE.update({value, quote(value, safe="")})


def secret(value):
    if isinstance(value, str) and value:
        remember(value)
        return Secret(value)
    return value


def redact(text):
    for value in sorted(SENSITIVE, key=len, reverse=True):
        text = text.replace(value, "<secret>")
    return KEY_ANYWHERE.sub("<key>", JWT_ANYWHERE.sub("<jwt>", text))


def show(r):
    """A response for an assertion message, secrets redacted."""
    path = urlsplit(r.request.url).path if r.request is not None else "?"
    return f"{r.request.method} {path} -> {r.status_code} {redact(r.text)[:600]}"


def check(condition, message):
    """Fails with `message` only: for conditions on secret values, which pytest would otherwise print."""
    if not condition:
        pytest.fail(message)


def no_leak(r, *values):
    """None of `values` (secrets the request carried) appears in the response body or headers."""
    __tracebackhide__ = True
    body = r.content.decode("utf-8", "replace")
    headers = "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    for value in values:
        if value and (value in body or value in headers or quote(value, safe="") in body):
            pytest.fail(f"a secret sent in the request was echoed by {show(r)}")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token):
    return {"Authorization": "Bearer " + token}


def basic_header(user, password):
    __tracebackhide__ = True
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")


USERS = "/@api/deki/users"
JSON_OUT = {"dream.out.format": "json"}

#: Members of JSON answers that hold secrets, in every module's documents.
SECRET_FIELDS = {"token", "refreshToken", "access_token", "refresh_token", "id_token", "accessKeySecret", "secret", "clientSecret",
                 "device_code", "code"}


def hide_secrets(doc):
    """Turns the secret members of a JSON document (at any depth) into `Secret`s, in place; returns it."""
    if isinstance(doc, dict):
        for name, value in doc.items():
            doc[name] = secret(value) if name in SECRET_FIELDS else hide_secrets(value)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            doc[i] = hide_secrets(value)
    return doc


def json_of(r):
    """The JSON body (its secret members as `Secret`s)."""
    assert r.headers.get("Content-Type", "").startswith("application/json"), show(r)
    return hide_secrets(r.json())


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def wait_for(predicate, timeout, interval=0.1):
    """Calls predicate() until it is true or `timeout` s passed; returns the seconds it took, or None."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(interval)


def sign_in(server, username, password):
    r = requests.get(server.url + USERS + "/authenticate", auth=(username, password), timeout=10)
    assert r.status_code == 200, show(r)
    return secret(r.text)


class User:
    """A deki user with an Expert auth token (`authtoken`), its numeric id and its guid (the CXone userId)."""

    def __init__(self, server, username, password, email=None, role=None):
        password = secret(password)
        self.server, self.username, self.password, self.email, self.role = server, username, password, email, role
        self.authtoken = sign_in(server, username, password)
        r = requests.get(server.url + USERS + "/current", params=JSON_OUT, headers=bearer(self.authtoken), timeout=10)
        assert r.status_code == 200, show(r)
        doc = r.json()
        self.id, self.guid = doc["@id"], doc["@guid"]
        self.role = role or doc["permissions.user"]["role"]


def create_user(server, admin, role, fullname="Interop Person"):
    username, password = unique(role.lower()), "pw-" + secrets.token_hex(8)
    email = f"{username}@example.org"
    body = {"username": username, "fullname": fullname, "email": email, "permissions.user": {"role": role}}
    r = requests.post(server.url + USERS, params={**JSON_OUT, "accountpassword": password}, json=body,
                      headers=bearer(admin.authtoken), timeout=10)
    assert r.status_code == 200, show(r)
    return User(server, username, password, email=email, role=role)
