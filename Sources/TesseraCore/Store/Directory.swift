import Foundation
import Synchronization

/// Cached reads of the records every authenticated request needs: users, developer tokens, OAuth clients and access
/// keys. Verifying a signature, a long-term JWT or an auth token is then a memory lookup and an HMAC, with no store
/// round trip.
///
/// Entries are dropped when the store's change feed announces a change (on PostgreSQL, changes made by any
/// instance). A generation counter keeps a read that raced with a change from caching the stale value, and
/// while the feed is not live every read goes to the store — unless the store cannot be reached, when what memory
/// holds is the answer (see `ChangeFeed.mayServeFromMemory`).
public final class Directory: Sendable {
    /// Keys by their bytes: Swift's `String` hashes and compares canonically equivalent strings as one (`\u{212A}`,
    /// the Kelvin sign, equals `K`), and a miss cached for a look-alike would hide the real token or client.
    private enum TokenLookup: Hashable {
        case key([UInt8])
        case id(Int)
    }

    /// Records found by a key, and keys the store answered with nothing — kept apart and fewer, so that a flood of
    /// made-up keys neither pushes out the records in use nor holds much memory. Past either bound that set starts
    /// over, so memory stays bounded however many records the store holds or made-up keys clients send.
    private struct Remembered<Key: Hashable, Value> {
        var found: [Key: Value] = [:]
        var missing: Set<Key> = []

        /// nil: not remembered; .some(nil): remembered as missing.
        subscript(key: Key) -> Value?? {
            if let value = found[key] { return .some(value) }
            return missing.contains(key) ? .some(nil) : nil
        }

        mutating func remember(_ key: Key, _ value: Value?, maxFound: Int, maxMissing: Int) {
            if let value {
                if found.count >= maxFound { found = [:] }
                found[key] = value
            } else {
                if missing.count >= maxMissing { missing = [] }
                missing.insert(key)
            }
        }
    }

    private struct SiteTokens {
        var lookups = Remembered<TokenLookup, DeveloperToken>()
        var browser: [DeveloperToken]?
        var count: Int?
    }

    private struct State {
        var generation: UInt64 = 0
        var users: [UUID: [Int: User]] = [:]
        var usernames: [UUID: [String: Int]] = [:]
        var tokens: [UUID: SiteTokens] = [:]
        /// Access keys by their id's bytes (see `TokenLookup`).
        var accessKeys: [UUID: Remembered<[UInt8], AccessKey>] = [:]
        /// nil: no application has this id (remembered too, so an unknown id costs no store round trip each time).
        var applications: [[UInt8]: (application: Application?, loadedAt: ContinuousClock.Instant)] = [:]
        var origins: (set: Set<String>, loadedAt: ContinuousClock.Instant)?
        var userCounts: [UUID: Int] = [:]
    }

    /// Also the store of just-in-time provisioning (`provisionUser`).
    let users: any UserStore
    private let developerTokenStore: any DeveloperTokenStore
    private let accessKeyStore: any AccessKeyStore
    private let clients: any ClientStore
    private let changes: ChangeFeed
    private let state = Mutex(State())
    /// Bound memory: past this many cached users (developer tokens, look-ups that found no token) of a site, that
    /// cache starts over.
    private let maxUsersPerSite: Int
    private let maxTokensPerSite: Int
    private let maxMissingPerSite: Int
    /// Whether access keys may be served from memory: not while an instance of an older release may share the store,
    /// since those write keys without announcing it (see `keepAccessKeysInMemory`).
    private let accessKeysInMemory = Atomic<Bool>(true)

    public init(users: any UserStore, developerTokens: any DeveloperTokenStore, accessKeys: any AccessKeyStore, clients: any ClientStore,
                changes: ChangeFeed, maxUsersPerSite: Int = 100_000, maxTokensPerSite: Int = 100_000, maxMissingPerSite: Int = 10_000) {
        self.users = users
        self.developerTokenStore = developerTokens
        self.accessKeyStore = accessKeys
        self.clients = clients
        self.changes = changes
        self.maxUsersPerSite = maxUsersPerSite
        self.maxTokensPerSite = maxTokensPerSite
        self.maxMissingPerSite = maxMissingPerSite
        changes.subscribe { [weak self] change in self?.forget(change) }
    }

