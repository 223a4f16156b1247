-- Paid checkouts. An order may be paid by card: its payment is stored with it, in the
-- row, and changes in the transaction that changes the order.
--
-- - payment_token: the card's token as the client sent it, kept only until the
--   authorization has an answer (authorized or declined), then cleared;
--   payment_token_kind: what may be shown of it (`tok`, `pm`).
-- - payment_amount + payment_currency: what is authorized, the order's total, in minor
--   units of an ISO 4217 currency.
-- - payment_intent: the provider's id of the authorization.
-- - payment_status: pending | authorized | captured | voided | refunded | declined.
--
-- A paid order is AUTHORIZED between its reservation and its commit: its total is held on
-- the card. The lines (jsonb) carry each unit price once the order is priced.
--
-- Idempotent: applying it again changes nothing.

ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_token_kind text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_token text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_status text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_amount bigint;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_currency text;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_intent text;

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'RESERVED', 'AUTHORIZED', 'CONFIRMED', 'CANCELLED'));

ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_payment_check;
ALTER TABLE orders ADD CONSTRAINT orders_payment_check CHECK (
    (payment_status IS NULL AND payment_token_kind IS NULL AND payment_token IS NULL
        AND payment_amount IS NULL AND payment_intent IS NULL)
    OR (payment_status IN ('pending', 'authorized', 'captured', 'voided', 'refunded', 'declined')
        AND payment_token_kind IS NOT NULL
        -- The token is kept only until the authorization answers.
        AND (payment_token IS NULL OR payment_status = 'pending')
        AND (payment_amount IS NULL OR payment_amount >= 0)
        AND (payment_amount IS NULL) = (payment_currency IS NULL)
        -- Nothing is held, taken or given back without an intent.
        AND (payment_intent IS NOT NULL OR payment_status IN ('pending', 'declined')))
);

-- An authorized order is left to the HTTP path for its grace too, then handed over; the
-- timeout ends it as any open order.
DROP INDEX IF EXISTS orders_handover_due;
CREATE INDEX IF NOT EXISTS orders_handover_due ON orders (handover_at)
    WHERE status IN ('PENDING', 'AUTHORIZED') AND handed_over_at IS NULL;
DROP INDEX IF EXISTS orders_deadline_due;
CREATE INDEX IF NOT EXISTS orders_deadline_due ON orders (deadline_at)
    WHERE status IN ('PENDING', 'RESERVED', 'AUTHORIZED');
