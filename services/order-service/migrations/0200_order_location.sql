-- Where an order's lines are reserved, all or none: a location id (the inventory's
-- `storeId`). Orders placed before orders named a location were all reserved at the
-- central warehouse, and keep that.
--
-- Idempotent: applying it to a database that has the column already changes nothing.

ALTER TABLE orders ADD COLUMN IF NOT EXISTS location_id text NOT NULL DEFAULT 'central';
