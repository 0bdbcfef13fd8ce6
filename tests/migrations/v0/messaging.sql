-- The schema of a messaging database made before the schema ladder (user_version 0),
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
CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        match_id TEXT NOT NULL UNIQUE,
        mentee_id TEXT,
        mentor_id TEXT,
        status TEXT NOT NULL,
        closed_reason TEXT,
        created_at REAL NOT NULL,
        last_activity_at REAL NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0
    );
CREATE INDEX conversations_mentee ON conversations (mentee_id);
CREATE INDEX conversations_mentor ON conversations (mentor_id);
CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id),
        seq INTEGER NOT NULL,
        sender_id TEXT,
        body TEXT,
        sent_at REAL NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        UNIQUE (conversation_id, seq)
    );
CREATE INDEX messages_sender ON messages (sender_id);
CREATE TABLE read_states (
        conversation_id TEXT NOT NULL,
        reader_id TEXT NOT NULL,
        last_read_seq INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, reader_id)
    );
CREATE INDEX read_states_reader ON read_states (reader_id);
CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        reporter_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at REAL NOT NULL
    );
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX reports_reporter ON reports (reporter_id);
CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        match_id TEXT NOT NULL,
        proposer_id TEXT NOT NULL,
        other_id TEXT NOT NULL,
        starts_at REAL NOT NULL,
        duration_minutes INTEGER NOT NULL,
        location TEXT,
        online_link TEXT,
        status TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
CREATE INDEX sessions_conversation ON sessions (conversation_id, starts_at);
CREATE INDEX sessions_proposer ON sessions (proposer_id);
CREATE INDEX sessions_other ON sessions (other_id);
CREATE TABLE people (
        profile_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        initials TEXT NOT NULL,
        anonymous INTEGER NOT NULL,
        version INTEGER NOT NULL
    );
CREATE TABLE person_goals (
        profile_id TEXT PRIMARY KEY,
        goals TEXT NOT NULL
    );
CREATE TABLE plans (
        conversation_id TEXT PRIMARY KEY,
        goals TEXT NOT NULL,
        actions TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at REAL,
        updated_by TEXT
    );
CREATE TABLE session_notes (
        session_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (session_id, author_id)
    );
CREATE INDEX session_notes_author ON session_notes (author_id);
CREATE INDEX session_notes_conversation ON session_notes (conversation_id);
