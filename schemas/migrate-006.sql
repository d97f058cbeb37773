-- SPDX-License-Identifier: MIT
-- Version 6: a subset's members are stored in chunks, each a JSON array of
-- the ids at 4,096 positions in the subset's order (chunk c holds the
-- positions 4096*c to 4096*c + 4095), written by dss-sample with the
-- ids as strings in their shortest JSON form.  One row per member cost
-- two B-tree insertions per example, which made sampling the bulk of an
-- ablation's export; a chunk is one row per 4,096.  Equal members give
-- equal chunks, and a subset whose chunks begin another's chunks is a
-- prefix of it (dss-export writes nested fractions in one pass).
-- subset_members stays as a view, with the same columns and rows as the
-- table it replaces, for reading with SQL.

CREATE TABLE IF NOT EXISTS subset_chunks (
	dataset	TEXT NOT NULL,
	name	TEXT NOT NULL,
	chunk	INTEGER NOT NULL,	-- 0-based
	ids	TEXT NOT NULL,		-- JSON array of 1 to 4,096 ids
	PRIMARY KEY (dataset, name, chunk)
) WITHOUT ROWID;

INSERT INTO subset_chunks (dataset, name, chunk, ids)
	SELECT dataset, name, pos / 4096, json_group_array(id)
	FROM (SELECT dataset, name, pos, id FROM subset_members
	    ORDER BY dataset, name, pos)
	GROUP BY dataset, name, pos / 4096;

DROP INDEX IF EXISTS subset_members_id;
DROP TABLE subset_members;

CREATE VIEW subset_members (dataset, name, pos, id) AS
	SELECT c.dataset, c.name, c.chunk * 4096 + j.key, j.value
	FROM subset_chunks c, json_each(c.ids) j;
