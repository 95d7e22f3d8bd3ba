/// A token endpoint: the grants registered with it, behind the one client authenticator. `/auth/token` and
/// Expert's `access.json` are two of these with different grants and client kinds.
public struct TokenEndpoint: Sendable {
    private let grants: [String: any GrantHandler]
    private let clients: ClientAuthenticator
    private let kinds: ClientKinds
    private let clientAlwaysRequired: Bool

    /// `clientAlwaysRequired`: every request must authenticate a client, whatever the grant allows (Expert's
    /// endpoints, whose tokens all belong to an OAuth API token).
    public init(grants: [any GrantHandler], clients: ClientAuthenticator, accepting kinds: ClientKinds, clientAlwaysRequired: Bool = false) {
        self.grants = Dictionary(grants.map { ($0.grantType, $0) }, uniquingKeysWith: { first, _ in first })
        self.clients = clients
        self.kinds = kinds
        self.clientAlwaysRequired = clientAlwaysRequired
    }

    /// The grant types offered, for discovery.
    public var grantTypes: [String] { grants.keys.sorted() }

    public func token(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let type = request.parameters["grant_type"], !type.isEmpty else { throw .invalidRequest("grant_type is required") }
        guard let grant = grants[type] else { throw .unsupportedGrantType("grant_type \(type.prefix(100)) is not supported") }
        let client = try await clients.authenticate(request, site: site, accepting: kinds)
        if client == nil, clientAlwaysRequired || !grant.allowsAnonymousClient {
            throw .invalidClient("this grant needs client authentication", basic: request.basic != nil)
        }
        return try await grant.issue(request, client: client, site: site)
    }
}
