package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.enrolment.face.FaceStartRequest;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.enrolment.flow.Step;
import cn.yunqian.enrolment.images.Photo;
import cn.yunqian.enrolment.images.SignatureStrokes;
import cn.yunqian.enrolment.images.UploadedImages;
import cn.yunqian.enrolment.sms.MobileNumbers;
import cn.yunqian.enrolment.sms.SmsCodes;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.Regions;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.pin.PinPolicy;
import cn.yunqian.signer.PersonType;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerNames;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The contents of each enrolment step: checks a submission and returns the columns to store.
 * Personal data is encrypted here, bound to the enrolment id and its column.
 */
final class EnrolmentSteps {

  private static final Logger LOG = LoggerFactory.getLogger(EnrolmentSteps.class);

  private final EnrolmentService service;
  private final SmsCodes smsCodes;
  private final KeyCustody custody;
  private final SignerEnrolment signerEnrolment;
  private final SignerRepository signers;
  private final Regions regions;
  private final WorkerExecutor workers;
  private final EnrolmentConfig config;
  private final Optional<FaceVerificationProvider> faceProvider;
  private final long maxSignatureBytes;

  EnrolmentSteps(EnrolmentService service, SmsCodes smsCodes, KeyCustody custody,
      SignerEnrolment signerEnrolment, SignerRepository signers, Regions regions,
      WorkerExecutor workers, EnrolmentConfig config,
      Optional<FaceVerificationProvider> faceProvider, long maxSignatureBytes) {
    this.service = service;
    this.smsCodes = smsCodes;
    this.custody = custody;
    this.signerEnrolment = signerEnrolment;
    this.signers = signers;
    this.regions = regions;
    this.workers = workers;
    this.config = config;
    this.faceProvider = faceProvider;
    this.maxSignatureBytes = maxSignatureBytes;
  }

  /** {@code sms/request}: allowed while the current step takes a mobile number. */
  Future<Void> requestSms(String cookie, String mobile, String clientIp) {
    String valid = MobileNumbers.requireValid(mobile);
    return service.current(cookie).compose(enrolment -> {
      String step = enrolment.currentStep();
      boolean takesMobile = Step.SMS_LOGIN.equals(step) || (Step.IDENTITY.equals(step)
          && !enrolment.steps().contains(Step.SMS_LOGIN));
      if (!takesMobile) {
        throw EnrolmentService.outOfOrder("No SMS code is needed at step '" + step + "'");
      }
      EnrolmentService.requireCurrent(enrolment, step, false);
      return smsCodes.request(valid, clientIp)
          .onSuccess(done -> service.auditSuccess(enrolment.id(), "sms/request"))
          .onFailure(e -> service.auditFailure(enrolment.id(), "sms/request", e));
    });
  }

  /** {@code sms/verify}: completes {@code sms-login}. */
  Future<Enrolment> verifySms(String cookie, String mobile, String code) {
    String valid = MobileNumbers.requireValid(mobile);
    return service.completeStep(cookie, Step.SMS_LOGIN, false,
        enrolment -> smsCodes.verify(valid, code).map(ok -> mobileColumns(enrolment, valid)));
  }

  private Map<String, Object> mobileColumns(Enrolment enrolment, String mobile) {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("mobile_masked", MobileNumbers.mask(mobile));
    columns.put("mobile_enc", encrypt(mobile.getBytes(StandardCharsets.UTF_8), enrolment,
        "mobile"));
    return columns;
  }

