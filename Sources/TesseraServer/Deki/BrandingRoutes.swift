import Foundation
import Hummingbird
import TesseraCore
import TesseraCrypto

/// `/@api/deki/site/branding` (Admin): the logo and colour every page of the site shows. GET answers
/// `{"logoUrl", "colour"}` (null when unset); PUT takes either or both (an empty string removes one).
struct BrandingRoutes {
    let services: Services

    func register(on surface: Surface) {
        let path = "/@api/deki/site/branding"
        surface.on(path, .get) { _, context in
            let caller = try context.requireCaller()
            try caller.require(.admin)
            return document(caller.site.branding)
        }
        surface.on(path, .put) { request, context in
            let caller = try context.requireCaller()
            var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
            guard let object = JSONValue.parseObject(buffer.readBytes(length: buffer.readableBytes) ?? []) else {
                throw ServiceError.invalidInput("the body must be a JSON object with logoUrl and/or colour")
            }
            func text(_ name: String) throws -> String? {
                switch object[name] {
                case nil: return nil
                case .null?: return ""
                case .string(let value)?: return value
                default: throw ServiceError.invalidInput("\(name) must be a string")
                }
            }
            let branding = try await services.branding.update(site: caller.site, logoURL: try text("logoUrl"), colour: try text("colour"), caller: caller,
                                                              clientAddress: context.clientAddress)
            return document(branding)
        }
    }

    private func document(_ branding: SiteBranding) -> Response {
        CXoneIO.json([("logoUrl", branding.logoURL.map(JSONValue.string) ?? .null), ("colour", branding.colour.map(JSONValue.string) ?? .null)])
    }
}
