import TesseraCore

/// The schema as numbered steps, each written once for both dialects (column types come from the dialect). A
/// released step is never edited: add a new one. `Migrator` applies the steps a database lacks.
enum Schema {
    struct Step: Sendable {
        let version: Int
        /// nil: both dialects; otherwise the one dialect the step concerns (the other records it as applied).
        let only: SQLDialect?
        let statements: @Sendable (SQLDialect) -> [String]
        /// A step that must read rows and decide (written in Swift, once); returns notes for the operator.
        let code: (@Sendable (any SQLExecutor) async throws -> [String])?
        /// A contract step: it changes what an older release reads or writes, so on a database older instances may
        /// still serve it waits for `tessera migrate --finish` (see `Migrator`). Every other step only adds what older
        /// releases ignore, and runs at start.
        let contract: Bool

        init(_ version: Int, only: SQLDialect? = nil, contract: Bool = false, _ statements: @escaping @Sendable (SQLDialect) -> [String]) {
            self.version = version
            self.only = only
            self.statements = statements
            self.code = nil
            self.contract = contract
        }

        init(_ version: Int, contract: Bool = false, code: @escaping @Sendable (any SQLExecutor) async throws -> [String]) {
            self.version = version
            self.only = nil
            self.statements = { _ in [] }
            self.code = code
            self.contract = contract
        }
    }

