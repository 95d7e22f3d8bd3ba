import Foundation
import Testing
import TesseraCore
@testable import TesseraServer

/// The page layer's own rules: templates parse and escape, a missing value closes its section, the text colour on a
/// brand colour, and where the front door may send a browser after sign-in.
@Suite struct PageTests {
    @Test func everyTemplateParsesAndRendersWithAnEmptyModel() {
        let names = ["layout"] + Array(Templates.authorizePages.keys) + Array(Templates.dashboardPages.keys) + Array(Templates.tokenPages.keys)
            + Array(Templates.keyPages.keys) + Array(Templates.userPages.keys) + Array(Templates.sitePages.keys) + Array(Templates.applicationPages.keys)
        #expect(names.count == Set(names).count, "two templates share a name")
        for name in names { _ = Templates.render(name, [String: Any]()) }
    }

    @Test func valuesAreEscapedForTextAndAttributes() {
        let html = Templates.render("authorize-signin", ["clientName": "<script>alert(1)</script>", "username": "\"><img src=x onerror=1>",
                                                         "carried": [["name": "a\"b", "value": "'&"]], "message": NSNull(), "csrf": "c"])
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"))
        #expect(!html.contains("\"><img") && html.contains("&quot;&gt;&lt;img"))
        #expect(html.contains("name=\"a&quot;b\" value=\"&#39;&amp;\""))
    }

    @Test func aMissingOrEmptyValueClosesItsSection() {
        let absent: String? = nil
        #expect(!Templates.render("error", ["message": "x"]).isEmpty)
        #expect(!Templates.render("front-signin", ["message": absent.orNull, "csrf": "c", "next": "/", "username": ""]).contains("id=\"error\""))
        #expect(Templates.render("front-signin", ["message": "Wrong", "csrf": "c", "next": "/", "username": ""]).contains("id=\"error\""))
        #expect(!Templates.render("token-created", ["hosts": "".orNullIfEmpty, "secret": NSNull(), "jwt": NSNull()]).contains("id=\"jwt\""))
    }

    @Test func textOnTheBrandColourIsWhicheverContrastsMore() {
        #expect(Branding.textColour(on: "#2f5d8a") == Branding.light)
        #expect(Branding.textColour(on: "#ffe08a") == Branding.dark)
        #expect(Branding.textColour(on: "#000000") == Branding.light)
        #expect(Branding.textColour(on: "#ffffff") == Branding.dark)
        #expect(abs(Branding.contrast(of: "#ffffff") - 15.8) < 0.2)
        // Whatever the colour, the text picked contrasts at least as much as the other choice would.
        for value in stride(from: 0, through: 0xFFFFFF, by: 0x0F0F0F) {
            let colour = String(format: "#%06x", value)
            let background = Branding.luminance(colour)!
            func ratio(_ text: String) -> Double {
                let t = Branding.luminance(text)!
                return (max(background, t) + 0.05) / (min(background, t) + 0.05)
            }
            let chosen = Branding.textColour(on: colour)
            #expect(ratio(chosen) >= ratio(chosen == Branding.light ? Branding.dark : Branding.light), "\(colour)")
            // Mid-tones reach about 4:1 at best with either text; the settings page warns below 4.5:1.
            #expect(ratio(chosen) >= 3.9, "\(colour) gives \(ratio(chosen))")
        }
    }

    @Test(arguments: [
        ("/dashboard/tokens", "/dashboard/tokens"), ("/dashboard/users?q=a", "/dashboard/users?q=a"), (nil, "/"), ("", "/"),
        ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/dashboard//evil.example", "/"), ("/dashboard/../@api", "/"),
        ("/dashboard/\\evil", "/"), ("/dashboard/a b", "/"), ("/dashboard/\u{0}", "/"), ("/@api/deki/users", "/"),
        ("/dashboard/" + String(repeating: "a", count: 300), "/"), ("/dashboard/%2e%2e/auth/authorize", "/"), ("/dashboard/./x", "/"),
        ("/dashboard/x%2Fy", "/"), ("/dashboard/audit?actor=a&from=2026-01-01T00:00", "/dashboard/audit?actor=a&from=2026-01-01T00:00"),
    ] as [(String?, String)])
    func afterSignInOnlyADashboardPathOfThisServer(_ given: String?, _ expected: String) {
        #expect(FrontDoorRoutes.localTarget(given) == expected)
    }
}

@Suite struct LogoOriginTests {
    @Test(arguments: [
        "https://x%3Bframe-ancestors%20*/a.png", "https://x%20*/a.png", "https://ex%2Eample.org/a.png", "https://[::1;]/a.png",
        "javascript:alert(1)", "ftp://example.org/a.png", "https:///a.png", "https://exa_mple.org/a.png",
    ])
    func aLogoWhoseHostCouldAddDirectivesIsRefused(_ logo: String) {
        #expect(throws: ServiceError.self) { try SiteBranding.validated(logoURL: logo, colour: nil) }
        #expect(SiteBranding(logoURL: logo).logoOrigin == nil)
    }

    @Test func theOriginOfAPlainLogo() throws {
        #expect(try SiteBranding.validated(logoURL: "https://CDN.example.org:8443/a.png?v=1", colour: nil).logoOrigin == "https://cdn.example.org:8443")
        #expect(SiteBranding(logoURL: "http://[::1]/a.png").logoOrigin == "http://[::1]")
        #expect(SiteBranding(logoURL: "https://192.0.2.7/a.png").logoOrigin == "https://192.0.2.7")
    }
}

@Suite struct TimestampTests {
    @Test func everyFormatMatchesFoundationsFormatting() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let minutes = DateFormatter()
        minutes.locale = Locale(identifier: "en_US_POSIX")
        minutes.timeZone = TimeZone(identifier: "UTC")
        minutes.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        for seconds in stride(from: 0.0, to: 4_102_444_800, by: 3_222_671) {  // whole seconds: Foundation rounds fractions unevenly
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamps.rfc1123(date) == formatter.string(from: date))
            #expect(Timestamps.minutes(date) == minutes.string(from: date))
            #expect(Timestamps.iso8601(date) == ISO8601DateFormatter().string(from: date))
        }
        #expect(Timestamps.rfc1123(Date(timeIntervalSince1970: 1_739_985_649)) == "Wed, 19 Feb 2025 17:20:49 GMT")
    }
}
