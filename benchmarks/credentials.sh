#!/usr/bin/env bash
# Requests/s of GET /@api/deki/users/current under each credential kind, beside a bare endpoint (/healthz) of
# the same server, in one run. Server pinned to core 0, wrk to core 1, SQLite store, release build.
# Usage: benchmarks/credentials.sh [seconds per run]   (needs root to install wrk if missing)
connections=16
source "$(dirname "$0")/common.sh"

# Credentials: an auth token, a server token with its long-term JWT (restricted to admin), a browser token, and a
# CXone access token (from a "Generate Key" basic token).
export BASE=$base PASSWORD=$password
eval "$(python3 - <<'PY'
import base64, hashlib, hmac, json, os, time, urllib.request
base, password = os.environ["BASE"], os.environ["PASSWORD"]
def call(method, path, body=None, headers={}):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request) as response:
        return response.read().decode()
basic = base64.b64encode(f"admin:{password}".encode()).decode()
token = call("GET", "/@api/deki/users/authenticate", headers={"Authorization": "Basic " + basic})
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/xml"}
server = json.loads(call("POST", "/@api/deki/site/developer-tokens?dream.out.format=json",
    b"<developer-token type='server'><name>bench</name><restricted-by-user-id>1</restricted-by-user-id></developer-token>", auth))
browser = json.loads(call("POST", "/@api/deki/site/developer-tokens?dream.out.format=json",
    b"<developer-token type='browser'><name>bench</name><host>app.example.com</host></developer-token>", auth))
key, secret, epoch = server["key"], server["secret"], int(time.time())
def sign(message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
print(f"AUTHTOKEN={token}")
print(f"JWT={server['authorization'].split()[1]}")
print(f"TKN=tkn_{key}_{epoch}_1_{sign(f'{key}_{epoch}_1')}")
print(f"LEGACY={key}_{epoch}_=admin_{sign(f'{key}{epoch}=admin')}")
print(f"BROWSER={browser['key']}")
basic = json.loads(call("POST", "/public/user/basic-token", b"", {"Authorization": "Bearer " + token}))["token"]
session = json.loads(call("POST", "/public/user/refresh", json.dumps({"token": basic}).encode(), {"Content-Type": "application/json"}))
print(f"ACCESS={session['token']}")
PY
)"

current="$base/@api/deki/users/current"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), server on 1 core, wrk on the other, ${duration}s each"
run "bare endpoint GET /healthz" "$base/healthz"
run "users/current, anonymous" "$current"
run "users/current, auth token (Bearer)" -H "Authorization: Bearer $AUTHTOKEN" "$current"
run "users/current, tkn_ signature" -H "X-Deki-Token: $TKN" "$current"
run "users/current, legacy signature (=admin)" -H "X-Deki-Token: $LEGACY" "$current"
run "users/current, long-term JWT" -H "Authorization: Bearer $JWT" "$current"
run "users/current, browser token + Origin" -H "X-Deki-Token: $BROWSER" -H "Origin: https://app.example.com" "$current"
run "users/current, CXone access token (RS256)" -H "Authorization: Bearer $ACCESS" "$current"
