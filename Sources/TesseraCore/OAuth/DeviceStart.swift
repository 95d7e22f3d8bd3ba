import Foundation
import TesseraCrypto

/// What `device.json` answers (RFC 8628 §3.2).
public struct DeviceStart: Sendable {
    public var deviceCode: String
    /// As shown to the person: `XXXX-XXXX`.
    public var userCode: String
    public var expiresIn: Int64
    public var interval: Int64
}
