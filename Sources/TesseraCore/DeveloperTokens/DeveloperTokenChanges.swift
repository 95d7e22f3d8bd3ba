import Foundation
import TesseraCrypto

/// What an update request changes; nil leaves a field as it is.
public struct DeveloperTokenChanges: Sendable {
    public var name: String?
    public var key: String?
    public var type: DeveloperTokenType?
    public var hosts: String?
    /// `.some(nil)` removes the restriction.
    public var restrictedUserID: Int??
    public var generateJWT: Bool

    public init(name: String? = nil, key: String? = nil, type: DeveloperTokenType? = nil, hosts: String? = nil,
                restrictedUserID: Int?? = nil, generateJWT: Bool = false) {
        self.name = name
        self.key = key
        self.type = type
        self.hosts = hosts
        self.restrictedUserID = restrictedUserID
        self.generateJWT = generateJWT
    }
}
