// Argon2id (RFC 9106, version 0x13) and the BLAKE2b it is built on (RFC 7693), written from the RFC
// text with the standard library only. Memory blocks live in one raw UInt64 buffer and the hot paths use
// wrapping arithmetic on unsafe pointers, because this runs on every sign-in and must be fast.

/// Argon2id password hashing (RFC 9106), used for user passwords.
public enum Argon2id {
    /// Cost settings of one Argon2id computation; `hashLength` is the tag size in bytes.
    public struct Parameters: Sendable, Equatable, Hashable {
        public var memoryKiB: Int      // m
        public var iterations: Int     // t
        public var parallelism: Int    // p (lanes; computed one after another)
        public var hashLength: Int     // T, bytes

        public init(memoryKiB: Int, iterations: Int, parallelism: Int, hashLength: Int = 32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.hashLength = hashLength
        }

        /// OWASP's recommendation: m=19456 KiB, t=2, p=1.
        public static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
    }

    /// Why hashing refused its input (`invalidParameters`) or a stored PHC string was refused (`invalidEncoding`).
    public enum Failure: Error, Sendable {
        case invalidParameters, invalidEncoding
    }

    /// Raw Argon2id tag.
    public static func hash(
        password: [UInt8], salt: [UInt8], parameters: Parameters,
        secret: [UInt8] = [], associatedData: [UInt8] = []
    ) throws -> [UInt8] {
        guard isAcceptable(parameters), salt.count >= minimumSaltLength,
              fitsLength32(password), fitsLength32(salt), fitsLength32(secret), fitsLength32(associatedData)
        else { throw Failure.invalidParameters }
        return computeTag(password: password, salt: salt, secret: secret,
                          associatedData: associatedData, parameters: parameters)
    }

    /// PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt base64 no padding>$<hash base64 no padding>
    public static func encode(password: [UInt8], salt: [UInt8], parameters: Parameters) throws -> String {
        let tag = try hash(password: password, salt: salt, parameters: parameters)
        return "$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)"
            + "$\(base64Encode(salt))$\(base64Encode(tag))"
    }

    /// Parses a PHC string, returns its parameters (so callers can tell if a hash needs upgrading) and whether
    /// the password matches; comparison of the tag in constant time (no early exit).
    /// Anything wrong with the string, including parameters outside the accepted bounds (which a crafted
    /// stored hash could use to make verification unbounded), throws `Failure.invalidEncoding`.
    public static func verify(password: [UInt8], encoded: String) throws -> (matches: Bool, parameters: Parameters) {
        guard let stored = parsePHC(encoded) else { throw Failure.invalidEncoding }
        guard fitsLength32(password) else { throw Failure.invalidParameters }
        let computed = computeTag(password: password, salt: stored.salt, secret: [], associatedData: [],
                                  parameters: stored.parameters)
        return (constantTimeEqual(computed, stored.tag), stored.parameters)
    }
}

// MARK: - Limits

extension Argon2id {
    static let minimumSaltLength = 8
    /// 1 GiB: more than any sane server setting, small enough that a crafted hash cannot exhaust memory.
    static let maximumMemoryKiB = 1 << 20
    static let maximumIterations = 64
    static let maximumParallelism = 16
    static let hashLengthRange = 4...1024

    static func isAcceptable(_ p: Parameters) -> Bool {
        // The parallelism check comes first so that `8 * p` cannot overflow.
        (1...maximumParallelism).contains(p.parallelism)
            && (1...maximumIterations).contains(p.iterations)
            && p.memoryKiB >= 8 * p.parallelism && p.memoryKiB <= maximumMemoryKiB
            && hashLengthRange.contains(p.hashLength)
    }

    /// Every length goes into H0 as a 32-bit little-endian integer.
    static func fitsLength32(_ bytes: [UInt8]) -> Bool {
        UInt64(bytes.count) <= UInt64(UInt32.max)
    }

