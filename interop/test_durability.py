"""Durability interop tests: what a production deployment of Tessera has to survive.

1. A crash. Tokens are issued under load from several client threads -- CXone access-key tokens, refresh-token
   rotation and the OAuth authorization-code grant -- and Tessera is killed with SIGKILL mid-stream, then started
   again on the same store (SQLite data directory or PostgreSQL database) with the same master key. Whatever the
   clients were answered must hold: every access token they received still verifies, every refresh token they
   received and did not spend still refreshes, and every one they spent is still refused.
2. Several instances on one PostgreSQL behind nginx. A revocation, a deactivation, a signing-key rotation and an
   application change made on one instance (or by the command line on the shared database) are honoured by every
   other; the lag of revocations is measured over 1,000 of them.
3. Restarts. Instances restarted one after the other (SIGTERM, which drains, then a new process on the same port)
   behind nginx lose no request; instances started at the same moment on an empty database all come up.

Independent client code only: requests, PyJWT, Debian's nginx and psql. Secrets stay out of the output (helpers.py).
"""
import concurrent.futures
import json
import math
import os
import secrets
import subprocess
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager

import jwt
import pytest
import requests

from conftest import ADMIN_PASSWORD, BIN, Server, postgres_database
from helpers import User, bearer, check, create_user, json_of, redact, secret, show, unique, wait_for
from test_cxone_auth import ACCESS_KEY_TOKEN, TOKEN, create_app, create_key, cxone_session
from test_gateway import Nginx
from test_oidc_signin import PageClient

CHECK = "/auth/check"
JWKS = "/auth/jwks"
TOKENS = "/@api/deki/site/developer-tokens"
APPLICATIONS = "/authentication/v1/applications"
USERS = "/@api/deki/users"
JSON_OUT = {"dream.out.format": "json"}
#: What test_cxone_auth.create_app registers as the redirect URI of a confidential application.
REDIRECT = "https://app.example.org/callback"
#: One public URL for every process of a deployment: tokens carry it as their issuer, so a token issued by one process
#: (or before a restart, on another port) is checked against the same issuer by the others.
PUBLIC_URL = "http://durability.test"
#: How long a change made on one instance may take to be honoured by the others in the functional checks. The
#: lag test below measures the real distribution; this bound only has to be generous on a loaded two-core machine.
HONOURED_WITHIN = 2.0


# ---------------------------------------------------------------------------------------------------------------
# Helpers


@contextmanager
def store_for(kind):
    """None for SQLite (the data directory is the store), else a fresh PostgreSQL database's URL."""
    if kind == "sqlite":
        yield None
    else:
        with postgres_database("durability_") as url:
            yield url


def deployment_env():
    """The environment every process of one deployment shares: its master key and its public URL."""
    return {"TESSERA_MASTER_KEY": secret(secrets.token_hex(32)), "TESSERA_PUBLIC_URL": PUBLIC_URL}


def data_dir(base, name):
    path = os.path.join(str(base), name)
    os.makedirs(path, exist_ok=True)
    return path


def claims_of(token):
    return jwt.decode(str(token), options={"verify_signature": False})


def run_cli(server, *args):
    """The `tessera` command line on the server's store (its env names the database and the master key)."""
    return subprocess.run([BIN, *args, "--data-dir", server.data_dir], env=server.env, capture_output=True,
                          text=True, timeout=60)


def cli_fields(result):
    assert result.returncode == 0, redact(result.stderr + result.stdout)
    return {name.strip(): value.strip() for name, value in
            (line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)}


def gateway_check(http, base_url, token):
    """/auth/check with a bearer token: 200 with the identity while it is good, 403 once it is refused."""
    return http.get(base_url + CHECK, headers=bearer(token), timeout=30)


def refresh_call(http, base_url, token, client=None):
    return http.post(base_url + TOKEN, data={"grant_type": "refresh_token", "refresh_token": token}, auth=client,
                     timeout=30)


def access_key_call(http, base_url, key):
    return http.post(base_url + ACCESS_KEY_TOKEN, json={"accessKeyId": key["accessKeyId"],
                                                        "accessKeySecret": key["accessKeySecret"]}, timeout=30)


def is_invalid_grant(r):
    return r.status_code == 400 and r.headers.get("Content-Type", "").startswith("application/json") \
        and r.json().get("error") == "invalid_grant"


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def tail(server, characters=3000):
    return redact(server.output()[-characters:])


