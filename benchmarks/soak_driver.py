#!/usr/bin/env python3
"""Open-loop load driver of benchmarks/soak.sh (standard library only).

Why not wrk: Debian's wrk is the closed-loop one (each connection sends its next request when the last answer comes),
so a slow answer lowers the offered rate and hides itself (coordinated omission), and wrk2's -R is not packaged. A
soak must hold its rate whatever the server does, mix seventeen request kinds whose credentials change while it runs
(server-token signatures are re-signed every second, since the server accepts an epoch only 300 s either side of
now; refresh tokens are single-use and each answer hands on the next), and check bodies (introspection must say
"active": true). That is one asyncio process here: request n is due at start + n / rate, and its latency is counted
from when it was due, not from when a connection was free to send it, as wrk2 does.

Modes:
  report OUT WARMUP print the summary and a markdown block for benchmarks/RESULTS.md from $SOAK_OUT's summary.json;
                    exit 1 on any error or on RSS growth after WARMUP seconds beyond noise
  check             send every kind once; exit 1 naming the kinds that did not answer as expected
  capacity SECONDS  closed loop (16 in flight, no rate limit) over the same mix: the rate this server and driver sustain
  soak RATE SECONDS open loop at RATE requests/s; samples the server's RSS and CPU every 5 s; writes samples.csv and
                    summary.json to $SOAK_OUT and prints the per-kind latency table

Credentials come from the environment (never argv, which any local user can read in ps) and are never printed.
"""
import asyncio, base64, collections, hashlib, hmac, itertools, json, math, os, random, sys, time
from array import array

ENV = os.environ
HOST, PORT = ENV.get("SOAK_HOST", "127.0.0.1"), int(ENV.get("SOAK_PORT", "0"))
TIMEOUT = 10.0          # an answer slower than this is an error, not a latency
SAMPLE_EVERY = 5.0
TICKS = os.sysconf("SC_CLK_TCK")


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Credentials:
    """What the kinds send. Signatures are made for the current second and kept for that second only."""

    def __init__(self):
        self.auth = ENV["SOAK_AUTHTOKEN"]
        self.jwt = ENV["SOAK_JWT"]
        self.browser = ENV["SOAK_BROWSER"]
        self.access = ENV["SOAK_ACCESS"]
        self.server_key, self.server_secret = ENV["SOAK_SERVER_KEY"], ENV["SOAK_SERVER_SECRET"].encode()
        self.app_basic = "Basic " + b64(ENV["SOAK_CLIENT_ID"] + ":" + ENV["SOAK_CLIENT_SECRET"])
        self.oauth_basic = "Basic " + b64(ENV["SOAK_OAUTH_ID"] + ":" + ENV["SOAK_OAUTH_SECRET"])
        self.access_key_body = json.dumps({"accessKeyId": ENV["SOAK_KEY_ID"], "accessKeySecret": ENV["SOAK_KEY_SECRET"]})
        self._signed_at, self._tkn, self._legacy = None, None, None
        # Refresh tokens are spent by use: each issuance adds one, each refresh takes one and puts its successor back.
        self.refresh_tokens = collections.deque()
        # Access tokens the soak itself was issued, each presented once on users/current (a real client's pattern,
        # and the one that would make a per-token cache grow); the newest is reused while none is waiting.
        self.fresh_access = collections.deque(maxlen=10_000)
        self.last_fresh = self.access

    def _sign(self):
        epoch = int(time.time())
        if epoch != self._signed_at:
            key, secret = self.server_key, self.server_secret
            mac = lambda m: hmac.new(secret, m.encode(), hashlib.sha256).hexdigest()
            self._tkn = f"tkn_{key}_{epoch}_1_{mac(f'{key}_{epoch}_1')}"
            self._legacy = f"{key}_{epoch}_=admin_{mac(f'{key}{epoch}=admin')}"
            self._signed_at = epoch

    def tkn(self):
        self._sign()
        return self._tkn

    def legacy(self):
        self._sign()
        return self._legacy


def request(method, path, headers=(), body=None):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{PORT}"]
    lines += [f"{name}: {value}" for name, value in headers]
    data = b""
    if body is not None:
        data = body.encode()
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


CURRENT = "/@api/deki/users/current"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
JSON = ("Content-Type", "application/json")


