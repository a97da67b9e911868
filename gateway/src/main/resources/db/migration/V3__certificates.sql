-- Certificates of signers, current and past. signers.certificate stays the one in use; this
-- table keeps every certificate a signer had, with its revocation state, so the CRL and the
-- signing check can look it up by issuer and serial number.
CREATE TABLE certificates (
  id                 uuid PRIMARY KEY,
  signer_id          uuid NOT NULL REFERENCES signers (id),
  -- Serial number as lower-case hex, issuer as an RFC 4514 string.
  serial             text NOT NULL,
  issuer             text NOT NULL,
  subject            text NOT NULL,
  not_before         timestamptz NOT NULL,
  not_after          timestamptz NOT NULL,
  -- INTERNAL_CA: issued by the gateway's CA; IMPORTED: returned by an outside CA.
  source             text NOT NULL CHECK (source IN ('INTERNAL_CA', 'IMPORTED')),
  -- CURRENT: the one signers.certificate holds; SUPERSEDED: replaced but not revoked.
  status             text NOT NULL CHECK (status IN ('CURRENT', 'SUPERSEDED', 'REVOKED')),
  revoked_at         timestamptz,
  revocation_reason  text,
  der                bytea NOT NULL,
  -- DER certificates above the leaf, leaf's issuer first; empty for the internal CA.
  issuer_chain       bytea[] NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (issuer, serial),
  CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
);
CREATE UNIQUE INDEX certificates_one_current_idx ON certificates (signer_id)
  WHERE status = 'CURRENT';
CREATE INDEX certificates_not_after_idx ON certificates (not_after) WHERE status = 'CURRENT';

-- PKCS#10 requests made with a signer's key, kept for the officer to download and send to a
-- licensed CA.
CREATE TABLE certificate_requests (
  id          uuid PRIMARY KEY,
  signer_id   uuid NOT NULL REFERENCES signers (id),
  der         bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificate_requests_signer_idx ON certificate_requests (signer_id, created_at);

-- One row per certificate and warning window, so the expiry job warns once.
CREATE TABLE certificate_expiry_warnings (
  certificate_id  uuid NOT NULL REFERENCES certificates (id),
  window_days     integer NOT NULL,
  warned_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate_id, window_days)
);

-- Passed face verifications that a re-key may consume. The face-verification step writes
-- these rows; a re-key marks the row used so one verification re-keys at most once.
CREATE TABLE IF NOT EXISTS face_verifications (
  id           uuid PRIMARY KEY,
  signer_id    uuid NOT NULL REFERENCES signers (id),
  passed       boolean NOT NULL,
  verified_at  timestamptz NOT NULL,
  used_at      timestamptz
);


-- Approvals of the officer-side PIN reset: each named officer approves one face verification
-- of the signer at most once. The reset itself is not implemented; see hsm-config/README.md.
CREATE TABLE pin_reset_approvals (
  face_verification_id  uuid NOT NULL REFERENCES face_verifications (id),
  officer               text NOT NULL,
  signer_id             uuid NOT NULL REFERENCES signers (id),
  approved_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (face_verification_id, officer)
);