# ---------------------------------------------------------------------------------------------------------------
# 1. SIGKILL under load, restart on the same store


class IssuanceClient(threading.Thread):
    """One client of the load. It takes turns at three ways of getting tokens -- an access key's tokens, a refresh
    of one of its refresh tokens, the authorization-code grant -- and keeps a ledger of what it was ANSWERED: a
    request whose answer never came (in flight at the kill) is left out, and so is the refresh token it presented,
    whose successor the client never saw."""

    OPERATIONS = ("access_key", "refresh", "code")

    def __init__(self, index, server, key, app, person, killed):
        super().__init__(daemon=True, name=f"issuance-client-{index}")
        self.index, self.server, self.key, self.app, self.person = index, server, key, app, person
        self.killed = killed  # set just before the SIGKILL: a request failing after it was in flight
        self.stopping = threading.Event()
        self.http = requests.Session()
        self.pages = PageClient(server)  # its own sign-in session for the authorization endpoint
        self.access = []  # (how, token): every access token answered
        self.heads = deque()  # (how, token): refresh tokens answered and not spent
        self.spent = []  # (how, token): refresh tokens spent, their successor answered
        self.in_flight = Counter()  # operation -> requests that never got an answer
        self.wrong = []  # answers (or failures before the kill) that should not have happened
        self.answered = 0

    def client_auth(self, how):
        # Code-grant tokens belong to a confidential application, which authenticates to refresh; access-key
        # tokens belong to no client.
        return (self.app["client_id"], self.app["secret"]) if how == "code" else None

    def received(self, how, r):
        if r.status_code != 200:
            self.wrong.append(f"{how}: {show(r)}")
            return False
        doc = json_of(r)
        self.access.append((how, doc["access_token"]))
        self.heads.append((how, doc["refresh_token"]))
        self.answered += 1
        return True

    def access_key(self):
        self.received("access-key", access_key_call(self.http, self.server.url, self.key))

    def refresh(self):
        how, token = self.heads.popleft()  # taken off the ledger now: if the answer is lost, so is the token
        r = refresh_call(self.http, self.server.url, token, self.client_auth(how))
        if r.status_code == 200:
            self.spent.append((how, token))
        self.received(how, r)

    def code(self):
        code, verifier = self.pages.code(self.app, self.person)
        self.redeem(code, verifier)

    def redeem(self, code, verifier):
        r = self.http.post(self.server.url + TOKEN, auth=self.client_auth("code"), timeout=30,
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": self.app["redirect"],
                                 "code_verifier": verifier})
        self.received("code", r)

    def prepare(self):
        """Signs in on the authorization pages (and consents, the first client) before the load starts."""
        self.code()

    def run(self):
        step = self.index
        while not self.stopping.is_set():
            operation = self.OPERATIONS[step % len(self.OPERATIONS)]
            step += 1
            if operation == "refresh" and not self.heads:
                operation = "access_key"
            try:
                getattr(self, operation)()
            except requests.RequestException as error:
                if self.killed.is_set():
                    self.in_flight[operation] += 1
                else:
                    self.wrong.append(f"{operation}: {type(error).__name__} while the server ran")
                return  # the server is gone: this client's load is over
            except (AssertionError, KeyError, ValueError) as error:  # PageClient's checks, an answer's shape
                self.wrong.append(f"{operation}: {type(error).__name__} {redact(str(error))[:400]}")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sigkill_under_load_loses_no_answered_token(kind, tmp_path):
    env = deployment_env()
    with store_for(kind) as database_url:
        server = Server(data_dir=data_dir(tmp_path, "data"), database_url=database_url, env=env)
        restarted, clients = None, []
        try:
            admin = User(server, "admin", ADMIN_PASSWORD, role="Admin")
            person = create_user(server, admin, "Contributor")
            tenant_id = claims_of(cxone_session(server, admin.authtoken)["token"])["tenantId"]
            key = create_key(server, admin.authtoken, person.guid, tenant_id)
            client_id, client_secret = create_app(server, "confidential", "client_secret_basic")
            app = {"client_id": client_id, "secret": client_secret, "auth_method": "client_secret_basic",
                   "redirect": REDIRECT}

            killed = threading.Event()
            clients = [IssuanceClient(i, server, key, app, person, killed) for i in range(4)]
            for client in clients:
                client.prepare()
            for client in clients:
                client.start()
            # Kill once every kind of answer has come several times, while the clients keep sending: there is
            # nearly always a request in flight, often one committing.
            enough = lambda: sum(c.answered for c in clients) >= 80 and sum(len(c.spent) for c in clients) >= 15  # noqa: E731
            assert wait_for(lambda: enough() or not all(c.is_alive() for c in clients), timeout=120, interval=0.01) \
                is not None, "the load did not get going within 120 s"
            killed.set()
            server.process.kill()  # SIGKILL: no drain, no closing of the store
            server.process.wait(timeout=30)
            for client in clients:
                client.stopping.set()
            for client in clients:
                client.join(timeout=60)
            assert not any(c.is_alive() for c in clients), "a load client hangs after the kill"
            wrong = [w for c in clients for w in c.wrong]
            assert not wrong, f"{len(wrong)} wrong answers before the kill, first: {wrong[:3]}"

            access = [a for c in clients for a in c.access]
            live = [h for c in clients for h in c.heads]
            spent = [s for c in clients for s in c.spent]
            in_flight = sum((c.in_flight for c in clients), Counter())
            kinds = Counter(how for how, _ in access)
            # The load must have exercised every kind, or the checks below would prove little.
            assert kinds["access-key"] >= 5 and kinds["code"] >= 5 and len(spent) >= 15, (kinds, len(spent))
            assert {how for how, _ in spent} == {"access-key", "code"}, Counter(how for how, _ in spent)

            restarted = Server(data_dir=server.data_dir, database_url=database_url, env=env)
            http = requests.Session()
            problems = []
            # Access tokens first, then the live refresh tokens, and the spent ones last: presenting a spent refresh
            # token ends its whole family, which would refuse live tokens of the same session checked after it.
            for how, token in access:
                r = gateway_check(http, restarted.url, token)
                if r.status_code != 200 or r.headers.get("X-Tessera-User-Guid") != person.guid:
                    problems.append(f"an answered {how} access token no longer verifies: {show(r)}")
            for how, token in live:
                r = refresh_call(http, restarted.url, token, clients[0].client_auth(how))
                if r.status_code != 200:
                    problems.append(f"an answered, unspent {how} refresh token no longer refreshes: {show(r)}")
            for how, token in spent:
                r = refresh_call(http, restarted.url, token, clients[0].client_auth(how))
                if not is_invalid_grant(r):
                    problems.append(f"a spent {how} refresh token is not refused after the restart: {show(r)}")
            print(f"\n[{kind}] SIGKILL after {len(access)} answered token requests ({dict(kinds)}); checked "
                  f"{len(access)} access tokens, {len(live)} live and {len(spent)} spent refresh tokens; "
                  f"in flight at the kill (excluded): {dict(in_flight) or 'none'}")
            assert not problems, f"{len(problems)} problems after the restart, first: {problems[:5]}"
        finally:
            for client in clients:
                client.stopping.set()
            server.stop()
            if restarted:
                restarted.stop()


