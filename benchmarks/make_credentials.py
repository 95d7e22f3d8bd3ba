"""Makes one credential of each kind on a running Tessera (its base URL and admin password as arguments) and prints
them as shell assignments: AUTHTOKEN (sign-in), JWT (a server token's long-term JWT, restricted to admin), TKN and
LEGACY (signatures of that server token), BROWSER (a browser token's key, host app.example.com) and ACCESS (a CXone
access token, from a "Generate Key" basic token)."""
import base64, hashlib, hmac, json, sys, time, urllib.request
base, password = sys.argv[1], sys.argv[2]
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
