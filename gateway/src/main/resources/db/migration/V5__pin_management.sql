-- PIN management on the phone: the signer's mobile number (for identification by SMS code and
-- for security notices), phone sessions, identification attempts for rate limits, the face
-- verifications behind a forgotten-PIN reset, and resets waiting for a reviewer.

-- mobile_enc is PersonalDataCipher ciphertext (purpose "signer-mobile", bound to the signer
-- id). mobile_hash is an HMAC-SHA256 of the number for look-up. Both are NULL when the
-- enrolment gave no number.
ALTER TABLE signers
  ADD COLUMN mobile_enc bytea,
  ADD COLUMN mobile_hash bytea,
  ADD COLUMN mobile_masked text;

-- The phone's PIN session. Only the SHA-256 of the yq_pin cookie is kept. id_number_enc is the
-- ID number the signer typed (PersonalDataCipher, purpose "pin-session-id-number", bound to
-- the session id), kept for the PIN rules and for an external face provider.
CREATE TABLE pin_sessions (
  id                    uuid PRIMARY KEY,
  session_hash          bytea NOT NULL UNIQUE,
  signer_id             uuid NOT NULL REFERENCES signers (id),
  id_number_enc         bytea NOT NULL,
  face_verification_id  uuid,
  face_session_id       text,
  created_at            timestamptz NOT NULL,
  expires_at            timestamptz NOT NULL
);
CREATE INDEX pin_sessions_expires_idx ON pin_sessions (expires_at);

-- One row per identification attempt, keyed by the HMAC of the ID number and by the client
-- address, for the rate limits of the PIN page.
CREATE TABLE pin_identify_attempts (
  id_number_hash  bytea NOT NULL,
  client_ip       text NOT NULL,
  attempted_at    timestamptz NOT NULL
);
CREATE INDEX pin_identify_attempts_id_idx ON pin_identify_attempts (id_number_hash, attempted_at);
CREATE INDEX pin_identify_attempts_ip_idx ON pin_identify_attempts (client_ip, attempted_at);

-- Every face verification of a signer, passed or not. method is 'builtin' (the page's
-- liveness check, which cannot compare the face with the ID card) or the name of an external
-- provider. evidence_enc is the frame (PersonalDataCipher, purpose "face-verification", bound
-- to the row id).
ALTER TABLE face_verifications
  ADD COLUMN method text NOT NULL DEFAULT 'officer',
  ADD COLUMN detail text,
  ADD COLUMN evidence_enc bytea;

-- A forgotten-PIN reset waiting for a reviewer. The new key was made when the signer entered
-- the new PIN. key_label, key_custody and wrapped_key reference it, and public_key is its
-- SubjectPublicKeyInfo, so approval can certify it without the PIN.
CREATE TABLE pin_resets (
  id                    uuid PRIMARY KEY,
  signer_id             uuid NOT NULL REFERENCES signers (id),
  face_verification_id  uuid NOT NULL REFERENCES face_verifications (id),
  status                text NOT NULL CHECK (status IN ('PENDING_REVIEW', 'APPROVED',
                            'REJECTED')),
  key_custody           text NOT NULL CHECK (key_custody IN ('token-per-signer',
                            'wrapped-key')),
  key_label             text NOT NULL,
  key_algorithm         text NOT NULL,
  wrapped_key           bytea,
  public_key            bytea NOT NULL,
  rejection_reason      text,
  created_at            timestamptz NOT NULL,
  decided_at            timestamptz,
  decided_by            text
);
CREATE UNIQUE INDEX pin_resets_one_pending_idx ON pin_resets (signer_id)
  WHERE status = 'PENDING_REVIEW';
CREATE INDEX pin_resets_status_idx ON pin_resets (status, created_at);
