import Foundation
import Logging
import TesseraCrypto

/// Fields of a user that a create or update request may set. nil leaves a field as it is.
public struct UserChanges: Sendable, Equatable {
    public var username: String?
    public var email: String?
    public var fullName: String?
    public var status: UserStatus?
    public var hasSeat: Bool?
    public var roleName: String?
    public var password: String?

    public init(username: String? = nil, email: String? = nil, fullName: String? = nil, status: UserStatus? = nil,
                hasSeat: Bool? = nil, roleName: String? = nil, password: String? = nil) {
        self.username = username
        self.email = email
        self.fullName = fullName
        self.status = status
        self.hasSeat = hasSeat
        self.roleName = roleName
        self.password = password
    }
}
