-- The inventory's tables: stock, holds, the movement trail, and what the inventory
-- remembers of orders. The outbox and inbox are the messaging library's (its own
-- migrations, run first). The CHECK constraints restate the domain's invariants so the
-- database refuses a state the code should never produce.
--
-- Idempotent: a database created before this schema was gathered into one file already
-- holds it, and is left as it is.

CREATE TABLE IF NOT EXISTS product_inventory (
    sku          text        PRIMARY KEY,
    on_hand      bigint      NOT NULL CHECK (on_hand >= 0),
    reserved     bigint      NOT NULL CHECK (reserved >= 0),
    safety_stock bigint      NOT NULL CHECK (safety_stock >= 0),
    version      bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT available_never_negative CHECK (reserved <= on_hand)
);

-- One hold per (order, SKU), whatever its status: the primary key is what makes a
-- duplicated reservation impossible, even between two service instances. A hold records
-- its owner (the caller that made it) and whether the checkout saga made it: only its
-- owner may release, commit or reshape it, and a saga hold only the saga.
CREATE TABLE IF NOT EXISTS reservations (
    order_id   text        NOT NULL,
    sku        text        NOT NULL REFERENCES product_inventory (sku),
    requested  bigint      NOT NULL CHECK (requested > 0),
    held       bigint      NOT NULL CHECK (held >= 0),
    status     text        NOT NULL CHECK (status IN ('active', 'released', 'committed', 'expired')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    owner      text        NOT NULL DEFAULT 'anonymous',
    saga       boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, sku)
);

-- The expiry sweeper finds due holds through this index.
CREATE INDEX IF NOT EXISTS reservations_due ON reservations (expires_at) WHERE status = 'active';

-- The audit trail: append-only. `actor` names who made the movement; `returned` puts
-- committed units back on sale when their order is cancelled before it is confirmed.
CREATE TABLE IF NOT EXISTS movements (
    id                         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku                        text        NOT NULL,
    kind                       text        NOT NULL,
    qty                        bigint      NOT NULL CHECK (qty >= 0),
    order_id                   text,
    on_hand_after              bigint      NOT NULL,
    reserved_after             bigint      NOT NULL,
    crossed_below_safety_stock boolean     NOT NULL DEFAULT false,
    occurred_at                timestamptz NOT NULL DEFAULT now(),
    actor                      text,
    CONSTRAINT movements_kind_check
        CHECK (kind IN ('created', 'reserved', 'released', 'committed', 'replenished', 'expired', 'adjusted', 'returned'))
);

CREATE INDEX IF NOT EXISTS movements_by_sku ON movements (sku, id DESC);

CREATE OR REPLACE FUNCTION movements_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'movements are an append-only audit trail';
END $$;

CREATE OR REPLACE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_are_immutable();

-- One row per order the inventory has heard of. Every change that concerns an order
-- locks its row first, so a cancellation and a reservation of one order serialize
-- (whichever commits first, the other sees it).
CREATE TABLE IF NOT EXISTS order_states (
    order_id     text        PRIMARY KEY,
    cancelled    boolean     NOT NULL DEFAULT false,
    cancelled_at timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Retention finds settled order records by age.
CREATE INDEX IF NOT EXISTS order_states_by_updated_at ON order_states (updated_at);
