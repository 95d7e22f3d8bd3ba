import Foundation

/// What CXone says about a tenant beyond its id and name: the business unit number (`icBUId`), the area whose
/// endpoints serve it (`na1`, `au1`, `eu1`, ...) and the cluster (`icClusterId`).
public struct TenantProfile: Sendable, Equatable {
    public var businessUnit: Int
    public var area: String
    public var cluster: String

    public init(businessUnit: Int = 1000, area: String = "na1", cluster: String = "C1") {
        self.businessUnit = businessUnit
        self.area = area
        self.cluster = cluster
    }

    /// Checks the values a command line or an API may set.
    public static func validated(businessUnit: Int, area: String, cluster: String) throws(ServiceError) -> TenantProfile {
        guard (1...999_999_999).contains(businessUnit) else { throw .invalidInput("business unit must be 1 to 999999999") }
        func isToken(_ s: String) -> Bool {
            !s.isEmpty && s.utf8.count <= 32 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
        }
        guard isToken(area) else { throw .invalidInput("area must be 1 to 32 letters, digits or '-'") }
        guard isToken(cluster) else { throw .invalidInput("cluster must be 1 to 32 letters, digits or '-'") }
        return TenantProfile(businessUnit: businessUnit, area: area, cluster: cluster)
    }
}