  /** {@code id-card}: both sides, checked and re-encoded, stored encrypted. */
  Future<Enrolment> idCard(String cookie, byte[] front, byte[] back) {
    return service.completeStep(cookie, Step.ID_CARD, false, enrolment -> workers
        .executeBlocking(() -> {
          Photo frontPhoto = UploadedImages.idCardSide(front, EnrolmentConfig.MAX_PHOTO_BYTES,
              "front");
          Photo backPhoto = UploadedImages.idCardSide(back, EnrolmentConfig.MAX_PHOTO_BYTES,
              "back");
          Map<String, Object> columns = new LinkedHashMap<>();
          columns.put("id_front_enc", encrypt(frontPhoto.bytes(), enrolment, "id-front"));
          columns.put("id_front_type", frontPhoto.contentType());
          columns.put("id_back_enc", encrypt(backPhoto.bytes(), enrolment, "id-back"));
          columns.put("id_back_type", backPhoto.contentType());
          return columns;
        }, false));
  }

  /** {@code region}: a county code from the server's table. */
  Future<Enrolment> region(String cookie, String countyCode) {
    return service.completeStep(cookie, Step.REGION, false, enrolment -> {
      regions.requireCounty(countyCode);
      Map<String, Object> columns = new LinkedHashMap<>();
      columns.put("county_code", countyCode);
      return Future.succeededFuture(columns);
    });
  }

  /**
   * {@code identity}: person type, name and ID number. Presets without SMS login also accept an
   * optional mobile number with its SMS code. Fails with ID_NUMBER_ALREADY_ENROLLED when a
   * signer with this ID number exists.
   */
  Future<Enrolment> identity(String cookie, String personType, String name, String idNumber,
      String mobile, String code) {
    return service.completeStep(cookie, Step.IDENTITY, false, enrolment -> {
      PersonType type = PersonType.parse(personType);
      String validName = SignerNames.normalise(name);
      ResidentIdNumber id = ResidentIdNumber.parse(idNumber);
      byte[] idHash = signerEnrolment.idNumberHash(id);
      Future<Map<String, Object>> mobileCheck = verifyOptionalMobile(enrolment, mobile, code);
      return signers.existsWithIdNumberHash(idHash)
          .compose(exists -> {
            if (exists) {
              throw new GatewayException(ErrorCode.ID_NUMBER_ALREADY_ENROLLED,
                  "A signer with this ID number is already enrolled");
            }
            return mobileCheck;
          })
          .map(columns -> {
            columns.put("person_type", type.name());
            columns.put("name", validName);
            columns.put("id_number_hash", idHash);
            columns.put("id_number_masked", id.masked());
            columns.put("id_number_enc", encrypt(id.value().getBytes(StandardCharsets.UTF_8),
                enrolment, "id-number"));
            return columns;
          });
    });
  }

