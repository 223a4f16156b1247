-- Retention: the worker that deletes handled-event ids and settled order records past
-- their retention finds them by age through these indexes, instead of scanning tables
-- that only ever grew until then.

CREATE INDEX inbox_by_handled_at ON inbox (handled_at);
CREATE INDEX order_states_by_updated_at ON order_states (updated_at);
