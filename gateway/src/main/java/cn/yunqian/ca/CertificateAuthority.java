package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.hsm.HsmHealthCheck;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.SignerKey;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.hsm.SigningHandle;
import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's internal certificate authority. Its EC P-256 key is generated in the CA token
 * and never leaves it; certificates are signed through a ContentSigner backed by that token.
 * The self-signed CA certificate is stored on the token as a CKO_CERTIFICATE object.
 *
 * <p>All methods block on the HSM; call them from a worker thread. HSM failures are thrown as
 * {@link GatewayException} with the codes of {@link SignerTokens}.
 */
public final class CertificateAuthority {

  /** Upper bound of a common name in RFC 5280, appendix A (ub-common-name). */
  public static final int MAX_COMMON_NAME_LENGTH = 64;

  private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);
  private static final int SERIAL_BYTES = 16;
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private final SignerTokens tokens;
  private final CaSettings settings;
  private final X509CertificateHolder certificate;
  private final Clock clock;
  private final String crlDistributionPoint;
  private final SecureRandom random = new SecureRandom();

  private CertificateAuthority(SignerTokens tokens, CaSettings settings,
      X509CertificateHolder certificate, Clock clock, String crlDistributionPoint) {
    this.tokens = tokens;
    this.settings = settings;
    this.certificate = certificate;
    this.clock = clock;
    this.crlDistributionPoint = crlDistributionPoint;
  }

  /** Opens the CA with the system UTC clock, creating its token and certificate if missing. */
  public static CertificateAuthority openOrCreate(SignerTokens tokens, CaSettings settings) {
    return openOrCreate(tokens, settings, Clock.systemUTC());
  }

  /**
   * Opens the CA, first creating whatever is missing: the CA token with its key pair, then the
   * self-signed CA certificate. The PIN file must exist (see {@link CaPinFile#createIfMissing}).
   * Running it again after a crash between the two steps completes the second step.
   */
  public static CertificateAuthority openOrCreate(SignerTokens tokens, CaSettings settings,
      Clock clock) {
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(clock, "clock");
    String label = settings.tokenLabel();
    char[] pin = CaPinFile.read(settings.pinFile());
    try {
      if (!tokens.exists(label)) {
        tokens.create(label, pin, KeyAlgorithm.EC_P256);
        LOG.info("Created CA token {} with an EC P-256 key", label);
      }
      Optional<byte[]> stored = tokens.readCertificate(label);
      X509CertificateHolder certificate = stored.isPresent()
          ? parse(stored.get(), label)
          : createSelfSigned(tokens, settings, pin, clock);
      requireMatchingKey(certificate, tokens.readPublicKey(label));
      return new CertificateAuthority(tokens, settings, certificate, clock, null);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  /**
   * Returns a copy of this CA that writes {@code url} as the CRL distribution point (RFC 5280,
   * section 4.2.1.13) into every certificate it issues from now on.
   */
  public CertificateAuthority withCrlDistributionPoint(String url) {
    Objects.requireNonNull(url, "url");
    return new CertificateAuthority(tokens, settings, certificate, clock, url);
  }

  /** Returns the CRL distribution point URL, or empty when issued certificates carry none. */
  public Optional<String> crlDistributionPoint() {
    return Optional.ofNullable(crlDistributionPoint);
  }

  /**
   * Signs a version 2 CRL with the CA key in the HSM. Entries carry their revocation date and
   * reason code, and the CRL carries the authority key identifier and {@code crlNumber}.
   *
   * @param crlNumber a number that grows with every CRL this CA publishes (RFC 5280, 5.2.3)
   */
  public X509CRLHolder generateCrl(List<RevokedSerial> revoked, Instant thisUpdate,
      Instant nextUpdate, BigInteger crlNumber) {
    X509v2CRLBuilder builder = new X509v2CRLBuilder(certificate.getSubject(),
        Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(nextUpdate));
    for (RevokedSerial entry : revoked) {
      builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), entry.reason().code());
    }
    byte[] caKeyId = SubjectKeyIdentifier.fromExtensions(certificate.getExtensions())
        .getKeyIdentifier();
    try {
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new AuthorityKeyIdentifier(caKeyId));
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
    } catch (CertIOException e) {
      throw new IllegalStateException("failed to encode a CRL extension", e);
    }
    char[] pin = CaPinFile.read(settings.pinFile());
    try (SigningHandle handle = tokens.openForSigning(settings.tokenLabel(), pin)) {
      return builder.build(handle.contentSigner());
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  /** Returns the self-signed CA certificate. */
  public X509CertificateHolder certificate() {
    return certificate;
  }

  /**
   * Issues a signing certificate with subject {@code CN=<commonName>, serialNumber=<attribute>,
   * C=CN} (RFC 4514 order, so C is the first RDN in the encoding). The CN is a UTF8String so
   * Chinese names are kept as they are. Key usage is nonRepudiation and digitalSignature,
   * marked critical, and the serial number is a random positive 16-byte integer.
   *
   * @param serialNumberAttribute value from {@link SubjectSerialNumbers#derive}, never an ID
   *     number
   * @throws GatewayException NAME_INVALID if the name is blank or longer than 64 characters
   * @throws IllegalArgumentException if the validity is not positive or would end after the CA
   *     certificate, or the attribute is not a PrintableString of at most 64 characters
   */
  public X509CertificateHolder issue(SubjectPublicKeyInfo signerKey, String commonName,
      String serialNumberAttribute, Duration validity) {
    Objects.requireNonNull(signerKey, "signerKey");
    requireValidName(commonName);
    requireValidSerialNumberAttribute(serialNumberAttribute);
    Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS).minus(BACKDATE);
    Instant notAfter = notBefore.plus(BACKDATE).plus(requirePositive(validity));
    if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
      throw new IllegalArgumentException("certificate would end at " + notAfter
          + ", after the CA certificate ends at " + certificate.getNotAfter().toInstant());
    }

    X500Name subject = new X500Name(new RDN[] {
        new RDN(BCStyle.C, new DERPrintableString("CN")),
        new RDN(BCStyle.SERIALNUMBER, new DERPrintableString(serialNumberAttribute)),
        new RDN(BCStyle.CN, new DERUTF8String(commonName))});
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(certificate.getSubject(),
        newSerialNumber(), Date.from(notBefore), Date.from(notAfter), subject, signerKey);
    byte[] caKeyId = SubjectKeyIdentifier.fromExtensions(certificate.getExtensions())
        .getKeyIdentifier();
    addExtension(builder, Extension.basicConstraints, true, new BasicConstraints(false));
    addExtension(builder, Extension.keyUsage, true,
        new KeyUsage(KeyUsage.nonRepudiation | KeyUsage.digitalSignature));
    addExtension(builder, Extension.subjectKeyIdentifier, false,
        new BcX509ExtensionUtils().createSubjectKeyIdentifier(signerKey));
    addExtension(builder, Extension.authorityKeyIdentifier, false,
        new AuthorityKeyIdentifier(caKeyId));
    if (crlDistributionPoint != null) {
      addExtension(builder, Extension.cRLDistributionPoints, false,
          crlDistributionPoints(crlDistributionPoint));
    }

    X509CertificateHolder issued = sign(tokens, settings, builder);
    LOG.info("Issued certificate {} with serialNumber attribute {}",
        issued.getSerialNumber().toString(16), serialNumberAttribute);
    return issued;
  }

  /** Returns a health check that signs with the CA key and verifies the result. */
  public HsmHealthCheck healthCheck() {
    return new HsmHealthCheck(tokens, settings.tokenLabel(),
        () -> CaPinFile.read(settings.pinFile()));
  }

  private static CRLDistPoint crlDistributionPoints(String url) {
    GeneralNames names = new GeneralNames(
        new GeneralName(GeneralName.uniformResourceIdentifier, url));
    DistributionPoint point = new DistributionPoint(
        new DistributionPointName(DistributionPointName.FULL_NAME, names), null, null);
    return new CRLDistPoint(new DistributionPoint[] {point});
  }

  private static X509CertificateHolder createSelfSigned(SignerTokens tokens,
      CaSettings settings, char[] pin, Clock clock) {
    SubjectPublicKeyInfo caKey = tokens.readPublicKey(settings.tokenLabel()).publicKeyInfo();
    X500Name subject = new X500Name(new RDN[] {
        new RDN(BCStyle.C, new DERPrintableString("CN")),
        new RDN(BCStyle.CN, new DERUTF8String(settings.commonName()))});
    Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS).minus(BACKDATE);
    Instant notAfter = notBefore.plus(BACKDATE).plus(settings.validity());
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject,
        newSerialNumber(new SecureRandom()), Date.from(notBefore), Date.from(notAfter), subject,
        caKey);
    addExtension(builder, Extension.basicConstraints, true, new BasicConstraints(true));
    addExtension(builder, Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    addExtension(builder, Extension.subjectKeyIdentifier, false,
        new BcX509ExtensionUtils().createSubjectKeyIdentifier(caKey));

    X509CertificateHolder certificate = sign(tokens, settings, builder);
    try {
      tokens.storeCertificate(settings.tokenLabel(), pin, certificate.getEncoded(),
          subject.getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException("failed to encode the CA certificate", e);
    }
    LOG.info("Created the self-signed CA certificate {} on token {}",
        certificate.getSubject(), settings.tokenLabel());
    return certificate;
  }

  private static X509CertificateHolder sign(SignerTokens tokens, CaSettings settings,
      X509v3CertificateBuilder builder) {
    char[] pin = CaPinFile.read(settings.pinFile());
    try (SigningHandle handle = tokens.openForSigning(settings.tokenLabel(), pin)) {
      return builder.build(handle.contentSigner());
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private BigInteger newSerialNumber() {
    return newSerialNumber(random);
  }

  /** Returns a random positive integer of exactly 16 bytes in DER (the top bit is clear). */
  private static BigInteger newSerialNumber(SecureRandom random) {
    byte[] bytes = new byte[SERIAL_BYTES];
    random.nextBytes(bytes);
    bytes[0] = (byte) ((bytes[0] & 0x7f) | 0x40);
    return new BigInteger(1, bytes);
  }

  private static void addExtension(X509v3CertificateBuilder builder,
      ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
    try {
      builder.addExtension(oid, critical, value);
    } catch (CertIOException e) {
      throw new IllegalStateException("failed to encode certificate extension " + oid, e);
    }
  }

  private static X509CertificateHolder parse(byte[] der, String label) {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "certificate stored on CA token " + label + " is not valid DER", e);
    }
  }

  private static void requireMatchingKey(X509CertificateHolder certificate, SignerKey key) {
    if (!certificate.getSubjectPublicKeyInfo().equals(key.publicKeyInfo())) {
      throw new IllegalStateException("CA certificate on token " + key.tokenLabel()
          + " does not match the token's key; restore the token directory from a backup");
    }
  }

  private static void requireValidName(String commonName) {
    Objects.requireNonNull(commonName, "commonName");
    if (commonName.isBlank() || commonName.length() > MAX_COMMON_NAME_LENGTH) {
      throw new GatewayException(ErrorCode.NAME_INVALID,
          "name must be 1 to " + MAX_COMMON_NAME_LENGTH + " characters and not blank");
    }
  }

  private static void requireValidSerialNumberAttribute(String attribute) {
    Objects.requireNonNull(attribute, "serialNumberAttribute");
    if (attribute.isEmpty() || attribute.length() > 64
        || !DERPrintableString.isPrintableString(attribute)) {
      throw new IllegalArgumentException("serialNumber attribute must be a PrintableString of"
          + " 1 to 64 characters, got \"" + attribute + "\"");
    }
  }

  private static Duration requirePositive(Duration validity) {
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, got " + validity);
    }
    return validity;
  }
}
