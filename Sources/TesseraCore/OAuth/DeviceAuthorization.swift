import Foundation

/// A device authorization (RFC 8628) as stored: the device code by its keyed hash, the user code in clear (short,
/// typed by a person, and worthless once the request expires or is decided).
public struct DeviceAuthorization: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, approved, denied, used
    }

    public var deviceCodeHash: String
    /// Eight letters from an alphabet without vowels or look-alikes, stored without the dash.
    public var userCode: String
    public var siteID: UUID
    public var clientID: String
    public var scope: String
    public var status: Status
    public var userID: Int?
    public var createdAt: Date
    public var expiresAt: Date

    public init(deviceCodeHash: String, userCode: String, siteID: UUID, clientID: String, scope: String, status: Status, userID: Int?,
                createdAt: Date, expiresAt: Date) {
        self.deviceCodeHash = deviceCodeHash
        self.userCode = userCode
        self.siteID = siteID
        self.clientID = clientID
        self.scope = scope
        self.status = status
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
