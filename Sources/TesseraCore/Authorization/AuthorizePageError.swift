import Foundation
import TesseraCrypto

/// A request whose client or redirect URI cannot be trusted: it must never be redirected, only explained.
public struct AuthorizePageError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
