import Foundation
import Synchronization
import TesseraCrypto

/// A token-endpoint request as the surface parsed it: the form parameters and the Basic credentials, if any.
public struct TokenRequest: Sendable {
    public var parameters: [String: String]
    /// `Authorization: Basic` credentials, already percent-decoded (RFC 6749 §2.3.1).
    public var basic: (id: String, secret: String)?
    /// This endpoint's own URL: the audience a client assertion must name.
    public var endpointURL: String
    public var clientAddress: String

    public init(parameters: [String: String], basic: (id: String, secret: String)?, endpointURL: String, clientAddress: String) {
        self.parameters = parameters
        self.basic = basic
        self.endpointURL = endpointURL
        self.clientAddress = clientAddress
    }
}
