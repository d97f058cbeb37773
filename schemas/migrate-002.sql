-- SPDX-License-Identifier: MIT
-- Version 2: subsets (dss-sample).  A subset is an ordered list of example
-- ids of one dataset's split, so that one subset selects examples,
-- triples and baseline records alike.  Names are per dataset
-- ("nested-s0-0.125", "nested-strat-s0-0.5", "nested-s0-valid",
-- "official-r0-0.25", "official-r0-0.25-valid").

CREATE TABLE IF NOT EXISTS subsets (
	dataset	TEXT NOT NULL,
	name	TEXT NOT NULL,
	split	TEXT NOT NULL,		-- the split it is drawn from ("train")
	kind	TEXT NOT NULL,		-- "nested", "nested-strat" or "official"
	role	TEXT NOT NULL,		-- "train", or "valid" for a validation set
	seed	INTEGER NOT NULL,	-- the seed, or the official run number
	fraction REAL,			-- of the split; NULL for a validation set
	size	INTEGER NOT NULL,	-- rows in subset_members
	params	TEXT NOT NULL,		-- JSON: every option that made it
	created	TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	PRIMARY KEY (dataset, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS subset_members (
	dataset	TEXT NOT NULL,
	name	TEXT NOT NULL,
	pos	INTEGER NOT NULL,	-- 0-based, in the subset's order
	id	TEXT NOT NULL,		-- examples.id
	PRIMARY KEY (dataset, name, pos)
) WITHOUT ROWID;
-- dss-export joins a subset's members to examples and triples in id
-- order through this index, so that all three are read in step.
CREATE UNIQUE INDEX IF NOT EXISTS subset_members_id
	ON subset_members (dataset, name, id);