def kinds(c):
    """name -> function(credentials) -> (request bytes, function(status, body) -> error text or None, after)."""
    def ok(status, body):
        return None if status == 200 else f"status {status}"

    def active(status, body):
        if status != 200:
            return f"status {status}"
        return None if b'"active":true' in body.replace(b" ", b"") else "introspection not active"

    def issued(status, body):
        if status != 200:
            return f"status {status}"
        answer = json.loads(body)
        access = answer.get("access_token") or answer.get("token")
        refresh = answer.get("refresh_token") or answer.get("refreshToken")
        if not access or not refresh:
            return "no access or refresh token in the answer"
        c.refresh_tokens.append(refresh)
        c.fresh_access.append(access)
        c.last_fresh = access
        return None

    def fresh_access():
        return c.fresh_access.popleft() if c.fresh_access else c.last_fresh

    def refresh():
        # Driver.one sends an issuance instead when no refresh token is waiting.
        token = c.refresh_tokens.popleft()
        return request("POST", "/public/user/refresh", [JSON], json.dumps({"token": token}))

    bearer = lambda token: ("Authorization", "Bearer " + token)
    introspect = lambda client, token: request("POST", "/auth/introspect", [FORM, ("Authorization", client)], "token=" + token)
    return {
        # The bare endpoint under the same load: the latency floor every other kind is read against.
        "bare /healthz": (lambda: request("GET", "/healthz"), ok),
        "current, auth token": (lambda: request("GET", CURRENT, [bearer(c.auth)]), ok),
        "current, tkn_ signature": (lambda: request("GET", CURRENT, [("X-Deki-Token", c.tkn())]), ok),
        "current, legacy signature": (lambda: request("GET", CURRENT, [("X-Deki-Token", c.legacy())]), ok),
        "current, long-term JWT": (lambda: request("GET", CURRENT, [bearer(c.jwt)]), ok),
        "current, browser token + Origin": (lambda: request("GET", CURRENT, [("X-Deki-Token", c.browser),
                                                                            ("Origin", "https://app.example.com")]), ok),
        "current, CXone access token": (lambda: request("GET", CURRENT, [bearer(c.access)]), ok),
        "current, freshly issued access token": (lambda: request("GET", CURRENT, [bearer(fresh_access())]), ok),
        "check, access token": (lambda: request("GET", "/auth/check", [bearer(c.access)]), ok),
        "check, auth token": (lambda: request("GET", "/auth/check", [bearer(c.auth)]), ok),
        "check, long-term JWT": (lambda: request("GET", "/auth/check", [bearer(c.jwt)]), ok),
        "introspect, access token": (lambda: introspect(c.app_basic, c.access), active),
        "introspect, auth token": (lambda: introspect(c.app_basic, c.auth), active),
        "introspect, long-term JWT": (lambda: introspect(c.app_basic, c.jwt), active),
        "introspect, oauth dev-token client": (lambda: introspect(c.oauth_basic, c.access), active),
        "issue, access key": (lambda: request("POST", "/authentication/v1/token/access-key", [JSON], c.access_key_body), issued),
        "refresh": (refresh, issued),
    }


