-- SPDX-License-Identifier: MIT
-- Version 5: provider batches (dss-teach --batch).  A batch and the
-- request keys it holds are written here, in one transaction, before
-- anything is uploaded, so that a rerun after kill -9 or a reboot finds
-- what it submitted: it polls what is in flight, collects what ended, and
-- submits only what is neither cached nor in flight.  While a request is
-- in a live batch its key is leased in teach_leases by holder "batch:ID"
-- with no expiry (the one mechanism that keeps a key out of two batches,
-- and out of the hands of a synchronous run); the lease goes when the
-- answer is stored in teach_cache, or when the request fails for good.
-- Holds no API key.
--
-- state of a batch: planned (recorded, nothing sent), uploaded (OpenAI:
-- the input file is at the provider, file_id), creating (the create call
-- may have reached the provider: a rerun looks for it before creating
-- again), submitted (remote_id known, in flight), collected (every result
-- stored or handed on to a retry).  remote_status is the provider's word.

CREATE TABLE IF NOT EXISTS teach_batches (
	batch	INTEGER PRIMARY KEY,
	provider TEXT NOT NULL,
	model	TEXT NOT NULL,
	tag	TEXT NOT NULL UNIQUE,	-- our name for it at the provider
	state	TEXT NOT NULL,
	file_id	TEXT,			-- OpenAI: the uploaded input file
	remote_id TEXT,			-- the provider's batch id or name
	remote_status TEXT,
	requests INTEGER NOT NULL,
	bytes	INTEGER NOT NULL,	-- of the submission
	cost_bound REAL,		-- USD at the batch price, at most
	succeeded INTEGER NOT NULL DEFAULT 0,
	errored	INTEGER NOT NULL DEFAULT 0,
	expired	INTEGER NOT NULL DEFAULT 0,
	cost_usd REAL,			-- of the answers collected
	submitted REAL,			-- Unix time the create call began
	created	TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated	TEXT
);
CREATE INDEX IF NOT EXISTS teach_batches_state
	ON teach_batches (provider, model, state);

-- The requests of each batch, in submission order (pos), with the body
-- the provider is sent, so that a batch can be uploaded again and a failed
-- request resubmitted without the prompts.  state: live, done (answer in
-- teach_cache), retry (failed or expired; to go into a new batch),
-- resubmitted (it did), failed (given up after its attempts).
CREATE TABLE IF NOT EXISTS teach_batch_requests (
	batch	INTEGER NOT NULL,
	request	TEXT NOT NULL,		-- the key, as in teach_cache
	pos	INTEGER NOT NULL,
	dataset	TEXT,
	id	TEXT,
	sample	INTEGER NOT NULL,
	attempt	INTEGER NOT NULL,	-- 1 for the first submission
	state	TEXT NOT NULL,
	error	TEXT,			-- why it failed, key masked
	body	TEXT NOT NULL,		-- the request's JSON body
	est_tokens INTEGER NOT NULL,	-- estimated input tokens
	PRIMARY KEY (batch, request)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS teach_batch_requests_pos
	ON teach_batch_requests (batch, pos);
CREATE INDEX IF NOT EXISTS teach_batch_requests_state
	ON teach_batch_requests (state, request);
