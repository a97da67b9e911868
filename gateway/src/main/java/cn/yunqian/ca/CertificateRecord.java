package cn.yunqian.ca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * One certificate of a signer as stored in the {@code certificates} table.
 *
 * @param serial serial number as lower-case hex
 * @param issuer issuer distinguished name as BouncyCastle prints it (RFC 4514 order)
 * @param source {@code INTERNAL_CA} or {@code IMPORTED}
 * @param status {@code CURRENT}, {@code SUPERSEDED} or {@code REVOKED}
 * @param revokedAt revocation time, or null unless revoked
 * @param revocationReason reason name of {@link RevocationReason}, or null unless revoked
 * @param der the certificate
 * @param issuerChain DER certificates above the leaf, its issuer first; empty for the internal
 *     CA
 */
public record CertificateRecord(
    UUID id,
    UUID signerId,
    String serial,
    String issuer,
    String subject,
    Instant notBefore,
    Instant notAfter,
    String source,
    String status,
    Instant revokedAt,
    String revocationReason,
    byte[] der,
    List<byte[]> issuerChain) {

  public static final String INTERNAL_CA = "INTERNAL_CA";
  public static final String IMPORTED = "IMPORTED";
  public static final String CURRENT = "CURRENT";
  public static final String SUPERSEDED = "SUPERSEDED";
  public static final String REVOKED = "REVOKED";

  /** Formats a serial number the way the table stores it. */
  public static String serialHex(BigInteger serial) {
    return serial.toString(16);
  }

  /** Returns the issuer string the table stores for a certificate. */
  public static String issuerOf(X509CertificateHolder certificate) {
    return certificate.getIssuer().toString();
  }

  public boolean isRevoked() {
    return REVOKED.equals(status);
  }

  /** Parses {@link #der()}. */
  public X509CertificateHolder holder() {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new UncheckedIOException("stored certificate " + serial + " is not valid DER", e);
    }
  }
}
