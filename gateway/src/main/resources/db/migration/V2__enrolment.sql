-- Phone enrolment: links handed out as QR codes, the enrolments made through them, and the
-- SMS verification codes and send log used for rate limits.
-- Personal data columns ending in _enc hold PersonalDataCipher ciphertext. No PIN, no SMS code
-- and no full ID number or phone number is stored in clear.

CREATE TABLE enrolment_links (
  code          text PRIMARY KEY,
  preset        text NOT NULL,
  organisation  text NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);

CREATE TABLE enrolments (
  id                uuid PRIMARY KEY,
  link_code         text NOT NULL REFERENCES enrolment_links (code),
  -- SHA-256 of the yq_enrol cookie value; the cookie itself is never stored.
  session_hash      bytea NOT NULL UNIQUE,
  preset            text NOT NULL,
  steps             text NOT NULL,
  completed         text NOT NULL DEFAULT '',
  status            text NOT NULL CHECK (status IN ('IN_PROGRESS', 'FACE_POSTPONED',
                        'PENDING_REVIEW', 'APPROVED', 'REJECTED')),
  mobile_masked     text,
  mobile_enc        bytea,
  person_type       text,
  name              text,
  id_number_hash    bytea,
  id_number_masked  text,
  id_number_enc     bytea,
  county_code       text,
  id_front_enc      bytea,
  id_front_type     text,
  id_back_enc       bytea,
  id_back_type      text,
  face_evidence_enc bytea,
  face_detail       text,
  face_session_id   text,
  signature_enc     bytea,
  -- Set at the PIN step: the future signer's id and the token that contains the key.
  signer_id         uuid UNIQUE,
  token_label       text UNIQUE,
  key_algorithm     text,
  rejection_reason  text,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  submitted_at      timestamptz,
  decided_at        timestamptz
);
CREATE INDEX enrolments_status_idx ON enrolments (status, submitted_at);

-- The current verification code per mobile number, as an HMAC keyed with a deployment secret.
CREATE TABLE sms_codes (
  mobile_hash  bytea PRIMARY KEY,
  code_hash    bytea NOT NULL,
  sent_at      timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  tries_left   integer NOT NULL CHECK (tries_left >= 0)
);

-- One row per code sent, for the daily caps per number and per client address.
CREATE TABLE sms_sends (
  mobile_hash  bytea NOT NULL,
  client_ip    text NOT NULL,
  sent_at      timestamptz NOT NULL
);
CREATE INDEX sms_sends_mobile_idx ON sms_sends (mobile_hash, sent_at);
CREATE INDEX sms_sends_ip_idx ON sms_sends (client_ip, sent_at);
