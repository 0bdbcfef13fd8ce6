-- The schema of a matching database made before the schema ladder (user_version 0),
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
CREATE TABLE profiles (
        profile_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        department TEXT,
        body TEXT NOT NULL
    );
CREATE TABLE matches (
        id TEXT PRIMARY KEY,
        mentee_id TEXT NOT NULL,
        mentor_id TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        ended_by TEXT,
        reminder_sent INTEGER NOT NULL DEFAULT 0,
        rating INTEGER,
        comment TEXT
    );
CREATE INDEX matches_mentee ON matches (mentee_id, status);
CREATE INDEX matches_mentor ON matches (mentor_id, status);
CREATE INDEX matches_status ON matches (status);
CREATE INDEX matches_live ON matches (mentor_id, status, created_at)
        WHERE status IN ('accepted', 'requested');
CREATE TABLE mentor_replies (
        mentor_id TEXT PRIMARY KEY,
        recent_hours TEXT NOT NULL,
        median_reply_hours REAL NOT NULL
    );
CREATE INDEX mentor_replies_median ON mentor_replies (median_reply_hours);
CREATE TABLE index_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        applied INTEGER NOT NULL DEFAULT 0
    );
CREATE TABLE shortlist (
        owner_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (owner_id, profile_id)
    );
CREATE INDEX shortlist_saved ON shortlist (profile_id);
CREATE TABLE person_activity (
        person_id TEXT PRIMARY KEY,
        month TEXT NOT NULL
    );
