import Foundation
import TesseraCrypto

/// One entry of the audit trail. Never holds a secret: only ids, the kind of credential, an outcome and a reason.
public struct AuditEvent: Sendable, Equatable {
    /// The action of a refused credential. Refusals are kept in aggregate: one row per site, reason, client address
    /// and minute, with a count, so a flood of bad credentials cannot flood the trail.
    public static let refusal = "credential.refused"

    public var siteID: UUID
    public var id: Int64
    public var at: Date
    /// What happened, e.g. `developer-token.create`, `credential.refused`.
    public var action: String
    /// `success` or `refused`.
    public var outcome: String
    /// The acting user, when known.
    public var actorUserID: Int?
    public var tokenID: Int?
    public var clientAddress: String
    /// A short reason or description, safe to show to an administrator.
    public var detail: String
    /// How many times this happened (refusals within the row's minute).
    public var count: Int
    /// Events with the same key are one row (refusals: site, minute, client address, reason).
    public var aggregateKey: String?

    /// `reason` is what refusals are aggregated on, when `detail` may hold text the caller chose (an origin, a
    /// name): a caller who varies that text must not split the aggregate. The row keeps the first detail.
    public init(siteID: UUID, id: Int64 = 0, at: Date = Date(), action: String, outcome: String, actorUserID: Int?, tokenID: Int?,
                clientAddress: String, detail: String, count: Int = 1, reason: String? = nil) {
        self.siteID = siteID
        self.id = id
        self.at = at
        self.action = action
        self.outcome = outcome
        self.actorUserID = actorUserID
        self.tokenID = tokenID
        self.clientAddress = String(clientAddress.prefix(64))
        // (A NUL, which a store cannot hold, is written as U+FFFD: one such detail must not lose the batch it is in.)
        self.detail = String(detail.prefix(500)).replacingOccurrences(of: "\0", with: "\u{FFFD}")
        self.count = count
        if action == Self.refusal {
            let minute = Int64(at.timeIntervalSince1970) / 60
            // The row's time is its minute; the key is a digest, so the index stays small whatever the reason says.
            self.at = Date(timeIntervalSince1970: TimeInterval(minute * 60))
            let parts = [siteID.lowercasedString, String(minute), self.clientAddress, reason ?? self.detail, String(actorUserID ?? 0)]
            self.aggregateKey = Secrets.hex(Secrets.sha256(Array(parts.joined(separator: "\u{1F}").utf8)).prefix(16))
        }
    }
}
