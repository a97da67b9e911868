package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.pin.PinPolicy;
import cn.yunqian.pin.PinTries;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;

/**
 * Makes PKCS#10 certificate requests with a signer's HSM key, for an officer to send to a
 * licensed CA. Signing the request needs the signer's PIN, so a wrong PIN counts as a try
 * exactly as it does when signing a document.
 */
public final class CertificateRequests {

  private final SignerRepository signers;
  private final CertificateRepository certificates;
  private final KeyCustody custody;
  private final SignerKeys keys;
  private final WorkerExecutor workers;
  private final PinTries pinTries;

  public CertificateRequests(SignerRepository signers, CertificateRepository certificates,
      KeyCustody custody, SignerKeys keys, WorkerExecutor workers) {
    this.signers = signers;
    this.certificates = certificates;
    this.custody = custody;
    this.keys = keys;
    this.workers = workers;
    this.pinTries = new PinTries(signers);
  }

  /**
   * Signs a request for the signer's key with the subject of the signer's current certificate
   * and stores it. Clears {@code pin}. Fails with SIGNER_NOT_FOUND, SIGNER_NOT_ACTIVE,
   * PIN_FORMAT_INVALID, PIN_INCORRECT, PIN_LOCKED or HSM_UNAVAILABLE.
   *
   * @return the DER of the request
   */
  public Future<byte[]> create(UUID signerId, char[] pin, String actor) {
    return signers.findById(signerId)
        .compose(found -> {
          Signer signer = found.orElseThrow(() -> new GatewayException(
              ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + signerId));
          if (signer.certificate() == null) {
            throw new GatewayException(ErrorCode.SIGNER_NOT_ACTIVE, "Signer " + signerId
                + " has no certificate to take the subject name from");
          }
          PinPolicy.requireWellFormed(pin);
          return keys.custodyKey(signerId).compose(key -> pinTries.attempt(signer, actor,
              "certificate-request", pinAccepted -> signRequest(signer, key.orElseThrow(), pin,
                  pinAccepted)));
        })
        .compose(der -> {
          JsonObject details = new JsonObject().put("requestBytes", der.length);
          return signers.pool()
              .withTransaction(conn -> CertificateRepository.insertRequest(conn, signerId, der)
                  .compose(done -> AuditLog.append(conn, AuditEvent.success(actor,
                      "CERTIFICATE_REQUEST_CREATED", signerId, details))))
              .map(der);
        })
        .onComplete(done -> Arrays.fill(pin, '\0'));
  }

  /** Returns the signer's newest request as PEM. Fails with CERTIFICATE_REQUEST_NOT_FOUND. */
  public Future<String> latestPem(UUID signerId) {
    return certificates.latestRequest(signerId).map(found -> toPem(found.orElseThrow(() ->
        new GatewayException(ErrorCode.CERTIFICATE_REQUEST_NOT_FOUND, "Signer " + signerId
            + " has no certificate request; create one with POST .../csr first"))));
  }

  /** Encodes a PKCS#10 request as PEM (RFC 7468, label CERTIFICATE REQUEST). */
  public static String toPem(byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der);
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + body
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  private Future<byte[]> signRequest(Signer signer, CustodyKey key, char[] pin,
      Runnable pinAccepted) {
    return workers.executeBlocking(() -> {
      X509CertificateHolder current = new X509CertificateHolder(signer.certificate());
      try (SigningHandle handle = custody.openForSigning(key, pin)) {
        pinAccepted.run();
        PKCS10CertificationRequest request = new PKCS10CertificationRequestBuilder(
            current.getSubject(), handle.key().publicKeyInfo()).build(handle.contentSigner());
        return encode(request);
      }
    }, false);
  }

  private static byte[] encode(PKCS10CertificationRequest request) {
    try {
      return request.getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to encode the certificate request", e);
    }
  }
}
