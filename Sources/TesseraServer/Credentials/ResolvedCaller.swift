import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import TesseraCore

/// What caller resolution found: the caller, the Origin a browser token allowed (for CORS headers), and the
/// scope of an access token.
struct ResolvedCaller: Sendable {
    var caller: Caller
    var allowedOrigin: String?
    var scope: String?
    /// The `X-Deki-Session` of a signed-in caller.
    var sessionID: String?
}
