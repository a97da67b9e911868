package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.enrolment.EnrolmentConfig;
import cn.yunqian.enrolment.face.FaceStartRequest;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.enrolment.images.UploadedImages;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * The phone's PIN management endpoints under {@code /api/v1/pin}: identification, change PIN,
 * and forgotten PIN (face verification again, then the new PIN). Every call after
 * identification needs the {@code yq_pin} session cookie.
 */
final class PinPhoneRoutes {

  static final String COOKIE = "yq_pin";
  static final String BASE = "/api/v1/pin";
  private static final String JSON = "application/json; charset=utf-8";
  private static final int MAX_PIN_FIELD_LENGTH = 64;

  private final PinSessions sessions;
  private final SignerRepository signers;
  private final PinChange pinChange;
  private final PinResets resets;
  private final Rekeying rekeying;
  private final FaceVerifications faces;
  private final SecurityNotices notices;
  private final Optional<FaceVerificationProvider> faceProvider;
  private final double livenessThreshold;
  private final boolean secureCookie;

  PinPhoneRoutes(PinSessions sessions, SignerRepository signers, PinChange pinChange,
      PinResets resets, Rekeying rekeying, FaceVerifications faces, SecurityNotices notices,
      Optional<FaceVerificationProvider> faceProvider, double livenessThreshold,
      boolean secureCookie) {
    this.sessions = sessions;
    this.signers = signers;
    this.pinChange = pinChange;
    this.resets = resets;
    this.rekeying = rekeying;
    this.faces = faces;
    this.notices = notices;
    this.faceProvider = faceProvider;
    this.livenessThreshold = livenessThreshold;
    this.secureCookie = secureCookie;
  }

  void mount(Router router) {
    router.route(BASE + "/*").failureHandler(PinErrors::handle);
    router.post(BASE + "/sms").handler(this::requestCode);
    router.post(BASE + "/session").handler(this::identify);
    router.get(BASE + "/session").handler(ctx -> withSession(ctx, session -> state(session)));
    router.delete(BASE + "/session").handler(ctx -> withSession(ctx, session ->
        sessions.close(session).map(new JsonObject().put("closed", true))));
    router.post(BASE + "/change").handler(ctx -> withSession(ctx, session -> change(ctx,
        session)));
    router.post(BASE + "/face").handler(ctx -> withSession(ctx, session -> faceBuiltin(ctx,
        session)));
    router.post(BASE + "/face/start").handler(ctx -> withSession(ctx, session -> faceStart(ctx,
        session)));
    router.post(BASE + "/face/result").handler(ctx -> withSession(ctx, session ->
        faceResult(session)));
    router.post(BASE + "/reset").handler(ctx -> withSession(ctx, session -> reset(ctx,
        session)));
  }

  private void requestCode(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    sessions.requestCode(claim(body), clientIp(ctx))
        .onSuccess(done -> send(ctx, 200, new JsonObject().put("resendAfterSeconds", 60)))
        .onFailure(ctx::fail);
  }

  private void identify(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    sessions.identify(claim(body), clientIp(ctx))
        .compose(opened -> state(opened.session()).map(state -> {
          ctx.response().addCookie(Cookie.cookie(COOKIE, opened.cookie())
              .setHttpOnly(true)
              .setSameSite(CookieSameSite.STRICT)
              .setSecure(secureCookie)
              .setPath(BASE)
              .setMaxAge(PinSessions.LIFETIME.toSeconds()));
          return state;
        }))
        .onSuccess(state -> send(ctx, 201, state))
        .onFailure(ctx::fail);
  }

  /** Builds the page's view of the session, with masked fields only. */
  private Future<JsonObject> state(PinSessions.Session session) {
    return Future.all(requireSigner(session.signerId()), resets.hasPending(session.signerId()))
        .map(both -> {
          Signer signer = both.resultAt(0);
          boolean pending = both.resultAt(1);
          return new JsonObject()
              .put("name", signer.displayName())
              .put("idNumber", signer.idNumberMasked())
              .put("locked", signer.isLocked())
              .put("attemptsLeft", Math.max(0,
                  Signer.MAX_PIN_ATTEMPTS - signer.failedPinAttempts()))
              .put("faceProvider", faceProvider.isPresent() ? "external" : "builtin")
              .put("faceVerified", session.faceVerificationId() != null)
              .put("pendingReset", pending);
        });
  }

