-- Messaging: the transactional outbox, the inbox of handled events, and what the
-- inventory remembers of orders (their cancellation).

-- One row per order the inventory has heard of. Every change that concerns an order
-- locks its row first, so a cancellation and a reservation of one order serialize
-- (whichever commits first, the other sees it).
CREATE TABLE order_states (
    order_id     text        PRIMARY KEY,
    cancelled    boolean     NOT NULL DEFAULT false,
    cancelled_at timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

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

-- Wakes the relay as soon as a transaction that wrote events commits.
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
