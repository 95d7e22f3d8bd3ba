import Foundation

/// Where a registration stands: submitted and waiting, or approved (its clients exist).
public enum RegistrationStatus: String, Sendable {
    case pending
    case approved
}