# ---------------------------------------------------------------------------------------------------------------
# A deployment: several instances on one PostgreSQL behind nginx


def balancer_conf(listen_port, ports, keepalive=False, down=()):
    """nginx as a plain round-robin load balancer in front of the instances.

    `max_fails=0` keeps every instance in the rotation even while it restarts: a request nginx cannot connect with
    goes to the next instance (`proxy_next_upstream error timeout`, nginx's default, said here on purpose). Without
    `non_idempotent`, nginx does not pass a POST on once it has sent it (it could be a refresh token the instance
    spent), so a POST that reached a dying instance and got no answer comes back as a 502. With `keepalive`, nginx
    reuses its connections to the instances (HTTP/1.1), as production configurations do: an instance that shuts
    down must then not close a connection under a request nginx is sending on it. Ports in `down` are out of the
    rotation (an operator draining an instance before restarting it). `X-Upstream` tells the client which
    instance(s) nginx tried."""
    upstreams = "\n".join(f"    server 127.0.0.1:{port} max_fails=0{' down' if port in down else ''};" for port in ports)
    pool = "    keepalive 8;\n" if keepalive else ""
    reuse = '        proxy_http_version 1.1;\n        proxy_set_header Connection "";\n' if keepalive else ""
    return f"""upstream tessera {{
{upstreams}
{pool}}}
server {{
    listen 127.0.0.1:{listen_port};
    location / {{
        proxy_pass http://tessera;
        proxy_set_header Host $http_host;
{reuse}        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;
        proxy_read_timeout 60s;
        add_header X-Upstream $upstream_addr always;
    }}
}}
"""


