-- Stock lives at locations: the central warehouse and stores. Every stock row, hold and
-- movement names its location; a row is keyed by (location, SKU). What existed before
-- is the central warehouse's, which always exists.

CREATE TABLE IF NOT EXISTS locations (
    location_id text        PRIMARY KEY CHECK (location_id ~ '^[A-Za-z0-9_-]{1,32}$'),
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO locations (location_id, name) VALUES ('central', 'Central warehouse')
ON CONFLICT (location_id) DO NOTHING;

ALTER TABLE product_inventory
    ADD COLUMN IF NOT EXISTS location_id text NOT NULL DEFAULT 'central'
        REFERENCES locations (location_id);
ALTER TABLE reservations ADD COLUMN IF NOT EXISTS location_id text NOT NULL DEFAULT 'central';
ALTER TABLE movements ADD COLUMN IF NOT EXISTS location_id text NOT NULL DEFAULT 'central';

-- The key becomes (location, SKU); holds point at the stock row of their location.
ALTER TABLE reservations DROP CONSTRAINT IF EXISTS reservations_sku_fkey;
ALTER TABLE product_inventory DROP CONSTRAINT IF EXISTS product_inventory_pkey;
ALTER TABLE product_inventory ADD CONSTRAINT product_inventory_pkey PRIMARY KEY (location_id, sku);
ALTER TABLE reservations ADD CONSTRAINT reservations_stock_fkey
    FOREIGN KEY (location_id, sku) REFERENCES product_inventory (location_id, sku);

DROP INDEX IF EXISTS movements_by_sku;
CREATE INDEX IF NOT EXISTS movements_by_stock ON movements (location_id, sku, id DESC);

ALTER TABLE movements DROP CONSTRAINT IF EXISTS movements_kind_check;
ALTER TABLE movements ADD CONSTRAINT movements_kind_check
    CHECK (kind IN ('created', 'reserved', 'released', 'committed', 'replenished', 'expired',
                    'adjusted', 'returned', 'transferred_out', 'transferred_in'));
