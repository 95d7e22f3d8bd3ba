import Foundation
import Logging
import Synchronization

/// One entry of the audit trail. Never holds a secret: only ids, the kind of credential, an outcome and a reason.
public struct AuditEvent: Sendable, Equatable {
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

    public init(siteID: UUID, id: Int64 = 0, at: Date = Date(), action: String, outcome: String, actorUserID: Int?, tokenID: Int?,
                clientAddress: String, detail: String) {
        self.siteID = siteID
        self.id = id
        self.at = at
        self.action = action
        self.outcome = outcome
        self.actorUserID = actorUserID
        self.tokenID = tokenID
        self.clientAddress = clientAddress
        self.detail = String(detail.prefix(500))
    }
}
