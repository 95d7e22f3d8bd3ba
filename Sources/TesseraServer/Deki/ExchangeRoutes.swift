import Foundation
import Hummingbird
import NIOCore
import TesseraCore

/// Expert's identity token exchange: `POST /@app/auth/token/exchange` with a raw OpenID Connect ID token as the
/// body (labelled form or JSON, as Expert's documents and examples differ). The answer is the user's deki JSON
/// document with an `authtoken` session cookie; failures are deki errors (400 for a body that is not a usable ID
/// token, 403 for one that is refused).
struct ExchangeRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/@app/auth/token/exchange", .post) { request, context in try await exchange(request, context) }
    }

    private func exchange(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        let body = buffer.readString(length: buffer.readableBytes) ?? ""
        let user = try await services.identityExchange.exchange(Self.rawToken(body), site: site, clientAddress: context.clientAddress)
        let token = services.accounts.issueToken(site: site, user: user)
        // JSON unless XML is asked for explicitly: Expert's examples read the answer as JSON.
        let format: DekiFormat = request.uri.queryParameters["dream.out.format"]?.lowercased() == "xml" ? .xml : .json
        var response = DekiOutput.response(UserDocuments.user(user, publicURL: services.settings.publicURL), format: format)
        response.headers[.cacheControl] = "no-store"
        response.setCookie(UsersRoutes.authCookie(token, secure: services.settings.usesHTTPS))
        return response
    }

    /// The body as sent (surrounding whitespace ignored), or the string inside a JSON string literal.
    static func rawToken(_ body: String) -> String {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }
}
