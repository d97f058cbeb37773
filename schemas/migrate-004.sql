-- SPDX-License-Identifier: MIT
-- Version 4: leases on request keys, so that several dss-teach processes
-- on one database pay for each request once.  A process leases a key
-- before it sends the request and renews the lease while the request
-- lives; the row goes when the answer is stored in teach_cache (in the
-- same transaction).  Another process that finds a live lease waits for
-- the answer; one that finds a lapsed lease (its holder was killed) takes
-- the key over.  `expires` is Unix time in seconds on the wall clock.
-- Holds no API key and nothing of the request but its key.

CREATE TABLE IF NOT EXISTS teach_leases (
	request	TEXT PRIMARY KEY,	-- the request key, as in teach_cache
	holder	TEXT NOT NULL,		-- HOST:PID:RANDOM of the process
	expires	REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS teach_leases_holder ON teach_leases (holder);
