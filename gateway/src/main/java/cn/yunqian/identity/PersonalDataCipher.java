package cn.yunqian.identity;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts personal data (signature images, ID card photos) before it goes into the database,
 * with AES-256-GCM. A stored value is {@code version(1) || nonce(12) || ciphertext || tag(16)}.
 * The associated data binds each value to its purpose and record, so a ciphertext copied into
 * another row or column fails to decrypt.
 */
public final class PersonalDataCipher {

  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public PersonalDataCipher(byte[] key256) {
    if (key256.length != 32) {
      throw new IllegalArgumentException("The personal data key must be 32 bytes, got "
          + key256.length);
    }
    this.key = new SecretKeySpec(key256, "AES");
  }

  /** Encrypts {@code plaintext} for the given purpose and record id. */
  public byte[] encrypt(byte[] plaintext, String purpose, String recordId) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData(purpose, recordId));
      byte[] sealed = cipher.doFinal(plaintext);
      return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length)
          .put(VERSION).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts a value made by {@link #encrypt}.
   *
   * @throws IllegalStateException when the value was altered, belongs to another record or was
   *     encrypted under another key
   */
  public byte[] decrypt(byte[] stored, String purpose, String recordId) {
    if (stored.length < 1 + NONCE_BYTES + TAG_BITS / 8 || stored[0] != VERSION) {
      throw new IllegalStateException("Stored personal data has an unknown format");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key,
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(stored, 1, 1 + NONCE_BYTES)));
      cipher.updateAAD(associatedData(purpose, recordId));
      return cipher.doFinal(stored, 1 + NONCE_BYTES, stored.length - 1 - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Stored personal data failed its integrity check", e);
    }
  }

  private static byte[] associatedData(String purpose, String recordId) {
    return (purpose + "|" + recordId).getBytes(StandardCharsets.UTF_8);
  }
}
