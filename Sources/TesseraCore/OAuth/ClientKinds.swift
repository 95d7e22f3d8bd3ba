/// Which kinds of client an endpoint takes.
public struct ClientKinds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Applications issued by registrations (CXone's endpoints).
    public static let applications = ClientKinds(rawValue: 1)
    /// `oauth` developer tokens (Expert's OAuth endpoints).
    public static let developerTokens = ClientKinds(rawValue: 2)
    public static let all: ClientKinds = [.applications, .developerTokens]
}