    /// Compares every byte whatever the earlier ones were, so timing does not reveal the matching prefix.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

// MARK: - Argon2id core (RFC 9106 §3)

extension Argon2id {
    static let version: UInt32 = 0x13
    static let argon2idType: UInt32 = 2      // y = 2 selects Argon2id
    static let syncPoints = 4                // SL: slices per pass
    static let wordsPerBlock = 128           // 1 KiB blocks as 64-bit words

    /// Runs Argon2id on already-validated inputs.
    static func computeTag(
        password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8], parameters: Parameters
    ) -> [UInt8] {
        let lanes = parameters.parallelism
        // m' = 4p * floor(m / 4p): every lane gets the same whole number of segments.
        let segmentLength = parameters.memoryKiB / (syncPoints * lanes)
        let laneLength = syncPoints * segmentLength
        let blockCount = lanes * laneLength

        // H0 binds every parameter and input (§3.2 step 1).
        var h0Hasher = Blake2b(outputLength: 64)
        h0Hasher.update(le32: UInt32(lanes))
        h0Hasher.update(le32: UInt32(parameters.hashLength))
        h0Hasher.update(le32: UInt32(parameters.memoryKiB))
        h0Hasher.update(le32: UInt32(parameters.iterations))
        h0Hasher.update(le32: version)
        h0Hasher.update(le32: argon2idType)
        for field in [password, salt, secret, associatedData] {
            h0Hasher.update(le32: UInt32(truncatingIfNeeded: field.count))
            h0Hasher.update(field)
        }
        let h0 = h0Hasher.finalize()

        let wordCount = blockCount * wordsPerBlock
        let blocks = BlockMemory(words: wordCount)
        defer { blocks.release() }
        let memory = blocks.words
        // Scratch: two working blocks for G, a zero block, the address-generator input and its output.
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 5 * wordsPerBlock)
        scratch.initialize(repeating: 0, count: 5 * wordsPerBlock)
        defer {
            // Password-derived memory is wiped before it goes back to the allocator.
            scratch.update(repeating: 0, count: 5 * wordsPerBlock)
            scratch.deallocate()
        }

        // B[i][0] = H'(H0 || LE32(0) || LE32(i)), B[i][1] = H'(H0 || LE32(1) || LE32(i)) (§3.2 steps 3-4).
        for lane in 0..<lanes {
            for column in 0..<2 {
                var seed = h0
                appendLE32(UInt32(column), to: &seed)
                appendLE32(UInt32(lane), to: &seed)
                let block = variableLengthHash(outputLength: 1024, seed)
                loadBlock(block, into: memory + (lane * laneLength + column) * wordsPerBlock)
            }
        }

        let filler = SegmentFiller(
            memory: memory, scratch: scratch, lanes: lanes, laneLength: laneLength,
            segmentLength: segmentLength, blockCount: blockCount, passes: parameters.iterations)
        // Slices are the synchronisation points: a lane only references other lanes' finished slices,
        // so computing the lanes of one slice one after another gives the same result as in parallel.
        for pass in 0..<parameters.iterations {
            for slice in 0..<syncPoints {
                for lane in 0..<lanes {
                    filler.fill(pass: pass, slice: slice, lane: lane)
                }
            }
        }

