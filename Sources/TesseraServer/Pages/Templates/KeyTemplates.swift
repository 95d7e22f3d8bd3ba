extension Templates {
    /// Generate Key and access keys (`KeyPages`).
    static let keyPages: [String: String] = [
        "generate-key": """
            {{#token}}<p class="warning" role="alert"><strong>Copy this token now.</strong> It is not shown again, and it expires in a few
            minutes unless you refresh it.</p>
            <h2>Basic authorization token</h2><code class="secret" id="basic-token">{{token}}</code>
            <button type="button" class="secondary" data-copy="basic-token" hidden>Copy to Clipboard</button>
            <h2>Next: refresh it</h2>
            <p>The token cannot call the API itself. Exchange it for an access token and a refresh token:</p>
            <code class="secret" id="refresh-example">curl -X POST {{refreshURL}} -H 'Content-Type: application/json' -d '{"token": "…"}'</code>
            <p class="hint">The answer's <code>token</code> is the bearer token for API calls; its <code>refreshToken</code> gets the next one.</p>{{/token}}
            {{^token}}<p>A basic token lets a script or a tool such as Postman get API tokens that act as you. Confirm your password to
            generate one.</p>
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" action="/dashboard/key" id="generate-key-form"><input type="hidden" name="csrf" value="{{csrf}}">
            <label for="password">Your password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit" id="generate">Generate Key</button>
            </form>{{/token}}
            """,
        "access-keys": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <h2 id="create-heading">Create an access key</h2>
            <form method="post" action="/dashboard/access-keys" id="create-key" aria-labelledby="create-heading"><input type="hidden" name="csrf" value="{{csrf}}">
            {{#mayAll}}<label for="username">For user</label>
            <input type="text" id="username" name="username" autocomplete="off" aria-describedby="username-hint">
            <p class="hint" id="username-hint">Leave empty for a key of your own.</p>{{/mayAll}}
            <button type="submit" id="create">Create access key</button>
            </form>
            <h2 id="list-heading">{{#everyone}}Everyone's access keys{{/everyone}}{{^everyone}}My access keys{{/everyone}}</h2>
            {{#mayAll}}<p>{{#everyone}}<a href="/dashboard/access-keys" id="show-mine">Show only mine</a>{{/everyone}}
            {{^everyone}}<a href="/dashboard/access-keys?all=1" id="show-all">Show everyone's</a>{{/everyone}}</p>{{/mayAll}}
            <div class="scroll" role="region" aria-labelledby="list-heading" tabindex="0">
            <table id="key-list"><thead><tr><th scope="col">Access key id</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Created</th>
            <th scope="col">Last used</th><th scope="col">Actions</th></tr></thead><tbody>
            {{#keys}}<tr><td><code>{{id}}</code></td><td>{{owner}}</td><td>{{status}}</td><td>{{created}}</td><td>{{lastUsed}}</td>
            <td><form method="post" action="/dashboard/access-keys/{{id}}/active"><input type="hidden" name="csrf" value="{{csrf}}">
            {{#active}}<input type="hidden" name="active" value="false"><button type="submit" class="link">Deactivate</button>{{/active}}
            {{^active}}<input type="hidden" name="active" value="true"><button type="submit" class="link">Activate</button>{{/active}}</form> ·
            <a href="/dashboard/access-keys/{{id}}/delete">Delete</a></td></tr>{{/keys}}
            </tbody></table></div>
            {{#paging}}<p class="pager">Showing {{from}}–{{to}} of {{total}}.
            {{#previous}}<a href="{{previous}}">Previous page</a>{{/previous}} {{#next}}<a href="{{next}}">Next page</a>{{/next}}</p>{{/paging}}
            """,
        "access-key-created": """
            <p class="warning" role="alert"><strong>Copy the secret now.</strong> It cannot be shown again.</p>
            <p>For <strong id="owner">{{owner}}</strong>.</p>
            <h2>Access key id</h2><code class="secret" id="access-key-id">{{id}}</code>
            <button type="button" class="secondary" data-copy="access-key-id" hidden>Copy id</button>
            <h2>Access key secret</h2><code class="secret" id="access-key-secret">{{secret}}</code>
            <button type="button" class="secondary" data-copy="access-key-secret" hidden>Copy secret</button>
            <h2>Get tokens with it</h2>
            <code class="secret">curl -X POST {{tokenURL}} -H 'Content-Type: application/json' -d '{"accessKeyId": "…", "accessKeySecret": "…"}'</code>
            <p><a href="/dashboard/access-keys" class="button" id="back">I have copied it – back to the list</a></p>
            """,
        "access-key-delete": """
            <p>Delete the access key <code id="key-id">{{id}}</code> of <strong>{{owner}}</strong>? Scripts that use it can no longer get
            tokens. This cannot be undone.</p>
            <form method="post" action="/dashboard/access-keys/{{id}}/delete" id="confirm-delete"><input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="danger" id="confirm">Delete</button> <a href="/dashboard/access-keys" id="cancel">Cancel</a></form>
            """,
    ]
}
