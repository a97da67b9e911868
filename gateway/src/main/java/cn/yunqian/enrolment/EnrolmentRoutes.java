package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import cn.yunqian.api.BearerAuth;
import cn.yunqian.enrolment.sms.DevOutboxSmsSender;
import cn.yunqian.enrolment.sms.SmsTemplate;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * The phone's enrolment endpoints under {@code /api/v1/enrolments}, plus the dev-mode SMS
 * outbox. Parses requests and writes responses, and {@link EnrolmentSteps} checks the contents.
 */
public final class EnrolmentRoutes {

  static final String COOKIE = "yq_enrol";
  private static final long ENROLMENT_COOKIE_MAX_AGE_SECONDS = 30L * 24 * 3600;
  private static final String JSON = "application/json; charset=utf-8";

  private final EnrolmentService service;
  private final EnrolmentSteps steps;
  private final EnrolmentReview review;
  private final EnrolmentView view;
  private final Optional<DevOutboxSmsSender> devOutbox;
  private final boolean secureCookie;
  private final long maxSignatureBytes;
  private final AddressRateLimit newEnrolments;

  EnrolmentRoutes(EnrolmentService service, EnrolmentSteps steps, EnrolmentReview review,
      EnrolmentView view, Optional<DevOutboxSmsSender> devOutbox, boolean secureCookie,
      long maxSignatureBytes, AddressRateLimit newEnrolments) {
    this.newEnrolments = newEnrolments;
    this.service = service;
    this.steps = steps;
    this.review = review;
    this.view = view;
    this.devOutbox = devOutbox;
    this.secureCookie = secureCookie;
    this.maxSignatureBytes = maxSignatureBytes;
  }

