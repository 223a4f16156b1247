-- RESERVED: the event path has the order's stock reserved and has asked the inventory to
-- commit it. An order is CONFIRMED only once its lines are committed.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED'));

-- The saga's timeout also ends a RESERVED order whose commit never got an answer.
DROP INDEX orders_deadline_due;
CREATE INDEX orders_deadline_due ON orders (deadline_at) WHERE status IN ('PENDING', 'RESERVED');
