#!/usr/bin/env bash
# Latency of the dashboard's server-paged lists with 10,000 developer tokens and 10,000 users, beside a bare endpoint
# and users/current on the same server in the same run. One connection (wrk -c1): the figures are per-request
# latency. The first page, a deep page, and a filtered user search.
# Usage: benchmarks/dashboard-lists.sh [seconds per page]
connections=1
source "$(dirname "$0")/common.sh"

make_credentials

# 10,000 tokens and 10,000 users (without passwords: nothing to hash) through the API, on one kept-alive connection.
export BASE=$base AUTHTOKEN PASSWORD=$password
session=$(python3 - <<'PY'
import http.client, os, re, urllib.parse
base, token = os.environ["BASE"], os.environ["AUTHTOKEN"]
host = urllib.parse.urlsplit(base).netloc
connection = http.client.HTTPConnection(host)
def call(method, path, body=None, headers={}):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    assert response.status < 400, (path, response.status, data[:200])
    return response, data.decode()
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/xml"}
for n in range(10_000):
    call("POST", "/@api/deki/site/developer-tokens", f"<developer-token type='server'><name>bench {n}</name></developer-token>".encode(), auth)
    call("POST", "/@api/deki/users", f"<user><username>person{n:05d}</username><email>p{n}@example.com</email></user>".encode(), auth)
# Sign in on the front door for a session cookie.
response, page = call("GET", "/")
csrf_cookie = re.search(r"tessera_csrf=([0-9a-f]+)", response.getheader("Set-Cookie")).group(1)
csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
body = urllib.parse.urlencode({"csrf": csrf, "username": "admin", "password": os.environ["PASSWORD"]}).encode()
response, _ = call("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"tessera_csrf={csrf_cookie}"})
print(re.search(r"tessera_session=([^;]+)", response.getheader("Set-Cookie")).group(1))
PY
)
cookie="Cookie: tessera_session=$session"

echo "dashboard lists, 10,000 tokens and 10,000 users, wrk -c1 ${duration}s each (latency = 1/rate)"
run "bare /healthz" "$base/healthz"
run "users/current, auth token" -H "Authorization: Bearer $AUTHTOKEN" "$base/@api/deki/users/current"
run "dashboard tokens, first page" -H "$cookie" "$base/dashboard/tokens"
run "dashboard tokens, offset 9950" -H "$cookie" "$base/dashboard/tokens?offset=9950"
run "dashboard users, first page" -H "$cookie" "$base/dashboard/users"
run "dashboard users, offset 9950" -H "$cookie" "$base/dashboard/users?offset=9950"
run "dashboard users, q=person0999" -H "$cookie" "$base/dashboard/users?q=person0999"
run "API developer-tokens, all 10,000 (JSON)" -H "Authorization: Bearer $AUTHTOKEN" "$base/@api/deki/site/developer-tokens?dream.out.format=json"
