import Foundation
import Synchronization
import TesseraCrypto

extension Directory {
    /// Creates a user that an external proof vouched for (just-in-time provisioning): a Viewer without a password.
    /// When the name was taken a moment ago by a concurrent request, `adoptExisting` returns that user (a server-token
    /// signature vouches for the name itself); otherwise it is a conflict.
    public func provisionUser(site: UUID, username: String, fullName: String, email: String, now: Date, adoptExisting: Bool = true) async throws
        -> User {
        let username = Usernames.normalised(username)
        try UserRules.validateUsername(username)
        let draft = User(siteID: site, id: 0, guid: UUID(), username: username, email: email,
                         fullName: (try? UserRules.validateFullName(fullName)) != nil ? fullName : "", status: .active, hasSeat: true,
                         roleName: Role.viewer.name, passwordHash: nil, securityStamp: Secrets.randomHex(16), createdAt: now, lastLoginAt: nil)
        do {
            return try await users.createUser(draft)
        } catch StoreError.conflict where adoptExisting {
            guard let user = try await users.user(site: site, username: username) else { throw ServiceError.conflict("user creation raced") }
            return user
        }
    }
}
