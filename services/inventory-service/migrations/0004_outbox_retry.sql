-- Outbox retries: the relay publishes with the mandatory flag, and a message the broker
-- cannot route (no queue bound to its routing key yet) comes back. Its row stays in the
-- outbox: `attempts` counts the returns, and `not_before` puts the next try off (0.5 s
-- doubling, capped at 30 s) so an unroutable event neither blocks the others nor spins.
-- A row never returned keeps `attempts` 0 and `not_before` NULL: due at once.
ALTER TABLE outbox
    ADD COLUMN attempts   int         NOT NULL DEFAULT 0,
    ADD COLUMN not_before timestamptz;
