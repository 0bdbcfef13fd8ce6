-- The schema of a notifications database made before the schema ladder (user_version 0),
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
CREATE TABLE contacts (
        account_id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        display_name TEXT NOT NULL,
        verified INTEGER NOT NULL DEFAULT 0
    );
CREATE TABLE profile_cards (
        profile_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        display_name TEXT NOT NULL,
        department TEXT,
        profession TEXT,
        grade TEXT,
        region TEXT
    );
CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT,
        created_at REAL NOT NULL,
        read_at REAL
    );
CREATE INDEX notifications_by_recipient
        ON notifications (recipient_id, created_at DESC, id DESC);
CREATE TABLE preferences (
        account_id TEXT PRIMARY KEY,
        channels TEXT NOT NULL,
        daily_digest INTEGER NOT NULL DEFAULT 0
    );
CREATE TABLE email_jobs (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        to_address TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        unsubscribe_url TEXT NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        sent_at REAL,
        throttle_key TEXT,
        notification_id TEXT,
        personalisation TEXT NOT NULL DEFAULT '{}',
        attachments TEXT NOT NULL DEFAULT '[]'
    );
CREATE INDEX email_jobs_due ON email_jobs (next_attempt_at)
        WHERE state = 'pending';
CREATE INDEX email_jobs_held ON email_jobs (recipient_id, created_at)
        WHERE state = 'digest';
CREATE INDEX email_jobs_throttle
        ON email_jobs (recipient_id, throttle_key, created_at);
CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at REAL NOT NULL,
        department TEXT,
        match_events TEXT
    );
CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        delivered_at REAL
    );
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE state = 'pending';
CREATE TABLE webhook_delivery_subjects (
        delivery_id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL
    );
CREATE INDEX webhook_delivery_subjects_by_subject
        ON webhook_delivery_subjects (subject_id);
CREATE TABLE checkins (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        match_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        created_at REAL NOT NULL,
        rating INTEGER,
        comment TEXT,
        answered_at REAL
    );
CREATE INDEX checkins_by_recipient ON checkins (recipient_id, created_at);
