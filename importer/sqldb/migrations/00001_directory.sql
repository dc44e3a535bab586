-- +goose Up
-- One schema for both backends. Times are Unix microseconds (BIGINT), so the
-- same queries and scans serve SQLite and PostgreSQL; the one word that
-- differs, an auto-numbered key, is written in SQLite's way and rewritten
-- for PostgreSQL when the migrations are loaded (sqldb.migrationsFor).

CREATE TABLE settings (
	id                     INTEGER PRIMARY KEY CHECK (id = 1),
	name                   TEXT    NOT NULL,
	password_expiry_days   INTEGER NOT NULL DEFAULT 90
		CHECK (password_expiry_days = 0 OR password_expiry_days BETWEEN 14 AND 730),
	default_usage_location TEXT    NOT NULL DEFAULT '',
	sign_in_url            TEXT    NOT NULL DEFAULT '',
	initial_admin          TEXT    NOT NULL DEFAULT '',
	created_at             BIGINT  NOT NULL
);

CREATE TABLE domains (
	name       TEXT    PRIMARY KEY,
	verified   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT  NOT NULL
);

-- assigned counts seats held: assignments with status 'assigned' plus seats
-- reserved by batch rows not yet provisioned. The CHECK is the seat
-- invariant, enforced by the database for every process.
CREATE TABLE products (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	sku      TEXT    NOT NULL UNIQUE,
	name     TEXT    NOT NULL,
	seats    INTEGER NOT NULL CHECK (seats >= 0),
	assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0),
	CONSTRAINT seats_not_oversold CHECK (assigned <= seats)
);

CREATE TABLE product_plans (
	product_id BIGINT  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
	plan       TEXT    NOT NULL,
	position   INTEGER NOT NULL,
	PRIMARY KEY (product_id, plan)
);

CREATE TABLE users (
	id                   TEXT    PRIMARY KEY,
	upn                  TEXT    NOT NULL,
	upn_key              TEXT    NOT NULL UNIQUE,
	display_name         TEXT    NOT NULL DEFAULT '',
	first_name           TEXT    NOT NULL DEFAULT '',
	last_name            TEXT    NOT NULL DEFAULT '',
	job_title            TEXT    NOT NULL DEFAULT '',
	department           TEXT    NOT NULL DEFAULT '',
	office_number        TEXT    NOT NULL DEFAULT '',
	office_phone         TEXT    NOT NULL DEFAULT '',
	mobile_phone         TEXT    NOT NULL DEFAULT '',
	fax                  TEXT    NOT NULL DEFAULT '',
	alternate_email      TEXT    NOT NULL DEFAULT '',
	address              TEXT    NOT NULL DEFAULT '',
	city                 TEXT    NOT NULL DEFAULT '',
	state                TEXT    NOT NULL DEFAULT '',
	postal_code          TEXT    NOT NULL DEFAULT '',
	country              TEXT    NOT NULL DEFAULT '',
	usage_location       TEXT    NOT NULL DEFAULT '',
	employee_id          TEXT,
	employee_id_key      TEXT    UNIQUE,
	blocked              BOOLEAN NOT NULL DEFAULT FALSE,
	password_hash        TEXT,
	password_set_at      BIGINT,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	source               TEXT    NOT NULL DEFAULT '',
	created_at           BIGINT  NOT NULL,
	updated_at           BIGINT  NOT NULL,
	deleted_at           BIGINT
);

-- status: 'assigned' holds a seat; 'pending' waits for one, oldest
-- (requested_at, queue_pos) first; 'suspended' belongs to a deleted user.
CREATE TABLE license_assignments (
	user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	product_id     BIGINT  NOT NULL, -- products are never deleted; no per-row FK check on bulk inserts
	status         TEXT    NOT NULL CHECK (status IN ('assigned', 'pending', 'suspended')),
	disabled_plans TEXT    NOT NULL DEFAULT '',
	requested_at   BIGINT  NOT NULL,
	queue_pos      BIGINT  NOT NULL DEFAULT 0,
	assigned_at    BIGINT,
	PRIMARY KEY (user_id, product_id)
);
CREATE INDEX license_assignments_queue ON license_assignments (product_id, status, requested_at, queue_pos);

CREATE TABLE user_roles (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    TEXT NOT NULL,
	PRIMARY KEY (user_id, role)
);

CREATE TABLE batches (
	id           TEXT    PRIMARY KEY,
	file_name    TEXT    NOT NULL,
	file_sha256  TEXT    NOT NULL,
	mode         TEXT    NOT NULL,
	options      TEXT    NOT NULL DEFAULT '',
	acting_admin TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('running', 'finished', 'interrupted')),
	notice_path  TEXT    NOT NULL DEFAULT '',
	-- owner: host and process running the batch; heartbeat_at: when it last
	-- said it is alive. A second process does not resume a live batch.
	owner        TEXT    NOT NULL DEFAULT '',
	heartbeat_at BIGINT  NOT NULL DEFAULT 0,
	rows_total   INTEGER NOT NULL DEFAULT 0,
	created      INTEGER NOT NULL DEFAULT 0,
	updated      INTEGER NOT NULL DEFAULT 0,
	unchanged    INTEGER NOT NULL DEFAULT 0,
	failed       INTEGER NOT NULL DEFAULT 0,
	started_at   BIGINT  NOT NULL,
	finished_at  BIGINT
);
CREATE INDEX batches_resume ON batches (file_sha256, state);

-- The journal of a batch: one line per data row. It is the work queue
-- (state 'staged') and the resume point (state 'done').
CREATE TABLE batch_rows (
	batch_id       TEXT    NOT NULL, -- batches are never deleted; no per-row FK check on bulk inserts
	row_number     INTEGER NOT NULL,
	state          TEXT    NOT NULL CHECK (state IN ('staged', 'done')),
	action         TEXT    NOT NULL DEFAULT '',
	user_name      TEXT    NOT NULL DEFAULT '',
	display_name   TEXT    NOT NULL DEFAULT '',
	outcome        TEXT    NOT NULL DEFAULT '',
	license_status TEXT    NOT NULL DEFAULT '',
	licenses       TEXT    NOT NULL DEFAULT '',
	message        TEXT    NOT NULL DEFAULT '',
	user_id        TEXT    NOT NULL DEFAULT '',
	licenses_assigned INTEGER NOT NULL DEFAULT 0,
	licenses_pending  INTEGER NOT NULL DEFAULT 0,
	-- notice_needed: a created user whose password must reach the notice;
	-- noticed: it is known to be there.
	notice_needed  BOOLEAN NOT NULL DEFAULT FALSE,
	noticed        BOOLEAN NOT NULL DEFAULT FALSE,
	payload        TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (batch_id, row_number)
);

CREATE TABLE audit_log (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at       BIGINT NOT NULL,
	actor    TEXT   NOT NULL,
	action   TEXT   NOT NULL,
	target   TEXT   NOT NULL,
	detail   TEXT   NOT NULL DEFAULT '',
	batch_id TEXT   NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE batch_rows;
DROP TABLE batches;
DROP TABLE user_roles;
DROP TABLE license_assignments;
DROP TABLE users;
DROP TABLE product_plans;
DROP TABLE products;
DROP TABLE domains;
DROP TABLE settings;
