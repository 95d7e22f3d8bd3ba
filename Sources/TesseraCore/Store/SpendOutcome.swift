/// What presenting a single-use record (a refresh token, an authorization code) found.
public enum SpendOutcome<Record: Sendable>: Sendable {
    /// Its first use: the store has marked it spent.
    case spent(Record)
    /// It was spent before: someone presents it again.
    case alreadySpent(Record)
    /// Its family was revoked.
    case revoked
    /// No such record.
    case unknown
}
