package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import cn.yunqian.api.BearerAuth;
import cn.yunqian.enrolment.flow.FlowPresets;
import cn.yunqian.enrolment.images.Photo;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * Reviewer endpoints: enrolment links with their QR codes, and the review of submitted
 * enrolments. Every route needs the reviewer's bearer token.
 */
final class ReviewRoutes {


  private final EnrolmentService service;
  private final EnrolmentReview review;
  private final EnrolmentView view;
  private final EnrolmentLinks enrolmentLinks;
  private final BearerAuth reviewer;
  private final Optional<String> publicBaseUrl;

  ReviewRoutes(EnrolmentService service, EnrolmentReview review, EnrolmentView view,
      EnrolmentLinks enrolmentLinks, String reviewerToken, Optional<String> publicBaseUrl) {
    this.service = service;
    this.review = review;
    this.view = view;
    this.enrolmentLinks = enrolmentLinks;
    this.reviewer = new BearerAuth("reviewer", reviewerToken);
    this.publicBaseUrl = publicBaseUrl;
  }

  void mount(Router router) {
    router.route("/api/v1/admin/enrolment*").failureHandler(EnrolmentErrors::handle);
    String links = "/api/v1/admin/enrolment-links";
    router.post(links).handler(reviewer).handler(this::createLink);
    router.get(links).handler(reviewer).handler(this::listLinks);
    router.get(links + "/:code/qr.png").handler(reviewer).handler(this::qr);
    router.post(links + "/:code/revoke").handler(reviewer).handler(this::revoke);
    String enrolments = "/api/v1/admin/enrolments";
    router.get(enrolments).handler(reviewer).handler(this::list);
    router.get(enrolments + "/:id").handler(reviewer).handler(this::get);
    router.get(enrolments + "/:id/id-card/front").handler(reviewer)
        .handler(ctx -> image(ctx, "id_front_enc", "id-front"));
    router.get(enrolments + "/:id/id-card/back").handler(reviewer)
        .handler(ctx -> image(ctx, "id_back_enc", "id-back"));
    router.get(enrolments + "/:id/face-evidence").handler(reviewer)
        .handler(ctx -> image(ctx, "face_evidence_enc", "face-evidence"));
    router.get(enrolments + "/:id/signature").handler(reviewer)
        .handler(ctx -> image(ctx, "signature_enc", "signature"));
    router.post(enrolments + "/:id/approve").handler(reviewer).handler(ctx ->
        decided(ctx, review.approve(id(ctx), "reviewer", Enrolment.PENDING_REVIEW)));
    router.post(enrolments + "/:id/reject").handler(reviewer).handler(ctx ->
        decided(ctx, review.reject(id(ctx), JsonBodies.string(
            JsonBodies.object(ctx), "reason"), "reviewer")));
  }

  private void get(RoutingContext ctx) {
    UUID id = id(ctx);
    service.repository().findById(service.repository().pool(), id, false)
        .map(found -> view.reviewRecord(found.orElseThrow(() -> new GatewayException(
            ErrorCode.ENROLMENT_NOT_FOUND, "No enrolment with id " + id))))
        .onSuccess(record -> EnrolmentRoutes.send(ctx, 200, record))
        .onFailure(ctx::fail);
  }

