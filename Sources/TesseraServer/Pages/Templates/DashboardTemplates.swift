extension Templates {
    /// The front door: sign-in and the dashboard's home (`FrontDoorRoutes`).
    static let dashboardPages: [String: String] = [
        "front-signin": """
            <p>Sign in to manage API tokens, keys and applications.</p>
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" action="/" id="signin">
            <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="next" value="{{next}}">
            {{> signin-fields}}
            </form>
            """,
        "home": """
            <p>Welcome, {{fullName}}. Your role is <strong id="role">{{role}}</strong>.</p>
            <ul class="cards" id="sections">{{#cards}}<li><a href="{{href}}" id="card-{{id}}">{{label}}</a><p class="hint">{{summary}}</p></li>{{/cards}}</ul>
            """,
    ]
}
