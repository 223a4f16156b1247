-- Who changed the stock, and whose each hold is.
--
-- A hold records its owner (the caller that made it) and whether it was made for the
-- checkout saga: only its owner may release, commit or reshape it, and a saga hold only
-- the saga. Every movement records who made it.

ALTER TABLE reservations
    ADD COLUMN owner text    NOT NULL DEFAULT 'anonymous',
    ADD COLUMN saga  boolean NOT NULL DEFAULT false;

-- Holds made before owners were recorded: those of order-service's orders (their ids are
-- UUIDs) were made by the saga.
UPDATE reservations
   SET owner = 'saga', saga = true
 WHERE order_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

ALTER TABLE movements ADD COLUMN actor text;

-- `returned`: committed units put back on sale because their order was cancelled before
-- it was confirmed.
ALTER TABLE movements DROP CONSTRAINT movements_kind_check;
ALTER TABLE movements ADD CONSTRAINT movements_kind_check
    CHECK (kind IN ('created', 'reserved', 'released', 'committed', 'replenished', 'expired', 'adjusted', 'returned'));
