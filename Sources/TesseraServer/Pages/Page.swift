import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// Server-rendered HTML: escaping, one layout with the site's branding, and the headers every page carries
/// (never framed, never cached, no referrer, no script).
enum Page {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A hidden input.
    static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(escape(name))\" value=\"\(escape(value))\">"
    }

    /// Refuses framing both ways (`X-Frame-Options` for old browsers, CSP `frame-ancestors` for current ones),
    /// runs no script, loads images only from the site's logo origin.
    static func headers(site: Site) -> HTTPFields {
        var images = "'none'"
        if let logo = site.branding.logoURL, let parts = URLComponents(string: logo), let scheme = parts.scheme, let host = parts.host {
            images = "\(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")"
        }
        return [
            .contentType: "text/html; charset=utf-8",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src \(images); frame-ancestors 'none'; base-uri 'none'",
            .cacheControl: "no-store",
            HTTPField.Name("Pragma")!: "no-cache",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
    }

    static func render(site: Site, title: String, body: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        let colour = site.branding.colour ?? "#2f5d8a"
        let logo = site.branding.logoURL.map { "<img class=\"logo\" src=\"\(escape($0))\" alt=\"\">" } ?? ""
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · \(escape(site.name))</title>
            <style>
            body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}
            header{background:\(colour);color:#fff;padding:1rem 1.5rem;display:flex;align-items:center;gap:1rem}
            header .logo{max-height:2.5rem}
            main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0002}
            label{display:block;margin:.8rem 0 .2rem}
            input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
            button{margin-top:1rem;padding:.5rem 1.2rem;background:\(colour);color:#fff;border:0;border-radius:4px;cursor:pointer}
            button.secondary{background:#777}
            .error{color:#a00;background:#fee;padding:.5rem;border-radius:4px}
            </style></head>
            <body><header>\(logo)<span class="tenant">\(escape(site.name))</span></header>
            <main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
        var response = Response(status: status, headers: headers(site: site), body: .init(byteBuffer: ByteBuffer(string: html)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    static func error(site: Site, message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        render(site: site, title: "This request cannot be completed", body: "<p class=\"error\" id=\"error\">\(escape(message))</p>", status: status)
    }

    // MARK: Cookies

    static let sessionCookie = "tessera_session"
    static let csrfCookie = "tessera_csrf"

    static func sessionCookie(_ session: SignInSession, services: Services) -> Cookie {
        Cookie(name: sessionCookie, value: session.string, expires: Date(timeIntervalSince1970: TimeInterval(session.expires)), path: "/",
               secure: services.settings.usesHTTPS, httpOnly: true, sameSite: .lax)
    }

    static func clearedSessionCookie(services: Services) -> Cookie {
        Cookie(name: sessionCookie, value: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", secure: services.settings.usesHTTPS,
               httpOnly: true, sameSite: .lax)
    }

    // MARK: CSRF

    /// The form token is an HMAC of a random cookie under a key derived from the site's secret: a page of another
    /// origin can neither read the cookie nor compute the token (double submit, signed).
    struct CSRF {
        var cookieValue: String
        /// A new cookie to set, when the browser had none.
        var newCookie: Cookie?

        func token(site: Site) -> String {
            Page.csrfToken(cookieValue, site: site)
        }
    }

    static func csrf(_ request: Request, services: Services) -> CSRF {
        if let value = request.cookies[csrfCookie]?.value, value.utf8.count == 32, Secrets.unhex(value) != nil {
            return CSRF(cookieValue: value, newCookie: nil)
        }
        let value = Secrets.randomHex(16)
        return CSRF(cookieValue: value, newCookie: Cookie(name: csrfCookie, value: value, path: "/", secure: services.settings.usesHTTPS, httpOnly: true,
                                                          sameSite: .strict))
    }

    static func csrfToken(_ cookie: String, site: Site) -> String {
        let key = Secrets.hmacSHA256(key: site.authTokenKey, message: Array("csrf".utf8))
        return Secrets.hex(Secrets.hmacSHA256(key: key, message: Array(cookie.utf8)))
    }

    /// True when the form's token matches the browser's cookie.
    static func checkCSRF(_ request: Request, form: [String: String], site: Site) -> Bool {
        guard let cookie = request.cookies[csrfCookie]?.value, cookie.utf8.count == 32, let given = form["csrf"] else { return false }
        return Secrets.constantTimeEqual(Array(given.utf8), Array(csrfToken(cookie, site: site).utf8))
    }

    // MARK: Parameters

    /// Name–value pairs of a query string or form body, in order, repeats kept; nil for invalid escapes.
    static func pairs(_ bytes: some Collection<UInt8>) -> [(String, String)]? {
        var result: [(String, String)] = []
        for pair in Array(bytes).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = CXoneIO.formDecode(parts[0]), let value = CXoneIO.formDecode(parts.count > 1 ? parts[1] : []) else { return nil }
            if !name.isEmpty { result.append((name, value)) }
        }
        return result
    }

    /// A GET's query pairs, or a POST's form body pairs (the query of a POST is ignored: a form without an action
    /// posts to the page's own URL, query included, and the body carries the same parameters).
    static func parameters(_ request: Request) async throws -> [(String, String)] {
        guard request.method == .post else {
            return try pairs(request.uri.query.map { Array($0.utf8) } ?? []).unwrap("the query string is malformed")
        }
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
