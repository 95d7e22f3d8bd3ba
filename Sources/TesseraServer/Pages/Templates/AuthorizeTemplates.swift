extension Templates {
    /// The authorization pages: sign-in, consent, logout and the device page (`AuthorizeRoutes`), and the error page
    /// every surface of HTML shares.
    static let authorizePages: [String: String] = [
        // Username, password and the submit button of every sign-in form (the front door's too).
        "signin-fields": """
            <label for="username">Username</label>
            <input type="text" id="username" name="username" autocomplete="username" required value="{{username}}">
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit" id="submit">Sign in</button>
            """,
        "error": """
            <p class="error" id="error" role="alert">{{message}}</p>
            """,
        "authorize-signin": """
            <p>Sign in to continue to <strong id="client-name">{{clientName}}</strong>.</p>
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" id="signin">
            {{#carried}}<input type="hidden" name="{{name}}" value="{{value}}">{{/carried}}
            <input type="hidden" name="step" value="signin"><input type="hidden" name="csrf" value="{{csrf}}">
            {{> signin-fields}}
            </form>
            """,
        "authorize-consent": """
            <p>Signed in as <strong id="user">{{username}}</strong>.</p>
            {{#adminOnly}}<p><strong id="client-name">{{clientName}}</strong> asks for administrative access, which only an administrator can grant.</p>{{/adminOnly}}
            {{^adminOnly}}<p><strong id="client-name">{{clientName}}</strong> asks to:</p>{{/adminOnly}}
            <ul>{{#scopes}}<li{{#id}} id="{{id}}"{{/id}}>{{#strong}}<strong>{{strong}}</strong>{{/strong}}{{text}}{{#code}}<code>{{code}}</code> API as you{{/code}}</li>{{/scopes}}</ul>
            <form method="post" id="consent">
            {{#carried}}<input type="hidden" name="{{name}}" value="{{value}}">{{/carried}}
            <input type="hidden" name="step" value="consent"><input type="hidden" name="csrf" value="{{csrf}}">
            {{#adminOnly}}<button type="submit" name="decision" value="deny" id="deny">Back to the application</button>{{/adminOnly}}
            {{^adminOnly}}<button type="submit" name="decision" value="allow" id="allow">Allow</button>
            <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>{{/adminOnly}}
            </form>
            """,
        "signout-confirm": """
            <p>Signed in as <strong id="user">{{username}}</strong>. Sign out of this site, and of the applications you
            signed in to with it?</p>
            <form method="post" id="signout">
            {{#carried}}<input type="hidden" name="{{name}}" value="{{value}}">{{/carried}}
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" id="confirm">Sign out</button>
            </form>
            <p>To stay signed in, close this page.</p>
            """,
        "signed-out": """
            <p id="signed-out">You are signed out.</p>
            """,
        "device": """
            {{#username}}<p>Signed in as <strong id="user">{{username}}</strong>.</p>{{/username}}
            {{^username}}<p>Sign in to connect a device.</p>{{/username}}
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            {{#username}}<form method="post" id="device"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="step" value="decide">
            <label for="user_code">Code shown on your device</label>
            <input type="text" id="user_code" name="user_code" required autocomplete="off" value="{{code}}">
            <button type="submit" name="decision" value="allow" id="allow">Allow</button>
            <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
            </form>{{/username}}
            {{^username}}<form method="post" id="signin"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="step" value="signin">
            <input type="hidden" name="user_code" value="{{code}}">
            {{> signin-fields}}
            </form>{{/username}}
            """,
        "done": """
            <p id="done">{{text}}</p>
            """,
    ]
}
