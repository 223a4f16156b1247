-- The sandbox's book, when it is kept in PostgreSQL: what a real provider holds on its
-- side. Created by the sandbox itself on start; applying it again changes nothing.
--
-- - payment_sandbox_intents: one row per intent, made by the authorization whose
--   idempotency key is `authorized_by` (`order/{id}/authorize` for a checkout). Amounts
--   in minor units of `currency`; `captured` and `refunded` start at zero.
-- - payment_sandbox_answers: the first answer given for each idempotency key, and the
--   request it answered, given again to every later call with that key.

CREATE SEQUENCE IF NOT EXISTS payment_sandbox_ids;

CREATE TABLE IF NOT EXISTS payment_sandbox_intents (
    id           text PRIMARY KEY,
    authorized_by text NOT NULL UNIQUE,
    status       text NOT NULL,
    currency     text NOT NULL,
    amount       bigint NOT NULL CHECK (amount > 0),
    captured     bigint NOT NULL CHECK (captured BETWEEN 0 AND amount),
    refunded     bigint NOT NULL CHECK (refunded BETWEEN 0 AND captured),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS payment_sandbox_answers (
    key         text PRIMARY KEY,
    request     text NOT NULL,
    answer      jsonb NOT NULL,
    answered_at timestamptz NOT NULL DEFAULT now()
);