class Deployment:
    """`count` instances on one PostgreSQL database, with one master key and public URL, behind nginx."""

    def __init__(self, count, database_url, directory, keepalive=False, first_binary=None):
        # `first_binary`: the build the first generation of instances runs (an older release, for a rolling upgrade).
        self.database_url, self.directory, self.first_binary = database_url, str(directory), first_binary
        self.keepalive = keepalive
        self.env = deployment_env()
        self.instances, self.nginx = [], None
        try:
            # Started together: they migrate and create the default site at the same moment.
            self.instances = [self.start(k, wait=False) for k in range(count)]
            for instance in self.instances:
                instance.wait_ready(timeout=60)
            self.nginx = Nginx(data_dir(directory, "nginx"),
                               lambda port: balancer_conf(port, [s.port for s in self.instances], keepalive))
        except BaseException:
            self.close()
            raise

    def start(self, k, wait=True, port=None, generation=0):
        return Server(data_dir=data_dir(self.directory, f"instance-{k}-{generation}"), database_url=self.database_url,
                      env=self.env, wait=wait, port=port, binary=self.first_binary if generation == 0 else None)

    def close(self):
        codes = [instance.stop() for instance in self.instances]
        if self.nginx:
            self.nginx.stop()
        return codes

    def balance(self, down=()):
        """nginx reloaded with the instances on the ports in `down` out of its rotation."""
        ports = [s.port for s in self.instances]
        self.nginx.reload(lambda port: balancer_conf(port, ports, self.keepalive, down))

    def upstream(self, r):
        """The instance nginx got the answer from (the last address it tried)."""
        return r.headers.get("X-Upstream", "").split(",")[-1].strip()

    def addresses(self):
        return {f"127.0.0.1:{s.port}" for s in self.instances}


class People:
    """The administrator, a user with an access key, and what a deployment's checks need of them."""

    def __init__(self, deployment):
        first = deployment.instances[0]
        self.admin = User(first, "admin", ADMIN_PASSWORD, role="Admin")
        self.admin_access = cxone_session(first, self.admin.authtoken)["token"]
        self.tenant_id = claims_of(self.admin_access)["tenantId"]
        self.person = create_user(first, self.admin, "Contributor")
        self.key = create_key(first, self.admin.authtoken, self.person.guid, self.tenant_id)


@pytest.fixture(scope="module", params=[2, 3], ids=["2-instances", "3-instances"])
def deployment(request, tmp_path_factory):
    with postgres_database("durability_") as url:
        d = Deployment(request.param, url, tmp_path_factory.mktemp(f"deployment-{request.param}"))
        try:
            d.people = People(d)
            yield d
        finally:
            d.close()


def server_token_jwt(http, base_url, admin, user_id):
    """A server token restricted to `user_id`, made through `base_url`; returns (its id, its long-term JWT)."""
    r = http.post(base_url + TOKENS, params=JSON_OUT, timeout=30,
                  headers={**bearer(admin.authtoken), "Content-Type": "application/xml"},
                  data=f"<developer-token type='server'><name>{unique('durability')}</name>"
                       f"<restricted-by-user-id>{user_id}</restricted-by-user-id></developer-token>")
    assert r.status_code == 200, show(r)
    doc = json_of(r)
    scheme, _, token = (doc.get("authorization") or "").partition(" ")
    check(scheme == "Bearer" and bool(token), "a restricted server token came without its long-term JWT")
    return doc["@id"], secret(token)


def honoured_everywhere(instances, condition):
    """Waits until `condition(instance)` holds on every instance; returns those where it did not in time."""
    return [s.port for s in instances if wait_for(lambda s=s: condition(s), HONOURED_WITHIN, 0.02) is None]


