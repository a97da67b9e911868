-- Key custody per signer. In token-per-signer custody the key is in the token named by
-- token_label. In wrapped-key custody the key is wrapped_key (a WrappedKey record), which only
-- the HSM's root secret and the signer's PIN can unwrap, and token_label is the key's label.
ALTER TABLE signers
  ADD COLUMN key_custody text NOT NULL DEFAULT 'token-per-signer'
    CHECK (key_custody IN ('token-per-signer', 'wrapped-key')),
  ADD COLUMN wrapped_key bytea,
  -- AES-GCM ciphertext (PersonalDataCipher, purpose "birth-date") of the birth date as
  -- yyyyMMdd, kept so that a PIN change can reject a PIN taken from the birth date. NULL for
  -- signers enrolled before this migration.
  ADD COLUMN birth_date_encrypted bytea,
  ADD CONSTRAINT signers_wrapped_key_present
    CHECK (key_custody = 'token-per-signer' OR wrapped_key IS NOT NULL);

-- The officer's list of locked signers.
-- 5 is Signer.MAX_PIN_ATTEMPTS.
CREATE INDEX signers_locked_idx ON signers (locked_at) WHERE failed_pin_attempts >= 5;
