-- kgdecide's shared state in PostgreSQL, version 1: API keys, users, sessions, the audit log.
-- Applied once per database by kgdecide.web.postgres.migrate (recorded in schema_migrations).

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    revoked TEXT
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,
    created TEXT NOT NULL,
    disabled TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure DOUBLE PRECISION NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    started DOUBLE PRECISION NOT NULL,
    seen DOUBLE PRECISION NOT NULL
);
CREATE INDEX sessions_user_name ON sessions (user_name);

CREATE TABLE decisions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kg_version TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scorer TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    inputs TEXT NOT NULL,
    response TEXT NOT NULL,
    free_text TEXT
);

-- Append-only: any UPDATE, DELETE or TRUNCATE of a decision is refused, whoever asks.
CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: decisions cannot be changed or deleted';
END;
$$;
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
