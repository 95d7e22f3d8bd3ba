/// What a core service can refuse, in domain terms. Each surface maps these to its wire error in one place.
/// Messages are safe to show to the caller: they never contain a secret.
public enum ServiceError: Error, Sendable, Equatable {
    /// The request is malformed or a field is invalid (400).
    case invalidInput(String)
    /// No credentials, or credentials that do not verify (401).
    case unauthenticated(String)
    /// Valid credentials that are not allowed to do this (403).
    case forbidden(String)
    /// A token issued to an application whose scopes do not reach this (403, RFC 6750 §3.1 `insufficient_scope`).
    /// The value names the scope that would, or says why none does.
    case insufficientScope(String)
    /// The thing asked for does not exist in this site (404).
    case notFound(String)
    /// The change conflicts with existing state (409).
    case conflict(String)
    /// Too many attempts; retry after the given number of seconds (429).
    case throttled(retryAfter: Int)
    /// A dependency (the store) is not available (503).
    case unavailable(String)
}

extension ServiceError {
    /// The kind of refusal, without the message: fixed text whatever the request said.
    public var kind: String {
        switch self {
        case .invalidInput: "invalid input"
        case .unauthenticated: "not authenticated"
        case .forbidden: "forbidden"
        case .insufficientScope: "insufficient scope"
        case .notFound: "not found"
        case .conflict: "conflict"
        case .throttled: "throttled"
        case .unavailable: "unavailable"
        }
    }

    /// The message shown to the caller.
    public var message: String {
        switch self {
        case .invalidInput(let m), .unauthenticated(let m), .forbidden(let m), .notFound(let m), .conflict(let m), .unavailable(let m): m
        case .insufficientScope(let scope): scope.contains(" ") ? scope : "the token's scopes do not reach this: \(scope) is required"
        case .throttled(let seconds): "throttled for \(seconds) s"
        }
    }
}

extension ServiceError {
    /// True when what the request gave was at fault (a field's value, a clash with what exists): a form shows the
    /// message beside the fields and keeps what was typed.
    public var isInputError: Bool {
        switch self {
        case .invalidInput, .conflict: true
        default: false
        }
    }
}
