/// The schema, as numbered steps per SQL dialect. A step is never edited once released: add a new one.
/// Each store records applied steps in `schema_migrations` and applies the rest at start, under a lock.
enum Migrations {
    struct Step: Sendable {
        let version: Int
        let statements: [String]
    }

    static let sqlite: [Step] = [
        Step(version: 1, statements: [
            """
            CREATE TABLE sites (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                is_default INTEGER NOT NULL DEFAULT 0,
                auth_token_key BLOB NOT NULL,
                next_user_id INTEGER NOT NULL DEFAULT 3,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX sites_one_default ON sites (is_default) WHERE is_default = 1",
            """
            CREATE TABLE site_hostnames (
                hostname TEXT PRIMARY KEY,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE users (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id INTEGER NOT NULL,
                guid TEXT NOT NULL UNIQUE,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL,
                email TEXT NOT NULL,
                full_name TEXT NOT NULL,
                status TEXT NOT NULL,
                has_seat INTEGER NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT,
                security_stamp TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_login_at INTEGER,
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, username_key)
            )
            """,
        ]),
        Step(version: 2, statements: [
            "ALTER TABLE sites ADD COLUMN next_token_id INTEGER NOT NULL DEFAULT 1",
            """
            CREATE TABLE developer_tokens (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id INTEGER NOT NULL,
                type TEXT NOT NULL,
                name TEXT NOT NULL,
                key TEXT NOT NULL,
                hosts TEXT NOT NULL,
                restricted_user_id INTEGER,
                secret_salt TEXT,
                secret_hash TEXT,
                jwt_salt TEXT,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, key)
            )
            """,
            """
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                at INTEGER NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                actor_user_id INTEGER,
                token_id INTEGER,
                client_address TEXT NOT NULL,
                detail TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_by_site ON audit_events (site_id, id)",
            "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
    ]

    static let postgres: [Step] = [
        Step(version: 1, statements: [
            """
            CREATE TABLE sites (
                id UUID PRIMARY KEY,
                name TEXT NOT NULL,
                is_default BOOLEAN NOT NULL DEFAULT FALSE,
                auth_token_key BYTEA NOT NULL,
                next_user_id BIGINT NOT NULL DEFAULT 3,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX sites_one_default ON sites (is_default) WHERE is_default",
            """
            CREATE TABLE site_hostnames (
                hostname TEXT PRIMARY KEY,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE users (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id BIGINT NOT NULL,
                guid UUID NOT NULL UNIQUE,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL,
                email TEXT NOT NULL,
                full_name TEXT NOT NULL,
                status TEXT NOT NULL,
                has_seat BOOLEAN NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT,
                security_stamp TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_login_at BIGINT,
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, username_key)
            )
            """,
        ]),
        Step(version: 2, statements: [
            "ALTER TABLE sites ADD COLUMN next_token_id BIGINT NOT NULL DEFAULT 1",
            """
            CREATE TABLE developer_tokens (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                id BIGINT NOT NULL,
                type TEXT NOT NULL,
                name TEXT NOT NULL,
                key TEXT NOT NULL,
                hosts TEXT NOT NULL,
                restricted_user_id BIGINT,
                secret_salt TEXT,
                secret_hash TEXT,
                jwt_salt TEXT,
                created_by BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, id),
                UNIQUE (site_id, key)
            )
            """,
            """
            CREATE TABLE audit_events (
                id BIGSERIAL PRIMARY KEY,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                at BIGINT NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                actor_user_id BIGINT,
                token_id BIGINT,
                client_address TEXT NOT NULL,
                detail TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_by_site ON audit_events (site_id, id)",
            "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
    ]
}


/// The key used for case-insensitive username uniqueness, the same in every store.
func usernameKey(_ username: String) -> String { username.lowercased() }

/// The per-site counters in `sites` that hand out user and developer-token ids.
enum SiteCounter: String {
    case user = "next_user_id"
    case developerToken = "next_token_id"
}
