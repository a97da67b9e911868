package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateRecord;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.SubjectSerialNumbers;
import cn.yunqian.enrolment.flow.Step;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.enrolment.sms.SmsTemplate;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes enrolments: submission by the phone, and approval or rejection by a reviewer (or
 * at once on submit for presets without review). Approval certifies the key made at the PIN
 * step and creates the signer. Rejection leaves the key unusable, see {@link #reject}.
 */
final class EnrolmentReview {

  private static final Logger LOG = LoggerFactory.getLogger(EnrolmentReview.class);
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(2 * 365);
  /** Purpose the signing service decrypts signer signature images with. */
  private static final String SIGNER_IMAGE_PURPOSE = "signature-image";

  private final EnrolmentService service;
  private final EnrolmentRepository repository;
  private final SignerTokens tokens;
  private final CertificateAuthority ca;
  private final byte[] idNumberKey;
  private final WorkerExecutor workers;
  private final SmsSender sms;
  private final MeterRegistry registry;
  private final SignerMobiles mobiles;
  private final SignerKeys signerKeys;

  EnrolmentReview(EnrolmentService service, SignerTokens tokens, CertificateAuthority ca,
      byte[] idNumberKey, WorkerExecutor workers, SmsSender sms, MeterRegistry registry,
      SignerMobiles mobiles, SignerKeys signerKeys) {
    this.service = service;
    this.repository = service.repository();
    this.tokens = tokens;
    this.ca = ca;
    this.idNumberKey = idNumberKey.clone();
    this.workers = workers;
    this.sms = sms;
    this.registry = registry;
    this.mobiles = mobiles;
    this.signerKeys = signerKeys;
  }

  /** {@code submit}: PENDING_REVIEW for presets with review, else approves at once. */
  Future<Enrolment> submit(String cookie) {
    return service.current(cookie).compose(enrolment -> {
      if (!Enrolment.IN_PROGRESS.equals(enrolment.status()) || !enrolment.dataStepsComplete()) {
        throw EnrolmentService.outOfOrder("Submit only after every step. The current step is '"
            + enrolment.currentStep() + "' and the status " + enrolment.status());
      }
      if (enrolment.steps().contains(Step.REVIEW)) {
        Map<String, Object> columns = new LinkedHashMap<>();
        columns.put("status", Enrolment.PENDING_REVIEW);
        columns.put("submitted_at", service.now());
        return service.store(enrolment, Step.REVIEW, columns, false, false,
            "ENROLMENT_SUBMITTED");
      }
      return approve(enrolment.id(), "enrolment:" + enrolment.id(), Enrolment.IN_PROGRESS);
    });
  }

  /**
   * Approves: issues the certificate for the key made at the PIN step and inserts the signer
   * (ACTIVE), in one transaction with the status change and the audit row. Then sends the
   * result by SMS when a mobile number is known. Fails with ENROLMENT_NOT_PENDING, or
   * ID_NUMBER_ALREADY_ENROLLED when another enrolment of the same person was approved first.
   */
  Future<Enrolment> approve(UUID id, String actor, String expectedStatus) {
    return repository.findById(repository.pool(), id, false)
        .compose(found -> {
          Enrolment enrolment = requireStatus(found, id, expectedStatus);
          return Future.all(service.repository().readEncrypted(id, "id_number_enc"),
                  service.repository().readEncrypted(id, "signature_enc"),
                  service.repository().readEncrypted(id, "mobile_enc"),
                  enrolmentKey(enrolment))
              .compose(all -> workers.executeBlocking(() -> certify(enrolment,
                  decrypt(enrolment, all.resultAt(0), "id-number"),
                  decrypt(enrolment, all.resultAt(1), "signature"),
                  optionalMobile(enrolment, all.resultAt(2)), all.resultAt(3)), false))
              .compose(certified -> storeApproval(enrolment, expectedStatus, certified, actor));
        })
        .compose(enrolment -> notify(enrolment, "APPROVED", null).map(enrolment));
  }

  /**
   * A certified signer ready to insert, with the mobile number (or null) and the birth date
   * that are stored next to it for PIN management.
   */
  private record Certified(SignerRepository.NewSigner signer, String mobile,
      java.time.LocalDate birthDate, CustodyKey custodyKey) {
  }

  /** The key made at the PIN step: its custody reference and, when stored, its public key. */
  private record EnrolmentKey(CustodyKey custodyKey, byte[] publicKey) {
  }

  private Future<EnrolmentKey> enrolmentKey(Enrolment enrolment) {
    return repository.pool()
        .preparedQuery("SELECT key_custody, wrapped_key, public_key FROM enrolments WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(enrolment.id()))
        .map(rows -> {
          Row row = rows.iterator().next();
          String mode = row.getString("key_custody");
          io.vertx.core.buffer.Buffer wrapped = row.getBuffer("wrapped_key");
          io.vertx.core.buffer.Buffer publicKey = row.getBuffer("public_key");
          // Enrolments that reached the PIN step before custody was recorded used a token.
          CustodyKey key = mode == null ? CustodyKey.token(enrolment.tokenLabel())
              : new CustodyKey(CustodyMode.parse(mode), enrolment.tokenLabel(),
                  wrapped == null ? null : wrapped.getBytes());
          return new EnrolmentKey(key, publicKey == null ? null : publicKey.getBytes());
        });
  }

  private String optionalMobile(Enrolment enrolment, Optional<Row> row) {
    if (row.isEmpty() || row.get().getBuffer("value") == null) {
      return null;
    }
    return new String(decrypt(enrolment, row, "mobile"), StandardCharsets.UTF_8);
  }

  private Certified certify(Enrolment enrolment, byte[] idNumber, byte[] signaturePng,
      String mobile, EnrolmentKey key) throws java.io.IOException {
    String subjectSerial = SubjectSerialNumbers.derive(
        new String(idNumber, StandardCharsets.UTF_8), idNumberKey);
    X509CertificateHolder certificate = ca.issue(
        key.publicKey() != null ? SubjectPublicKeyInfo.getInstance(key.publicKey())
            : tokens.readPublicKey(enrolment.tokenLabel()).publicKeyInfo(), enrolment.name(),
        subjectSerial, CERTIFICATE_VALIDITY);
    return new Certified(new SignerRepository.NewSigner(enrolment.signerId(), enrolment.name(),
        enrolment.personType(), null, enrolment.idNumberMasked(), subjectSerial,
        enrolment.tokenLabel(), enrolment.keyAlgorithm(), certificate.getEncoded(),
        service.cipher().encrypt(signaturePng, SIGNER_IMAGE_PURPOSE,
            enrolment.signerId().toString())), mobile,
        ResidentIdNumber.parse(new String(idNumber, StandardCharsets.UTF_8)).birthDate(),
        key.custodyKey());
  }

  private Future<Enrolment> storeApproval(Enrolment seen, String expectedStatus,
      Certified certified, String actor) {
    return repository.pool().withTransaction(conn -> conn
            .preparedQuery("SELECT id_number_hash FROM enrolments WHERE id = $1 FOR UPDATE")
            .execute(io.vertx.sqlclient.Tuple.of(seen.id()))
            .compose(rows -> repository.findById(conn, seen.id(), false).compose(found -> {
              requireStatus(found, seen.id(), expectedStatus);
              byte[] idHash = rows.iterator().next().getBuffer("id_number_hash").getBytes();
              SignerRepository.NewSigner issued = certified.signer();
              SignerRepository.NewSigner row = new SignerRepository.NewSigner(issued.id(),
                  issued.displayName(), issued.personType(), idHash, issued.idNumberMasked(),
                  issued.subjectSerial(), issued.tokenLabel(), issued.keyAlgorithm(),
                  issued.certificate(), issued.encryptedSignatureImage());
              return conn.preparedQuery("SELECT 1 FROM signers WHERE id_number_hash = $1")
                  .execute(io.vertx.sqlclient.Tuple.of(io.vertx.core.buffer.Buffer.buffer(
                      idHash)))
                  .compose(existing -> {
                    if (existing.size() > 0) {
                      throw new GatewayException(ErrorCode.ID_NUMBER_ALREADY_ENROLLED,
                          "A signer with this ID number is already enrolled");
                    }
                    return SignerRepository.insert(conn, row)
                        .compose(done -> storeContact(conn, certified, row));
                  });
            }))
            .compose(done -> decide(conn, seen, Enrolment.APPROVED, null, actor)))
        .recover(e -> Future.failedFuture(isUniqueViolation(e)
            // Two enrolments of one person approved at the same moment: the check above
            // passed in both transactions and the unique index stopped the second.
            ? new GatewayException(ErrorCode.ID_NUMBER_ALREADY_ENROLLED,
                "A signer with this ID number is already enrolled")
            : e))
        .compose(done -> repository.findById(repository.pool(), seen.id(), false))
        .map(found -> {
          registry.counter("enrolment.completed", "outcome", "approved").increment();
          LOG.info("Enrolment {} approved: signer={} token={}", seen.id(), seen.signerId(),
              seen.tokenLabel());
          return found.orElseThrow();
        });
  }

  /**
   * Stores, in the transaction, the certificate's row in the certificates table (so revocation
   * and the CRL find it) and the mobile number and birth date that PIN management needs.
   */
  private Future<Void> storeContact(io.vertx.sqlclient.SqlConnection conn, Certified certified,
      SignerRepository.NewSigner row) {
    X509CertificateHolder certificate;
    try {
      certificate = new X509CertificateHolder(row.certificate());
    } catch (java.io.IOException e) {
      return Future.failedFuture(e);
    }
    Future<Void> birth = CertificateRepository.insertCurrent(conn, row.id(), certificate,
            CertificateRecord.INTERNAL_CA, List.of())
        .compose(inserted -> signerKeys.storeNew(conn, row.id(),
            certified.custodyKey(), certified.birthDate()));
    if (certified.mobile() == null) {
      return birth;
    }
    return birth.compose(done -> mobiles.store(conn, row.id(), certified.mobile()));
  }

  /**
   * Rejects a pending enrolment with a reason and sends the result by SMS.
   *
   * <p>The key made at the PIN step cannot be destroyed here: {@code C_DestroyObject} on a
   * private key needs a user login, the gateway never keeps the PIN, and the token's SO PIN
   * was discarded at creation, so the token cannot be re-initialised either. The key stays in
   * its token, usable only with the person's PIN, and no signer row points to it, so the
   * signing API cannot reach it. The enrolment keeps the token label, marked REJECTED, so an
   * officer can find such tokens and delete their files from the token directory.
   */
  Future<Enrolment> reject(UUID id, String reason, String actor) {
    String text = reason == null ? "" : reason.trim();
    if (text.isEmpty() || text.length() > 200) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Give a rejection reason of 1 to 200 characters"));
    }
    return repository.pool().withTransaction(conn -> repository.findById(conn, id, true)
            .compose(found -> {
              Enrolment enrolment = requireStatus(found, id, Enrolment.PENDING_REVIEW);
              return decide(conn, enrolment, Enrolment.REJECTED, text, actor);
            })
            .compose(done -> repository.findById(conn, id, false)))
        .map(found -> found.orElseThrow())
        .compose(enrolment -> {
          registry.counter("enrolment.completed", "outcome", "rejected").increment();
          LOG.info("Enrolment {} rejected: key left unusable in token {}", id,
              enrolment.tokenLabel());
          return notify(enrolment, "REJECTED", text).map(enrolment);
        });
  }

  private Future<Void> decide(io.vertx.sqlclient.SqlConnection conn, Enrolment enrolment,
      String status, String reason, String actor) {
    List<String> completed = new ArrayList<>(enrolment.completed());
    if (enrolment.steps().contains(Step.REVIEW) && !completed.contains(Step.REVIEW)) {
      completed.add(Step.REVIEW);
    }
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("status", status);
    columns.put("completed", completed);
    columns.put("rejection_reason", reason);
    if (Enrolment.REJECTED.equals(status)) {
      // A wrapped key exists only as this blob, so dropping it discards the key.
      columns.put("wrapped_key", null);
    }
    columns.put("decided_at", service.now());
    if (!enrolment.steps().contains(Step.REVIEW)) {
      // Without review, submitting and deciding are one request.
      columns.put("submitted_at", service.now());
    }
    return repository.update(conn, enrolment.id(), columns, service.now())
        .compose(done -> cn.yunqian.audit.AuditLog.append(conn, new cn.yunqian.audit.AuditEvent(
            actor, "ENROLMENT_" + status, Enrolment.APPROVED.equals(status)
                ? enrolment.signerId() : null, "SUCCESS",
            new JsonObject().put("enrolmentId", enrolment.id().toString())
                .put("tokenLabel", enrolment.tokenLabel()))));
  }

  /** Sends the result SMS; a failure is logged and does not undo the decision. */
  private Future<Void> notify(Enrolment enrolment, String outcome, String reason) {
    return repository.readEncrypted(enrolment.id(), "mobile_enc").compose(row -> {
      if (row.isEmpty() || row.get().getBuffer("value") == null) {
        return Future.<Void>succeededFuture();
      }
      String mobile = new String(decrypt(enrolment, row, "mobile"), StandardCharsets.UTF_8);
      Map<String, String> parameters = new LinkedHashMap<>();
      parameters.put("outcome", outcome);
      if (reason != null) {
        parameters.put("reason", reason);
      }
      return sms.send(mobile, SmsTemplate.ENROLMENT_RESULT, parameters);
    }).recover(e -> {
      LOG.warn("Enrolment {}: sending the result SMS failed", enrolment.id(), e);
      return Future.succeededFuture();
    });
  }

  private byte[] decrypt(Enrolment enrolment, Optional<Row> row, String purpose) {
    if (row.isEmpty() || row.get().getBuffer("value") == null) {
      throw EnrolmentService.outOfOrder("The enrolment has no " + purpose + " yet");
    }
    return service.cipher().decrypt(row.get().getBuffer("value").getBytes(),
        "enrolment-" + purpose, enrolment.id().toString());
  }

  private static Enrolment requireStatus(Optional<Enrolment> found, UUID id, String status) {
    Enrolment enrolment = found.orElseThrow(() -> new GatewayException(
        ErrorCode.ENROLMENT_NOT_FOUND, "No enrolment with id " + id));
    if (!status.equals(enrolment.status()) || enrolment.tokenLabel() == null) {
      throw new GatewayException(ErrorCode.ENROLMENT_NOT_PENDING, "Enrolment " + id + " is "
          + enrolment.status() + ", not " + status);
    }
    return enrolment;
  }

  private static boolean isUniqueViolation(Throwable e) {
    return e instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState());
  }
}
