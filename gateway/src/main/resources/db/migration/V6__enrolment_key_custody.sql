-- The key made at an enrolment's PIN step may be in wrapped-key custody, whose key reference
-- is a wrapped blob rather than a token, and whose public key no token can return later.
ALTER TABLE enrolments
  ADD COLUMN key_custody text,
  ADD COLUMN wrapped_key bytea,
  ADD COLUMN public_key  bytea;