  /** Adds the phone routes and their failure handler to the router. */
  void mount(Router router) {
    router.route("/api/v1/enrolments*").failureHandler(EnrolmentErrors::handle);
    router.post("/api/v1/enrolments").handler(this::start);

    router.get("/api/v1/enrolments/current").handler(ctx ->
        respond(ctx, service.current(cookie(ctx))));
    router.post("/api/v1/enrolments/current/sms/request").handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      steps.requestSms(cookie(ctx), body.getString("mobile"),
              ctx.request().remoteAddress().hostAddress())
          .onSuccess(done -> send(ctx, 200, new JsonObject().put("resendAfterSeconds", 60)))
          .onFailure(ctx::fail);
    });
    router.post("/api/v1/enrolments/current/sms/verify").handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      respond(ctx, steps.verifySms(cookie(ctx), body.getString("mobile"),
          body.getString("code")));
    });

    router.post("/api/v1/enrolments/current/id-card").handler(ctx ->
        respond(ctx, Future.all(upload(ctx, "front"), upload(ctx, "back"))
            .compose(both -> steps.idCard(cookie(ctx), both.resultAt(0), both.resultAt(1)))));
    router.post("/api/v1/enrolments/current/region").handler(ctx ->
        respond(ctx, steps.region(cookie(ctx),
            JsonBodies.string(JsonBodies.object(ctx), "countyCode"))));
    router.post("/api/v1/enrolments/current/identity").handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      respond(ctx, steps.identity(cookie(ctx), JsonBodies.string(body, "personType"),
          JsonBodies.string(body, "name"), JsonBodies.string(body, "idNumber"), JsonBodies.string(body, "mobile"),
          JsonBodies.string(body, "code")));
    });
    router.post("/api/v1/enrolments/current/pin").handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      respond(ctx, steps.pin(cookie(ctx), JsonBodies.required(body, "pin").toCharArray(),
          JsonBodies.required(body, "pinRepeat").toCharArray()));
    });

    router.post("/api/v1/enrolments/current/face").handler(this::faceBuiltin);
    router.post("/api/v1/enrolments/current/face/start").handler(ctx ->
        steps.faceStart(cookie(ctx), faceReturnUrl(ctx), consent(JsonBodies.object(ctx)))
            .onSuccess(url -> send(ctx, 200, new JsonObject().put("redirectUrl", url)))
            .onFailure(ctx::fail));
    router.post("/api/v1/enrolments/current/face/result").handler(ctx ->
        respond(ctx, steps.faceResult(cookie(ctx))));
    router.post("/api/v1/enrolments/current/face/postpone").handler(ctx ->
        respond(ctx, steps.facePostpone(cookie(ctx))));

    router.post("/api/v1/enrolments/current/signature").handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      Object strokes = body.getValue("strokes");
      if (!(strokes instanceof Number count)) {
        throw new GatewayException(ErrorCode.INVALID_REQUEST,
            "Field 'strokes' must be the number of strokes drawn");
      }
      respond(ctx, steps.signature(cookie(ctx), JsonBodies.base64(body, "png", maxSignatureBytes),
          count.intValue()));
    });

    router.post("/api/v1/enrolments/current/back").handler(ctx ->
        respond(ctx, service.back(cookie(ctx))));
    router.post("/api/v1/enrolments/current/submit").handler(ctx ->
        respond(ctx, review.submit(cookie(ctx))));
    router.post("/api/v1/enrolments/current/:step").handler(ctx -> ctx.fail(
        EnrolmentService.outOfOrder("Unknown step '" + ctx.pathParam("step") + "'")));

    router.get("/api/v1/dev/sms-outbox").handler(this::devOutbox);
  }

  private void start(RoutingContext ctx) {
    String link = JsonBodies.required(JsonBodies.object(ctx), "link");
    if (cookie(ctx) == null) {
      newEnrolments.acquire(ctx.request().remoteAddress().hostAddress());
    }
    service.start(link, cookie(ctx))
        .onSuccess(started -> {
          if (started.newSessionCookie() != null) {
            ctx.response().addCookie(Cookie.cookie(COOKIE, started.newSessionCookie())
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.LAX)
                .setSecure(secureCookie)
                .setPath("/api/v1/enrolments")
                // A persistent cookie survives WeChat being closed, so the person resumes.
                .setMaxAge(ENROLMENT_COOKIE_MAX_AGE_SECONDS));
          }
          send(ctx, started.newSessionCookie() != null ? 201 : 200,
              view.phoneState(started.enrolment()));
        })
        .onFailure(ctx::fail);
  }

  private void faceBuiltin(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    Object liveness = body.getValue("livenessScore");
    Object faces = body.getValue("faceCount");
    if (!(liveness instanceof Number score) || !(faces instanceof Number count)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "Fields 'livenessScore' and 'faceCount' must be numbers");
    }
    boolean consent = consent(body);
    respond(ctx, steps.faceBuiltin(cookie(ctx), consent,
        JsonBodies.base64(body, "evidenceJpeg", EnrolmentConfig.MAX_FACE_FRAME_BYTES),
        score.doubleValue(), count.intValue()));
  }

  /**
   * Reads the person's consent to the authentication service agreement (认证服务协议). Face
   * images are sensitive personal information, which may be processed only with separate
   * consent, so the face step refuses to run without it.
   */
  private static boolean consent(JsonObject body) {
    if (!Boolean.TRUE.equals(body.getValue("consent"))) {
      throw new GatewayException(ErrorCode.FACE_CONSENT_REQUIRED,
          "Face verification needs the person's consent: send \"consent\": true");
    }
    return true;
  }

  private void devOutbox(RoutingContext ctx) {
    if (devOutbox.isEmpty()) {
      ctx.fail(404);
      return;
    }
    String mobile = ctx.queryParams().get("mobile");
    Optional<String> code = mobile == null ? Optional.empty() : devOutbox.get().lastCode(mobile);
    if (code.isEmpty()) {
      ctx.fail(404);
      return;
    }
    send(ctx, 200, new JsonObject()
        .put("mobile", mobile)
        .put("code", code.get())
        .put("lastResult", devOutbox.get().lastMessage(mobile, SmsTemplate.ENROLMENT_RESULT)
            .map(parameters -> parameters.get("outcome")).orElse(null)));
  }

  private String faceReturnUrl(RoutingContext ctx) {
    return ctx.request().scheme() + "://" + ctx.request().authority() + "/m/enrol.html?face=done";
  }

  private Future<byte[]> upload(RoutingContext ctx, String part) {
    FileUpload file = ctx.fileUploads().stream()
        .filter(upload -> part.equals(upload.name()))
        .findFirst()
        .orElseThrow(() -> new GatewayException(ErrorCode.INVALID_REQUEST,
            "The multipart form has no '" + part + "' file part"));
    if (file.size() > EnrolmentConfig.MAX_PHOTO_BYTES) {
      throw new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, "The " + part + " photo is "
          + file.size() + " bytes, over the limit of " + EnrolmentConfig.MAX_PHOTO_BYTES);
    }
    return ctx.vertx().fileSystem().readFile(file.uploadedFileName()).map(Buffer::getBytes);
  }

  private void respond(RoutingContext ctx, Future<Enrolment> result) {
    result.onSuccess(enrolment -> send(ctx, 200, view.phoneState(enrolment)))
        .onFailure(ctx::fail);
  }

  static void send(RoutingContext ctx, int status, Object body) {
    String text = body instanceof JsonArray array ? array.encode() : ((JsonObject) body).encode();
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(text);
  }

  private static String cookie(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return cookie == null ? null : cookie.getValue();
  }





  /** Reads the reviewer's bearer token; used by {@link ReviewRoutes}. */
  static BearerAuth reviewer(String token) {
    return new BearerAuth("reviewer", token);
  }
}
