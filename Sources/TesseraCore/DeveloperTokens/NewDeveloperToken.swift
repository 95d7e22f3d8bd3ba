import Foundation
import TesseraCrypto

/// What a create request asks for.
public struct NewDeveloperToken: Sendable {
    public var type: DeveloperTokenType
    public var name: String
    public var key: String?
    public var hosts: String?
    public var restrictedUserID: Int?
    public var generateJWT: Bool

    public init(type: DeveloperTokenType, name: String, key: String? = nil, hosts: String? = nil, restrictedUserID: Int? = nil, generateJWT: Bool = false) {
        self.type = type
        self.name = name
        self.key = key
        self.hosts = hosts
        self.restrictedUserID = restrictedUserID
        self.generateJWT = generateJWT
    }
}
