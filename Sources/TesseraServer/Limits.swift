import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Bounds on the work one request may cause.
public enum Limits {
    /// Largest request body accepted anywhere (413 above it).
    public static let maxBodyBytes = 64 * 1024
    /// Largest Authorization / token header value parsed.
    public static let maxCredentialBytes = 8 * 1024
}
