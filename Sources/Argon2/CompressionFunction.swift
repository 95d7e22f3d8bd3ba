/// Compression function G (§3.5): R = X xor Y, Z = P applied to the rows then the columns of R, out = Z xor R.
/// Reads X and Y completely before writing, so `out` may alias either of them.
@inline(__always)
func compress(
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
func permute(_ p: UnsafeMutablePointer<UInt64>, step: Int) {
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
func blaMka(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64) {
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
func rotateRight(_ x: UInt64, _ n: UInt64) -> UInt64 {
    (x &>> n) | (x &<< (64 &- n))
}

