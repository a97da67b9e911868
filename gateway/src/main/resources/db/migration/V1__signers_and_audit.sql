-- Signers: enrolled people whose key lives in their own HSM token.
-- No PIN and no full ID number is ever stored: the HSM checks the PIN, and the ID number is
-- kept as a keyed hash (to find duplicates) plus a masked form for display.
CREATE TABLE signers (
  id                  uuid PRIMARY KEY,
  display_name        text NOT NULL,
  person_type         text NOT NULL DEFAULT 'EXPERT',
  id_number_hash      bytea NOT NULL UNIQUE,
  id_number_masked    text NOT NULL,
  subject_serial      text NOT NULL,
  token_label         text NOT NULL UNIQUE,
  key_algorithm       text NOT NULL,
  certificate         bytea,
  -- AES-GCM ciphertext of the handwritten signature PNG (see PersonalDataCipher).
  signature_image     bytea NOT NULL,
  status              text NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
  failed_pin_attempts integer NOT NULL DEFAULT 0 CHECK (failed_pin_attempts >= 0),
  locked_at           timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- One row per signature made, for accounting and for the officer's view.
CREATE TABLE signatures (
  id              uuid PRIMARY KEY,
  signer_id       uuid NOT NULL REFERENCES signers (id),
  input_sha256    bytea NOT NULL,
  output_sha256   bytea NOT NULL,
  signed_at       timestamptz NOT NULL
);
CREATE INDEX signatures_signer_idx ON signatures (signer_id, signed_at);

-- Append-only audit log. Each row carries the SHA-256 of the previous row's hash and its own
-- content, so deleting or editing a row breaks the chain from that row on.
CREATE TABLE audit_events (
  seq          bigint PRIMARY KEY,
  occurred_at  timestamptz NOT NULL,
  actor        text NOT NULL,
  action       text NOT NULL,
  signer_id    uuid,
  outcome      text NOT NULL,
  -- JSON kept as text, byte for byte as hashed (jsonb would reorder keys).
  details      text NOT NULL DEFAULT '{}',
  prev_hash    bytea NOT NULL,
  hash         bytea NOT NULL
);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
