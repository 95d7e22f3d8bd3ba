import Foundation

/// The authorization-code grant (RFC 6749 §4.1.3, RFC 7636): a code from the authorization endpoint, single use and
/// short-lived, bound to its client, redirect URI and PKCE challenge. A code presented twice ends the session its
/// first use started. A code issued before the user's password changed or the account was deactivated gives nothing;
/// signing out and withdrawing consent forget the codes not yet redeemed.
public struct AuthorizationCodeGrant: GrantHandler {
    public let grantType = "authorization_code"
    let codes: any GrantStore
    let directory: Directory
    let tokens: CXoneTokenService
    let now: @Sendable () -> Date

    public init(codes: any GrantStore, directory: Directory, tokens: CXoneTokenService, now: @escaping @Sendable () -> Date = { Date() }) {
        self.codes = codes
        self.directory = directory
        self.tokens = tokens
        self.now = now
    }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client else { throw .invalidClient("client_id is required") }
        guard client.type != .backend else { throw .unauthorizedClient("back-end applications use the password grant") }
        let p = request.parameters
        guard let raw = p["code"], !raw.isEmpty, raw.utf8.count <= 512 else { throw .invalidRequest("code is required") }
        guard let redirectURI = p["redirect_uri"] else { throw .invalidRequest("redirect_uri is required") }
        let invalid = OAuthError.invalidGrant("authorization code is invalid, expired or already used")
        let outcome: SpendOutcome<AuthorizationCode>
        do { outcome = try await codes.spendAuthorizationCode(hash: tokens.refreshHash(raw), at: now()) } catch { throw .serverError(error) }
        let code: AuthorizationCode
        switch outcome {
        case .unknown, .revoked:
            throw invalid
        case .alreadySpent(let used):
            try? await tokens.endSession(family: used.familyID, site: used.siteID)
            throw invalid
        case .spent(let spent):
            code = spent
        }
        guard code.siteID == site.id, code.clientID == client.id, code.expiresAt > now() else { throw invalid }
        guard RedirectTarget.same(redirectURI, code.redirectURI) else { throw .invalidGrant("redirect_uri differs from the authorization request's") }
        if let challenge = code.codeChallenge {
            guard PKCE.verifies(p["code_verifier"], challenge: challenge) else { throw .invalidGrant("code_verifier does not match the code challenge") }
        } else if client.type == .public {
            throw .invalidGrant("public clients must use PKCE")
        }
        do {
            guard let user = try await directory.user(site: site.id, id: code.userID), user.status == .active,
                  code.issuedMillis >= user.tokensValidAfter
            else { throw invalid }
            return try await tokens.issue(user: user, site: site, clientID: client.id, scope: code.scope, authTime: code.authTime,
                                          nonce: code.nonce, family: code.familyID, signInSession: code.signInSession)
        } catch let error as OAuthError {
            throw error
        } catch {
            throw .serverError(error)
        }
    }
}
