import Argon2
import Foundation

/// Hashes and verifies passwords with Argon2id on a small dedicated set of threads, so that slow hashing never
/// runs on an event loop or a cooperative-pool thread, and so that at most `concurrency` hashes run at once.
/// Callers beyond `maxWaiting` are refused at once rather than queued without bound.
public final class PasswordHasher: Sendable {
    /// Why hashing was refused.
    public enum Failure: Error, Sendable { case busy }

    public let parameters: Argon2id.Parameters
    private let gate: Gate
    private let queue = DispatchQueue(label: "tessera.password-hashing", attributes: .concurrent)
    /// A hash of a random password, verified against when a user does not exist, so that an unknown
    /// username costs the same time as a wrong password.
    private let decoy: String

    public init(parameters: Argon2id.Parameters = .owasp, concurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), maxWaiting: Int = 256) {
        self.parameters = parameters
        self.gate = Gate(limit: concurrency, maxWaiting: maxWaiting)
        self.decoy = (try? Argon2id.encode(password: Secrets.randomBytes(16), salt: Secrets.randomBytes(16), parameters: parameters)) ?? ""
    }

    /// Returns a PHC string with a fresh random salt.
    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await run { try Argon2id.encode(password: Array(password.utf8), salt: Secrets.randomBytes(16), parameters: parameters) }
    }

    /// Verifies a password. `needsRehash` is true when the stored hash used other parameters than the current ones,
    /// so the caller can upgrade it after a successful sign-in. A malformed stored hash never matches.
    public func verify(_ password: String, against encoded: String?) async throws -> (matches: Bool, needsRehash: Bool) {
        let target = encoded ?? decoy
        let current = parameters
        let result = try await run { () -> (Bool, Bool) in
            guard let outcome = try? Argon2id.verify(password: Array(password.utf8), encoded: target) else {
                return (false, false)
            }
            return (outcome.matches, outcome.parameters != current)
        }
        return encoded == nil ? (false, false) : (result.0, result.1)
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await gate.enter()
        defer { Task { await gate.leave() } }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// A counting semaphore for async code with a bounded wait list.
private actor Gate {
    private let limit: Int
    private let maxWaiting: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int, maxWaiting: Int) {
        self.limit = limit
        self.maxWaiting = maxWaiting
    }

    func enter() async throws {
        if running < limit {
            running += 1
            return
        }
        guard waiting.count < maxWaiting else { throw PasswordHasher.Failure.busy }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            // Hand the slot straight to the next waiter; `running` stays the same.
            waiting.removeFirst().resume()
        }
    }
}
