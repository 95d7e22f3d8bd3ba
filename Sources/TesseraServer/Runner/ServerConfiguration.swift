import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// How `tessera serve` was configured.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var publicURL: String?
    public var databaseURL: String?
    public var adminPassword: String?
    public var authTokenLifetime: Int64
    /// 64 hex characters, or nil to use (or create) `master.key` in the data directory.
    public var masterKey: String?
    public var signatureWindow: Int64
    /// CXone token lifetimes, in seconds.
    public var accessTokenLifetime: Int64 = 3600
    public var refreshTokenLifetime: Int64 = 86_400
    /// Seconds between scheduled signing-key rotations (0: never), and between re-reads of the key ring.
    public var signingKeyRotation: Int64 = 90 * 86_400
    public var signingKeyRefresh: Int64 = 60
    public var areas = AreaEndpoints()
    public var trustedProxies = TrustedProxies()
    public var auditRetentionDays = 90

    public init(host: String, port: Int, dataDirectory: String, publicURL: String?, databaseURL: String?,
                adminPassword: String?, authTokenLifetime: Int64, masterKey: String? = nil, signatureWindow: Int64 = 300) {
        self.masterKey = masterKey
        self.signatureWindow = signatureWindow
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.publicURL = publicURL
        self.databaseURL = databaseURL
        self.adminPassword = adminPassword
        self.authTokenLifetime = authTokenLifetime
    }

    var effectivePublicURL: String {
        publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
