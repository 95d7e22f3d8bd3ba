extension Templates {
    /// Site settings and the audit trail (`SitePages`).
    static let sitePages: [String: String] = [
        "settings": """
            {{#done}}<p class="notice" id="done" role="status">{{done}}</p>{{/done}}
            {{#message}}<p class="error" id="error" role="alert">{{message}}</p>{{/message}}
            <h2 id="branding-heading">Branding</h2>
            <form method="post" action="/dashboard/settings/branding" id="branding" aria-labelledby="branding-heading"><input type="hidden" name="csrf" value="{{csrf}}">
            <label for="logo">Logo URL</label>
            <input type="url" id="logo" name="logo" value="{{logo}}" aria-describedby="logo-hint">
            <p class="hint" id="logo-hint">An http(s) address of an image. Empty for none.</p>
            <label for="colour">Colour</label>
            <input type="text" id="colour" name="colour" value="{{colour}}" pattern="#[0-9a-fA-F]{6}" aria-describedby="colour-hint">
            <p class="hint" id="colour-hint">As #rrggbb. Empty for the default. Text on it is white or dark, whichever reads better.</p>
            <div class="preview" id="preview"><div><strong>{{siteName}}</strong> — {{#previewing}}preview, not saved{{/previewing}}{{^previewing}}as saved{{/previewing}}</div></div>
            <p class="hint" id="contrast">Contrast of the header text: {{contrast}}:1{{#lowContrast}} — below 4.5:1, hard to read; pick a darker or lighter colour{{/lowContrast}}.</p>
            <button type="submit" name="action" value="preview" class="secondary" id="preview-button">Preview</button>
            <button type="submit" name="action" value="save" id="save-branding">Save</button>
            </form>
            <h2 id="legacy-heading">Legacy tokens</h2>
            <p id="legacy-state">Legacy tokens are <strong>{{#legacyOn}}on{{/legacyOn}}{{^legacyOn}}off{{/legacyOn}}</strong>.</p>
            <p class="warning" id="legacy-warning">Be careful: {{legacyWarning}}</p>
            {{#apiKey}}<p class="warning" role="alert"><strong>Copy the site API key now.</strong> It cannot be shown again.</p>
            <code class="secret" id="api-key">{{apiKey}}</code>{{/apiKey}}
            <form method="post" action="/dashboard/settings/legacy-tokens" id="legacy" aria-labelledby="legacy-heading"><input type="hidden" name="csrf" value="{{csrf}}">
            {{#legacyOn}}<input type="hidden" name="enabled" value="false"><button type="submit" id="legacy-toggle">Turn legacy tokens off</button>{{/legacyOn}}
            {{^legacyOn}}<input type="hidden" name="enabled" value="true"><button type="submit" class="danger" id="legacy-toggle">Turn legacy tokens on</button>{{/legacyOn}}
            </form>
            """,
        "audit": """
            <form method="get" action="/dashboard/audit" id="audit-filters" aria-label="Filter the audit trail">
            {{#problems}}<p class="error" id="error" role="alert">{{problems}}</p>{{/problems}}
            {{#filters}}<label for="actor">Actor (username)</label><input type="text" id="actor" name="actor" value="{{actor}}">
            <label for="token">Token id</label><input type="text" id="token" name="token" inputmode="numeric" value="{{token}}">
            <label for="action">Action</label><input type="text" id="action" name="action" value="{{action}}" aria-describedby="action-hint">
            <p class="hint" id="action-hint">For example <code>developer-token.delete</code> or <code>signin</code>.</p>
            <label for="from">From (UTC)</label><input type="datetime-local" id="from" name="from" value="{{from}}">
            <label for="until">Until (UTC)</label><input type="datetime-local" id="until" name="until" value="{{until}}">{{/filters}}
            <label for="outcome">Outcome</label><select id="outcome" name="outcome">{{#outcomes}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/outcomes}}</select>
            <button type="submit" id="filter">Filter</button>
            </form>
            <h2 id="list-heading">Events, newest first</h2>
            <div class="scroll" role="region" aria-labelledby="list-heading" tabindex="0">
            <table id="audit-list"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th>
            <th scope="col">Token</th><th scope="col">Address</th><th scope="col">Detail</th></tr></thead><tbody>
            {{#events}}<tr><td>{{at}}</td><td>{{action}}</td><td>{{outcome}}{{#count}} {{count}}{{/count}}</td><td>{{actor}}</td><td>{{token}}</td><td>{{address}}</td>
            <td>{{detail}}</td></tr>{{/events}}
            </tbody></table></div>
            <p class="pager" id="pager">Showing {{from}}–{{to}}. {{#previous}}<a href="{{previous}}" id="previous">Newer</a>{{/previous}}
            {{#next}}<a href="{{next}}" id="next">Older</a>{{/next}}</p>
            """,
    ]
}
