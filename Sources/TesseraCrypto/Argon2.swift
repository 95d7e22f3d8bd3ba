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
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
        memory.initialize(repeating: 0, count: wordCount)
        // Scratch: two working blocks for G, a zero block, the address-generator input and its output.
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 5 * wordsPerBlock)
        scratch.initialize(repeating: 0, count: 5 * wordsPerBlock)
        defer {
            // Password-derived memory is wiped before it goes back to the allocator.
            memory.update(repeating: 0, count: wordCount)
            memory.deallocate()
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

/// Fills one segment at a time; holds only pointers and sizes so the hot loop sees no Swift arrays.
private struct SegmentFiller {
    let memory: UnsafeMutablePointer<UInt64>
    let scratch: UnsafeMutablePointer<UInt64>
    let lanes: Int
    let laneLength: Int
    let segmentLength: Int
    let blockCount: Int
    let passes: Int

    private static let words = Argon2id.wordsPerBlock

    func fill(pass: Int, slice: Int, lane: Int) {
        let words = Self.words
        let workR = scratch
        let workKeep = scratch + words
        let zero = scratch + 2 * words
        let addressInput = scratch + 3 * words
        let addresses = scratch + 4 * words

        // Argon2id: data-independent addressing (Argon2i) in the first half of the first pass, to resist
        // side channels; data-dependent (Argon2d) afterwards, to resist time-memory trade-offs (§3.4.1).
        let dataIndependent = pass == 0 && slice < Argon2id.syncPoints / 2
        if dataIndependent {
            // Z = LE64(r) || LE64(l) || LE64(sl) || LE64(m') || LE64(t) || LE64(y), then the counter.
            addressInput[0] = UInt64(pass)
            addressInput[1] = UInt64(lane)
            addressInput[2] = UInt64(slice)
            addressInput[3] = UInt64(blockCount)
            addressInput[4] = UInt64(passes)
            addressInput[5] = UInt64(Argon2id.argon2idType)
            addressInput[6] = 0
            for i in 7..<words { addressInput[i] = 0 }
        }

        // The first two blocks of each lane were made from H0.
        let firstIndex = (pass == 0 && slice == 0) ? 2 : 0
        let laneStart = lane * laneLength
        // In later passes the reference window starts at the segment after this one (wrapping).
        let windowStart = (pass == 0 || slice == Argon2id.syncPoints - 1) ? 0 : (slice + 1) * segmentLength

        for index in firstIndex..<segmentLength {
            let column = slice * segmentLength + index
            let previousColumn = column == 0 ? laneLength - 1 : column - 1
            let previous = memory + (laneStart + previousColumn) * words

            let pseudoRandom: UInt64
            if dataIndependent {
                // One address block serves 128 blocks; its counter starts at 1.
                if index % words == 0 || index == firstIndex {
                    addressInput[6] &+= 1
                    compress(into: addresses, zero, addressInput, xorWithOld: false, workR, workKeep)
                    compress(into: addresses, zero, addresses, xorWithOld: false, workR, workKeep)
                }
                pseudoRandom = addresses[index % words]
            } else {
                pseudoRandom = previous[0]
            }
            let j1 = pseudoRandom & 0xFFFF_FFFF
            let j2 = pseudoRandom >> 32

            // §3.4.2: pick the lane, then the size of the window W of blocks it may reference.
            let referenceLane = (pass == 0 && slice == 0) ? lane : Int(j2 % UInt64(lanes))
            let windowSize: Int
            if referenceLane == lane {
                // Everything finished in this lane except the previous block.
                windowSize = (pass == 0 ? slice * segmentLength : laneLength - segmentLength) + index - 1
            } else {
                // Finished segments of the other lane, minus its last block when we start a segment.
                windowSize = (pass == 0 ? slice * segmentLength : laneLength - segmentLength) - (index == 0 ? 1 : 0)
            }
            // Non-uniform mapping that favours recent blocks: x = J1^2 / 2^32, y = |W| * x / 2^32.
            let x = (j1 &* j1) >> 32
            let y = (UInt64(windowSize) &* x) >> 32
            let relative = windowSize - 1 - Int(y)
            let referenceColumn = (windowStart + relative) % laneLength
            let reference = memory + (referenceLane * laneLength + referenceColumn) * words

            // Version 0x13: later passes XOR the new block into the old one.
            compress(into: memory + (laneStart + column) * words, previous, reference,
                     xorWithOld: pass > 0, workR, workKeep)
        }
    }
}

/// Compression function G (§3.5): R = X xor Y, Z = P applied to the rows then the columns of R, out = Z xor R.
/// Reads X and Y completely before writing, so `out` may alias either of them.
@inline(__always)
private func compress(
    into out: UnsafeMutablePointer<UInt64>, _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
    xorWithOld: Bool, _ r: UnsafeMutablePointer<UInt64>, _ keep: UnsafeMutablePointer<UInt64>
) {
    // `keep` holds what must be XORed in at the end: R, and the old block in later passes.
    if xorWithOld {
        for i in 0..<128 {
            let v = x[i] ^ y[i]
            r[i] = v
            keep[i] = v ^ out[i]
        }
    } else {
        for i in 0..<128 {
            let v = x[i] ^ y[i]
            r[i] = v
            keep[i] = v
        }
    }
    // Rows: register k of row i is words 16i + 2k, 16i + 2k + 1.
    for row in 0..<8 { permute(r + 16 * row, step: 2) }
    // Columns: register k of column j is words 2j + 16k, 2j + 16k + 1.
    for column in 0..<8 { permute(r + 2 * column, step: 16) }
    for i in 0..<128 { out[i] = r[i] ^ keep[i] }
}

/// Permutation P (§3.6) on eight 16-byte registers; register k is words `k * step` and `k * step + 1`.
@inline(__always)
private func permute(_ p: UnsafeMutablePointer<UInt64>, step: Int) {
    var v0 = p[0], v1 = p[1]
    var v2 = p[step], v3 = p[step + 1]
    var v4 = p[2 * step], v5 = p[2 * step + 1]
    var v6 = p[3 * step], v7 = p[3 * step + 1]
    var v8 = p[4 * step], v9 = p[4 * step + 1]
    var v10 = p[5 * step], v11 = p[5 * step + 1]
    var v12 = p[6 * step], v13 = p[6 * step + 1]
    var v14 = p[7 * step], v15 = p[7 * step + 1]

    blaMka(&v0, &v4, &v8, &v12)
    blaMka(&v1, &v5, &v9, &v13)
    blaMka(&v2, &v6, &v10, &v14)
    blaMka(&v3, &v7, &v11, &v15)
    blaMka(&v0, &v5, &v10, &v15)
    blaMka(&v1, &v6, &v11, &v12)
    blaMka(&v2, &v7, &v8, &v13)
    blaMka(&v3, &v4, &v9, &v14)

    p[0] = v0; p[1] = v1
    p[step] = v2; p[step + 1] = v3
    p[2 * step] = v4; p[2 * step + 1] = v5
    p[3 * step] = v6; p[3 * step + 1] = v7
    p[4 * step] = v8; p[4 * step + 1] = v9
    p[5 * step] = v10; p[5 * step + 1] = v11
    p[6 * step] = v12; p[6 * step + 1] = v13
    p[7 * step] = v14; p[7 * step + 1] = v15
}

/// GB (§3.6): BLAKE2b's G without message words, with the 2 * lo32(a) * lo32(b) term added to each sum
/// so that the multiplication makes the function harder to speed up in hardware.
@inline(__always)
private func blaMka(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64) {
    a = a &+ b &+ 2 &* (a & 0xFFFF_FFFF) &* (b & 0xFFFF_FFFF)
    d = rotateRight(d ^ a, 32)
    c = c &+ d &+ 2 &* (c & 0xFFFF_FFFF) &* (d & 0xFFFF_FFFF)
    b = rotateRight(b ^ c, 24)
    a = a &+ b &+ 2 &* (a & 0xFFFF_FFFF) &* (b & 0xFFFF_FFFF)
    d = rotateRight(d ^ a, 16)
    c = c &+ d &+ 2 &* (c & 0xFFFF_FFFF) &* (d & 0xFFFF_FFFF)
    b = rotateRight(b ^ c, 63)
}

/// Masking shifts compile to a single rotate instruction.
@inline(__always)
private func rotateRight(_ x: UInt64, _ n: UInt64) -> UInt64 {
    (x &>> n) | (x &<< (64 &- n))
}

// MARK: - BLAKE2b (RFC 7693), unkeyed, 1...64-byte output

/// Streaming BLAKE2b; internal to this file's Argon2id, which only needs unkeyed hashing.
struct Blake2b {
    private static let iv: [UInt64] = [
        0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1,
        0x510E_527F_ADE6_82D1, 0x9B05_688C_2B3E_6C1F, 0x1F83_D9AB_FB41_BD6B, 0x5BE0_CD19_137E_2179,
    ]
    /// Message word schedule; round i uses row i mod 10.
    private static let sigma: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ]

    private var state: [UInt64]
    private var buffer = [UInt8](repeating: 0, count: 128)
    private var buffered = 0
    private var byteCount: UInt64 = 0       // inputs here are far below 2^64 bytes, so t's high word stays 0
    private let outputLength: Int

    /// `outputLength` must be 1...64; every caller in this file passes a computed value in that range.
    init(outputLength: Int) {
        self.outputLength = outputLength
        state = Self.iv
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
        state[0] ^= 0x0101_0000 ^ UInt64(outputLength)
    }

    static func hash(outputLength: Int, _ input: [UInt8]) -> [UInt8] {
        var hasher = Blake2b(outputLength: outputLength)
        hasher.update(input)
        return hasher.finalize()
    }

    mutating func update(le32 value: UInt32) {
        update([UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)])
    }

    mutating func update(_ input: [UInt8]) {
        for byte in input {
            // The last block must be compressed with the final flag, so a full buffer is only
            // compressed once we know more input follows.
            if buffered == 128 {
                byteCount &+= 128
                compressBuffer(isFinal: false)
                buffered = 0
            }
            buffer[buffered] = byte
            buffered += 1
        }
    }

    mutating func finalize() -> [UInt8] {
        byteCount &+= UInt64(buffered)
        for i in buffered..<128 { buffer[i] = 0 }
        compressBuffer(isFinal: true)
        var out = [UInt8]()
        out.reserveCapacity(outputLength)
        for i in 0..<outputLength {
            out.append(UInt8(truncatingIfNeeded: state[i / 8] >> (8 * UInt64(i % 8))))
        }
        return out
    }

    /// Compression F (RFC 7693 §3.2) over the 128-byte buffer.
    private mutating func compressBuffer(isFinal: Bool) {
        var m = [UInt64](repeating: 0, count: 16)
        for word in 0..<16 {
            var x: UInt64 = 0
            for byte in 0..<8 { x |= UInt64(buffer[word * 8 + byte]) << (8 * UInt64(byte)) }
            m[word] = x
        }
        var v = state + Self.iv
        v[12] ^= byteCount          // low word of the byte counter t
        if isFinal { v[14] = ~v[14] }

        for round in 0..<12 {
            let s = (round % 10) * 16
            Self.mix(&v, 0, 4, 8, 12, m[Self.sigma[s]], m[Self.sigma[s + 1]])
            Self.mix(&v, 1, 5, 9, 13, m[Self.sigma[s + 2]], m[Self.sigma[s + 3]])
            Self.mix(&v, 2, 6, 10, 14, m[Self.sigma[s + 4]], m[Self.sigma[s + 5]])
            Self.mix(&v, 3, 7, 11, 15, m[Self.sigma[s + 6]], m[Self.sigma[s + 7]])
            Self.mix(&v, 0, 5, 10, 15, m[Self.sigma[s + 8]], m[Self.sigma[s + 9]])
            Self.mix(&v, 1, 6, 11, 12, m[Self.sigma[s + 10]], m[Self.sigma[s + 11]])
            Self.mix(&v, 2, 7, 8, 13, m[Self.sigma[s + 12]], m[Self.sigma[s + 13]])
            Self.mix(&v, 3, 4, 9, 14, m[Self.sigma[s + 14]], m[Self.sigma[s + 15]])
        }
        for i in 0..<8 { state[i] ^= v[i] ^ v[i + 8] }
    }

    /// Mixing function G (RFC 7693 §3.1).
    @inline(__always)
    private static func mix(_ v: inout [UInt64], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotateRight(v[d] ^ v[a], 32)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 24)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotateRight(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 63)
    }
}

// MARK: - PHC string format

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
