/// Fills one segment at a time; holds only pointers and sizes so the hot loop sees no Swift arrays.
struct SegmentFiller {
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