  private Future<Map<String, Object>> verifyOptionalMobile(Enrolment enrolment, String mobile,
      String code) {
    if (mobile == null || mobile.isBlank()) {
      return Future.succeededFuture(new LinkedHashMap<>());
    }
    if (enrolment.steps().contains(Step.SMS_LOGIN)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "This flow verified the mobile number at login, so leave it out here");
    }
    String valid = MobileNumbers.requireValid(mobile);
    return smsCodes.verify(valid, code)
        .map(ok -> new LinkedHashMap<>(mobileColumns(enrolment, valid)));
  }

  /**
   * {@code pin}: checks the PIN twice and against the ID number, then creates the signer's
   * own HSM token and key under it. The PIN is cleared when this returns and is never stored.
   * When storing the step fails, the new key is destroyed again while the PIN is still known.
   */
  Future<Enrolment> pin(String cookie, char[] pin, char[] pinRepeat) {
    return service.current(cookie).compose(enrolment -> {
      EnrolmentService.requireCurrent(enrolment, Step.PIN, false);
      return Future.succeededFuture(enrolment)
          .compose(current -> {
            if (!Arrays.equals(pin, pinRepeat)) {
              throw new GatewayException(ErrorCode.PIN_MISMATCH, "The two PIN entries differ");
            }
            return idNumber(current);
          })
          .compose(id -> {
            PinPolicy.requireStrong(pin, id);
            return createKey(enrolment, pin);
          })
          .onFailure(e -> service.auditFailure(enrolment.id(), Step.PIN, e));
    }).onComplete(done -> {
      Arrays.fill(pin, '\0');
      Arrays.fill(pinRepeat, '\0');
    });
  }

  private Future<Enrolment> createKey(Enrolment enrolment, char[] pin) {
    UUID signerId = UUID.randomUUID();
    String label = tokenLabel(signerId);
    return workers.executeBlocking(() -> custody.create(label, pin, KeyAlgorithm.EC_P256), false)
        .compose(key -> {
          Map<String, Object> columns = new LinkedHashMap<>();
          columns.put("signer_id", signerId);
          columns.put("token_label", label);
          columns.put("key_algorithm", KeyAlgorithm.EC_P256.name());
          columns.put("key_custody", key.custodyKey().mode().configValue());
          columns.put("wrapped_key", key.custodyKey().wrappedKey() == null ? null
              : Buffer.buffer(key.custodyKey().wrappedKey()));
          columns.put("public_key", Buffer.buffer(encoded(key)));
          return service.store(enrolment, Step.PIN, columns, true, false)
              .recover(e -> destroyKey(key.custodyKey(), pin, e));
        });
  }

  private static byte[] encoded(KeyCustody.NewKey key) {
    try {
      return key.signerKey().publicKeyInfo().getEncoded();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Future<ResidentIdNumber> idNumber(Enrolment enrolment) {
    return decrypt(enrolment, "id_number_enc", "id-number")
        .map(bytes -> ResidentIdNumber.parse(new String(bytes, StandardCharsets.UTF_8)));
  }

  private <T> Future<T> destroyKey(CustodyKey key, char[] pin, Throwable cause) {
    LOG.warn("Storing the PIN step failed, so the key {} is destroyed", key, cause);
    return workers.executeBlocking(() -> {
      // NOTE: in token-per-signer custody the emptied token stays, because its SO PIN was
      // never kept.
      custody.destroy(key, pin);
      return null;
    }, false).transform(ignored -> Future.failedFuture(cause));
  }

  /** {@code face}, built-in check: one face, liveness at or above the threshold. */
  Future<Enrolment> faceBuiltin(String cookie, boolean consent, byte[] evidence, double liveness,
      int faceCount) {
    if (faceProvider.isPresent()) {
      // Otherwise a page could skip the provider's comparison with the ID card.
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST, "This"
          + " deployment verifies faces with " + faceProvider.get().name() + "; start with face/start"));
    }
    if (!Double.isFinite(liveness) || liveness < 0 || liveness > 1) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Field 'livenessScore' must be a number from 0 to 1"));
    }
    return service.completeStep(cookie, Step.FACE, true, enrolment -> workers
        .executeBlocking(() -> {
          byte[] frame = UploadedImages.faceFrame(evidence, EnrolmentConfig.MAX_FACE_FRAME_BYTES);
          if (faceCount < 1) {
            throw new GatewayException(ErrorCode.FACE_NOT_DETECTED, "No face was detected");
          }
          if (faceCount > 1 || liveness < config.livenessThreshold()) {
            throw new GatewayException(ErrorCode.FACE_CHECK_FAILED, "The face check failed:"
                + " faces=" + faceCount + " liveness=" + liveness + " threshold="
                + config.livenessThreshold());
          }
          Map<String, Object> columns = new LinkedHashMap<>();
          columns.put("face_evidence_enc", encrypt(frame, enrolment, "face-evidence"));
          columns.put("face_detail", "builtin liveness=" + liveness + " consent=" + consent);
          return columns;
        }, false));
  }

  /** {@code face/start}: starts a verification with the configured external provider. */
  Future<String> faceStart(String cookie, String returnUrl, boolean consent) {
    FaceVerificationProvider provider = requireProvider();
    return service.current(cookie).compose(enrolment -> {
      EnrolmentService.requireCurrent(enrolment, Step.FACE, true);
      return idNumber(enrolment).compose(id -> provider.start(new FaceStartRequest(
              enrolment.id().toString(), enrolment.name(), id.value(), returnUrl)))
          .compose(session -> {
            Map<String, Object> columns = new LinkedHashMap<>();
            columns.put("face_session_id", session.providerSessionId());
            columns.put("face_detail", provider.name() + " started consent=" + consent);
            return service.store(enrolment, Step.FACE, columns, false, true,
                    "ENROLMENT_FACE_STARTED")
                .map(session.redirectUrl());
          });
    });
  }

  /** {@code face/result}: queries the provider's outcome and completes the step on a pass. */
  Future<Enrolment> faceResult(String cookie) {
    FaceVerificationProvider provider = requireProvider();
    return service.completeStep(cookie, Step.FACE, true, enrolment -> {
      if (enrolment.faceSessionId() == null) {
        throw EnrolmentService.outOfOrder("Call face/start before face/result");
      }
      return provider.result(enrolment.faceSessionId()).map(result -> {
        if (!result.passed()) {
          throw new GatewayException(ErrorCode.FACE_CHECK_FAILED, "The face check failed: "
              + result.detail());
        }
        Map<String, Object> columns = new LinkedHashMap<>();
        if (result.bestFrameJpeg() != null) {
          columns.put("face_evidence_enc", encrypt(result.bestFrameJpeg(), enrolment,
              "face-evidence"));
        }
        columns.put("face_detail", provider.name() + " similarity=" + result.similarity()
            + " " + result.detail());
        return columns;
      });
    });
  }

  /** {@code face/postpone} (暂不认证): keeps the progress; the face step can be done later. */
  Future<Enrolment> facePostpone(String cookie) {
    return service.current(cookie).compose(enrolment -> {
      EnrolmentService.requireCurrent(enrolment, Step.FACE, true);
      Map<String, Object> columns = new LinkedHashMap<>();
      columns.put("status", Enrolment.FACE_POSTPONED);
      return service.store(enrolment, Step.FACE, columns, false, true,
          "ENROLMENT_FACE_POSTPONED");
    });
  }

  /** {@code signature}: at least two strokes, trimmed to the ink, stored encrypted. */
  Future<Enrolment> signature(String cookie, byte[] png, int strokes) {
    return service.completeStep(cookie, Step.SIGNATURE, false, enrolment -> workers
        .executeBlocking(() -> {
          byte[] trimmed = SignatureStrokes.checkAndTrim(png, strokes, maxSignatureBytes);
          Map<String, Object> columns = new LinkedHashMap<>();
          columns.put("signature_enc", encrypt(trimmed, enrolment, "signature"));
          return columns;
        }, false));
  }

  private FaceVerificationProvider requireProvider() {
    return faceProvider.orElseThrow(() -> new GatewayException(ErrorCode.INVALID_REQUEST,
        "This deployment checks faces in the page. Send the frame to the face step"));
  }

  byte[] encrypt(byte[] plaintext, Enrolment enrolment, String purpose) {
    return service.cipher().encrypt(plaintext, "enrolment-" + purpose,
        enrolment.id().toString());
  }

  private Future<byte[]> decrypt(Enrolment enrolment, String column, String purpose) {
    return service.repository().readEncrypted(enrolment.id(), column).map(row -> {
      if (row.isEmpty() || row.get().getBuffer("value") == null) {
        throw EnrolmentService.outOfOrder("The " + purpose + " is not known yet");
      }
      return service.cipher().decrypt(row.get().getBuffer("value").getBytes(),
          "enrolment-" + purpose, enrolment.id().toString());
    });
  }

  /** Names the signer's token; PKCS#11 token labels hold at most 32 characters. */
  static String tokenLabel(UUID signerId) {
    return "yqe-" + HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(16)
        .putLong(signerId.getMostSignificantBits())
        .putLong(signerId.getLeastSignificantBits())
        .array()).substring(0, 28);
  }
}