  private void createLink(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String organisation = JsonBodies.required(body, "organisation").trim();
    if (organisation.length() > 100) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "Field 'organisation' must be at most 100 characters");
    }
    Object hours = body.getValue("validHours", 72);
    if (!(hours instanceof Number number) || number.doubleValue() != number.intValue()) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "Field 'validHours' must be a whole number from 1 to "
              + EnrolmentLinks.MAX_VALID_HOURS);
    }
    String preset = body.getValue("preset") instanceof String text ? text : null;
    enrolmentLinks.create(preset, organisation, number.intValue(), "reviewer")
        .onSuccess(link -> EnrolmentRoutes.send(ctx, 201, linkJson(ctx, link)))
        .onFailure(ctx::fail);
  }

  private void listLinks(RoutingContext ctx) {
    service.repository().listLinks()
        .onSuccess(links -> {
          JsonArray array = new JsonArray();
          links.forEach(link -> array.add(linkJson(ctx, link)));
          EnrolmentRoutes.send(ctx, 200, array);
        })
        .onFailure(ctx::fail);
  }

  private void qr(RoutingContext ctx) {
    service.repository().findLink(ctx.pathParam("code"))
        .map(found -> found.orElseThrow(() -> new GatewayException(ErrorCode.LINK_NOT_FOUND,
            "No enrolment link with this code")))
        .map(link -> QrCodes.png(enrolUrl(ctx, link.code()), 320))
        .onSuccess(png -> ctx.response()
            .putHeader("content-type", "image/png")
            .end(Buffer.buffer(png)))
        .onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx) {
    String code = ctx.pathParam("code");
    service.repository().pool().withTransaction(conn -> service.repository()
            .revokeLink(conn, code, service.now())
            .compose(revoked -> {
              if (!revoked) {
                throw new GatewayException(ErrorCode.LINK_NOT_FOUND,
                    "No unrevoked enrolment link with this code");
              }
              return cn.yunqian.audit.AuditLog.append(conn, new cn.yunqian.audit.AuditEvent(
                  "reviewer", "ENROLMENT_LINK_REVOKED", null, "SUCCESS",
                  new JsonObject().put("link", code.substring(0, Math.min(6, code.length())))));
            }))
        .onSuccess(done -> EnrolmentRoutes.send(ctx, 200, new JsonObject()
            .put("code", code).put("revoked", true)))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String status = Optional.ofNullable(ctx.queryParams().get("status"))
        .orElse(Enrolment.PENDING_REVIEW);
    service.repository().listByStatus(status)
        .onSuccess(list -> {
          JsonArray array = new JsonArray();
          list.forEach(enrolment -> array.add(view.reviewRecord(enrolment)));
          EnrolmentRoutes.send(ctx, 200, array);
        })
        .onFailure(ctx::fail);
  }

  private void image(RoutingContext ctx, String column, String purpose) {
    UUID id = id(ctx);
    service.repository().readEncrypted(id, column)
        .map(row -> {
          if (row.isEmpty() || row.get().getBuffer("value") == null) {
            throw new GatewayException(ErrorCode.ENROLMENT_NOT_FOUND,
                "Enrolment " + id + " has no " + purpose + " image");
          }
          byte[] plain = service.cipher().decrypt(row.get().getBuffer("value").getBytes(),
              "enrolment-" + purpose, id.toString());
          String type = column.startsWith("id_") ? row.get().getString("type")
              : column.startsWith("face") ? "image/jpeg" : "image/png";
          return new Photo(type, plain);
        })
        .onSuccess(photo -> ctx.response()
            .putHeader("content-type", photo.contentType())
            .putHeader("cache-control", "no-store")
            .end(Buffer.buffer(photo.bytes())))
        .onFailure(ctx::fail);
  }

  private void decided(RoutingContext ctx, Future<Enrolment> result) {
    result.onSuccess(enrolment -> EnrolmentRoutes.send(ctx, 200, view.reviewRecord(enrolment)))
        .onFailure(ctx::fail);
  }

  private JsonObject linkJson(RoutingContext ctx, EnrolmentRepository.Link link) {
    return new JsonObject()
        .put("code", link.code())
        .put("url", enrolUrl(ctx, link.code()))
        .put("preset", link.preset())
        .put("organisation", link.organisation())
        .put("expiresAt", link.expiresAt().toString())
        .put("revoked", link.revokedAt() != null)
        .put("qrPng", "/api/v1/admin/enrolment-links/" + link.code() + "/qr.png");
  }

  private String enrolUrl(RoutingContext ctx, String code) {
    String base = publicBaseUrl.orElseGet(() -> ctx.request().scheme() + "://"
        + ctx.request().authority());
    return EnrolmentLinks.phoneUrl(base, code);
  }

  private static UUID id(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The enrolment id is not a UUID");
    }
  }
}
