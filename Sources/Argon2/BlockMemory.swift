#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory of one Argon2id computation (19 MiB with the default parameters), mapped from the kernel and unmapped
/// when done, never taken from malloc. glibc serves an allocation this size from a heap it does not give back once
/// its mmap threshold has risen (it does after the first large free), so every hash would leave its 19 MiB resident
/// for the life of the process; unmapped pages go back to the kernel, which zeroes them before anyone sees them
/// again, so they need no wiping either.
struct BlockMemory {
    let words: UnsafeMutablePointer<UInt64>
    private let byteCount: Int

    /// `words` 64-bit words, zeroed (a fresh anonymous mapping is).
    init(words count: Int) {
        byteCount = count * MemoryLayout<UInt64>.stride
        guard let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            fatalError("Argon2id: cannot map \(byteCount) bytes")
        }
        #if os(Linux)
        // Password-derived blocks stay out of core dumps.
        _ = madvise(mapped, byteCount, MADV_DONTDUMP)
        #endif
        words = mapped.bindMemory(to: UInt64.self, capacity: count)
    }

    func release() {
        munmap(words, byteCount)
    }
}
