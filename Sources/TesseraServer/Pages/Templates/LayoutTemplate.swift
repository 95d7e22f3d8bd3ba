extension Templates {
    /// The frame of every page: the site's branding, the navigation the signed-in person's role may use, sign-out,
    /// and the page's own content. Styles and the one script carry the response's CSP nonce.
    static let layout = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · {{siteName}}</title>
        <style nonce="{{nonce}}">
        :root{--brand:{{colour}};--on-brand:{{onColour}}}
        *{box-sizing:border-box}
        body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330;line-height:1.45}
        a{color:#1f4f82}
        code{overflow-wrap:anywhere}
        .vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
        .skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.5rem;z-index:2}
        header{background:var(--brand);color:var(--on-brand);padding:.75rem 1.5rem;display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.5rem}
        header .logo{max-height:2.5rem}
        header .tenant{font-weight:600;font-size:1.1rem}
        header nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .9rem}
        header nav a{color:var(--on-brand)}
        header nav a[aria-current=page]{font-weight:700}
        header .who{margin-left:auto;display:flex;align-items:center;gap:.6rem}
        header .who button{margin:0;background:transparent;border:1px solid var(--on-brand);color:var(--on-brand)}
        main{max-width:26rem;margin:1.5rem auto;background:#fff;padding:1.25rem 1.5rem;border-radius:6px;box-shadow:0 1px 3px #0002}
        main.wide{max-width:64rem}
        h1{font-size:1.5rem;margin-top:0}
        h2{font-size:1.2rem;margin-top:1.75rem}
        label{display:block;margin:.8rem 0 .2rem;font-weight:600}
        fieldset{border:1px solid #c4c8d0;border-radius:4px;margin:.8rem 0;padding:.5rem .9rem}
        fieldset label,label.inline{display:inline;font-weight:400;margin:0 1rem 0 .25rem}
        fieldset label.block{display:block;font-weight:600;margin:.8rem 0 .2rem}
        legend{font-weight:600}
        dt{font-weight:600;margin-top:.5rem}
        dd{margin:0 0 .25rem 0}
        input[type=text],input[type=password],input[type=url],input[type=email],input[type=search],input[type=number],input[type=datetime-local],select,textarea{width:100%;padding:.5rem;border:1px solid #6b7280;border-radius:4px;font:inherit}
        textarea{min-height:5rem}
        .hint{color:#4b5563;font-size:.9rem;margin:.2rem 0}
        button,.button{display:inline-block;margin-top:1rem;padding:.5rem 1.1rem;background:var(--brand);color:var(--on-brand);border:0;border-radius:4px;cursor:pointer;font:inherit;text-decoration:none}
        button.secondary,.button.secondary{background:#4b5563;color:#fff}
        button.danger{background:#b42318;color:#fff}
        button.link{background:none;color:#1f4f82;text-decoration:underline;padding:0;margin:0}
        :focus-visible{outline:3px solid #1a73e8;outline-offset:2px}
        .error{color:#8a1010;background:#fde8e8;padding:.5rem .75rem;border-radius:4px}
        .notice{background:#eef4fb;padding:.5rem .75rem;border-radius:4px}
        .warning{background:#fff4d6;color:#4a3500;padding:.5rem .75rem;border-radius:4px}
        .secret{font-family:ui-monospace,monospace;word-break:break-all;background:#f1f2f4;padding:.5rem;border-radius:4px;display:block}
        .scroll{overflow-x:auto;position:relative}
        table{border-collapse:collapse;width:100%;font-size:.95rem}
        th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d8dbe0;vertical-align:top}
        td form{display:inline}
        td button{margin:0}
        .pager{display:flex;gap:1rem;margin-top:1rem;align-items:center}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:1rem;padding:0;list-style:none}
        .cards li{border:1px solid #d8dbe0;border-radius:6px;padding:.75rem}
        .preview{border:1px solid #d8dbe0;border-radius:6px;overflow:hidden;margin-top:.5rem}
        .preview div{background:var(--preview);color:var(--preview-on);padding:.75rem}
        .suggestions{list-style:none;padding:0;margin:.25rem 0}
        .suggestions button{margin:.15rem 0;background:#eef4fb;color:#1d2330}
        [hidden]{display:none!important}
        {{#style}}{{{style}}}{{/style}}
        </style></head>
        <body><a class="skip" href="#main">Skip to content</a>
        <header>{{#logo}}<img class="logo" src="{{logo}}" alt="">{{/logo}}<span class="tenant">{{siteName}}</span>
        {{#signedIn}}<nav aria-label="Dashboard"><ul>{{#nav}}<li><a href="{{href}}" id="nav-{{id}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}</ul></nav>
        <form class="who" method="post" action="/signout"><input type="hidden" name="csrf" value="{{csrf}}"><span id="who">{{username}}</span><button type="submit" id="signout">Sign out</button></form>{{/signedIn}}
        </header>
        <main id="main"{{#wide}} class="wide"{{/wide}}><h1>{{title}}</h1>
        {{{content}}}
        </main>
        {{#script}}<script nonce="{{nonce}}">{{{script}}}</script>{{/script}}
        </body></html>
        """

    /// The one script: Copy buttons and search-as-you-type for "Restricted to user". The pages work without it.
    static let script = """
        document.querySelectorAll('[data-copy]').forEach(function (button) {
          button.hidden = false;
          button.addEventListener('click', function () {
            var text = document.getElementById(button.dataset.copy).textContent.trim();
            navigator.clipboard.writeText(text).then(function () { button.textContent = 'Copied'; }, function () { button.textContent = 'Select and copy'; });
          });
        });
        document.querySelectorAll('[data-search]').forEach(function (input) {
          var list = document.getElementById(input.dataset.search), timer;
          input.addEventListener('input', function () {
            clearTimeout(timer);
            timer = setTimeout(function () {
              var q = input.value.trim();
              if (q.length < 1) { list.replaceChildren(); return; }
              fetch('/dashboard/user-search?q=' + encodeURIComponent(q), {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (users) {
                list.replaceChildren.apply(list, users.map(function (user) {
                  var item = document.createElement('li'), pick = document.createElement('button');
                  pick.type = 'button';
                  pick.textContent = user.username + (user.fullname ? ' (' + user.fullname + ')' : '');
                  pick.addEventListener('click', function () { input.value = user.username; list.replaceChildren(); input.focus(); });
                  item.appendChild(pick);
                  return item;
                }));
              });
            }, 150);
          });
        });
        """
}
