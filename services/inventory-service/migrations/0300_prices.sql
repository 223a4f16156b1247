-- A stock row may carry the price of one unit: an amount in the currency's minor units
-- (cents for EUR), never a fraction, and its ISO 4217 code. Both or neither: a row
-- without them is unpriced, as every row that existed before is.

ALTER TABLE product_inventory
    ADD COLUMN IF NOT EXISTS unit_price_amount bigint
        CONSTRAINT unit_price_amount_not_negative CHECK (unit_price_amount >= 0),
    ADD COLUMN IF NOT EXISTS unit_price_currency text
        CONSTRAINT unit_price_currency_iso_4217 CHECK (unit_price_currency ~ '^[A-Z]{3}$');

ALTER TABLE product_inventory DROP CONSTRAINT IF EXISTS unit_price_whole;
ALTER TABLE product_inventory ADD CONSTRAINT unit_price_whole
    CHECK ((unit_price_amount IS NULL) = (unit_price_currency IS NULL));
