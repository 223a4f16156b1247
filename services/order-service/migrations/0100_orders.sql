-- Orders. Lines and history are value collections inside the aggregate, stored with it
-- (jsonb) so an order loads and saves in one statement. The outbox and inbox are the
-- messaging library's (its own migrations, run first).
--
-- Idempotent: a database created before this schema was gathered into one file already
-- holds it, and is left as it is.
--
-- RESERVED: the event path has the order's stock reserved and has asked the inventory to
-- commit it. An order is CONFIRMED only once its lines are committed.

CREATE TABLE IF NOT EXISTS orders (
    id              uuid        PRIMARY KEY,
    customer_id     text,
    status          text        NOT NULL,
    lines           jsonb       NOT NULL,
    history         jsonb       NOT NULL,
    version         bigint      NOT NULL,
    idempotency_key text        UNIQUE,
    fingerprint     text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    handover_at     timestamptz NOT NULL,
    handed_over_at  timestamptz,
    deadline_at     timestamptz NOT NULL,
    CONSTRAINT orders_status_check
        CHECK (status IN ('PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED'))
);

-- The saga's timers are rows, found by these two indexes. The timeout also ends a
-- RESERVED order whose commit never got an answer.
CREATE INDEX IF NOT EXISTS orders_handover_due ON orders (handover_at) WHERE status = 'PENDING' AND handed_over_at IS NULL;
CREATE INDEX IF NOT EXISTS orders_deadline_due ON orders (deadline_at) WHERE status IN ('PENDING', 'RESERVED');
