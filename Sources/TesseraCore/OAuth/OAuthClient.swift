import Foundation

/// A client of the OAuth endpoints, whichever record stands behind its id: an application a registration issued
/// (CXone) or an `oauth` developer token (Expert's OAuth API token: key = client_id, secret = client_secret).
public struct OAuthClient: Sendable {
    /// The record behind the client id.
    public enum Record: Sendable {
        case application(Application)
        case developerToken(DeveloperToken)
    }

    public let record: Record

    public init(_ record: Record) { self.record = record }

    public var id: String {
        switch record {
        case .application(let application): application.clientID
        case .developerToken(let token): token.key
        }
    }

    public var name: String {
        switch record {
        case .application(let application): application.name
        case .developerToken(let token): token.name
        }
    }

    /// Back-end, confidential or public. An OAuth API token has a secret and signs users in: confidential.
    public var type: ApplicationType {
        switch record {
        case .application(let application): application.type
        case .developerToken: .confidential
        }
    }

    /// The scopes a token issued to this client may carry: `openid` and the API groups an application registered;
    /// an OAuth API token's Expert scopes.
    public var registeredScopes: Set<String> {
        switch record {
        case .application(let application): Set([Scope.openid] + application.scopes)
        case .developerToken: DeviceFlowService.expertScopes
        }
    }

    public var application: Application? {
        if case .application(let application) = record { return application }
        return nil
    }

    public var developerToken: DeveloperToken? {
        if case .developerToken(let token) = record { return token }
        return nil
    }

    /// How the client may prove itself: an application only by the method it registered; an OAuth API token with
    /// its secret in Basic or in the body.
    public func accepts(_ method: ClientAuthMethod) -> Bool {
        switch record {
        case .application(let application): application.authMethod == method
        case .developerToken: method == .clientSecretBasic || method == .clientSecretPost
        }
    }

    /// Where the authorization endpoint may send the browser: an application's registered URIs, exactly; an OAuth
    /// API token's hosts (https, or http on a loopback host, without a fragment or user info).
    public func allowsRedirect(to uri: String) -> Bool {
        switch record {
        case .application(let application): RedirectTarget.isListed(uri, in: application.redirectURIs)
        case .developerToken(let token): Self.isOnHosts(uri, token.hostPatterns)
        }
    }

    package static func isOnHosts(_ uri: String, _ hosts: [HostPattern]) -> Bool {
        guard uri.utf8.count <= 2048, let parts = URLComponents(string: uri), parts.fragment == nil, parts.user == nil,
              let scheme = parts.scheme?.lowercased(), let host = parts.host?.lowercased(),
              scheme == "https" || (scheme == "http" && RegistrationService.isLoopback(host))
        else { return false }
        let origin = Origin(scheme: scheme, host: host, port: parts.port ?? (scheme == "https" ? 443 : 80))
        return hosts.contains { $0.matches(origin) }
    }
}
