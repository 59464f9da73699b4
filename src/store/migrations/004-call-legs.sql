-- Multi-leg CDR formats (issue 4): FreeSWITCH a-leg/b-leg, Asterisk linkedid chains, CUCM legs of
-- one globalCallID. Each CDR record is a leg, kept in call_legs with its journal columns and its
-- own dedupe key (so redundant collectors and re-imports store it once). The call its legs make up
-- is a row of calls, merged from them, so that rollups, rating, reports and the API count calls,
-- not legs. The call's id is the id of the first leg that made it.
CREATE TABLE call_legs (LIKE calls INCLUDING DEFAULTS);
ALTER TABLE call_legs ADD PRIMARY KEY (id);
-- Null only inside the transaction that stores the leg.
ALTER TABLE call_legs ADD COLUMN logical_call_id uuid;
CREATE INDEX call_legs_logical ON call_legs (logical_call_id);
CREATE INDEX call_legs_switch_received ON call_legs (switch_id, received_at);

-- The keys legs are joined by (a format's legKeys: uniqueid, linkedid, bleg_uuid …), per switch,
-- and the call they lead to. A leg sharing a key with a stored call joins that call.
CREATE TABLE leg_keys (
  switch_id integer NOT NULL,
  key text NOT NULL,
  logical_call_id uuid NOT NULL,
  PRIMARY KEY (switch_id, key)
);
CREATE INDEX leg_keys_logical ON leg_keys (logical_call_id);
