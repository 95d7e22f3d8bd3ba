/// The refresh-token grant: rotation with reuse detection (`CXoneTokenService.refresh`). A session no client
/// started (an access key's, a basic token's) refreshes without client authentication.
public struct RefreshTokenGrant: GrantHandler {
    public let grantType = "refresh_token"
    public let allowsAnonymousClient = true
    let tokens: CXoneTokenService

    public init(tokens: CXoneTokenService) { self.tokens = tokens }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let raw = request.parameters["refresh_token"], !raw.isEmpty else { throw .invalidRequest("refresh_token is required") }
        return try await tokens.refresh(raw, site: site, clientID: client?.id)
    }
}
