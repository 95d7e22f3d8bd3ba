"""Helpers shared by the interop modules: keeping secrets out of test output, and small request builders.

Every secret a test handles goes through `secret()` (or `remember()`): pytest then prints it as <secret>, and
`show()`/`redact()` replace it (and anything shaped like a JWT or an access key) in response bodies before they
reach an assertion message.
"""
import base64
import re
import uuid
from urllib.parse import quote, urlsplit

import pytest

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
