import Foundation
import TesseraCrypto

/// An error for a trusted redirect URI (RFC 6749 §4.1.2.1).
public struct RedirectError: Error, Sendable {
    public var redirectURI: String
    public var error: String
    public var description: String
    public var state: String?

    public var location: String {
        AuthorizeService.appendingQuery(to: redirectURI, [("error", error), ("error_description", description), ("state", state)])
    }
}
