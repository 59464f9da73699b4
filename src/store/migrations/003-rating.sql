-- Rating (issue 6): rate plans, destinations, the directory and number lists, and what a call
-- cost, what it was sold for, where it went and whose extension made it.
-- Money is held as bigint nano-units (10⁻⁹ of the currency; the rating engine's integer unit), so
-- the calls COPY stays binary and exact; the API presents it as decimal text.

-- A validated plan (src/rating/plan.ts) as jsonb, with the fields that choose it copied out.
CREATE TABLE rate_plans (
  id text PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('sell', 'buy')),
  -- sell plans: the tenant they price (null: every tenant without a plan of its own)
  tenant_id text,
  -- buy plans: the carrier and the trunks it carries
  carrier text,
  trunks text[] NOT NULL DEFAULT '{}',
  currency text NOT NULL,
  plan jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Prefix → destination name, per tenant or global (tenant_id null). Empty: the built-in
-- country-level table from libphonenumber-js metadata applies.
CREATE TABLE destinations (
  tenant_id text,
  prefix text NOT NULL,
  name text NOT NULL,
  UNIQUE NULLS NOT DISTINCT (tenant_id, prefix)
);

-- Who an extension belonged to, by calendar day (both ends inclusive, either open).
CREATE TABLE directory_entries (
  id serial PRIMARY KEY,
  tenant_id text NOT NULL,
  extension text NOT NULL,
  person text,
  department text,
  cost_centre text,
  valid_from date,
  valid_to date
);
CREATE INDEX directory_entries_tenant ON directory_entries (tenant_id, extension);

CREATE TABLE number_lists (
  id serial PRIMARY KEY,
  tenant_id text NOT NULL,
  list text NOT NULL CHECK (list IN ('blacklist', 'whitelist')),
  kind text NOT NULL CHECK (kind IN ('prefix', 'country')),
  value text NOT NULL,
  label text,
  UNIQUE (tenant_id, kind, value)
);

-- Nullable columns without defaults: adding them rewrites nothing.
ALTER TABLE calls
  -- buy side: what the carrier charges (null: not rated; extra.costReason says why)
  ADD COLUMN cost_nanos bigint,
  ADD COLUMN cost_currency text,
  ADD COLUMN cost_plan text,
  -- sell side: what the tenant is charged (null: not rated; extra.priceReason says why)
  ADD COLUMN price_nanos bigint,
  ADD COLUMN price_currency text,
  ADD COLUMN price_plan text,
  ADD COLUMN destination text,
  ADD COLUMN person text,
  ADD COLUMN department text,
  ADD COLUMN cost_centre text,
  -- 'blacklist' or 'whitelist' when a number list marked the call
  ADD COLUMN listed text;

-- Sums of the rated calls' money, in nano-units; numeric so that no sum can overflow.
ALTER TABLE call_rollups_hourly
  ADD COLUMN cost_nanos numeric NOT NULL DEFAULT 0,
  ADD COLUMN price_nanos numeric NOT NULL DEFAULT 0;
