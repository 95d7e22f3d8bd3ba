import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Directories for the test stores, all inside one directory of this test process that is removed when it exits:
/// a test run leaves nothing in the temporary directory.
public enum TestDirectory {
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tests-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: TestDirectory.root) }
        return root
    }()

    /// A new, empty directory.
    public static func make(_ prefix: String) throws -> URL {
        let directory = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
