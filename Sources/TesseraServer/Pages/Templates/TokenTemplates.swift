extension Templates {
    /// API Token Management (`TokenPages`).
    static let tokenPages: [String: String] = [
        "tokens": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            <h2 id="add-heading">Add an API token</h2>
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" action="/dashboard/tokens" id="add-token" aria-labelledby="add-heading">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <fieldset><legend>Type</legend>
            <input type="radio" name="type" value="server" id="type-server"{{#server}} checked{{/server}}><label for="type-server">Server</label>
            <input type="radio" name="type" value="browser" id="type-browser"{{#browser}} checked{{/browser}}><label for="type-browser">Browser</label>
            <input type="radio" name="type" value="oauth" id="type-oauth"{{#oauth}} checked{{/oauth}}><label for="type-oauth">OAuth</label>
            <p class="hint">Server tokens sign requests from your back end. Browser tokens let pages on the hosts you list call the API.
            OAuth tokens identify an application that signs users in.</p>
            </fieldset>
            <label for="name">Name</label>
            <input type="text" id="name" name="name" required maxlength="255" value="{{name}}" aria-describedby="name-hint">
            <p class="hint" id="name-hint">Pick a name that says what the token is for. A long-term JWT is never shown again after it is
            created, so say in the name when the token has one (for example “reporting – JWT for svc-reports”): if that JWT is ever in
            doubt, you will know which token to delete.</p>
            <label for="hosts">Hosts (Browser and OAuth)</label>
            <input type="text" id="hosts" name="hosts" value="{{hosts}}" aria-describedby="hosts-hint">
            <p class="hint" id="hosts-hint">Comma-separated, for example <code>https://app.example.com, *.example.org</code>. A browser token needs at least one.</p>
            <fieldset><legend>Server tokens</legend>
            <div><input type="checkbox" name="generate_jwt" id="generate_jwt" value="on"{{#generateJWT}} checked{{/generateJWT}}>
            <label for="generate_jwt">Generate long-term JWT (OAuth bearer token)</label></div>
            <label for="restricted_user" class="block">Restricted to user</label>
            <input type="text" id="restricted_user" name="restricted_user" autocomplete="off" value="{{restrictedUser}}" data-search="user-suggestions"
             aria-describedby="restricted-hint">
            <p class="hint" id="restricted-hint">Type a username. A JWT acts as this user; without one, it acts as you.</p>
            <ul class="suggestions" id="user-suggestions" aria-live="polite">{{#suggestions}}<li><label class="inline"><input type="radio" name="restricted_pick"
             value="{{username}}"> {{username}}{{#fullName}} ({{fullName}}){{/fullName}}</label></li>{{/suggestions}}</ul>
            </fieldset>
            <button type="submit" id="generate">Generate API token</button>
            </form>
            <h2 id="list-heading">API tokens</h2>
            <div class="scroll" role="region" aria-labelledby="list-heading" tabindex="0">
            <table id="token-list"><thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Key</th><th scope="col">Restricted to</th>
            <th scope="col">Created</th><th scope="col">Long-term JWT</th><th scope="col">Actions</th></tr></thead><tbody>
            {{#tokens}}<tr id="token-{{id}}"><td>{{name}}{{#hosts}}<br><span class="hint">{{hosts}}</span>{{/hosts}}</td><td>{{type}}</td><td><code>{{key}}</code></td>
            <td>{{restriction}}</td><td>{{created}}</td><td>{{jwt}}</td>
            <td><a href="/dashboard/tokens/{{id}}" id="edit-{{id}}">Edit<span class="vh"> {{name}}</span></a> ·
            <a href="/dashboard/tokens/{{id}}/delete" id="delete-{{id}}">Delete<span class="vh"> {{name}}</span></a></td></tr>{{/tokens}}
            </tbody></table></div>
            {{#paging}}<p class="pager" id="pager">Showing {{from}}–{{to}} of {{total}}.
            {{#previous}}<a href="{{previous}}" id="previous">Previous page</a>{{/previous}} {{#next}}<a href="{{next}}" id="next">Next page</a>{{/next}}</p>{{/paging}}
            """,
        "token-created": """
            <p class="warning" id="warning" role="alert"><strong>Copy these now.</strong> The secret and the JWT cannot be shown again once you
            leave this page; without them the key does not work.</p>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            <p><strong>{{name}}</strong> ({{type}}){{#restriction}}, restricted to <strong id="restricted">{{restriction}}</strong>{{/restriction}}
            {{#hosts}}, for {{hosts}}{{/hosts}}</p>
            <h2 id="key-heading">Key</h2><code class="secret" id="key">{{key}}</code>
            <button type="button" class="secondary" data-copy="key" hidden>Copy key</button>
            {{#secret}}<h2>Secret</h2><code class="secret" id="secret">{{secret}}</code>
            <button type="button" class="secondary" data-copy="secret" hidden>Copy secret</button>{{/secret}}
            {{#jwt}}<h2>Long-term JWT (OAuth bearer token)</h2><code class="secret" id="jwt">{{jwt}}</code>
            <button type="button" class="secondary" data-copy="jwt" hidden>Copy JWT</button>
            <p class="hint">Send it as <code>Authorization: Bearer …</code>. It is valid for ten years unless the token is deleted or the JWT re-issued.</p>{{/jwt}}
            <p><a href="/dashboard/tokens" class="button" id="back">I have copied them – back to the list</a></p>
            """,
        "token-edit": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <p>{{type}} token, key <code>{{key}}</code>.</p>
            <form method="post" action="/dashboard/tokens/{{id}}" id="edit-token">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label for="name">Name</label>
            <input type="text" id="name" name="name" required maxlength="255" value="{{name}}">
            {{#server}}<label for="restricted_user">Restricted to user</label>
            <input type="text" id="restricted_user" name="restricted_user" autocomplete="off" value="{{restrictedUser}}" data-search="user-suggestions"
             aria-describedby="restricted-hint">
            <p class="hint" id="restricted-hint">Leave empty for no restriction. Changing it revokes the token's long-term JWT.</p>
            <ul class="suggestions" id="user-suggestions" aria-live="polite"></ul>{{/server}}
            {{^server}}<label for="hosts">Hosts</label>
            <input type="text" id="hosts" name="hosts" value="{{hosts}}">{{/server}}
            <button type="submit" id="save">Save</button>
            </form>
            {{#server}}<h2>Long-term JWT</h2>
            <p>{{#hasJWT}}This token has a long-term JWT. Issuing a new one revokes the old one at once.{{/hasJWT}}
            {{^hasJWT}}This token has no long-term JWT.{{/hasJWT}}</p>
            <form method="post" action="/dashboard/tokens/{{id}}/jwt" id="reissue"><input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="secondary" id="reissue-jwt">Issue a new long-term JWT</button></form>{{/server}}
            <p><a href="/dashboard/tokens/{{id}}/delete" id="delete">Delete this token</a> · <a href="/dashboard/tokens">Back to the list</a></p>
            """,
        "token-delete": """
            <p>Delete the {{type}} token <strong id="name">{{name}}</strong> (key <code>{{key}}</code>)? Requests signed with it
            {{#hasJWT}}and its long-term JWT{{/hasJWT}} are refused from the moment you confirm. This cannot be undone.</p>
            <form method="post" action="/dashboard/tokens/{{id}}/delete" id="confirm-delete"><input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="danger" id="confirm">Delete</button> <a href="/dashboard/tokens" id="cancel">Cancel</a></form>
            """,
    ]
}
