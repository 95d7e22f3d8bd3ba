import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Opens the configured store: PostgreSQL for a `postgres://` URL, else SQLite in the data directory.
public enum StoreFactory {
    public static func open(databaseURL: String?, dataDirectory: String, logger: Logger) throws -> any Store {
        if let databaseURL, !databaseURL.isEmpty {
            return try SQLStore.postgres(url: databaseURL, logger: logger)
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return try SQLStore.sqlite(path: (dataDirectory as NSString).appendingPathComponent("tessera.sqlite"))
    }
}