    static let steps: [Step] = [
        Step(1) { d in [
            """
            CREATE TABLE sites (
                id \(d.uuid) PRIMARY KEY,
                name TEXT NOT NULL,
                is_default \(d.bool) NOT NULL DEFAULT \(d.falseLiteral),
                auth_token_key \(d.bytes) NOT NULL,
                next_user_id \(d.int) NOT NULL DEFAULT 3,
                created_at \(d.int) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX sites_one_default ON sites (is_default) WHERE is_default = \(d.trueLiteral)",
            """
            CREATE TABLE site_hostnames (
                hostname TEXT PRIMARY KEY,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE users (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id \(d.int) NOT NULL,
                guid \(d.uuid) NOT NULL UNIQUE,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL,
                email TEXT NOT NULL,
                full_name TEXT NOT NULL,
                status TEXT NOT NULL,
                has_seat \(d.bool) NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT,
                security_stamp TEXT NOT NULL,
                created_at \(d.int) NOT NULL,
                last_login_at \(d.int),
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, username_key)
            )
            """,
        ] },
        Step(2) { d in [
            "ALTER TABLE sites ADD COLUMN next_token_id \(d.int) NOT NULL DEFAULT 1",
            """
            CREATE TABLE developer_tokens (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id \(d.int) NOT NULL,
                type TEXT NOT NULL,
                name TEXT NOT NULL,
                key TEXT NOT NULL,
                hosts TEXT NOT NULL,
                restricted_user_id \(d.int),
                secret_salt TEXT,
                secret_hash TEXT,
                jwt_salt TEXT,
                created_by \(d.int) NOT NULL,
                created_at \(d.int) NOT NULL,
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, key)
            )
            """,
            """
            CREATE TABLE audit_events (
                id \(d.serialKey),
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                at \(d.int) NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                actor_user_id \(d.int),
                token_id \(d.int),
                client_address TEXT NOT NULL,
                detail TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_by_site ON audit_events (site_id, id)",
            "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ] },
        Step(3) { d in [
            "ALTER TABLE sites ADD COLUMN business_unit \(d.int) NOT NULL DEFAULT 1000",
            "ALTER TABLE sites ADD COLUMN area TEXT NOT NULL DEFAULT 'na1'",
            "ALTER TABLE sites ADD COLUMN cluster TEXT NOT NULL DEFAULT 'C1'",
            """
            CREATE TABLE signing_keys (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                kid TEXT NOT NULL,
                sealed_private_key \(d.bytes) NOT NULL,
                created_at \(d.int) NOT NULL,
                seq \(d.int) NOT NULL,
                PRIMARY KEY (site_id, kid),
                UNIQUE (site_id, seq)
            )
            """,
            """
            CREATE TABLE access_keys (
                id TEXT PRIMARY KEY,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id \(d.int) NOT NULL,
                secret_hash TEXT NOT NULL,
                is_active \(d.bool) NOT NULL,
                created_at \(d.int) NOT NULL,
                last_used_at \(d.int)
            )
            """,
            "CREATE INDEX access_keys_by_site ON access_keys (site_id, user_id)",
            """
            CREATE TABLE applications (
                client_id TEXT PRIMARY KEY,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                secret_salt TEXT,
                redirect_uris TEXT NOT NULL,
                multi_tenant \(d.bool) NOT NULL,
                is_enabled \(d.bool) NOT NULL,
                created_at \(d.int) NOT NULL
            )
            """,
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                family_id \(d.uuid) NOT NULL,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id \(d.int) NOT NULL,
                client_id TEXT,
                scope TEXT NOT NULL,
                auth_time \(d.int) NOT NULL,
                created_at \(d.int) NOT NULL,
                expires_at \(d.int) NOT NULL,
                used_at \(d.int),
                revoked \(d.bool) NOT NULL DEFAULT \(d.falseLiteral)
            )
            """,
            "CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id)",
            """
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                user_id \(d.int) NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT,
                nonce TEXT,
                scope TEXT NOT NULL,
                auth_time \(d.int) NOT NULL,
                family_id \(d.uuid) NOT NULL,
                created_at \(d.int) NOT NULL,
                expires_at \(d.int) NOT NULL,
                used_at \(d.int)
            )
            """,
            """
            CREATE TABLE client_assertions (
                client_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                expires_at \(d.int) NOT NULL,
                PRIMARY KEY (client_id, jti)
            )
            """,
        ] },
        Step(4) { d in [
            "ALTER TABLE sites ADD COLUMN legacy_tokens \(d.bool) NOT NULL DEFAULT \(d.falseLiteral)",
            "ALTER TABLE sites ADD COLUMN legacy_api_key \(d.bytes)",
            """
            CREATE TABLE revocations (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                reference TEXT NOT NULL,
                expires_at \(d.int) NOT NULL,
                PRIMARY KEY (site_id, reference)
            )
            """,
            "CREATE INDEX revocations_by_expiry ON revocations (expires_at)",
            """
            CREATE TABLE identity_providers (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                issuer TEXT NOT NULL,
                audience TEXT NOT NULL,
                jwks_url TEXT,
                static_jwks TEXT,
                claims TEXT NOT NULL,
                created_at \(d.int) NOT NULL,
                PRIMARY KEY (site_id, issuer)
            )
            """,
        ] },
        Step(5) { d in [
            "ALTER TABLE sites ADD COLUMN branding_logo TEXT",
            "ALTER TABLE sites ADD COLUMN branding_colour TEXT",
            "ALTER TABLE applications ADD COLUMN tracking_number TEXT",
            "ALTER TABLE applications ADD COLUMN environment TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE applications ADD COLUMN logout_uris TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE applications ADD COLUMN origins TEXT NOT NULL DEFAULT '[]'",
            "CREATE INDEX applications_by_registration ON applications (tracking_number)",
            """
            CREATE TABLE app_registrations (
                tracking_number TEXT PRIMARY KEY,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                business_unit \(d.int),
                contacts TEXT NOT NULL,
                multi_tenant \(d.bool) NOT NULL,
                environments TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                logout_uris TEXT NOT NULL,
                origins TEXT NOT NULL,
                scopes TEXT NOT NULL,
                status TEXT NOT NULL,
                is_enabled \(d.bool) NOT NULL,
                created_by \(d.int),
                created_at \(d.int) NOT NULL,
                modified_at \(d.int) NOT NULL,
                approved_by \(d.int),
                approved_at \(d.int)
            )
            """,
            "CREATE INDEX app_registrations_by_site ON app_registrations (site_id, created_at)",
            """
            CREATE TABLE grants (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id \(d.int) NOT NULL,
                client_id TEXT NOT NULL,
                client_name TEXT NOT NULL,
                scope TEXT NOT NULL,
                created_at \(d.int) NOT NULL,
                updated_at \(d.int) NOT NULL,
                PRIMARY KEY (site_id, user_id, client_id)
            )
            """,
            "CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (site_id, user_id, client_id)",
            """
            CREATE TABLE device_authorizations (
                device_code_hash TEXT PRIMARY KEY,
                user_code TEXT NOT NULL,
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                status TEXT NOT NULL,
                user_id \(d.int),
                created_at \(d.int) NOT NULL,
                expires_at \(d.int) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX device_authorizations_by_user_code ON device_authorizations (site_id, user_code)",
        ] },
        // Releases up to step 5 made the refresh-token family a TEXT column on PostgreSQL, where every other UUID
        // is a UUID (SQLite keeps all of them as text). Those releases bind the family as text, which a UUID column
        // refuses: a contract step (the statements of this build bind it untyped and work on either).
        Step(6, only: .postgres, contract: true) { _ in [
            "ALTER TABLE refresh_tokens ALTER COLUMN family_id TYPE UUID USING family_id::uuid",
            "ALTER TABLE authorization_codes ALTER COLUMN family_id TYPE UUID USING family_id::uuid",
        ] },
        // Scopes, first-hand sessions, what an application's token created, identity links, aggregated refusals.
        Step(7) { d in [
            "ALTER TABLE users ADD COLUMN tokens_valid_after \(d.int) NOT NULL DEFAULT 0",
            "ALTER TABLE refresh_tokens ADD COLUMN first_hand \(d.bool) NOT NULL DEFAULT \(d.falseLiteral)",
            "ALTER TABLE refresh_tokens ADD COLUMN sign_in_session TEXT",
            "ALTER TABLE refresh_tokens ADD COLUMN issued_ms \(d.int)",
            // Sessions no application started (an access key's, a basic token's) and those of back-end applications'
            // password grant were started with the user's own key.
            """
            UPDATE refresh_tokens SET first_hand = \(d.trueLiteral)
            WHERE client_id IS NULL OR client_id IN (SELECT client_id FROM applications WHERE type = 'backend')
            """,
            "CREATE INDEX refresh_tokens_by_sign_in ON refresh_tokens (sign_in_session)",
            "ALTER TABLE authorization_codes ADD COLUMN sign_in_session TEXT",
            "ALTER TABLE authorization_codes ADD COLUMN issued_ms \(d.int)",
            "CREATE INDEX authorization_codes_by_sign_in ON authorization_codes (sign_in_session)",
            "CREATE INDEX authorization_codes_by_user ON authorization_codes (site_id, user_id, client_id)",
            // The housekeeping forgets what expired.
            "CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at)",
            "CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at)",
            "ALTER TABLE developer_tokens ADD COLUMN created_by_client TEXT",
            "ALTER TABLE access_keys ADD COLUMN created_by \(d.int)",
            "ALTER TABLE access_keys ADD COLUMN created_by_client TEXT",
            "ALTER TABLE applications ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]'",
            """
            UPDATE applications SET scopes = (SELECT r.scopes FROM app_registrations r WHERE r.tracking_number = applications.tracking_number)
            WHERE EXISTS (SELECT 1 FROM app_registrations r WHERE r.tracking_number = applications.tracking_number)
            """,
            """
            CREATE TABLE identity_links (
                site_id \(d.uuid) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                issuer TEXT NOT NULL,
                subject TEXT NOT NULL,
                user_id \(d.int) NOT NULL,
                created_at \(d.int) NOT NULL,
                PRIMARY KEY (site_id, issuer, subject)
            )
            """,
            // private_key_jwt: the application's JWK Set or its URL; a deletion asked for and when it takes effect.
            "ALTER TABLE applications ADD COLUMN jwks TEXT",
            "ALTER TABLE applications ADD COLUMN jwks_url TEXT",
            "ALTER TABLE app_registrations ADD COLUMN jwks TEXT",
            "ALTER TABLE app_registrations ADD COLUMN jwks_url TEXT",
            "ALTER TABLE app_registrations ADD COLUMN scheduled_deletion \(d.int)",
            "ALTER TABLE audit_events ADD COLUMN count \(d.int) NOT NULL DEFAULT 1",
            "ALTER TABLE audit_events ADD COLUMN aggregate_key TEXT",
            "CREATE UNIQUE INDEX audit_events_by_aggregate ON audit_events (aggregate_key)",
            "CREATE INDEX audit_events_by_time ON audit_events (at)",
        ] },
        // Usernames are NFC and keyed by NFC lower case. A name whose normal form is another user's is reported and
        // left as it is: merging two accounts is an administrator's decision.
        Step(8, code: Self.normaliseUsernames),
        // Expert's user search: prefixes of the username, e-mail address and full name, each a range of an index
        // (keys in NFC lower case, compared bytewise).
        Step(9) { d in [
            "ALTER TABLE users ADD COLUMN email_key TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE users ADD COLUMN full_name_key TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX users_by_email_key ON users (site_id, email_key\(d.bytewise), id)",
            "CREATE INDEX users_by_full_name_key ON users (site_id, full_name_key\(d.bytewise), id)",
            // The other orders and filters of the search: a page is the first entries of one index, and each index
            // holds the id, so that paging far (an offset) walks the index alone.
            "CREATE INDEX users_by_role ON users (site_id, role, status, id)",
            "CREATE INDEX users_by_status ON users (site_id, status, id)",
            "CREATE INDEX users_by_last_login ON users (site_id, last_login_at, id)",
            "CREATE INDEX users_by_created ON users (site_id, created_at, id)",
            "CREATE INDEX users_by_username_key ON users (site_id, username_key\(d.bytewise), id)",
        ] },
        Step(10, code: { db in try await fillSearchKeys(db, onlyMissing: false) }),
        // What instances of releases before step 7 wrote while this one served beside them, without the columns
        // they do not know: first-hand sessions (step 7; their refresh tokens have no issued_ms) and search keys
        // (steps 9 and 10), derived again.
        Step(11, contract: true, code: Self.deriveWhatOlderReleasesWrote),
        // A site's browser tokens (their origins answer CORS preflight), read without walking its other tokens.
        Step(12) { _ in ["CREATE INDEX developer_tokens_by_type ON developer_tokens (site_id, type, id)"] },
        // No change to the tables: it marks that no release older than this one serves the database. Those releases
        // write access keys without announcing it, so until this step is applied `Directory` reads access keys from
        // the store on every exchange (a key deactivated through an older instance is refused at once).
        Step(13, contract: true) { _ in [] },
    ]

    @Sendable static func deriveWhatOlderReleasesWrote(_ db: any SQLExecutor) async throws -> [String] {
        let d = db.dialect
        try await db.execute(SQL(raw: """
            UPDATE refresh_tokens SET first_hand = \(d.trueLiteral)
            WHERE issued_ms IS NULL AND NOT first_hand
              AND (client_id IS NULL OR client_id IN (SELECT client_id FROM applications WHERE type = 'backend'))
            """))
        return try await fillSearchKeys(db, onlyMissing: true)
    }

    static func fillSearchKeys(_ db: any SQLExecutor, onlyMissing: Bool) async throws -> [String] {
        let missing = onlyMissing ? " WHERE (email_key = '' AND email <> '') OR (full_name_key = '' AND full_name <> '')" : ""
        for row in try await db.read(SQL(raw: "SELECT site_id, id, email, full_name FROM users" + missing)) {
            let (email, fullName) = (try row.string("email"), try row.string("full_name"))
            try await db.execute("""
                UPDATE users SET email_key = \(Usernames.key(email)), full_name_key = \(Usernames.key(fullName))
                WHERE site_id = \(try row.uuid("site_id")) AND id = \(try row.int("id"))
                """)
        }
        return []
    }

    @Sendable static func normaliseUsernames(_ db: any SQLExecutor) async throws -> [String] {
        var notes: [String] = []
        for row in try await db.read("SELECT site_id, id, username, username_key FROM users ORDER BY site_id, id") {
            let (site, id, name) = (try row.uuid("site_id"), try row.int("id"), try row.string("username"))
            let normal = Usernames.normalised(name)
            let key = Usernames.key(normal)
            let storedKey = try row.string("username_key")
            // Bytes, not Swift's canonical equivalence: the store compares bytes.
            guard !normal.utf8.elementsEqual(name.utf8) || !key.utf8.elementsEqual(storedKey.utf8) else { continue }
            if let clash = try await db.readOne("SELECT id FROM users WHERE site_id = \(site) AND username_key = \(key) AND id <> \(id)") {
                notes.append("user \(id) of site \(site.uuidString.lowercased()) has a username whose normal form (NFC) is the name of user "
                             + "\(try clash.int("id")); it was left unchanged: rename one of them")
                continue
            }
            try await db.execute("UPDATE users SET username = \(normal), username_key = \(key) WHERE site_id = \(site) AND id = \(id)")
        }
        return notes
    }
}
