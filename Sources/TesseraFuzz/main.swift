import CFuzzerDriver
import Foundation

// One binary for every parser: TESSERA_FUZZ_TARGET names the one to fuzz, read once here, before libFuzzer starts.
// The harness owns main (rather than libFuzzer's) because SwiftPM links an executable's entry point under a name of
// its own, which a -parse-as-library module never defines; main hands over to libFuzzer's LLVMFuzzerRunDriver.
//
//   TESSERA_FUZZ_TARGET=deki-token TesseraFuzz corpus/ -max_total_time=60   fuzz one target
//   TESSERA_FUZZ_TARGET=deki-token TesseraFuzz fuzz/regressions/deki-token/*  replay files
//   TesseraFuzz --list                                                     the targets' names
//   TesseraFuzz --write-seeds DIR                                          valid inputs, one folder per target
//   TesseraFuzz --check-seeds DIR                                          every seed reaches its verifier
//   TesseraFuzz --new-rs256-fixture DIR                                    a new RS256 key's seeds and public key

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "--list" {
    for target in FuzzTargets.all { print(target.name) }
    exit(0)
}
if arguments.count == 3, arguments[1] == "--write-seeds" {
    do {
        try FuzzTargets.writeSeeds(to: URL(fileURLWithPath: arguments[2]))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("cannot write seeds: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.count == 3, arguments[1] == "--check-seeds" {
    do {
        let short = try FuzzTargets.seedsFallingShort(in: URL(fileURLWithPath: arguments[2]))
        for seed in short { FileHandle.standardError.write(Data("seed does not reach its target's verifier: \(seed)\n".utf8)) }
        exit(short.isEmpty ? 0 : 1)
    } catch {
        FileHandle.standardError.write(Data("cannot read seeds: \(error)\n".utf8))
        exit(1)
    }
}
if arguments.count == 3, arguments[1] == "--new-rs256-fixture" {
    // Makes a new RSA key, writes RS256 seeds signed with it, prints its public half for JWTTargets.publicKeyDER,
    // and forgets the private half.
    do {
        print(try JWTTargets.newRS256Fixture(URL(fileURLWithPath: arguments[2])))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("cannot make the RS256 fixture: \(error)\n".utf8))
        exit(1)
    }
}
guard let name = ProcessInfo.processInfo.environment["TESSERA_FUZZ_TARGET"], let target = FuzzTargets.named(name) else {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    FileHandle.standardError.write(Data("set TESSERA_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(2)
}
FuzzTargets.selected = target.run

/// What libFuzzer calls for each input: the selected target, on the bytes as given (libFuzzer owns them).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = FuzzTargets.selected?(bytes)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