def through_nginx(deployment, call, expected_status):
    """`call(nginx_url)` twice per instance (round robin reaches each); every answer must be `expected_status`, and
    every instance must have answered."""
    answers = [call(deployment.nginx.url) for _ in range(2 * len(deployment.instances))]
    wrong = [show(r) for r in answers if r.status_code != expected_status]
    assert not wrong, wrong[:3]
    assert {deployment.upstream(r) for r in answers} == deployment.addresses(), [r.headers.get("X-Upstream") for r in answers]


def test_changes_made_on_one_instance_are_honoured_by_every_other(deployment):
    d, people = deployment, deployment.people
    admin, person = people.admin, people.person
    http = requests.Session()
    first, second = d.instances[0], d.instances[1]
    refused_everywhere = lambda token: lambda s: gateway_check(http, s.url, token).status_code == 403  # noqa: E731

    # A revocation: a developer token deleted through one instance; its long-term JWT was in use on every one.
    token_id, token = server_token_jwt(http, second.url, admin, person.id)
    for s in d.instances:
        r = gateway_check(http, s.url, token)
        assert r.status_code == 200 and r.headers.get("X-Tessera-User-Guid") == person.guid, show(r)
    r = http.delete(f"{first.url}{TOKENS}/{token_id}", headers=bearer(admin.authtoken), timeout=30)
    assert r.status_code == 204, show(r)
    assert not honoured_everywhere(d.instances, refused_everywhere(token)), "a deleted token is still accepted"
    through_nginx(d, lambda url: gateway_check(http, url, token), 403)

    # A deactivation through one instance: the user's access token and auth token are refused on every one, and
    # the user's access key gets no new token anywhere.
    user = create_user(first, admin, "Contributor")
    key = create_key(first, admin.authtoken, user.guid, people.tenant_id)
    r = access_key_call(http, d.instances[-1].url, key)
    assert r.status_code == 200, show(r)
    access = json_of(r)["access_token"]
    for s in d.instances:
        for credential in (access, user.authtoken):
            assert gateway_check(http, s.url, credential).status_code == 200
    r = http.put(f"{second.url}{USERS}/{user.id}", data="<user><status>inactive</status></user>", timeout=30,
                 headers={**bearer(admin.authtoken), "Content-Type": "application/xml"})
    assert r.status_code == 200, show(r)
    for credential in (access, user.authtoken):
        assert not honoured_everywhere(d.instances, refused_everywhere(credential)), "a deactivated user's token works"
        through_nginx(d, lambda url: gateway_check(http, url, credential), 403)
    for s in d.instances:
        r = access_key_call(http, s.url, key)
        assert is_invalid_grant(r), show(r)

    # A signing-key rotation by the command line on the shared database: every instance serves the new key in its
    # JWKS and signs with it, and tokens signed with the old key (on any instance) still verify on every one.
    old_kids = [k["kid"] for k in http.get(first.url + JWKS, timeout=30).json()["keys"]]
    old_token = json_of(access_key_call(http, second.url, people.key))["access_token"]
    rotated = cli_fields(run_cli(first, "keys", "rotate"))
    new_kid = rotated["rotated"]
    assert new_kid not in old_kids, (new_kid, old_kids)
    kids_of = lambda s: [k["kid"] for k in http.get(s.url + JWKS, timeout=30).json()["keys"]]  # noqa: E731
    late = [s.port for s in d.instances if wait_for(lambda s=s: kids_of(s)[:2] == [new_kid, old_kids[0]],
                                                    HONOURED_WITHIN, 0.05) is None]
    assert not late, f"instances on ports {late} did not serve the rotated key within {HONOURED_WITHIN} s"
    for i, s in enumerate(d.instances):
        fresh = json_of(access_key_call(http, s.url, people.key))["access_token"]
        assert jwt.get_unverified_header(str(fresh))["kid"] == new_kid
        # Verified by an independent client with another instance's JWKS, and accepted by every instance.
        other = d.instances[(i + 1) % len(d.instances)]
        signing_key = jwt.PyJWKClient(other.url + JWKS).get_signing_key_from_jwt(str(fresh))
        jwt.decode(str(fresh), signing_key.key, algorithms=["RS256"], audience="access-key@cxone", issuer=PUBLIC_URL)
        for t in d.instances:
            for credential in (fresh, old_token):
                r = gateway_check(http, t.url, credential)
                assert r.status_code == 200, show(r)

    # An application disabled by the command line, enabled again through one instance's API, then deleted by the
    # command line: each change reaches the token endpoint of every instance (whose client cache is warm).
    fields = cli_fields(run_cli(first, "app", "create", "--name", unique("durability-app"), "--type", "backend"))
    client = (fields["client_id"], secret(fields["client_secret"]))
    tracking = fields["tracking_number"]
    grant = {"grant_type": "password", "username": people.key["accessKeyId"], "password": people.key["accessKeySecret"]}
    token_status = lambda url: http.post(url + TOKEN, data=grant, auth=client, timeout=30)  # noqa: E731
    for s in d.instances:
        r = token_status(s.url)
        assert r.status_code == 200, show(r)
    refused = lambda s: token_status(s.url).status_code == 401  # noqa: E731
    accepted = lambda s: token_status(s.url).status_code == 200  # noqa: E731

    assert cli_fields(run_cli(first, "app", "disable", tracking)) is not None
    assert not honoured_everywhere(d.instances, refused), "a disabled application still gets tokens"
    through_nginx(d, token_status, 401)
    r = http.post(f"{second.url}{APPLICATIONS}/{tracking}-enable", headers=bearer(people.admin_access), timeout=30)
    assert r.status_code == 200, show(r)
    assert not honoured_everywhere(d.instances, accepted), "an enabled application is still refused"
    through_nginx(d, token_status, 200)
    assert cli_fields(run_cli(first, "app", "delete", tracking)) is not None
    assert not honoured_everywhere(d.instances, refused), "a deleted application still gets tokens"
    through_nginx(d, token_status, 401)


