/// RFC 8693 token exchange: an ID token of a trusted identity provider, a JWT access token of one, or an access
/// token of this site becomes an access token for the authenticated client. Users are provisioned as Expert's
/// exchange does.
public struct TokenExchangeGrant: GrantHandler {
    public static let type = "urn:ietf:params:oauth:grant-type:token-exchange"
    public static let idTokenType = "urn:ietf:params:oauth:token-type:id_token"
    public static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    public let grantType = TokenExchangeGrant.type
    let identityExchange: IdentityExchangeService
    let tokens: CXoneTokenService

    public init(identityExchange: IdentityExchangeService, tokens: CXoneTokenService) {
        self.identityExchange = identityExchange
        self.tokens = tokens
    }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client else { throw .invalidClient("token exchange needs client authentication") }
        let p = request.parameters
        guard let subject = p["subject_token"], !subject.isEmpty else { throw .invalidRequest("subject_token is required") }
        guard let subjectType = p["subject_token_type"], !subjectType.isEmpty else { throw .invalidRequest("subject_token_type is required") }
        if let requested = p["requested_token_type"], requested != Self.accessTokenType {
            throw .invalidRequest("requested_token_type must be \(Self.accessTokenType)")
        }
        guard p["actor_token"] == nil else { throw .invalidRequest("delegation (actor_token) is not supported") }
        let scope = p["scope"].map { $0.split(separator: " ").joined(separator: " ") } ?? "openid"
        guard !scope.isEmpty, scope.utf8.count <= 1024 else { throw .invalidRequest("scope is malformed") }
        let user: User
        do {
            switch subjectType {
            case Self.idTokenType:
                user = try await identityExchange.exchange(subject, site: site, clientAddress: request.clientAddress)
            case Self.accessTokenType where CXoneTokenService.isCXoneToken(subject):
                user = try await tokens.verifyAccessToken(subject, site: site).user
            case Self.accessTokenType:
                user = try await identityExchange.exchange(subject, site: site, clientAddress: request.clientAddress)
            default:
                throw OAuthError.invalidRequest("subject_token_type must be \(Self.idTokenType) or \(Self.accessTokenType)")
            }
        } catch let error as OAuthError {
            throw error
        } catch let error as ServiceError {
            if case .unavailable = error { throw .serverError(error) }
            throw .invalidGrant("subject_token refused: \(error.message)")
        } catch {
            throw .serverError(error)
        }
        do {
            var issued = try await tokens.issue(user: user, site: site, clientID: client.id, scope: scope, refresh: false)
            issued.issuedTokenType = Self.accessTokenType
            issued.scope = scope
            return issued
        } catch { throw .serverError(error) }
    }
}
