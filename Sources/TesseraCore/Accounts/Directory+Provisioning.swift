import Foundation
import Synchronization
import TesseraCrypto

extension Directory {
    /// Creates a user that an external proof vouched for (just-in-time provisioning): a Viewer without a password.
    /// A concurrent request that created the same user first wins, and its user is returned.
    public func provisionUser(site: UUID, username: String, fullName: String, email: String, now: Date) async throws -> User {
        try UserRules.validateUsername(username)
        let draft = User(siteID: site, id: 0, guid: UUID(), username: username, email: email,
                         fullName: (try? UserRules.validateFullName(fullName)) != nil ? fullName : "", status: .active, hasSeat: true,
                         roleName: Role.viewer.name, passwordHash: nil, securityStamp: Secrets.randomHex(16), createdAt: now, lastLoginAt: nil)
        do {
            return try await users.createUser(draft)
        } catch StoreError.conflict {
            guard let user = try await users.user(site: site, username: username) else { throw ServiceError.conflict("user creation raced") }
            return user
        }
    }
}