class Connection:
    def __init__(self):
        self.reader = self.writer = None

    async def send(self, data):
        """One request on a kept-alive connection -> (status, body). Raises on any transport failure."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, PORT)
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        body = b""
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            length = int(lower[at + 17:end])
            if length:
                body = await self.reader.readexactly(length)
        elif b"transfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while await self.reader.readuntil(b"\r\n") != b"\r\n":   # trailer fields, then the blank line
                        pass
                    break
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            body = b"".join(parts)
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Driver:
    def __init__(self, weights):
        self.credentials = Credentials()
        self.kinds = kinds(self.credentials)
        # A fixed, shuffled cycle of kinds by weight: every window of one cycle carries the mix exactly.
        cycle = [name for name in self.kinds for _ in range(weights.get(name, 1))]
        random.Random(7).shuffle(cycle)
        self.cycle = itertools.cycle(cycle)
        self.latencies = {name: array("d") for name in self.kinds}
        self.errors = {name: collections.Counter() for name in self.kinds}
        # From when a request was due to when the driver wrote it: the driver's own share of every latency (a late
        # wake-up of the scheduler, no free connection, a busy event loop). Kept for every request, whatever its kind.
        self.lag = array("d")
        self.done = 0
        self.failed = 0
        # Refreshes sent as issuances because every refresh token was in flight (see one); counted, as they change the mix.
        self.refresh_as_issue = 0

    def next_kind(self):
        return next(self.cycle)

    async def one(self, connection, name, due):
        # A refresh needs a refresh token. Issuances and refreshes each hand one on, so the pool holds steady, but
        # when the server stalls, refreshes queued behind the stall can outnumber the tokens: then this one issues.
        if name == "refresh" and not self.credentials.refresh_tokens:
            name = "issue, access key"
            self.refresh_as_issue += 1
        build, verdict = self.kinds[name]
        data = build()
        self.lag.append(time.monotonic() - due)
        try:
            status, body = await asyncio.wait_for(connection.send(data), TIMEOUT)
        except asyncio.TimeoutError:
            status, error = None, "timeout"
            connection.close()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            status, error = None, "connection: " + type(e).__name__
            connection.close()
        if status is not None:
            try:
                error = verdict(status, body)
            except ValueError:
                error = "unreadable answer"
        if error:
            self.errors[name][error] += 1
            self.failed += 1
        else:
            self.latencies[name].append(time.monotonic() - due)
        self.done += 1


async def check(driver):
    connection, bad = Connection(), []
    for name in driver.kinds:
        if name == "refresh" and not driver.credentials.refresh_tokens:
            await driver.one(connection, "issue, access key", time.monotonic())
        await driver.one(connection, name, time.monotonic())
        if driver.errors[name]:
            bad.append(f"{name}: {', '.join(driver.errors[name])}")
    connection.close()
    for line in bad:
        print("unexpected answer:", line, file=sys.stderr)
    return 1 if bad else 0


async def capacity(driver, seconds, in_flight=16):
    stop = time.monotonic() + seconds
    cpu0 = os.times()

    async def worker():
        connection = Connection()
        while time.monotonic() < stop:
            await driver.one(connection, driver.next_kind(), time.monotonic())
        connection.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.monotonic() - start
    cpu1 = os.times()
    driver_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed
    print(json.dumps({"rate": driver.done / elapsed, "errors": driver.failed, "driver_cpu": driver_cpu}))
    return 0


def machine_busy():
    """CPU seconds all cores spent busy since boot (/proc/stat; iowait counts as idle)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / TICKS   # utime, stime (fields 14, 15)


async def soak(driver, rate, seconds, pid, out, workers=64):
    queue = asyncio.Queue()
    samples = []
    start = time.monotonic()
    end = start + seconds

    async def worker():
        connection = Connection()
        while True:
            item = await queue.get()
            if item is None:
                break
            await driver.one(connection, *item)
        connection.close()

    async def schedule():
        # Request n is due at start + n / rate. Each wake-up releases every request that has come due, so a late
        # wake-up (the event loop was busy) sends a burst rather than dropping requests, and the lateness is in
        # their latency.
        n = 0
        while True:
            now = time.monotonic()
            while start + n / rate <= now and start + n / rate < end:
                queue.put_nowait((driver.next_kind(), start + n / rate))
                n += 1
            if start + n / rate >= end:
                return n
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))

    async def sampler():
        # The machine is shared: what other processes took (all cores' busy time less the server's and the driver's)
        # is sampled too, so a slow stretch can be told from a stall of the server's own making.
        last_done, last_failed, last_cpu, last_driver, last_t = 0, 0, proc_sample(pid)[1], os.times(), start
        last_busy = machine_busy()
        while True:
            # Every 5 s, and once more at the end of the run when the duration is not a multiple of 5.
            elapsed = time.monotonic() - start
            await asyncio.sleep(min(SAMPLE_EVERY - elapsed % SAMPLE_EVERY, max(0.0, end - time.monotonic())) or 0.001)
            now = time.monotonic()
            rss, cpu = proc_sample(pid)
            d = os.times()
            busy = machine_busy()
            span = now - last_t
            driver_cpu = d.user + d.system - last_driver.user - last_driver.system
            samples.append({"t": round(now - start, 1), "rss_mb": round(rss, 2),
                            "server_cpu": round((cpu - last_cpu) / span, 3),
                            "driver_cpu": round(driver_cpu / span, 3),
                            "other_cpu": round(max(0.0, busy - last_busy - (cpu - last_cpu) - driver_cpu) / span, 3),
                            "answers_per_s": round((driver.done - last_done) / span, 1),
                            "errors": driver.failed - last_failed, "queued": queue.qsize()})
            last_done, last_failed, last_cpu, last_driver, last_t, last_busy = driver.done, driver.failed, cpu, d, now, busy
            if now >= end:
                return

    # A pool of refresh tokens before the clock starts (not measured), so the first refreshes need not wait for the
    # first issuances.
    seeding = Connection()
    for _ in range(32):
        await driver.one(seeding, "issue, access key", time.monotonic())
    seeding.close()
    driver.latencies["issue, access key"] = array("d")
    driver.lag = array("d")
    if driver.failed:
        print("issuing the first refresh tokens failed: " + ", ".join(driver.errors["issue, access key"]), file=sys.stderr)
        return 1
    driver.done = 0
    rss_before = proc_sample(pid)[0]
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    sampling = asyncio.create_task(sampler())
    sent = await schedule()
    for _ in tasks:
        queue.put_nowait(None)
    # What is still queued or in flight gets TIMEOUT to answer; anything later is counted as an error.
    finished, pending = await asyncio.wait(tasks, timeout=TIMEOUT + 5)
    for task in pending:
        task.cancel()
    unanswered = sent - driver.done
    await sampling
    elapsed = time.monotonic() - start

    per_kind = {}
    for name, values in driver.latencies.items():
        ordered = sorted(values)
        pick = lambda q: ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000 if ordered else None
        per_kind[name] = {"answers": len(ordered), "errors": dict(driver.errors[name]),
                          "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1000 if ordered else None}
    lag = sorted(driver.lag)
    quantile = lambda q: lag[min(len(lag) - 1, math.ceil(q * len(lag)) - 1)] * 1000
    summary = {"driver_lag_ms": {"p50": quantile(0.5), "p99": quantile(0.99), "max": lag[-1] * 1000}, "target_rate": rate, "seconds": seconds, "sent": sent, "answered_ok": sum(len(v) for v in driver.latencies.values()),
               "errors": driver.failed + unanswered, "unanswered": unanswered, "achieved_rate": driver.done / seconds,
               "elapsed": elapsed, "refresh_as_issue": driver.refresh_as_issue, "rss_before_mb": rss_before, "kinds": per_kind, "samples": samples}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "samples.csv"), "w") as f:
        columns = list(samples[0]) if samples else []
        f.write(",".join(columns) + "\n")
        for s in samples:
            f.write(",".join(str(s[c]) for c in columns) + "\n")
    return 0


