import Foundation

/// The public endpoints per CXone area (`na1`, `au1`, ...), as `cxone-configuration` reports them. Areas not
/// configured are served by this server itself.
public struct AreaEndpoints: Sendable, Equatable {
    public struct Endpoints: Sendable, Equatable, Codable {
        public var ui: String
        public var auth: String
        public var api: String
        public var domain: String
        public var acdDomain: String
        public var uhDomain: String

        public init(ui: String, auth: String, api: String, domain: String, acdDomain: String, uhDomain: String) {
            self.ui = ui
            self.auth = auth
            self.api = api
            self.domain = domain
            self.acdDomain = acdDomain
            self.uhDomain = uhDomain
        }

        enum CodingKeys: String, CodingKey {
            case ui = "ui_endpoint", auth = "auth_endpoint", api = "api_endpoint", domain, acdDomain, uhDomain
        }
    }

    public var byArea: [String: Endpoints]

    public init(byArea: [String: Endpoints] = [:]) { self.byArea = byArea }

    /// Reads a JSON object `{"na1": {"ui_endpoint": ..., "auth_endpoint": ..., "api_endpoint": ..., "domain": ...,
    /// "acdDomain": ..., "uhDomain": ...}, ...}`.
    public static func load(json: Data) throws -> AreaEndpoints {
        AreaEndpoints(byArea: try JSONDecoder().decode([String: Endpoints].self, from: json))
    }
}
