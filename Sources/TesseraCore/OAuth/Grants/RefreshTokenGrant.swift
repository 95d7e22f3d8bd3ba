/// The refresh-token grant (RFC 6749 §6): rotation with reuse detection (`CXoneTokenService.refresh`). Only a
/// confidential client authenticates; a public client's token refreshes without `client_id` (NICE's SDK sends none),
/// and a session no client started (an access key's, a basic token's) refreshes without client authentication.
public struct RefreshTokenGrant: GrantHandler {
    public let grantType = "refresh_token"
    public let allowsAnonymousClient = true
    let tokens: CXoneTokenService
    let clients: ClientAuthenticator

    public init(tokens: CXoneTokenService, clients: ClientAuthenticator) {
        self.tokens = tokens
        self.clients = clients
    }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let raw = request.parameters["refresh_token"], !raw.isEmpty else { throw .invalidRequest("refresh_token is required") }
        if let client { return try await tokens.refresh(raw, site: site, clientID: client.id) }
        // No client authentication: allowed for a session of a public client, or of none.
        let holder: RefreshToken?
        do { holder = try await tokens.refreshToken(raw) } catch { throw .serverError(error) }
        guard let owner = holder?.clientID else { return try await tokens.refresh(raw, site: site, clientID: nil) }
        let found: OAuthClient?
        do { found = try await clients.client(id: owner, site: site, accepting: .all) } catch { throw .serverError(error) }
        guard let found, found.type == .public else {
            throw .invalidClient("this refresh token belongs to a confidential client, which must authenticate", basic: request.basic != nil)
        }
        return try await tokens.refresh(raw, site: site, clientID: found.id)
    }
}
