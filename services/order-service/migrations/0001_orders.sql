-- Orders. Lines and history are value collections inside the aggregate, stored with it
-- (jsonb) so an order loads and saves in one statement.

CREATE TABLE orders (
    id              uuid        PRIMARY KEY,
    customer_id     text,
    status          text        NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
    lines           jsonb       NOT NULL,
    history         jsonb       NOT NULL,
    version         bigint      NOT NULL,
    idempotency_key text        UNIQUE,
    fingerprint     text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    handover_at     timestamptz NOT NULL,
    handed_over_at  timestamptz,
    deadline_at     timestamptz NOT NULL
);

-- The saga's timers are rows, found by these two indexes.
CREATE INDEX orders_handover_due ON orders (handover_at) WHERE status = 'PENDING' AND handed_over_at IS NULL;
CREATE INDEX orders_deadline_due ON orders (deadline_at) WHERE status = 'PENDING';

CREATE TABLE outbox (
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    id          uuid        PRIMARY KEY,
    exchange    text        NOT NULL,
    routing_key text        NOT NULL,
    event_type  text        NOT NULL,
    payload     jsonb       NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_by_seq ON outbox (seq);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('outbox', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify
    AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE inbox (
    consumer   text        NOT NULL,
    event_id   uuid        NOT NULL,
    event_type text        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
