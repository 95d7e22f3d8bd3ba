import Foundation
import TesseraCrypto

/// Where an authorization request goes next.
public enum AuthorizeOutcome: Sendable {
    /// Show the sign-in page (with an error message after a failed attempt).
    case signIn(AuthorizationRequest, message: String?, status: Int)
    /// Show the consent page for this signed-in user.
    case consent(AuthorizationRequest, User)
    /// Send the browser to this URL (the code, or an error the client should see).
    case redirect(String)
}
