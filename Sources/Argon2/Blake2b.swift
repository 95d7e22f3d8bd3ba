/// Streaming BLAKE2b (RFC 7693), unkeyed, 1...64-byte output: all that Argon2id needs.
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
