import Foundation

/// Validation of user fields shared by every surface that creates or changes users.
public enum UserRules {
    public static let maxUsernameLength = 255
    public static let minPasswordLength = 8
    /// Bounded so that hashing work per request stays bounded.
    public static let maxPasswordBytes = 1024

    public static func validateUsername(_ name: String) throws(ServiceError) {
        guard !name.isEmpty, name.count <= maxUsernameLength else {
            throw .invalidInput("username must be 1 to \(maxUsernameLength) characters")
        }
        guard !name.hasPrefix("="), name.trimmingCharacters(in: .whitespaces) == name,
              name.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) && $0 != "/" })
        else {
            throw .invalidInput("username contains characters that are not allowed")
        }
        if Int(name) != nil { throw .invalidInput("username cannot be a number") }
        // HTTP Basic ends the user name at the first colon (RFC 7617 §2): such a user could never sign in.
        if name.utf8.contains(UInt8(ascii: ":")) { throw .invalidInput("username cannot contain ':'") }
    }

    public static func validatePassword(_ password: String) throws(ServiceError) {
        guard password.count >= minPasswordLength else {
            throw .invalidInput("password must be at least \(minPasswordLength) characters")
        }
        guard password.utf8.count <= maxPasswordBytes else {
            throw .invalidInput("password must be at most \(maxPasswordBytes) bytes")
        }
    }

    public static func validateEmail(_ email: String) throws(ServiceError) {
        if email.isEmpty { return }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !email.contains(where: { $0.isWhitespace })
        else { throw .invalidInput("email is not a valid address") }
    }

    public static func validateFullName(_ name: String) throws(ServiceError) {
        guard name.count <= 255 else { throw .invalidInput("fullname must be at most 255 characters") }
    }
}
