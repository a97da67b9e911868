package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * A signer's private key wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649) under a key-encryption
 * key that the HSM derives from its root secret and the PIN, with what is needed to derive
 * that key again and to certify the public key. Useless without the HSM's root secret.
 *
 * @param salt PBKDF2 salt of this wrapping; a PIN change picks a new one
 * @param iterations PBKDF2-HMAC-SHA256 iteration count of this wrapping
 * @param wrappedPrivateKey the C_WrapKey output (a PKCS#8 PrivateKeyInfo, wrapped)
 */
public record WrappedKey(String label, KeyAlgorithm algorithm, byte[] keyId, byte[] salt,
    int iterations, byte[] publicKeyInfo, byte[] wrappedPrivateKey) {

  /** Format version written as the first byte of {@link #encode()}. */
  private static final int FORMAT_VERSION = 1;
  private static final int MAX_FIELD_BYTES = 4096;

  public WrappedKey {
    keyId = keyId.clone();
    salt = salt.clone();
    publicKeyInfo = publicKeyInfo.clone();
    wrappedPrivateKey = wrappedPrivateKey.clone();
  }

  /** Returns the public key as stored at enrolment. */
  SignerKey signerKey() {
    return new SignerKey(label, keyId, algorithm, SubjectPublicKeyInfo.getInstance(publicKeyInfo));
  }

  /** Encodes the record for the database: a version byte, then length-prefixed fields. */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeUTF(label);
      out.writeUTF(algorithm.name());
      writeField(out, keyId);
      writeField(out, salt);
      out.writeInt(iterations);
      writeField(out, publicKeyInfo);
      writeField(out, wrappedPrivateKey);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes {@link #encode()} output.
   *
   * @throws GatewayException HSM_UNAVAILABLE if the bytes are not a wrapped key of this format
   */
  public static WrappedKey decode(byte[] encoded) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      int version = in.readUnsignedByte();
      if (version != FORMAT_VERSION) {
        throw new IOException("unknown format version " + version);
      }
      WrappedKey key = new WrappedKey(in.readUTF(), KeyAlgorithm.valueOf(in.readUTF()),
          readField(in), readField(in), in.readInt(), readField(in), readField(in));
      if (in.available() != 0) {
        throw new IOException(in.available() + " trailing bytes");
      }
      return key;
    } catch (IOException | IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "stored wrapped key is damaged: " + e.getMessage(), e);
    }
  }

  private static void writeField(DataOutputStream out, byte[] field) throws IOException {
    out.writeShort(field.length);
    out.write(field);
  }

  private static byte[] readField(DataInputStream in) throws IOException {
    int length = in.readUnsignedShort();
    if (length > MAX_FIELD_BYTES) {
      throw new IOException("field of " + length + " bytes exceeds " + MAX_FIELD_BYTES);
    }
    byte[] field = in.readNBytes(length);
    if (field.length != length) {
      throw new IOException("field ends after " + field.length + " of " + length + " bytes");
    }
    return field;
  }

  @Override
  public byte[] keyId() {
    return keyId.clone();
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  @Override
  public byte[] publicKeyInfo() {
    return publicKeyInfo.clone();
  }

  @Override
  public byte[] wrappedPrivateKey() {
    return wrappedPrivateKey.clone();
  }

  @Override
  public String toString() {
    return "WrappedKey[" + label + ", " + algorithm + ", iterations=" + iterations + "]";
  }
}