    private func forget(_ change: StoreChange) {
        state.withLock { state in
            state.generation &+= 1
            switch change {
            case .user(let site, let id):
                state.userCounts.removeValue(forKey: site)
                if let user = state.users[site]?.removeValue(forKey: id) {
                    state.usernames[site]?.removeValue(forKey: Usernames.key(user.username))
                }
            case .developerTokens(let site):
                state.tokens.removeValue(forKey: site)
            case .accessKeys(let site):
                state.accessKeys.removeValue(forKey: site)
            case .applications:
                state.applications.removeAll()
                state.origins = nil
            case .sites, .signingKeys, .revoked:
                break
            case .all:
                state.userCounts.removeAll()
                state.users.removeAll()
                state.usernames.removeAll()
                state.tokens.removeAll()
                state.accessKeys.removeAll()
                state.applications.removeAll()
                state.origins = nil
            }
        }
    }

    /// Every cached read goes this one way: what memory holds, when the change feed allows serving from it; else the
    /// store (or, when the store cannot be reached, what memory holds), and the answer is kept unless a change was
    /// announced while it was read.
    private func cached<T: Sendable>(_ held: (State) -> T?, load: () async throws -> T, keep: (inout State, T) -> Void) async throws -> T {
        let hit = state.withLock { held($0) }
        if changes.mayServeFromMemory, let hit { return hit }
        let generation = state.withLock { $0.generation }
        let value = try await StoreError.staleIfUnavailable(hit, load)
        state.withLock { state in
            if state.generation == generation { keep(&state, value) }
        }
        return value
    }

    // MARK: Users

    /// How many users the site has (Expert's `totalcount`): counted once, then kept until a user of the site changes.
    public func userCount(site: UUID) async throws -> Int {
        try await cached({ $0.userCounts[site] }, load: { try await users.userCount(site: site) }, keep: { $0.userCounts[site] = $1 })
    }

    public func user(site: UUID, id: Int) async throws -> User? {
        try await cached({ $0.users[site]?[id].map { .some($0) } }, load: { try await users.user(site: site, id: id) }, keep: remember)
    }

    public func user(site: UUID, username: String) async throws -> User? {
        let key = Usernames.key(username)
        return try await cached({ state in state.usernames[site]?[key].flatMap { state.users[site]?[$0] }.map { .some($0) } },
                                load: { try await users.user(site: site, username: username) }, keep: remember)
    }

    /// A user found (a look-up that found none is not kept), within the site's bound.
    private func remember(_ state: inout State, _ user: User?) {
        guard let user else { return }
        if state.users[user.siteID, default: [:]].count >= maxUsersPerSite {
            state.users[user.siteID] = [:]
            state.usernames[user.siteID] = [:]
        }
        state.users[user.siteID, default: [:]][user.id] = user
        state.usernames[user.siteID, default: [:]][Usernames.key(user.username)] = user.id
    }

    // MARK: Developer tokens

    /// The token with this key, from memory when it (or its absence) was read before.
    public func developerToken(site: UUID, key: String) async throws -> DeveloperToken? {
        try await developerToken(site: site, .key(Array(key.utf8))) { try await self.developerTokenStore.developerToken(site: site, key: key) }
    }

    public func developerToken(site: UUID, id: Int) async throws -> DeveloperToken? {
        try await developerToken(site: site, .id(id)) { try await self.developerTokenStore.developerToken(site: site, id: id) }
    }

    /// Tokens are remembered one by one, and so is a look-up that found none (a key sent again costs no store round
    /// trip), up to `maxTokensPerSite` tokens and `maxMissingPerSite` misses a site.
    private func developerToken(site: UUID, _ lookup: TokenLookup, load: () async throws -> DeveloperToken?) async throws -> DeveloperToken? {
        try await cached({ $0.tokens[site]?.lookups[lookup] }, load: load, keep: { state, token in
            var tokens = state.tokens.removeValue(forKey: site) ?? SiteTokens()
            tokens.lookups.remember(lookup, token, maxFound: maxTokensPerSite, maxMissing: maxMissingPerSite)
            state.tokens[site] = tokens
        })
    }

    /// The site's browser tokens (CORS preflight asks whether any of them admits an origin), kept until a token of
    /// the site changes.
    public func browserTokens(site: UUID) async throws -> [DeveloperToken] {
        try await cached({ $0.tokens[site]?.browser }, load: { try await developerTokenStore.developerTokens(site: site, type: .browser) },
                         keep: { $0.tokens[site, default: SiteTokens()].browser = $1 })
    }