  private Future<JsonObject> change(RoutingContext ctx, PinSessions.Session session) {
    JsonObject body = JsonBodies.object(ctx);
    char[] oldPin = pinField(body, "oldPin");
    char[] newPin = pinField(body, "newPin");
    char[] repeat = pinField(body, "newPinRepeat");
    if (!Arrays.equals(newPin, repeat)) {
      Arrays.fill(oldPin, '\0');
      Arrays.fill(newPin, '\0');
      Arrays.fill(repeat, '\0');
      return audited(session, "PIN_CHANGE_REJECTED", Future.failedFuture(new GatewayException(
          ErrorCode.PIN_MISMATCH, "newPin and newPinRepeat differ")));
    }
    return pinChange.change(new PinChange.Request(session.signerId(), oldPin, newPin, repeat,
            session.actor()))
        .compose(done -> notices.send(session.signerId(), SecurityNotices.PIN_CHANGED))
        .map(done -> new JsonObject().put("pinChanged", true));
  }

  private Future<JsonObject> faceBuiltin(RoutingContext ctx, PinSessions.Session session) {
    if (faceProvider.isPresent()) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "This deployment verifies faces"
          + " with " + faceProvider.get().name() + "; call face/start");
    }
    JsonObject body = JsonBodies.object(ctx);
    requireConsent(body);
    if (!(body.getValue("livenessScore") instanceof Number score)
        || !(body.getValue("faceCount") instanceof Number count)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "Fields 'livenessScore' and 'faceCount' must be numbers");
    }
    byte[] evidence = JsonBodies.base64(body, "evidenceJpeg", EnrolmentConfig.MAX_FACE_FRAME_BYTES);
    Future<JsonObject> checked = ctx.vertx()
        .executeBlocking(() -> UploadedImages.faceFrame(evidence,
            EnrolmentConfig.MAX_FACE_FRAME_BYTES), false)
        .compose(frame -> {
          int faceCount = count.intValue();
          double liveness = score.doubleValue();
          boolean passed = faceCount == 1 && liveness >= livenessThreshold;
          String detail = "builtin liveness=" + liveness + " faces=" + faceCount + " consent=true";
          return faces.record(session.signerId(), passed, FaceVerifications.BUILTIN, detail,
                  frame)
              .compose(id -> {
                if (faceCount < 1) {
                  throw new GatewayException(ErrorCode.FACE_NOT_DETECTED, "No face was detected");
                }
                if (!passed) {
                  throw new GatewayException(ErrorCode.FACE_CHECK_FAILED, "The face check failed:"
                      + " faces=" + faceCount + " liveness=" + liveness + " threshold="
                      + livenessThreshold);
                }
                return sessions.setFace(session, id, null).map(id);
              });
        })
        .compose(id -> state(new PinSessions.Session(session.id(), session.signerId(), id,
            null)));
    return audited(session, "PIN_FACE_VERIFIED", checked);
  }

  private Future<JsonObject> faceStart(RoutingContext ctx, PinSessions.Session session) {
    FaceVerificationProvider provider = requireProvider();
    requireConsent(JsonBodies.object(ctx));
    String returnUrl = ctx.request().scheme() + "://" + ctx.request().authority()
        + "/m/pin.html?face=done";
    return Future.all(sessions.idNumber(session), requireSigner(session.signerId()))
        .compose(both -> provider.start(new FaceStartRequest(session.id().toString(),
            ((Signer) both.resultAt(1)).displayName(),
            ((cn.yunqian.identity.ResidentIdNumber) both.resultAt(0)).value(), returnUrl)))
        .compose(started -> sessions.setFace(session, null, started.providerSessionId())
            .map(new JsonObject().put("redirectUrl", started.redirectUrl())));
  }

  private Future<JsonObject> faceResult(PinSessions.Session session) {
    FaceVerificationProvider provider = requireProvider();
    if (session.faceSessionId() == null) {
      throw new GatewayException(ErrorCode.STEP_OUT_OF_ORDER, "Call face/start first");
    }
    Future<JsonObject> checked = provider.result(session.faceSessionId())
        .compose(result -> faces.record(session.signerId(), result.passed(), provider.name(),
                provider.name() + " similarity=" + result.similarity() + " " + result.detail(),
                result.bestFrameJpeg())
            .compose(id -> {
              if (!result.passed()) {
                throw new GatewayException(ErrorCode.FACE_CHECK_FAILED, "The face check failed: "
                    + result.detail());
              }
              return sessions.setFace(session, id, null).map(id);
            }))
        .compose(id -> state(new PinSessions.Session(session.id(), session.signerId(), id,
            null)));
    return audited(session, "PIN_FACE_VERIFIED", checked);
  }

  /**
   * Handles {@code reset}, the new PIN after a face verification of this session. A built-in
   * face check queues the reset for a reviewer, and an external provider's check re-keys at once.
   */
  private Future<JsonObject> reset(RoutingContext ctx, PinSessions.Session session) {
    JsonObject body = JsonBodies.object(ctx);
    char[] newPin = pinField(body, "newPin");
    char[] repeat = pinField(body, "newPinRepeat");
    Future<JsonObject> done = Future.<Void>succeededFuture()
        .compose(start -> {
          if (session.faceVerificationId() == null) {
            throw new GatewayException(ErrorCode.STEP_OUT_OF_ORDER,
                "Verify the face before setting a new PIN");
          }
          if (!Arrays.equals(newPin, repeat)) {
            throw new GatewayException(ErrorCode.PIN_MISMATCH, "newPin and newPinRepeat differ");
          }
          return sessions.idNumber(session);
        })
        .compose(id -> {
          PinPolicy.requireStrong(newPin, id);
          return Future.all(requireSigner(session.signerId()),
              faces.method(session.faceVerificationId()));
        })
        .compose(both -> {
          Signer signer = both.resultAt(0);
          if (!signer.isActive()) {
            throw new GatewayException(ErrorCode.SIGNER_NOT_ACTIVE, "Signer " + signer.id()
                + " has status " + signer.status());
          }
          Optional<String> method = both.resultAt(1);
          if (method.isEmpty() || FaceVerifications.BUILTIN.equals(method.get())) {
            return resets.submit(signer, session.faceVerificationId(), newPin, session.actor())
                .map(id -> new JsonObject().put("status", PinResets.PENDING)
                    .put("pinResetId", id.toString()));
          }
          return rekeying.rekey(signer.id(), newPin, session.faceVerificationId(),
                  session.actor())
              .compose(result -> notices.send(signer.id(), SecurityNotices.PIN_RESET))
              .map(ok -> new JsonObject().put("status", "COMPLETED"));
        })
        .compose(reply -> sessions.setFace(session, null, null).map(reply))
        .onComplete(finished -> {
          Arrays.fill(newPin, '\0');
          Arrays.fill(repeat, '\0');
        });
    return audited(session, "PIN_RESET_REQUESTED", done);
  }

  /** Audits a failed step; success is audited by the services that change state. */
  private <T> Future<T> audited(PinSessions.Session session, String action, Future<T> step) {
    return step.recover(e -> {
      String outcome = e instanceof GatewayException g ? g.code().name() : "INTERNAL_ERROR";
      return new AuditLog(signers.pool())
          .record(new AuditEvent(session.actor(), action, session.signerId(), outcome,
              new JsonObject()))
          .transform(ignored -> Future.failedFuture(e));
    });
  }

  private void withSession(RoutingContext ctx,
      java.util.function.Function<PinSessions.Session, Future<JsonObject>> action) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    sessions.find(cookie == null ? null : cookie.getValue())
        .compose(action::apply)
        .onSuccess(reply -> send(ctx, 200, reply))
        .onFailure(ctx::fail);
  }

  private Future<Signer> requireSigner(UUID signerId) {
    return signers.findById(signerId).map(found -> found.orElseThrow(() ->
        new GatewayException(ErrorCode.PIN_SESSION_EXPIRED, "The session's signer is gone")));
  }

  private FaceVerificationProvider requireProvider() {
    return faceProvider.orElseThrow(() -> new GatewayException(ErrorCode.INVALID_REQUEST,
        "This deployment checks faces in the page; send the frame to face"));
  }

  private static PinSessions.Claim claim(JsonObject body) {
    return new PinSessions.Claim(JsonBodies.string(body, "name"), JsonBodies.string(body, "idNumber"),
        JsonBodies.string(body, "mobile"), JsonBodies.string(body, "code"));
  }

  private static void requireConsent(JsonObject body) {
    if (!Boolean.TRUE.equals(body.getValue("consent"))) {
      throw new GatewayException(ErrorCode.FACE_CONSENT_REQUIRED,
          "Face verification needs the person's consent: send \"consent\": true");
    }
  }

  private static String clientIp(RoutingContext ctx) {
    return ctx.request().remoteAddress().hostAddress();
  }

  static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(body.encode());
  }



  private static char[] pinField(JsonObject body, String name) {
    Object value = body.getValue(name);
    if (value == null) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is missing");
    }
    if (!(value instanceof String text) || text.length() > MAX_PIN_FIELD_LENGTH) {
      throw new GatewayException(ErrorCode.PIN_FORMAT_INVALID,
          "Field '" + name + "' must be a string of 6 digits");
    }
    return text.toCharArray();
  }

}
