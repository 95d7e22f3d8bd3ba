import Foundation
import GRDB
import TesseraCore

/// Copies of the SQLite store through SQLite's online backup: the copy is one consistent snapshot, read in a single
/// read transaction, so a server may go on serving (and writing, in WAL mode) while it is taken. A copy holds what
/// the store holds — every secret sealed or hashed under the master key, which is not in it.
public enum SQLiteBackup {
    /// Copies the database at `source` to a new file at `destination` (owner-only permissions). Refuses to overwrite.
    public static func copy(from source: String, to destination: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw ConfigurationError("no store at \(source)") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ConfigurationError("\(destination) exists already; choose a new file")
        }
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(5)
        let from = try DatabasePool(path: source, configuration: readOnly)
        defer { try? from.close() }
        try checkIsStore(from)
        let previous = umask(0o077)
        defer { umask(previous) }
        do {
            let to = try DatabaseQueue(path: destination)
            try from.backup(to: to)
            try to.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
    }

    /// Checks that `file` is a whole Tessera store (SQLite's integrity check, and the tables a store has).
    public static func verify(_ file: String) throws {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: file, configuration: readOnly)
        defer { try? queue.close() }
        try checkIsStore(queue)
        let integrity = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        guard integrity == ["ok"] else { throw ConfigurationError("\(file) is damaged: SQLite's integrity check failed") }
    }

    private static func checkIsStore(_ reader: any DatabaseReader) throws {
        let isStore = try reader.read { db in
            try db.tableExists("server_settings") && db.tableExists("refresh_tokens") && db.tableExists("users")
        }
        guard isStore else { throw ConfigurationError("not a Tessera store") }
    }
}
