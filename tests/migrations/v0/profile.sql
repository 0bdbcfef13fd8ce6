-- The schema of a profile database made before the schema ladder (user_version 0),
-- as sqlite_master held it (commit eafbe24, the last before versioned steps).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at);
CREATE INDEX outbox_by_key ON outbox (key);
CREATE TABLE outbox_marks (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at REAL NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE rate_limits (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start REAL NOT NULL,
    expires_at REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);
CREATE TABLE erased_subjects (
    subject_id TEXT PRIMARY KEY,
    erased_at REAL NOT NULL
);
CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        email_verified INTEGER NOT NULL,
        email_verified_at TEXT,
        password_hash TEXT,
        is_admin INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        claimed INTEGER NOT NULL
    );
CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        name_key TEXT NOT NULL,
        anonymous INTEGER NOT NULL,
        department TEXT,
        profession TEXT,
        grade TEXT,
        region TEXT,
        is_mentor INTEGER NOT NULL,
        is_mentee INTEGER NOT NULL,
        is_coach INTEGER NOT NULL,
        document TEXT NOT NULL
    );
CREATE INDEX profiles_by_name ON profiles (name_key, id);
CREATE INDEX profiles_by_department ON profiles (department, name_key, id);
CREATE TABLE refresh_tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        family_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        rotated_at TEXT,
        replaced_by TEXT,
        revoked_at TEXT
    );
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_account ON refresh_tokens (account_id);
CREATE TABLE account_tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
CREATE INDEX account_tokens_by_account ON account_tokens (account_id);
CREATE TABLE contact_grants (
        match_id TEXT PRIMARY KEY,
        mentee_id TEXT NOT NULL,
        mentor_id TEXT NOT NULL,
        active INTEGER NOT NULL,
        granted_at TEXT NOT NULL,
        ended_at TEXT
    );
CREATE INDEX contact_grants_by_mentee ON contact_grants (mentee_id);
CREATE INDEX contact_grants_by_mentor ON contact_grants (mentor_id);
CREATE TABLE allowed_domains (entry TEXT PRIMARY KEY);
CREATE TABLE pending_credentials (
        token_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
CREATE INDEX pending_credentials_by_account
        ON pending_credentials (account_id, created_at);
