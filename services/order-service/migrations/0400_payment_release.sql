-- Cancelled orders whose card still holds money: the release of their payment failed
-- (the provider could not be heard) and the saga timers try it again. Few rows, looked
-- up often: a partial index keeps the look-up cheap.
--
-- Idempotent: applying it again changes nothing.

CREATE INDEX IF NOT EXISTS orders_unreleased_payment ON orders (updated_at)
    WHERE status = 'CANCELLED' AND payment_status IN ('authorized', 'captured');
