import Foundation

/// Revoked credentials that would otherwise still verify, kept until they would have expired.
public protocol RevocationStore: Sendable {
    /// Records a revocation (idempotent) and announces it; forgets revocations expired at `now`.
    func addRevocation(_ revocation: Revocation, now: Date) async throws
    func revocations(notExpiredAt epoch: Int64) async throws -> [Revocation]
    func isRevoked(site: UUID, reference: String) async throws -> Bool
}
