-- SPDX-License-Identifier: MIT
-- Version 3: triples keyed by the filter that made them, so that several
-- curated variants of one corpus live in one database, and the rejects of
-- each filter in a table of their own.  `filter` is the dss-filter mode,
-- followed by its non-default options after commas ("gold", "majority",
-- "none", "gold,min-rationale=20").  Triples stored before version 3 say
-- nothing of their filter: those with votes came from majority mode, those
-- that disagree with gold from none, the rest from gold.  Both tables are
-- keyed filter first, then by example, so that the rows of one filter and
-- dataset lie in example id order: dss-export reads a split's triples in
-- step with its examples instead of one random page per triple (request,
-- the last key column, is a hash).

CREATE TABLE triples_v3 (
	filter	TEXT NOT NULL DEFAULT 'gold',
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
	PRIMARY KEY (filter, dataset, id, request)
) WITHOUT ROWID;
INSERT INTO triples_v3 (filter, request, dataset, id, teacher, sample,
    rationale, teacher_label, label, agree, record)
SELECT CASE
	WHEN json_valid(record) AND json_type(record, '$.filter') = 'text'
	    THEN json_extract(record, '$.filter')
	WHEN json_valid(record) AND json_type(record, '$.votes') IS NOT NULL
	    THEN 'majority'
	WHEN agree IS NOT 1 THEN 'none'
	ELSE 'gold' END,
    request, dataset, id, teacher, sample, rationale, teacher_label, label,
    agree, record
FROM triples;
DROP TABLE triples;
ALTER TABLE triples_v3 RENAME TO triples;
CREATE INDEX triples_example ON triples (dataset, id);

-- Completions a filter rejected, with the reason ("no_answer",
-- "truncated", "disagree", "ambiguous", "tie", "empty_rationale").
-- Storing rejects never rewrites the completions they came from.
CREATE TABLE rejects (
	filter	TEXT NOT NULL,
	request	TEXT NOT NULL,
	dataset	TEXT NOT NULL,
	id	TEXT NOT NULL,
	teacher	TEXT,
	sample	INTEGER,
	reason	TEXT NOT NULL,
	teacher_label TEXT,
	record	TEXT NOT NULL,
	PRIMARY KEY (filter, dataset, id, request)
) WITHOUT ROWID;
CREATE INDEX rejects_example ON rejects (dataset, id);
