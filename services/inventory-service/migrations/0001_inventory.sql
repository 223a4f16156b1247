-- The inventory's tables. The CHECK constraints restate the domain's invariants so the
-- database refuses a state the code should never produce.

CREATE TABLE product_inventory (
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
-- duplicated reservation impossible, even between two service instances.
CREATE TABLE reservations (
    order_id   text        NOT NULL,
    sku        text        NOT NULL REFERENCES product_inventory (sku),
    requested  bigint      NOT NULL CHECK (requested > 0),
    held       bigint      NOT NULL CHECK (held >= 0),
    status     text        NOT NULL CHECK (status IN ('active', 'released', 'committed', 'expired')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, sku)
);

CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'active';

-- The audit trail: append-only.
CREATE TABLE movements (
    id                         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku                        text        NOT NULL,
    kind                       text        NOT NULL CHECK (kind IN ('created', 'reserved', 'released', 'committed', 'replenished', 'expired', 'adjusted')),
    qty                        bigint      NOT NULL CHECK (qty >= 0),
    order_id                   text,
    on_hand_after              bigint      NOT NULL,
    reserved_after             bigint      NOT NULL,
    crossed_below_safety_stock boolean     NOT NULL DEFAULT false,
    occurred_at                timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX movements_by_sku ON movements (sku, id DESC);

CREATE FUNCTION movements_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'movements are an append-only audit trail';
END $$;

CREATE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_are_immutable();
