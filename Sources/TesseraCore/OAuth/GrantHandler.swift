/// One grant type a token endpoint offers (RFC 6749 §4, RFC 8628 §3.4, RFC 8693): a handler registered with each
/// endpoint that offers it. The endpoint authenticates the client first; the handler decides the rest.
public protocol GrantHandler: Sendable {
    /// The `grant_type` value.
    var grantType: String { get }
    /// Whether the grant can be used without client authentication (a refresh of a session no client started).
    var allowsAnonymousClient: Bool { get }
    func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens
}

extension GrantHandler {
    public var allowsAnonymousClient: Bool { false }
}
