import Foundation

/// The kinds of developer token of the seeds.
public enum DeveloperTokenType: String, Sendable, CaseIterable {
    /// Signs requests with a key and secret; may carry a long-term JWT bound to a user.
    case server
    /// A public key that lets JavaScript on allowed origins call the API; no rights of its own.
    case browser
    /// An OAuth client: key = client_id, secret = client_secret, hosts = allowed redirect hosts.
    case oauth

    /// The name the dashboard shows (seed 000's radio buttons).
    public var displayName: String {
        switch self {
        case .server: "Server"
        case .browser: "Browser"
        case .oauth: "OAuth"
        }
    }
}
