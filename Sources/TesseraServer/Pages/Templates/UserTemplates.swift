extension Templates {
    /// Users (`UserPages`).
    static let userPages: [String: String] = [
        "users": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            <form method="get" action="/dashboard/users" id="search" role="search">
            <label for="q">Find users by username or e-mail</label>
            <input type="search" id="q" name="q" value="{{q}}">
            <button type="submit" id="find">Search</button>
            </form>
            <h2 id="list-heading">Users</h2>
            <div class="scroll" role="region" aria-labelledby="list-heading" tabindex="0">
            <table id="user-list"><thead><tr><th scope="col">Username</th><th scope="col">Full name</th><th scope="col">E-mail</th><th scope="col">Role</th>
            <th scope="col">Status</th><th scope="col">Seat</th><th scope="col">Last sign-in</th></tr></thead><tbody>
            {{#users}}<tr id="user-{{id}}"><td><a href="/dashboard/users/{{id}}">{{username}}</a></td><td>{{fullName}}</td><td>{{email}}</td><td>{{role}}</td>
            <td>{{status}}</td><td>{{seat}}</td><td>{{lastLogin}}</td></tr>{{/users}}
            </tbody></table></div>
            {{#paging}}<p class="pager" id="pager">Showing {{from}}–{{to}} of {{total}}.
            {{#previous}}<a href="{{previous}}" id="previous">Previous page</a>{{/previous}} {{#next}}<a href="{{next}}" id="next">Next page</a>{{/next}}</p>{{/paging}}
            <h2 id="create-heading">Create a user</h2>
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" action="/dashboard/users" id="create-user" aria-labelledby="create-heading"><input type="hidden" name="csrf" value="{{csrf}}">
            <label for="new-username">Username</label><input type="text" id="new-username" name="username" required autocomplete="off" value="{{username}}">
            <label for="new-email">E-mail</label><input type="email" id="new-email" name="email" value="{{email}}">
            <label for="new-fullname">Full name</label><input type="text" id="new-fullname" name="fullname" value="{{fullName}}">
            <label for="new-role">Role</label><select id="new-role" name="role">{{#roles}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/roles}}</select>
            <label for="new-password">Password</label><input type="password" id="new-password" name="password" autocomplete="new-password"
             aria-describedby="new-password-hint">
            <p class="hint" id="new-password-hint">Optional: without one the user cannot sign in with a password until you set it.</p>
            <button type="submit" id="create">Create user</button>
            </form>
            """,
        "user-edit": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <p>Created {{created}}; last sign-in {{lastLogin}}.</p>
            <form method="post" action="/dashboard/users/{{id}}" id="edit-user"><input type="hidden" name="csrf" value="{{csrf}}">
            <label for="email">E-mail</label><input type="email" id="email" name="email" value="{{email}}">
            <label for="fullname">Full name</label><input type="text" id="fullname" name="fullname" value="{{fullName}}">
            <label for="status">Status</label><select id="status" name="status" aria-describedby="status-hint">
            <option value="active"{{#active}} selected{{/active}}>Active</option><option value="inactive"{{^active}} selected{{/active}}>Inactive</option></select>
            <p class="hint" id="status-hint">Deactivating ends the user's sessions and tokens at once.</p>
            <fieldset><legend>Seat</legend><input type="checkbox" id="seat" name="seat" value="on"{{#seat}} checked{{/seat}}>
            <label for="seat">Has a seat (Pro member access)</label></fieldset>
            <label for="role">Role</label><select id="role" name="role" aria-describedby="role-hint">{{#roles}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/roles}}</select>
            <p class="hint" id="role-hint">A site always keeps one active administrator: the last one cannot be deactivated or given another
            role{{#isSelf}} — that includes you{{/isSelf}}.</p>
            <label for="password">New password</label><input type="password" id="password" name="password" autocomplete="new-password" aria-describedby="password-hint">
            <p class="hint" id="password-hint">Leave empty to keep the current one. A new password signs the user out everywhere; access keys keep working.</p>
            <button type="submit" id="save">Save</button>
            </form>
            <p><a href="/dashboard/users">Back to users</a></p>
            """,
    ]
}
