import Foundation
import TesseraCrypto

/// A token as the API shows it right after a change, with whatever is shown only this once.
public struct IssuedDeveloperToken: Sendable {
    public var token: DeveloperToken
    /// The secret (server and OAuth tokens), only at creation.
    public var secret: String?
    /// A newly issued long-term JWT.
    public var jwt: String?
    /// A note for the caller, e.g. that the token was restricted to its creator.
    public var notice: String?

    public init(token: DeveloperToken, secret: String? = nil, jwt: String? = nil, notice: String? = nil) {
        self.token = token
        self.secret = secret
        self.jwt = jwt
        self.notice = notice
    }
}
