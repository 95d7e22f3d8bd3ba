import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// Server-rendered HTML: every page is a template rendered inside one layout with the site's branding, with the
/// headers every page carries (never framed, never cached, no referrer, only nonce-bearing script and style), the
/// session and CSRF cookies, and the parsing of form posts.
package enum Page {
    /// Refuses framing both ways (`X-Frame-Options` for old browsers, CSP `frame-ancestors` for current ones), runs
    /// only the script and styles that carry this response's nonce, loads images only from the site's logo origin,
    /// and is never stored by a cache.
    /// `formsToSelf`: the page's forms post only to this server (not the authorization pages, whose answers redirect
    /// to the application, which `form-action` would block).
    static func headers(site: Site, nonce: String, formsToSelf: Bool = false) -> HTTPFields {
        let images = site.branding.logoOrigin ?? "'none'"
        return [
            .contentType: "text/html; charset=utf-8",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .contentSecurityPolicy: "default-src 'none'; style-src 'nonce-\(nonce)'; script-src 'nonce-\(nonce)'; connect-src 'self'; img-src \(images); "
                + "frame-ancestors 'none'; base-uri 'none'" + (formsToSelf ? "; form-action 'self'" : ""),
            .cacheControl: "no-store",
            HTTPField.Name("Pragma")!: "no-cache",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
    }

    /// What the frame of a page shows for a signed-in person: who they are, the navigation their role allows, and
    /// the CSRF token of the sign-out form.
    struct Visitor {
        var username: String
        var nav: [NavItem]
        var csrf: String
    }

    struct NavItem {
        var id: String
        var href: String
        var label: String
        var current: Bool
    }

    /// Renders `template` with `model` inside the layout. `wide` pages hold tables; `script` adds the Copy and search
    /// script (the page must work without it).
    /// `style`: more rules for the page's nonce-bearing style element (values the server checked, never raw input).
    static func render(site: Site, title: String, template: String, model: Any = [String: String](), visitor: Visitor? = nil, wide: Bool = false,
                       script: Bool = false, style: String? = nil, formsToSelf: Bool = false, status: HTTPResponse.Status = .ok,
                       cookies: [Cookie] = []) -> Response {
        render(site: site, title: title, content: Templates.render(template, model), visitor: visitor, wide: wide, script: script, style: style,
               formsToSelf: formsToSelf, status: status, cookies: cookies)
    }

    static func render(site: Site, title: String, content: String, visitor: Visitor? = nil, wide: Bool = false, script: Bool = false,
                       style: String? = nil, formsToSelf: Bool = false, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        let nonce = Secrets.randomHex(16)
        let colour = site.branding.colour ?? "#2f5d8a"
        let frame: [String: Any] = [
            "title": title, "siteName": site.name, "colour": colour, "onColour": Branding.textColour(on: colour), "logo": site.branding.logoURL.orNull,
            "nonce": nonce, "signedIn": visitor != nil, "username": visitor?.username ?? "", "nav": visitor?.nav ?? [], "csrf": visitor?.csrf ?? "",
            "wide": wide, "content": content, "script": script ? Templates.script : NSNull(), "style": style.orNull,
        ]
        let html = Templates.render("layout", frame)
        var response = Response(status: status, headers: headers(site: site, nonce: nonce, formsToSelf: formsToSelf || visitor != nil), body: .init(byteBuffer: ByteBuffer(string: html)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    static func error(site: Site, message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        render(site: site, title: "This request cannot be completed", template: "error", model: ["message": message], status: status)
    }

    // MARK: Cookies

    package static let sessionCookie = "tessera_session"
    package static let csrfCookie = "tessera_csrf"

    static func sessionCookie(_ session: SignInSession, services: Services) -> Cookie {
        Cookie(name: sessionCookie, value: session.string, expires: Date(timeIntervalSince1970: TimeInterval(session.expires)), path: "/",
               secure: services.settings.usesHTTPS, httpOnly: true, sameSite: .lax)
    }

    static func clearedSessionCookie(services: Services) -> Cookie {
        Cookie(name: sessionCookie, value: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", secure: services.settings.usesHTTPS,
               httpOnly: true, sameSite: .lax)
    }

    // MARK: CSRF

    /// The form token is an HMAC, under a key derived from the site's secret, of a random cookie and of the sign-in
    /// session cookie the browser sends: a page of another origin can neither read the cookies nor compute the token
    /// (double submit, signed), and a cookie–token pair obtained without a session (or planted before sign-in) is no
    /// good with anyone's session. Sign-in also replaces the cookie.
    struct CSRF {
        var cookieValue: String
        /// A new cookie to set, when the browser had none.
        var newCookie: Cookie?
        /// The session cookie the browser will send with the form.
        var session: String?

        func token(site: Site) -> String {
            Page.csrfToken(cookieValue, session: session, site: site)
        }

        /// At sign-in: a fresh cookie, and tokens bound to the new session. Returns the cookie to set.
        mutating func signedIn(_ started: SignInSession, services: Services) -> Cookie {
            let fresh = Page.newCSRFCookie(services: services)
            cookieValue = fresh.value
            newCookie = nil
            session = started.string
            return fresh
        }
    }

    static func csrf(_ request: Request, services: Services) -> CSRF {
        let session = request.cookies[sessionCookie]?.value
        if let value = request.cookies[csrfCookie]?.value, value.utf8.count == 32, Secrets.unhex(value) != nil {
            return CSRF(cookieValue: value, newCookie: nil, session: session)
        }
        let cookie = newCSRFCookie(services: services)
        return CSRF(cookieValue: cookie.value, newCookie: cookie, session: session)
    }

    /// Lax, as the session cookie: a Strict one is not sent on a navigation from another site, so that page would get
    /// a new cookie and every form open in another tab (sign-out too) would stop working. The tokens bind the cookie
    /// and the session, and no other site can read either: Lax gives a forger nothing.
    private static func newCSRFCookie(services: Services) -> Cookie {
        Cookie(name: csrfCookie, value: Secrets.randomHex(16), path: "/", secure: services.settings.usesHTTPS, httpOnly: true, sameSite: .lax)
    }

    static func csrfToken(_ cookie: String, session: String?, site: Site) -> String {
        let key = Secrets.hmacSHA256(key: site.authTokenKey, message: Array("csrf".utf8))
        return Secrets.hex(Secrets.hmacSHA256(key: key, message: Array("\(cookie)\n\(session ?? "")".utf8)))
    }

    /// True when the form's token matches the browser's cookies.
    static func checkCSRF(_ request: Request, form: [String: String], site: Site) -> Bool {
        guard let cookie = request.cookies[csrfCookie]?.value, cookie.utf8.count == 32, let given = form["csrf"] else { return false }
        let expected = csrfToken(cookie, session: request.cookies[sessionCookie]?.value, site: site)
        return Secrets.constantTimeEqual(Array(given.utf8), Array(expected.utf8))
    }

    // MARK: Parameters

    /// Name–value pairs of a query string or form body, in order, repeats kept; nil for invalid escapes.
    package static func pairs(_ bytes: some Collection<UInt8>) -> [(String, String)]? {
        var result: [(String, String)] = []
        for pair in Array(bytes).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = CXoneIO.formDecode(parts[0]), let value = CXoneIO.formDecode(parts.count > 1 ? parts[1] : []) else { return nil }
            if !name.isEmpty { result.append((name, value)) }
        }
        return result
    }

    /// The first value of each name (a repeated name keeps its first, as every form here reads it).
    package static func fields(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    /// The query string's pairs, whatever the method.
    static func query(_ request: Request) throws -> [(String, String)] {
        try pairs(request.uri.query.map { Array($0.utf8) } ?? []).unwrap("the query string is malformed")
    }

    /// A GET's query pairs, or a POST's form body pairs (the query of a POST is ignored: a form without an action
    /// posts to the page's own URL, query included, and the body carries the same parameters).
    static func parameters(_ request: Request) async throws -> [(String, String)] {
        guard request.method == .post else { return try query(request) }
        if let type = request.headers[.contentType].map(CXoneIO.mediaType), type != "application/x-www-form-urlencoded" {
            throw UnsupportedMediaType(mediaType: String(type.prefix(64)))
        }
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        return try pairs(buffer.readBytes(length: buffer.readableBytes) ?? []).unwrap("the form is malformed")
    }
}

extension Optional {
    func unwrap(_ message: String) throws -> Wrapped {
        guard let self else { throw ServiceError.invalidInput(message) }
        return self
    }
}
