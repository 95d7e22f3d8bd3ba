import Foundation

/// What an audit listing is narrowed to: an actor, a developer token, an outcome, a time range (all optional).
public struct AuditFilter: Sendable, Equatable {
    public var actorUserID: Int?
    public var tokenID: Int?
    public var outcome: String?
    public var action: String?
    public var from: Date?
    public var until: Date?

    public init(actorUserID: Int? = nil, tokenID: Int? = nil, outcome: String? = nil, action: String? = nil, from: Date? = nil, until: Date? = nil) {
        self.actorUserID = actorUserID
        self.tokenID = tokenID
        self.outcome = outcome
        self.action = action
        self.from = from
        self.until = until
    }
}
