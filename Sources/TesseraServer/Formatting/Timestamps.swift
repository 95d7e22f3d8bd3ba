import Foundation

/// The fixed-format timestamps the surfaces write, from the UTC calendar fields (`gmtime_r`): a Foundation
/// DateFormatter costs more to create than a whole page of a list takes to render, and lists and user documents
/// write one per row.
enum Timestamps {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func fields(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))  // fractions of a second are dropped, as HTTP dates do
        var fields = tm()
        gmtime_r(&seconds, &fields)
        return fields
    }

    private static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `Wed, 19 Feb 2025 17:20:49 GMT` (RFC 1123, as Expert writes dates).
    static func rfc1123(_ date: Date) -> String {
        let t = fields(date)
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }

    /// `2025-02-19T17:20:49Z` (ISO 8601 in UTC, as Expert's user documents and CXone's access keys write dates).
    static func iso8601(_ date: Date) -> String {
        let t = fields(date)
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
    }

    /// `2025-02-19 17:20 UTC`, for people (the dashboard).
    static func minutes(_ date: Date) -> String {
        let t = fields(date)
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday)) \(two(t.tm_hour)):\(two(t.tm_min)) UTC"
    }
}
