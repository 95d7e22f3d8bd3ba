import Foundation

/// A search of a site's users, as Expert's `GET users` takes it. Name, full-name and e-mail filters are
/// case-insensitive prefixes (compared on the same keys as uniqueness: NFC, lower case); `%` and `_` are literal
/// characters (Expert's store let them act as wildcards, a quirk not kept).
public struct UserQuery: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case id, username, email, fullname, lastLogin = "date.lastlogin", created = "date.created", status, role
    }

    /// `usernamefilter` and `fullnamefilter`: either matches when both are given.
    public var usernamePrefix: String?
    public var fullNamePrefix: String?
    /// `usernameemailfilter`: the username or the e-mail address starts with it; and-ed with the rest.
    public var usernameOrEmailPrefix: String?
    /// `activatedfilter`: active users, or the others.
    public var activated: Bool?
    /// `rolefilter`: the role's name, any case.
    public var roleName: String?
    /// `seatfilter`: users with a seat, or without.
    public var seated: Bool?
    /// `sortby`; without it, the order of the index that answers the filter (by username for a username prefix, by
    /// full name for a full-name prefix), else by id — as Expert leaves the order to its database.
    public var sort: SortField?
    public var descending = false
    public var offset = 0
    public var limit = 100

    /// The most users one answer holds, `limit=all` included: a request's work stays bounded, and `querycount`
    /// tells a client there are more to page through.
    public static let maxLimit = 5000

    public init() {}

    /// True when no filter applies: every user of the site matches.
    public var isUnfiltered: Bool {
        usernamePrefix == nil && fullNamePrefix == nil && usernameOrEmailPrefix == nil && activated == nil && roleName == nil && seated == nil
    }

    /// A prefix as it is compared: the uniqueness key of the text (NFC, lower case).
    public static func key(_ prefix: String) -> String { Usernames.key(prefix) }
}
