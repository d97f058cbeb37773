-- SPDX-License-Identifier: MIT
-- The dss database: one SQLite file holding every durable record of a run.
-- Each record table keeps the indexed columns that queries need and the
-- whole record as JSON in `record`, so nothing a tool emitted is lost.
-- Version 1.  Later versions are schemas/migrate-NNN.sql (see scripts/embed.sh); never edit a
-- released version in place.

-- Canonical dataset examples (dss-fetch, dss-import).
CREATE TABLE IF NOT EXISTS examples (
	dataset	TEXT NOT NULL,
	id	TEXT NOT NULL,
	split	TEXT NOT NULL,
	idx	INTEGER NOT NULL,
	input	TEXT NOT NULL,
	label	TEXT NOT NULL,
	record	TEXT NOT NULL,
	PRIMARY KEY (dataset, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS examples_split ON examples (dataset, split, idx);

-- Rendered prompts (dss-prompt), one per example and template.
CREATE TABLE IF NOT EXISTS prompts (
	dataset	TEXT NOT NULL,
	id	TEXT NOT NULL,
	template TEXT NOT NULL,
	record	TEXT NOT NULL,
	PRIMARY KEY (dataset, id, template)
) WITHOUT ROWID;

-- Teacher completions (dss-teach, dss-import), keyed by the request hash
-- (which includes the sample index) and the example: two examples whose
-- prompts are identical share one paid response but keep a row each.
CREATE TABLE IF NOT EXISTS completions (
	request	TEXT NOT NULL,
	dataset	TEXT NOT NULL,
	id	TEXT NOT NULL,
	teacher	TEXT NOT NULL,
	sample	INTEGER NOT NULL,
	completion TEXT,
	finish_reason TEXT,
	record	TEXT NOT NULL,
	PRIMARY KEY (request, dataset, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS completions_example ON completions (dataset, id);

-- The response cache of dss-teach: every paid response, committed before
-- its completion record is emitted.  Never holds an API key.
CREATE TABLE IF NOT EXISTS teach_cache (
	request	TEXT PRIMARY KEY,	-- hex SHA-256 of the canonical request
	provider TEXT NOT NULL,
	model	TEXT NOT NULL,
	dataset	TEXT,
	id	TEXT,
	sample	INTEGER NOT NULL,
	completion TEXT,
	finish_reason TEXT,
	prompt_tokens INTEGER,
	completion_tokens INTEGER,
	cost_usd REAL,
	latency_ms INTEGER,
	response TEXT,			-- the provider's raw JSON body
	created	TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;

-- Filtered (input, rationale, label) triples (dss-filter).
CREATE TABLE IF NOT EXISTS triples (
	request	TEXT NOT NULL,		-- the completion it came from
	dataset	TEXT NOT NULL,
	id	TEXT NOT NULL,
	teacher	TEXT,
	sample	INTEGER,
	rationale TEXT NOT NULL,
	teacher_label TEXT,
	label	TEXT NOT NULL,
	agree	INTEGER,
	record	TEXT NOT NULL,
	PRIMARY KEY (request, dataset, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS triples_example ON triples (dataset, id);
