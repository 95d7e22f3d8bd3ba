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
        Step(version: 3, statements: [
            "ALTER TABLE sites ADD COLUMN business_unit INTEGER NOT NULL DEFAULT 1000",
            "ALTER TABLE sites ADD COLUMN area TEXT NOT NULL DEFAULT 'na1'",
            "ALTER TABLE sites ADD COLUMN cluster TEXT NOT NULL DEFAULT 'C1'",
            """
            CREATE TABLE signing_keys (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                kid TEXT NOT NULL,
                sealed_private_key BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                PRIMARY KEY (site_id, kid),
                UNIQUE (site_id, seq)
            )
            """,
            """
            CREATE TABLE access_keys (
                id TEXT PRIMARY KEY,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id INTEGER NOT NULL,
                secret_hash TEXT NOT NULL,
                is_active INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                last_used_at INTEGER
            )
            """,
            "CREATE INDEX access_keys_by_site ON access_keys (site_id, user_id)",
            """
            CREATE TABLE applications (
                client_id TEXT PRIMARY KEY,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                secret_salt TEXT,
                redirect_uris TEXT NOT NULL,
                multi_tenant INTEGER NOT NULL,
                is_enabled INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                family_id TEXT NOT NULL,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id INTEGER NOT NULL,
                client_id TEXT,
                scope TEXT NOT NULL,
                auth_time INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER,
                revoked INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id)",
            """
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                user_id INTEGER NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT,
                nonce TEXT,
                scope TEXT NOT NULL,
                auth_time INTEGER NOT NULL,
                family_id TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            )
            """,
            """
            CREATE TABLE client_assertions (
                client_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (client_id, jti)
            )
            """,
        ]),
        Step(version: 4, statements: [
            "ALTER TABLE sites ADD COLUMN legacy_tokens INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE sites ADD COLUMN legacy_api_key BLOB",
            """
            CREATE TABLE revocations (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                reference TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (site_id, reference)
            )
            """,
            "CREATE INDEX revocations_by_expiry ON revocations (expires_at)",
            """
            CREATE TABLE identity_providers (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                issuer TEXT NOT NULL,
                audience TEXT NOT NULL,
                jwks_url TEXT,
                static_jwks TEXT,
                claims TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (site_id, issuer)
            )
            """,
        ]),
        Step(version: 5, statements: [
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
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                business_unit INTEGER,
                contacts TEXT NOT NULL,
                multi_tenant INTEGER NOT NULL,
                environments TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                logout_uris TEXT NOT NULL,
                origins TEXT NOT NULL,
                scopes TEXT NOT NULL,
                status TEXT NOT NULL,
                is_enabled INTEGER NOT NULL,
                created_by INTEGER,
                created_at INTEGER NOT NULL,
                modified_at INTEGER NOT NULL,
                approved_by INTEGER,
                approved_at INTEGER
            )
            """,
            "CREATE INDEX app_registrations_by_site ON app_registrations (site_id, created_at)",
            """
            CREATE TABLE grants (
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id INTEGER NOT NULL,
                client_id TEXT NOT NULL,
                client_name TEXT NOT NULL,
                scope TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (site_id, user_id, client_id)
            )
            """,
            "CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (site_id, user_id, client_id)",
            """
            CREATE TABLE device_authorizations (
                device_code_hash TEXT PRIMARY KEY,
                user_code TEXT NOT NULL,
                site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                status TEXT NOT NULL,
                user_id INTEGER,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX device_authorizations_by_user_code ON device_authorizations (site_id, user_code)",
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
        Step(version: 3, statements: [
            "ALTER TABLE sites ADD COLUMN business_unit BIGINT NOT NULL DEFAULT 1000",
            "ALTER TABLE sites ADD COLUMN area TEXT NOT NULL DEFAULT 'na1'",
            "ALTER TABLE sites ADD COLUMN cluster TEXT NOT NULL DEFAULT 'C1'",
            """
            CREATE TABLE signing_keys (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                kid TEXT NOT NULL,
                sealed_private_key BYTEA NOT NULL,
                created_at BIGINT NOT NULL,
                seq BIGINT NOT NULL,
                PRIMARY KEY (site_id, kid),
                UNIQUE (site_id, seq)
            )
            """,
            """
            CREATE TABLE access_keys (
                id TEXT PRIMARY KEY,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id BIGINT NOT NULL,
                secret_hash TEXT NOT NULL,
                is_active BOOLEAN NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT
            )
            """,
            "CREATE INDEX access_keys_by_site ON access_keys (site_id, user_id)",
            """
            CREATE TABLE applications (
                client_id TEXT PRIMARY KEY,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                secret_salt TEXT,
                redirect_uris TEXT NOT NULL,
                multi_tenant BOOLEAN NOT NULL,
                is_enabled BOOLEAN NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                family_id TEXT NOT NULL,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id BIGINT NOT NULL,
                client_id TEXT,
                scope TEXT NOT NULL,
                auth_time BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                revoked BOOLEAN NOT NULL DEFAULT FALSE
            )
            """,
            "CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id)",
            """
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                user_id BIGINT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT,
                nonce TEXT,
                scope TEXT NOT NULL,
                auth_time BIGINT NOT NULL,
                family_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            )
            """,
            """
            CREATE TABLE client_assertions (
                client_id TEXT NOT NULL,
                jti TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (client_id, jti)
            )
            """,
        ]),
        Step(version: 4, statements: [
            "ALTER TABLE sites ADD COLUMN legacy_tokens BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE sites ADD COLUMN legacy_api_key BYTEA",
            """
            CREATE TABLE revocations (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                reference TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, reference)
            )
            """,
            "CREATE INDEX revocations_by_expiry ON revocations (expires_at)",
            """
            CREATE TABLE identity_providers (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                issuer TEXT NOT NULL,
                audience TEXT NOT NULL,
                jwks_url TEXT,
                static_jwks TEXT,
                claims TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, issuer)
            )
            """,
        ]),
        Step(version: 5, statements: [
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
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                business_unit BIGINT,
                contacts TEXT NOT NULL,
                multi_tenant BOOLEAN NOT NULL,
                environments TEXT NOT NULL,
                type TEXT NOT NULL,
                auth_method TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                logout_uris TEXT NOT NULL,
                origins TEXT NOT NULL,
                scopes TEXT NOT NULL,
                status TEXT NOT NULL,
                is_enabled BOOLEAN NOT NULL,
                created_by BIGINT,
                created_at BIGINT NOT NULL,
                modified_at BIGINT NOT NULL,
                approved_by BIGINT,
                approved_at BIGINT
            )
            """,
            "CREATE INDEX app_registrations_by_site ON app_registrations (site_id, created_at)",
            """
            CREATE TABLE grants (
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                user_id BIGINT NOT NULL,
                client_id TEXT NOT NULL,
                client_name TEXT NOT NULL,
                scope TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, user_id, client_id)
            )
            """,
            "CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (site_id, user_id, client_id)",
            """
            CREATE TABLE device_authorizations (
                device_code_hash TEXT PRIMARY KEY,
                user_code TEXT NOT NULL,
                site_id UUID NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                client_id TEXT NOT NULL,
                scope TEXT NOT NULL,
                status TEXT NOT NULL,
                user_id BIGINT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX device_authorizations_by_user_code ON device_authorizations (site_id, user_code)",
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