    /// How many tokens the site has (the dashboard's list), counted once and kept until a token of the site changes.
    public func developerTokenCount(site: UUID) async throws -> Int {
        try await cached({ $0.tokens[site]?.count }, load: { try await developerTokenStore.developerTokenCount(site: site) },
                         keep: { $0.tokens[site, default: SiteTokens()].count = $1 })
    }

    // MARK: Access keys

    /// The access key with this id, from memory when it (or its absence) was read before: every token exchange of a
    /// key reads it. Any change to a site's keys — made, deactivated, deleted, its last use written — drops them all.
    public func accessKey(site: UUID, id: String) async throws -> AccessKey? {
        guard accessKeysInMemory.load(ordering: .relaxed) else { return try await accessKeyStore.accessKey(site: site, id: id) }
        let lookup = Array(id.utf8)
        return try await cached({ $0.accessKeys[site]?[lookup] }, load: { try await accessKeyStore.accessKey(site: site, id: id) }, keep: { state, key in
            var keys = state.accessKeys.removeValue(forKey: site) ?? Remembered()
            keys.remember(lookup, key, maxFound: maxTokensPerSite, maxMissing: maxMissingPerSite)
            state.accessKeys[site] = keys
        })
    }

    /// Serve access keys from memory, or read each from the store. The server turns memory off while
    /// `Store.olderReleasesMayServe` (an upgrade not yet finished), and it stays off until a restart.
    public func keepAccessKeysInMemory(_ allowed: Bool) {
        accessKeysInMemory.store(allowed, ordering: .relaxed)
        if !allowed { state.withLock { $0.accessKeys.removeAll() } }
    }

    // MARK: Applications

    /// How long a known application is served from memory. A command line beside a SQLite server announces nothing
    /// to it, so this bounds how long a change made there could go unseen (changes made through the API, or on
    /// PostgreSQL by any instance, are announced and seen at once).
    public static let applicationMaxAge: Duration = .seconds(5)

    /// An OAuth client by id, from memory when it was read in the last few seconds: introspection and the token
    /// endpoints authenticate a client on every call. That no application has an id is remembered the same way (an
    /// oauth developer token authenticating as a client, or a flood of made-up ids, would otherwise cost a store
    /// round trip each): a registration anywhere announces `applications`, which drops every entry, so only a client
    /// made by the command line beside a SQLite server can go unseen, for at most `applicationMaxAge`.
    public func application(clientID: String) async throws -> Application? {
        let now = ContinuousClock.now, key = Array(clientID.utf8)  // by bytes, as TokenLookup
        let hit = state.withLock { $0.applications[key] }
        if changes.mayServeFromMemory, let hit, now - hit.loadedAt < Self.applicationMaxAge || changes.isStoreAway {
            return hit.application
        }
        let generation = state.withLock { $0.generation }
        let application = try await StoreError.staleIfUnavailable(hit.map { $0.application }) { try await clients.application(clientID: clientID) }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.applications.count >= 10_000 { state.applications.removeAll() }
            state.applications[key] = (application, now)
        }
        return application
    }

    /// Whether an `Origin` header names an origin some enabled client registered: ASCII only, compared without case
    /// by bytes (a String's `lowercased()` would turn U+212A, the Kelvin sign, into `k`).
    public func isRegisteredOrigin(_ origin: String) async throws -> Bool {
        guard origin.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        return try await registeredOrigins().contains(origin.lowercased())
    }

    /// The union of every enabled client's origins (CORS of the token, userinfo and JWKS endpoints), from memory for
    /// a few seconds.
    private func registeredOrigins() async throws -> Set<String> {
        let now = ContinuousClock.now
        let hit = state.withLock { $0.origins }
        if changes.mayServeFromMemory, let hit, now - hit.loadedAt < Self.applicationMaxAge || changes.isStoreAway { return hit.set }
        let generation = state.withLock { $0.generation }
        let origins = try await StoreError.staleIfUnavailable(hit?.set) { Set(try await clients.registeredOrigins()) }
        state.withLock { state in
            if state.generation == generation { state.origins = (origins, now) }
        }
        return origins
    }
}