LAG_CHANGES = 1000
#: Polls of the other instances after a change are this far apart.
POLL_INTERVAL = 0.005
#: A change not honoured by then is counted as a failure (and would fail p99 anyway).
POLL_GIVE_UP = 10.0


def poll_until(http, instances, token, wanted, since):
    """Polls the gateway check of each instance with `token` until every one answers `wanted` (200 or 403; the
    other of the two means "not yet"). Returns (seconds from `since` to the last instance's answer, None) or
    (None, what went wrong)."""
    passing = {200: 403, 403: 200}[wanted]
    pending, last = set(range(len(instances))), since
    while pending:
        for i in sorted(pending):
            r = gateway_check(http, instances[i].url, token)
            if r.status_code == wanted:
                pending.discard(i)
                last = time.monotonic()
            elif r.status_code != passing:
                return None, f"poll for {wanted}: {show(r)}"
        if pending:
            if time.monotonic() - since > POLL_GIVE_UP:
                return None, f"no {wanted} from {len(pending)} instance(s) {POLL_GIVE_UP} s after the change"
            time.sleep(POLL_INTERVAL)
    return last - since, None


def lag_figures(lags):
    lags = sorted(lags)
    return {"p50_ms": round(percentile(lags, 0.50) * 1000, 1), "p99_ms": round(percentile(lags, 0.99) * 1000, 1),
            "max_ms": round(lags[-1] * 1000, 1)}


