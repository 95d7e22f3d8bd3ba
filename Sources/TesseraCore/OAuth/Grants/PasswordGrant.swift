/// The password grant of back-end applications (CXone): username and password are an access key's id and secret,
/// and the tokens act as the key's user with the user's role (the key is the user's own credential).
public struct PasswordGrant: GrantHandler {
    public let grantType = "password"
    let accessKeys: AccessKeyService
    let tokens: CXoneTokenService

    public init(accessKeys: AccessKeyService, tokens: CXoneTokenService) {
        self.accessKeys = accessKeys
        self.tokens = tokens
    }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client, client.type == .backend else { throw .unauthorizedClient("only back-end applications may use the password grant") }
        guard let id = request.parameters["username"], let secret = request.parameters["password"] else {
            throw .invalidRequest("username (access key id) and password (access key secret) are required")
        }
        let user = try await accessKeys.authenticate(id: id, secret: secret, site: site, clientAddress: request.clientAddress)
        do { return try await tokens.issue(user: user, site: site, clientID: client.id, firstHand: true) } catch { throw .serverError(error) }
    }
}
