-- The messaging tables every service keeps in its own database: the transactional
-- outbox (events written in the transaction of the change that caused them, published
-- by the relay) and the inbox (ids of handled events, so a redelivery changes nothing).
--
-- Idempotent: databases created before this library owned the tables already hold them
-- in this shape.

CREATE TABLE IF NOT EXISTS outbox (
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    id          uuid        PRIMARY KEY,
    exchange    text        NOT NULL,
    routing_key text        NOT NULL,
    event_type  text        NOT NULL,
    payload     jsonb       NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Times the broker returned the row as unroutable (the relay publishes mandatory),
    -- and when it may be tried again (0.5 s doubling, capped at 30 s), so an unroutable
    -- event neither blocks the others nor spins. NULL: due at once.
    attempts    int         NOT NULL DEFAULT 0,
    not_before  timestamptz
);

CREATE INDEX IF NOT EXISTS outbox_by_seq ON outbox (seq);

-- The relay is woken in-process by the commit that wrote the rows and polls for the
-- rest; there is no NOTIFY trigger: a NOTIFY per write made PostgreSQL serialise the
-- commits of every writer (a cluster-wide lock held through the WAL flush).

CREATE TABLE IF NOT EXISTS inbox (
    consumer   text        NOT NULL,
    event_id   uuid        NOT NULL,
    event_type text        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Retention finds handled ids by age.
CREATE INDEX IF NOT EXISTS inbox_by_handled_at ON inbox (handled_at);