def test_revocation_lag_across_instances(deployment, record_property):
    """1,000 developer tokens, each made and deleted through one instance (the instances take turns) while its JWT is
    polled on every other directly. The lag of a deletion is the time from its answer until the last other instance
    refused the JWT (an upper bound: it includes a poll's round trip). Creations travel the same way -- an instance
    that loaded the site's tokens before the notification came answers an unknown key from memory -- so each new
    token is first polled until every other instance accepts it (and holds it in its cache); that lag is reported
    too."""
    d, people = deployment, deployment.people
    count = len(d.instances)
    local = threading.local()

    def http():
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def change(n):
        """(creation lag, deletion lag, error) of one token."""
        home = d.instances[n % count]
        others = [s for s in d.instances if s is not home]
        token_id, token = server_token_jwt(http(), home.url, people.admin, people.person.id)
        created, error = poll_until(http(), others, token, 200, time.monotonic())
        if error:
            return None, None, "creation: " + error
        r = http().delete(f"{home.url}{TOKENS}/{token_id}", headers=bearer(people.admin.authtoken), timeout=30)
        if r.status_code != 204:
            return None, None, f"deletion: {show(r)}"
        deleted, error = poll_until(http(), others, token, 403, time.monotonic())
        return created, deleted, error and "deletion: " + error

    started = time.monotonic()
    # Several changes in flight at once keep the wall time down; each is measured on its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(change, range(LAG_CHANGES)))
    wall = time.monotonic() - started
    failures = [error for _, _, error in results if error]
    assert not failures, f"{len(failures)} of {LAG_CHANGES} changes failed, first: {failures[:3]}"

    revocations = [deleted for _, deleted, _ in results]
    figures = {"instances": count, "changes": len(revocations), **lag_figures(revocations),
               "creation": lag_figures([created for created, _, _ in results]), "wall_s": round(wall, 1)}
    print(f"\nrevocation lag, {count} instances: {json.dumps(figures)}")
    record_property(f"revocation_lag_{count}_instances", json.dumps(figures))
    report = os.environ.get("TESSERA_LAG_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps(figures) + "\n")
    assert percentile(sorted(revocations), 0.99) <= 1.0, figures


# ---------------------------------------------------------------------------------------------------------------
# 3. Rolling restart behind nginx, and instances started together on an empty database


class LoadThroughNginx(threading.Thread):
    """A client of the deployment through nginx: verifies an access token, rotates its refresh token and gets new
    tokens for an access key, over and over. Every answer must be right; it records which instance gave each."""

    def __init__(self, index, deployment):
        super().__init__(daemon=True, name=f"nginx-client-{index}")
        self.d, self.key, self.guid = deployment, deployment.people.key, deployment.people.person.guid
        self.http = requests.Session()
        if getattr(deployment, "drained", False):
            # nginx is reloaded under this load, and a reload closes nginx's idle client connections: a request sent
            # on one just then is lost between this client and nginx (HTTP/1.1's keep-alive race, which Tessera never
            # sees). A new connection to nginx per request keeps the count to what happens behind nginx.
            self.http.headers["Connection"] = "close"
        self.stopping = threading.Event()
        self.answers = []  # (monotonic time, instance address, what)
        self.failures = []

    def call(self, what, send, valid):
        try:
            r = send()
        except requests.RequestException as error:
            self.failures.append(f"{what}: {type(error).__name__}: {redact(str(error))[:200]}")
            return None
        if r.status_code != 200 or not valid(r):
            self.failures.append(f"{what} via {r.headers.get('X-Upstream')}: {show(r)}")
            return None
        self.answers.append((time.monotonic(), self.d.upstream(r), what))
        return r

    def tokens(self):
        r = self.call("access-key token", lambda: access_key_call(self.http, self.d.nginx.url, self.key),
                      lambda r: "refresh_token" in r.json())
        return json_of(r) if r is not None else None

    def run(self):
        current = self.tokens()
        while not self.stopping.is_set():
            if current is None:  # a failure broke the chain (recorded): start a new one
                current = self.tokens()
                continue
            self.call("gateway check", lambda: gateway_check(self.http, self.d.nginx.url, current["access_token"]),
                      lambda r: r.headers.get("X-Tessera-User-Guid") == self.guid)
            r = self.call("refresh", lambda: refresh_call(self.http, self.d.nginx.url, current["refresh_token"]),
                          lambda r: "refresh_token" in r.json())
            current = json_of(r) if r is not None else None
            self.tokens()


#: An older build (a previous release's `tessera`), for the rolling upgrade: not built by the test command.
OLD_BIN = os.environ.get("TESSERA_OLD_BIN")


# A restart straight into traffic, with a new upstream connection per request: a POST that nginx sends on a
# connection the kernel accepted just as the draining instance closed its listener is reset unanswered (closing a
# listening socket resets what waits in its accept queue), and nginx rightly does not retry a POST: 502. Seen in
# about one run in two or three on a quiet machine. The operator's remedy is the drained variant: take the instance
# out of the balancer first. Not strict, so that it reports XPASS when it passes.
LISTENER_CLOSE_RACE = pytest.mark.xfail(strict=False, reason="a POST racing the draining listener's close gets 502")


@pytest.fixture(params=[pytest.param((False, False, None), marks=LISTENER_CLOSE_RACE), (True, False, None), (False, True, None),
                        (True, True, "upgrade")],
                ids=["nginx-connection-per-request", "nginx-keepalive", "nginx-drained-first", "upgrade-from-TESSERA_OLD_BIN"])
def pair(request, tmp_path):
    keepalive, drained, upgrade = request.param
    if upgrade and not OLD_BIN:
        pytest.skip("set TESSERA_OLD_BIN to an older build's tessera to test a rolling upgrade onto this one")
    with postgres_database("durability_") as url:
        d = Deployment(2, url, tmp_path, keepalive=keepalive, first_binary=OLD_BIN if upgrade else None)
        d.drained = drained
        try:
            d.people = People(d)
            yield d
        finally:
            d.close()


def test_rolling_restart_behind_nginx_loses_no_request(pair):
    d = pair
    clients = [LoadThroughNginx(i, d) for i in range(3)]
    for client in clients:
        client.start()
    restarts = []
    try:
        time.sleep(1.5)
        for k in range(len(d.instances)):
            old = d.instances[k]
            # SIGTERM: the instance stops taking connections and drains what it has; nginx sends the rest to the
            # other one meanwhile. The new process takes the same port, so nginx needs no new address. It runs this
            # build: on the same build its migrations are no-ops; after TESSERA_OLD_BIN, the first new instance
            # applies the steps the old one can serve beside, and the other, old, instance goes on serving.
            # Drained first: nginx is reloaded without the instance (its old workers finish what they sent it).
            if d.drained:
                d.balance(down={old.port})
            code = old.stop()
            assert code == 0, f"SIGTERM exit code {code}:\n{tail(old)}"
            d.instances[k] = d.start(k, port=old.port, generation=1)
            if d.drained:
                d.balance()
            restarts.append((d.instances[k].port, time.monotonic()))
            time.sleep(1.5)
        # Every instance runs this build now: the steps that waited for the older one (after TESSERA_OLD_BIN, the
        # refresh-token family's type) are applied under load, and the load goes on after them.
        finished = run_cli(d.instances[0], "migrate", "--finish")
        assert finished.returncode == 0, redact(finished.stderr + finished.stdout)
        time.sleep(1.5)
    finally:
        for client in clients:
            client.stopping.set()
        for client in clients:
            client.join(timeout=60)
    failures = [f for c in clients for f in c.failures]
    answers = [a for c in clients for a in c.answers]
    print(f"\nrolling restart: {len(answers)} answers through nginx, {len(failures)} failures; "
          f"per instance: {dict(Counter(address for _, address, _ in answers))}")
    assert not failures, f"{len(failures)} requests failed during the rolling restart, first: {failures[:5]}"
    assert Counter(what for _, _, what in answers)["refresh"] >= 10, Counter(what for _, _, what in answers)
    column = subprocess.run(["psql", d.database_url, "-Atc", "SELECT data_type FROM information_schema.columns "
                             "WHERE table_name = 'refresh_tokens' AND column_name = 'family_id'"],
                            capture_output=True, text=True, timeout=30)
    assert column.stdout.strip() == "uuid", column.stdout + column.stderr
    # Each new process served requests after its start: the restart is real, not one instance doing all the work.
    for port, at in restarts:
        served = sum(1 for t, address, _ in answers if t > at and address == f"127.0.0.1:{port}")
        assert served > 0, f"the instance restarted on port {port} answered nothing afterwards"


@pytest.mark.parametrize("count", [2, 3])
def test_instances_started_together_on_an_empty_database_all_come_up(count, tmp_path):
    """Each instance migrates an empty database and creates the default site at the same moment; the advisory locks
    must serialise them, so that all come up and share one site, one administrator and one signing key."""
    with postgres_database("durability_") as url:
        d = Deployment(count, url, tmp_path)  # raises with the server's output if one does not come up
        try:
            http = requests.Session()
            first = d.instances[0]
            jwks = [http.get(s.url + JWKS, timeout=30).json() for s in d.instances]
            assert all(j == jwks[0] for j in jwks) and len(jwks[0]["keys"]) == 1, [[k["kid"] for k in j["keys"]] for j in jwks]
            sites = run_cli(first, "site", "list")
            assert sites.returncode == 0 and len(sites.stdout.strip().splitlines()) == 1, redact(sites.stdout + sites.stderr)
            # The administrator signs in on every instance and is the same user there.
            guids = {User(s, "admin", ADMIN_PASSWORD, role="Admin").guid for s in d.instances}
            assert len(guids) == 1, guids
        except BaseException:
            d.close()
            raise
        codes = d.close()
        assert codes == [0] * count, [tail(s) for s in d.instances]
