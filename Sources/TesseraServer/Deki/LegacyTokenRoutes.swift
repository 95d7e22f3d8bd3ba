import Foundation
import Hummingbird
import TesseraCore
import TesseraCrypto

/// `/@api/deki/site/legacy-tokens` (Admin): whether the site accepts legacy tokens. GET shows the setting and,
/// while they are on, the warning that they are weak; PUT `{"enabled": bool, "apiKey": optional}` changes it and
/// answers a generated site API key once.
struct LegacyTokenRoutes {
    let services: Services

    func register(on surface: Surface) {
        let path = "/@api/deki/site/legacy-tokens"
        surface.on(path, .get) { _, context in try read(context) }
        surface.on(path, .put) { request, context in try await update(request, context) }
    }

    private func read(_ context: TesseraContext) throws -> Response {
        let caller = try context.requireCaller()
        try caller.require(.admin)
        return document(caller.site.legacyTokens.enabled, apiKey: nil)
    }

    private func update(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.require(.admin)
        // The site API key impersonates anyone: only an administrator's own credential turns it on.
        try caller.requireFirstHand("changing the legacy-token settings")
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        guard let object = JSONValue.parseObject(buffer.readBytes(length: buffer.readableBytes) ?? []),
              case .bool(let enabled)? = object["enabled"]
        else { throw ServiceError.invalidInput("the body must be a JSON object with a boolean 'enabled'") }
        let apiKey: String?
        switch object["apiKey"] {
        case nil, .null?: apiKey = nil
        case .string(let key)?: apiKey = key
        default: throw ServiceError.invalidInput("apiKey must be a string")
        }
        let generated = try await services.legacyTokens.configure(site: caller.site, enabled: enabled, apiKey: apiKey, actorUserID: caller.user.id,
                                                                  clientAddress: context.clientAddress)
        return document(enabled, apiKey: generated)
    }

    private func document(_ enabled: Bool, apiKey: String?) -> Response {
        var members: [(String, JSONValue)] = [("enabled", .bool(enabled))]
        if let apiKey { members.append(("apiKey", .string(apiKey))) }
        if enabled { members.append(("warning", .string(LegacyTokenService.warning))) }
        return CXoneIO.json(members, headers: [.cacheControl: "no-store"])
    }
}
