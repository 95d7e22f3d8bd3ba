import Foundation

/// RFC 8693 token exchange, by an authenticated confidential client only. The issued access token can neither widen
/// nor outlive its subject:
/// - an access token of this site: the new token's scope is a subset of the subject's and of what the exchanging
///   client registered (asking for more is `invalid_scope`; asking for nothing gives the scopes both allow), it
///   never carries the administrative scope (an administrator grants that to one application on its consent page,
///   and an exchange shows no page), it expires no later than the subject, and it belongs to the subject's session —
///   so whatever ends that session (revocation, a replayed refresh token, signing out, a withdrawn consent) ends it;
/// - an ID token of a trusted identity provider (or a JWT access token of one): a new session for the user it is
///   linked to, with the site's access-token lifetime and identity only (`openid`).
/// No refresh token is issued.
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
        guard client.type.hasSecret else { throw .unauthorizedClient("only a confidential client may exchange tokens") }
        let p = request.parameters
        guard let subject = p["subject_token"], !subject.isEmpty else { throw .invalidRequest("subject_token is required") }
        guard let subjectType = p["subject_token_type"], !subjectType.isEmpty else { throw .invalidRequest("subject_token_type is required") }
        if let requested = p["requested_token_type"], requested != Self.accessTokenType {
            throw .invalidRequest("requested_token_type must be \(Self.accessTokenType)")
        }
        guard p["actor_token"] == nil else { throw .invalidRequest("delegation (actor_token) is not supported") }
        if let text = p["scope"], text.utf8.count > 1024 || Scope.requested(text)?.isEmpty ?? true { throw .invalidRequest("scope is malformed") }
        let requested = p["scope"].map(Scope.set)

        let user: User
        let scopes: Set<String>
        var family = UUID()
        var expiresBy: Int64?
        do {
            switch subjectType {
            case Self.accessTokenType where CXoneTokenService.isCXoneToken(subject):
                let verified = try await tokens.verifyAccessToken(subject, site: site)
                let subjectScopes = Scope.set(verified.scope)
                let reachable = subjectScopes.intersection(client.registeredScopes).subtracting([Scope.admin])
                if let requested {
                    guard requested.isSubset(of: subjectScopes) else {
                        throw OAuthError.invalidScope("the subject token's scope does not cover \(Self.text(requested))")
                    }
                    guard !requested.contains(Scope.admin) else { throw OAuthError.invalidScope("the administrative scope is never exchanged") }
                    guard requested.isSubset(of: reachable) else {
                        throw OAuthError.invalidScope("the exchanging application did not register \(Self.text(requested.subtracting(reachable)))")
                    }
                    scopes = requested
                } else {
                    scopes = reachable
                    guard !scopes.isEmpty else { throw OAuthError.invalidScope("the exchanging application registered none of the subject token's scopes") }
                }
                user = verified.user
                family = verified.sessionID.flatMap(UUID.init(uuidString:)) ?? family
                expiresBy = verified.expires
            case Self.idTokenType, Self.accessTokenType:
                scopes = requested ?? [Scope.openid]
                guard scopes == [Scope.openid] else { throw OAuthError.invalidScope("an external identity gives identity only: scope openid") }
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
        let scope = Self.text(scopes)
        do {
            var issued = try await tokens.issue(user: user, site: site, clientID: client.id, scope: scope, family: family, refresh: false,
                                                expiresBy: expiresBy)
            issued.issuedTokenType = Self.accessTokenType
            issued.scope = scope
            return issued
        } catch { throw .serverError(error) }
    }

    /// `openid` first, then the rest in order.
    static func text(_ scopes: Set<String>) -> String {
        ((scopes.contains(Scope.openid) ? [Scope.openid] : []) + scopes.subtracting([Scope.openid]).sorted()).joined(separator: " ")
    }
}
