import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Opens the configured store: PostgreSQL for a `postgres://` URL, else SQLite in the data directory — the
/// directory only its owner may enter (0700), the database and its WAL and shared-memory files only its owner may
/// read (0600): created so, and tightened at start, with a warning, if they were looser.
public enum StoreFactory {
    public static func open(databaseURL: String?, dataDirectory: String, logger: Logger) throws -> any Store {
        if let databaseURL, !databaseURL.isEmpty {
            return try SQLStore.postgres(url: databaseURL, logger: logger)
        }
        // Files this process creates from here on (SQLite's WAL and -shm among them) are its owner's only.
        umask(0o077)
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let database = (dataDirectory as NSString).appendingPathComponent("tessera.sqlite")
        tighten(dataDirectory, to: 0o700, logger: logger)
        for path in [database, database + "-wal", database + "-shm", (dataDirectory as NSString).appendingPathComponent("master.key")] {
            tighten(path, to: 0o600, logger: logger)
        }
        let store = try SQLStore.sqlite(path: database)
        for path in [database, database + "-wal", database + "-shm"] { tighten(path, to: 0o600, logger: logger) }
        return store
    }

    /// Takes group and other permissions away from an existing file, saying so.
    static func tighten(_ path: String, to mode: mode_t, logger: Logger) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let current = info.st_mode & 0o777
        guard current & 0o077 != 0 else { return }
        if chmod(path, mode) == 0 {
            logger.warning("tightened permissions", metadata: ["path": "\(path)", "from": "\(String(current, radix: 8))", "to": "\(String(mode, radix: 8))"])
        } else {
            logger.error("cannot tighten permissions; other users may read it", metadata: ["path": "\(path)"])
        }
    }
}
