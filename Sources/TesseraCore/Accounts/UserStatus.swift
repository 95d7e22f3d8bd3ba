import Foundation

/// Whether a user may authenticate at all.
public enum UserStatus: String, Sendable, CaseIterable {
    case active
    case inactive
}
