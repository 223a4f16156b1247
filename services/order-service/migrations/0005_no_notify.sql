-- The relay is woken in-process by the commit that wrote the rows, and polls for the
-- rest. A NOTIFY per write made PostgreSQL serialise the commits of every writer (a
-- cluster-wide lock held through the WAL flush), so group commit could not help.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
