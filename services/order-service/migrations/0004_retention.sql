-- Retention: the worker that deletes handled-event ids past their retention finds them
-- by age through this index, instead of scanning a table that only ever grew until then.

CREATE INDEX inbox_by_handled_at ON inbox (handled_at);
