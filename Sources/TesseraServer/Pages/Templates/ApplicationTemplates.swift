extension Templates {
    /// Applications: authorized applications, registration, approval (`ApplicationPages`).
    static let applicationPages: [String: String] = [
        "applications": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            <h2 id="authorized-heading">Applications you allowed</h2>
            {{^authorized}}<p id="no-authorized">You have not allowed any application to act for you.</p>{{/authorized}}
            {{#hasAuthorized}}<div class="scroll" role="region" aria-labelledby="authorized-heading" tabindex="0">
            <table id="authorized"><thead><tr><th scope="col">Application</th><th scope="col">May</th><th scope="col">Since</th><th scope="col">Action</th></tr></thead><tbody>
            {{#authorized}}<tr><td>{{name}}</td><td>{{scope}}</td><td>{{since}}</td>
            <td><form method="post" action="/dashboard/applications/authorized/revoke"><input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="client_id" value="{{clientID}}"><button type="submit" class="link">Revoke<span class="vh"> {{name}}</span></button></form></td></tr>{{/authorized}}
            </tbody></table></div>{{/hasAuthorized}}
            {{#admin}}<h2 id="registrations-heading">Registered applications</h2>
            <p><a href="/dashboard/applications/new" class="button" id="register">Register an application</a></p>
            <div class="scroll" role="region" aria-labelledby="registrations-heading" tabindex="0">
            <table id="registrations"><thead><tr><th scope="col">Tracking number</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Status</th>
            <th scope="col">Submitted</th></tr></thead><tbody>
            {{#registrations}}<tr><td><a href="/dashboard/applications/{{tracking}}">{{tracking}}</a></td><td>{{name}}</td><td>{{type}}</td><td>{{status}}</td>
            <td>{{created}}</td></tr>{{/registrations}}
            </tbody></table></div>{{/admin}}
            """,
        "application-form": """
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <form method="post" action="/dashboard/applications/new" id="registration"><input type="hidden" name="csrf" value="{{csrf}}">
            <label for="name">Application name</label><input type="text" id="name" name="name" required maxlength="255" value="{{name}}">
            <label for="description">Purpose</label><textarea id="description" name="description">{{description}}</textarea>
            <label for="business_unit">Business unit</label>
            <input type="text" id="business_unit" name="business_unit" inputmode="numeric" value="{{businessUnit}}" aria-describedby="bu-hint">
            <p class="hint" id="bu-hint">Your organisation's primary business unit number.</p>
            <label for="contacts">Technical contacts</label>
            <input type="text" id="contacts" name="contacts" value="{{contacts}}" aria-describedby="contacts-hint">
            <p class="hint" id="contacts-hint">E-mail addresses, separated by commas: they hear about the registration.</p>
            <fieldset><legend>Tenancy</legend>
            <input type="radio" id="tenancy-single" name="tenancy" value="single"{{#single}} checked{{/single}}><label for="tenancy-single">Single tenant</label>
            <input type="radio" id="tenancy-multiple" name="tenancy" value="multiple"{{#multiple}} checked{{/multiple}}><label for="tenancy-multiple">Multiple tenants</label>
            </fieldset>
            <fieldset><legend>Multiple tenants only: is the application for a government environment?</legend>
            <input type="radio" id="government-no" name="government" value="no"{{#governmentNo}} checked{{/governmentNo}}><label for="government-no">No</label>
            <input type="radio" id="government-yes" name="government" value="yes"{{#governmentYes}} checked{{/governmentYes}}><label for="government-yes">Yes</label>
            </fieldset>
            <fieldset><legend>Environments (multiple tenants only; a single-tenant application lives in this tenant's)</legend>
            {{#areas}}<input type="checkbox" id="env-{{value}}" name="environments" value="{{value}}"{{#selected}} checked{{/selected}}><label for="env-{{value}}">{{label}}</label> {{/areas}}
            </fieldset>
            <fieldset><legend>Application type</legend>
            {{#types}}<input type="radio" id="type-{{value}}" name="type" value="{{value}}"{{#selected}} checked{{/selected}}><label for="type-{{value}}">{{label}}</label> {{/types}}
            </fieldset>
            <label for="auth_method">Authentication method</label>
            <select id="auth_method" name="auth_method" aria-describedby="method-hint">{{#methods}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/methods}}</select>
            <p class="hint" id="method-hint">A User: Public application has no secret (none). private_key_jwt needs the application's public keys below.</p>
            <label for="jwks">Public keys (JWK Set, private_key_jwt)</label><textarea id="jwks" name="jwks">{{jwks}}</textarea>
            <label for="jwks_url">Or the JWKS URL (private_key_jwt)</label><input type="url" id="jwks_url" name="jwks_url" value="{{jwksURL}}">
            <label for="origins">Origins</label><input type="text" id="origins" name="origins" value="{{origins}}" aria-describedby="origins-hint">
            <p class="hint" id="origins-hint">Where a browser application runs, e.g. <code>https://app.example.com</code>; separated by commas.</p>
            <fieldset><legend>Scope groups</legend>
            {{#scopes}}<input type="checkbox" id="scope-{{value}}" name="scopes" value="{{value}}"{{#selected}} checked{{/selected}}><label for="scope-{{value}}">{{label}}</label><br>{{/scopes}}
            </fieldset>
            <label for="redirects">Redirect URIs</label><textarea id="redirects" name="redirects" aria-describedby="redirects-hint">{{redirects}}</textarea>
            <p class="hint" id="redirects-hint">One per line. Needed by User applications.</p>
            <label for="logouts">Logout URIs</label><textarea id="logouts" name="logouts">{{logouts}}</textarea>
            <button type="submit" id="submit-registration">Submit registration</button>
            </form>
            """,
        "application": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            {{#secretsShown}}<p class="warning" role="alert"><strong>Copy the credentials now.</strong> Client secrets cannot be shown again.</p>{{/secretsShown}}
            <dl>
            <dt>Tracking number</dt><dd id="tracking">{{tracking}}</dd>
            <dt>Status</dt><dd id="status">{{status}}</dd>
            <dt>Type</dt><dd>{{type}}, {{authMethod}}</dd>
            <dt>Tenancy</dt><dd>{{tenancy}} ({{environments}})</dd>
            <dt>Technical contacts</dt><dd>{{contacts}}</dd>
            <dt>Scope groups</dt><dd>{{scopes}}</dd>
            <dt>Redirect URIs</dt><dd>{{#redirects}}<code>{{.}}</code><br>{{/redirects}}</dd>
            <dt>Logout URIs</dt><dd>{{#logouts}}<code>{{.}}</code><br>{{/logouts}}</dd>
            <dt>Origins</dt><dd>{{#origins}}<code>{{.}}</code><br>{{/origins}}</dd>
            </dl>
            {{#hasCredentials}}<h2>Credentials</h2>{{/hasCredentials}}
            {{#credentials}}<h3>{{environment}}</h3>
            <p>client_id <code class="secret" id="client-id-{{environment}}">{{clientID}}</code></p>
            {{#secret}}<p>client_secret <code class="secret" id="client-secret-{{environment}}">{{secret}}</code>
            <button type="button" class="secondary" data-copy="client-secret-{{environment}}" hidden>Copy secret</button></p>{{/secret}}{{/credentials}}
            {{#pending}}<form method="post" action="/dashboard/applications/{{tracking}}/approve" id="approve"><input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" id="approve-button">Approve and issue credentials</button></form>{{/pending}}
            {{^pending}}{{^scheduled}}<form method="post" action="/dashboard/applications/{{tracking}}/{{#enabled}}disable{{/enabled}}{{^enabled}}enable{{/enabled}}" id="toggle">
            <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary" id="toggle-button">{{#enabled}}Disable{{/enabled}}{{^enabled}}Enable{{/enabled}}</button></form>{{/scheduled}}{{/pending}}
            {{^scheduled}}<p><a href="/dashboard/applications/{{tracking}}/delete" id="delete">Delete this application</a></p>{{/scheduled}}
            <p><a href="/dashboard/applications">Back to applications</a></p>
            """,
        "application-delete": """
            <p>Delete <strong>{{name}}</strong> ({{tracking}})? It is disabled at once and deleted for good after the grace period; until then an
            administrator can still see it.</p>
            <form method="post" action="/dashboard/applications/{{tracking}}/delete" id="confirm-delete"><input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" class="danger" id="confirm">Schedule deletion</button> <a href="/dashboard/applications/{{tracking}}" id="cancel">Cancel</a></form>
            """,
    ]
}
