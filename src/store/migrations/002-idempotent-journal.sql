-- A record handed to the store again (a collector's journal replays what was not checkpointed
-- before a crash; a batch whose COMMIT reached the server but whose answer was lost is retried)
-- must not be journaled twice. Within one collector's stream a record is known by its sequence.
CREATE UNIQUE INDEX raw_records_origin ON raw_records (switch_id, collector_id, source, sequence) NULLS NOT DISTINCT;
