-- A migration slower than the statement timeout the pool's connections get in the
-- tests: it must still run, since migrations run outside the pool.
SELECT pg_sleep(0.5);

CREATE TABLE migrated (n int);
