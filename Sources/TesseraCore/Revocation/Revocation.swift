import Foundation
import Synchronization

/// A revoked credential that would otherwise still verify: an access token (`jti:<jti>`), every access token of a
/// refresh-token family (`family:<uuid>`), or one auth token (`auth:<hash of its MAC>`). Kept until the credential
/// would have expired anyway.
public struct Revocation: Sendable, Equatable {
    public var siteID: UUID
    public var reference: String
    public var expiresAt: Int64

    public init(siteID: UUID, reference: String, expiresAt: Int64) {
        self.siteID = siteID
        self.reference = reference
        self.expiresAt = expiresAt
    }

    public static func accessToken(jti: String) -> String { "jti:" + jti }
    public static func family(_ id: UUID) -> String { family(id.lowercasedString) }
    /// A family by its id as access tokens carry it (`sid`, lower case).
    public static func family(_ sid: String) -> String { "family:" + sid }
    public static func authToken(mac: String) -> String { "auth:" + mac }
}