        // C = XOR of the last column; Tag = H'^T(C) (§3.2 steps 7-8).
        var lastColumn = [UInt8]()
        lastColumn.reserveCapacity(1024)
        for word in 0..<wordsPerBlock {
            var x: UInt64 = 0
            for lane in 0..<lanes {
                x ^= memory[((lane + 1) * laneLength - 1) * wordsPerBlock + word]
            }
            for byte in 0..<8 { lastColumn.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(byte)))) }
        }
        let tag = variableLengthHash(outputLength: parameters.hashLength, lastColumn)
        for i in lastColumn.indices { lastColumn[i] = 0 }
        return tag
    }

    static func appendLE32(_ value: UInt32, to bytes: inout [UInt8]) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    /// Reads 1024 bytes as 128 little-endian words.
    static func loadBlock(_ bytes: [UInt8], into block: UnsafeMutablePointer<UInt64>) {
        for word in 0..<wordsPerBlock {
            var x: UInt64 = 0
            for byte in 0..<8 { x |= UInt64(bytes[word * 8 + byte]) << (8 * UInt64(byte)) }
            block[word] = x
        }
    }

    /// H'^T (§3.3): BLAKE2b stretched to any length by chaining 64-byte hashes and keeping 32 bytes of each.
    static func variableLengthHash(outputLength: Int, _ input: [UInt8]) -> [UInt8] {
        var first = Blake2b(outputLength: min(outputLength, 64))
        first.update(le32: UInt32(truncatingIfNeeded: outputLength))
        first.update(input)
        if outputLength <= 64 { return first.finalize() }

        let r = (outputLength + 31) / 32 - 2
        var output = [UInt8]()
        output.reserveCapacity(outputLength)
        var v = first.finalize()                       // V_1
        output.append(contentsOf: v[0..<32])
        var i = 2
        while i <= r {                                 // V_2 ... V_r (none when r == 1)
            v = Blake2b.hash(outputLength: 64, v)
            output.append(contentsOf: v[0..<32])
            i += 1
        }
        output.append(contentsOf: Blake2b.hash(outputLength: outputLength - 32 * r, v))   // V_{r+1}, whole
        return output
    }
}

extension Argon2id {
    /// A stored hash after parsing: its parameters (hashLength = tag size), salt and tag.
    struct StoredHash {
        var parameters: Parameters
        var salt: [UInt8]
        var tag: [UInt8]
    }

    /// Strict parser for `$argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<tag>`; nil for anything else,
    /// including parameters outside the accepted bounds.
    static func parsePHC(_ encoded: String) -> StoredHash? {
        let fields = Array(encoded.utf8).split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty,
              fields[1].elementsEqual("argon2id".utf8),
              fields[2].elementsEqual("v=19".utf8)
        else { return nil }

        let settings = fields[3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard settings.count == 3,
              let m = parseSetting(settings[0], name: "m"),
              let t = parseSetting(settings[1], name: "t"),
              let p = parseSetting(settings[2], name: "p"),
              let salt = base64Decode(fields[4]),
              let tag = base64Decode(fields[5])
        else { return nil }

        let parameters = Parameters(memoryKiB: m, iterations: t, parallelism: p, hashLength: tag.count)
        guard isAcceptable(parameters), salt.count >= minimumSaltLength, fitsLength32(salt) else { return nil }
        return StoredHash(parameters: parameters, salt: salt, tag: tag)
    }

    /// `<name>=<decimal>` with no sign, no leading zero and a value that fits in 32 bits.
    static func parseSetting(_ field: ArraySlice<UInt8>, name: Character) -> Int? {
        guard let nameByte = name.asciiValue, field.count >= 3,
              field[field.startIndex] == nameByte,
              field[field.startIndex + 1] == UInt8(ascii: "=")
        else { return nil }
        let digits = field.dropFirst(2)
        // At most 10 digits keeps the accumulator far from overflow; UInt32.max has 10.
        guard digits.count <= 10 else { return nil }
        if digits.count > 1, digits.first == UInt8(ascii: "0") { return nil }
        var value = 0
        for c in digits {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        return value <= Int(UInt32.max) ? value : nil
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 alphabet without padding, as the PHC format uses.
    static func base64Encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let remaining = bytes.count - i
            let b0 = UInt32(bytes[i])
            let b1 = remaining > 1 ? UInt32(bytes[i + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            let characters = min(remaining, 3) + 1       // 1 byte -> 2 chars, 2 -> 3, 3 -> 4
            for k in 0..<characters {
                out.append(base64Alphabet[Int((group >> (18 - 6 * UInt32(k))) & 63)])
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded standard base64; rejects padding, foreign characters, an impossible length and
    /// non-zero leftover bits, so each byte string has exactly one accepted encoding.
    static func base64Decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits: UInt32 = 0
        for c in text {
            let sextet: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): sextet = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): sextet = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sextet = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): sextet = 62
            case UInt8(ascii: "/"): sextet = 63
            default: return nil
            }
            accumulator = accumulator << 6 | sextet
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> bits))
                accumulator &= (1 << bits) - 1
            }
        }
        return accumulator == 0 ? out : nil
    }
}
