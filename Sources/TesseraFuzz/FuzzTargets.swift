import Foundation
import TesseraCrypto

/// A fuzz target: a parser family fed arbitrary bytes, with valid inputs to start from.
struct FuzzTarget: Sendable {
    var name: String
    /// Feeds one input to the parser; traps (fatalError) when an invariant does not hold, which libFuzzer reports
    /// as a crash like any other. Returns whether the input got through to the deepest check: parsed and, where a
    /// key applies, verified (what every seed must do, or the target would only be fuzzing the shape checks).
    var run: @Sendable ([UInt8]) -> Bool
    /// Valid inputs (named), so that mutation starts past the shape checks and reaches the verifiers.
    var seeds: @Sendable () -> [(String, [UInt8])]
}

enum FuzzTargets {
    nonisolated(unsafe) static var selected: (([UInt8]) -> Bool)?

    static let all: [FuzzTarget] = [
        DekiTokenTarget.target,
        AuthTokenTarget.target,
        JWTTargets.hs512,
        JWTTargets.rs256,
        BasicTarget.target,
        ImpersonationTarget.target,
        CookieTarget.target,
        FormTarget.target,
        JSONBodyTarget.target,
        DekiXMLTarget.target,
        OriginTarget.target,
        RedirectURITarget.target,
        ForwardedTarget.target,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// Every seed in `directory`/<target>/ must get through its target; the names of those that do not.
    static func seedsFallingShort(in directory: URL) throws -> [String] {
        var short: [String] = []
        for target in all {
            let folder = directory.appendingPathComponent(target.name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            if files.isEmpty { short.append("\(target.name): no seeds") }
            for file in files where !target.run(Array(try Data(contentsOf: folder.appendingPathComponent(file)))) {
                short.append("\(target.name)/\(file)")
            }
        }
        return short
    }

    static func writeSeeds(to directory: URL) throws {
        for target in all {
            let folder = directory.appendingPathComponent(target.name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in target.seeds() {
                try Data(bytes).write(to: folder.appendingPathComponent(name))
            }
        }
    }
}

/// A failed invariant: a defect in the parser, reported by libFuzzer as a crash (the message says which).
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant failed: " + message()) }
}

/// JSON values alike, numbers within a relative 1e-12: Foundation's reader is not correctly rounded for long
/// numerals (it reads 175000000175000001750003600 and its shortest form 1.7500000017500002e+26 a few ulps apart), so
/// exact equality of a number written and read again would test Foundation, not Tessera. Strings, keys, booleans,
/// nulls and the shape must be exact.
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
    case (.array(let xs), .array(let ys)): return xs.count == ys.count && zip(xs, ys).allSatisfy(sameJSON)
    case (.object(let xs), .object(let ys)): return sameJSON(xs, ys)
    default: return a == b
    }
}

func sameJSON(_ a: [String: JSONValue], _ b: [String: JSONValue]?) -> Bool {
    guard let b, a.count == b.count else { return false }
    return a.allSatisfy { key, value in b[key].map { sameJSON(value, $0) } ?? false }
}

extension Array where Element == UInt8 {
    /// The bytes as a header value would arrive: invalid UTF-8 replaced, as a String decoded from the wire is.
    var text: String { String(decoding: self, as: UTF8.self) }
}