# RSS is "flat" when it grew after the warm-up by no more than this many MB or this fraction of the warm-up figure,
# whichever is larger: a few MB is allocator and SQLite page-cache churn at any size, and 5 % covers the same churn
# on a larger heap. Anything beyond is growth worth a look, whatever its cause.
NOISE_MB, NOISE_FRACTION = 3.0, 0.05


def report(out, warmup):
    s = json.load(open(os.path.join(out, "summary.json")))
    samples = s["samples"]
    note, capacity = ENV.get("SOAK_RATE_NOTE", ""), ENV.get("SOAK_CAPACITY")
    build, store = ENV.get("SOAK_BUILD", "?"), ENV.get("SOAK_STORE", "SQLite")
    reference = next((x for x in samples if x["t"] >= warmup), samples[-1])
    last = samples[-1]
    growth = last["rss_mb"] - reference["rss_mb"]
    allowed = max(NOISE_MB, NOISE_FRACTION * reference["rss_mb"])
    flat = growth <= allowed
    after = [x for x in samples if x["t"] >= reference["t"]]
    peak = max(x["rss_mb"] for x in after)
    # Least-squares slope in MB per minute, after the warm-up and over the last third of the run: a steady leak keeps
    # its slope to the end, while a bounded cache still filling after the warm-up (the access-token memo holds 10,000
    # tokens, and the soak presents every token it is issued) flattens out in the last third.
    def slope_of(points):
        if len(points) < 3:
            return float("nan")
        mt = sum(x["t"] for x in points) / len(points)
        mr = sum(x["rss_mb"] for x in points) / len(points)
        return 60 * sum((x["t"] - mt) * (x["rss_mb"] - mr) for x in points) / sum((x["t"] - mt) ** 2 for x in points)
    slope = slope_of(after)
    last_third = slope_of([x for x in samples if x["t"] >= s["seconds"] * 2 / 3])
    server_cpu = sum(x["server_cpu"] for x in samples) / len(samples)
    driver_cpu = sum(x["driver_cpu"] for x in samples) / len(samples)
    errors = s["errors"]
    fmt = lambda v: "–" if v is None else f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"

    print(f"soak: {s['seconds']:.0f} s at {s['target_rate']:,.0f} req/s ({note}); {store}; build {build}")
    print(f"sent {s['sent']:,}, answered as expected {s['answered_ok']:,}, errors {errors:,}"
          + (f" ({s['unanswered']} never answered)" if s["unanswered"] else ""))
    for name, k in s["kinds"].items():
        if k["errors"]:
            print(f"  errors of {name}: " + ", ".join(f"{reason} ×{n}" for reason, n in k["errors"].items()))
    print(f"answers/s over the run {s['achieved_rate']:,.0f} (target {s['target_rate']:,.0f}); most requests waiting for a "
          f"connection at a sample: {max(x['queued'] for x in samples)}")
    other_cpu = sum(x.get("other_cpu", 0) for x in samples) / len(samples)
    print(f"server CPU {server_cpu:.0%} of its core on average, driver {driver_cpu:.0%} of its core; other processes "
          f"{other_cpu:.2f} cores (of {os.cpu_count()}), peak {max(x.get('other_cpu', 0) for x in samples):.2f}")
    if s.get("refresh_as_issue"):
        print(f"{s['refresh_as_issue']} refreshes were sent as issuances: no refresh token was waiting (a stall queued them)")
    lag = s["driver_lag_ms"]
    print(f"driver lag (due -> written, every request): p50 {fmt(lag['p50'])} ms, p99 {fmt(lag['p99'])} ms, max {fmt(lag['max'])} ms; "
          "it is part of every latency below")
    if driver_cpu > 0.85:
        print("warning: the driver was near its core's limit, so its own queueing is part of the latencies")
    print(f"RSS before load {s['rss_before_mb']:.1f} MB; at {reference['t']:.0f} s {reference['rss_mb']:.1f} MB; "
          f"end ({last['t']:.0f} s) {last['rss_mb']:.1f} MB; peak after {reference['t']:.0f} s {peak:.1f} MB; "
          f"slope {slope:+.2f} MB/min after {reference['t']:.0f} s, {last_third:+.2f} MB/min over the last third")
    print(f"RSS growth after {reference['t']:.0f} s: {growth:+.1f} MB ({growth / reference['rss_mb']:+.1%}); noise allowance "
          f"{allowed:.1f} MB (the larger of {NOISE_MB:.0f} MB and {NOISE_FRACTION:.0%}) -> "
          + ("RSS flat" if flat else "RSS GREW"))
    print()
    print(f"{'kind':40} {'answers':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, k in s["kinds"].items():
        print(f"{name:40} {k['answers']:8} {sum(k['errors'].values()):6} {fmt(k['p50_ms']):>8} {fmt(k['p99_ms']):>8} {fmt(k['max_ms']):>8}")

    import datetime
    rate = f"{s['target_rate']:,.0f} req/s"
    if capacity:
        rate += f" ({s['target_rate'] / float(capacity):.0%} of {float(capacity):,.0f} closed-loop)"
    print("\n--- markdown for benchmarks/RESULTS.md ---")
    print("| date | build | store | seconds | rate driven | answers | errors | server CPU | other processes | RSS at "
          f"{reference['t']:.0f} s → end | growth | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {datetime.date.today()} | {build} | {store} | {s['seconds']:.0f} | {rate} | {s['answered_ok']:,} | {errors} | "
          f"{server_cpu:.0%} | {other_cpu:.2f} cores | {reference['rss_mb']:.1f} → {last['rss_mb']:.1f} MB | {growth:+.1f} MB ({growth / reference['rss_mb']:+.1%}) | "
          + ("RSS flat" if flat else "**RSS grew**") + " |")
    print()
    print("| kind | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| (driver lag, every request) | {fmt(lag['p50'])} | {fmt(lag['p99'])} | {fmt(lag['max'])} |")
    for name, k in s["kinds"].items():
        print(f"| {name} | {fmt(k['p50_ms'])} | {fmt(k['p99_ms'])} | {fmt(k['max_ms'])} |")
    print("--- end ---")
    return 0 if errors == 0 and flat else 1


def main():
    if sys.argv[1] == "report":
        return report(sys.argv[2], float(sys.argv[3]))
    weights = {}
    # "kind=weight;kind=weight" (kind names hold commas); a kind not named has weight 1, and 0 leaves it out.
    for item in filter(None, ENV.get("SOAK_WEIGHTS", "").split(";")):
        name, _, weight = item.rpartition("=")
        weights[name.strip()] = int(weight)
    driver = Driver(weights)
    unknown = set(weights) - set(driver.kinds)
    if unknown:
        sys.exit(f"SOAK_WEIGHTS names unknown kinds: {', '.join(sorted(unknown))}; kinds: {', '.join(driver.kinds)}")
    mode = sys.argv[1]
    if mode == "check":
        return asyncio.run(check(driver))
    if mode == "capacity":
        return asyncio.run(capacity(driver, float(sys.argv[2])))
    if mode == "soak":
        return asyncio.run(soak(driver, float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
    sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main())
