package cn.yunqian.admin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import cn.yunqian.api.BearerAuth;
import cn.yunqian.ca.CertificateImport;
import cn.yunqian.ca.CertificateRecord;
import cn.yunqian.ca.CertificateRequests;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.ca.RevocationReason;
import cn.yunqian.pin.PinResetApprovals;
import cn.yunqian.pin.Rekeying;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Certificate endpoints: the public CRL, and for officers the PKCS#10 request, certificate
 * import, revocation, the expiring list and the forgotten-PIN re-key.
 */
public final class CertificateRoutes {

  private static final String JSON = "application/json; charset=utf-8";

  private final CertificateServices services;

  private CertificateRoutes(CertificateServices services) {
    this.services = services;
  }

  /** Adds the routes to {@code router}; officer routes require {@code officer}. */
  public static void mount(Router router, BearerAuth officer, CertificateServices services) {
    CertificateRoutes routes = new CertificateRoutes(services);
    String signer = "/api/v1/admin/signers/:id";
    router.get(CrlPublisher.PATH).handler(routes::crl);
    router.post(signer + "/csr").handler(officer).handler(routes::createRequest);
    router.get(signer + "/csr").handler(officer).handler(routes::latestRequest);
    router.post(signer + "/certificate").handler(officer).handler(routes::importChain);
    router.get(signer + "/certificates").handler(officer).handler(routes::list);
    router.post(signer + "/revoke").handler(officer).handler(routes::revoke);
    router.post(signer + "/rekey").handler(officer).handler(routes::rekey);
    router.post(signer + "/pin-reset-approvals").handler(services.namedOfficers())
        .handler(routes::approveReset);
    router.get("/api/v1/admin/certificates/expiring").handler(officer).handler(routes::expiring);
  }

  /** {@code GET /crl/yunqian-ca.crl}: the DER CRL, cacheable until its nextUpdate. */
  private void crl(RoutingContext ctx) {
    services.crl().current()
        .onSuccess(published -> ctx.response()
            .putHeader("content-type", "application/pkix-crl")
            .putHeader("cache-control", "public, max-age=300")
            .end(Buffer.buffer(published.der())))
        .onFailure(ctx::fail);
  }

  /** {@code POST .../csr} with {@code {"pin"}}: signs a request with the signer's key. */
  private void createRequest(RoutingContext ctx) {
    UUID id = pathId(ctx);
    char[] pin = requiredString(jsonBody(ctx), "pin").toCharArray();
    services.requests().create(id, pin, "officer")
        .onSuccess(der -> ctx.response()
            .setStatusCode(201)
            .putHeader("content-type", JSON)
            .putHeader("location", "/api/v1/admin/signers/" + id + "/csr")
            .end(new JsonObject().put("csr", CertificateRequests.toPem(der)).encode()))
        .onFailure(ctx::fail);
  }

  /** {@code GET .../csr}: the newest request as PEM. */
  private void latestRequest(RoutingContext ctx) {
    services.requests().latestPem(pathId(ctx))
        .onSuccess(pem -> ctx.response()
            .putHeader("content-type", "application/pkcs10")
            .putHeader("content-disposition", "attachment; filename=\"signer.csr\"")
            .end(pem))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST .../certificate}: the chain as the body (PEM, DER or PKCS#7), or as JSON
   * {@code {"certificate": "<PEM>"}}.
   */
  private void importChain(RoutingContext ctx) {
    UUID id = pathId(ctx);
    byte[] chain = chainBytes(ctx);
    services.lifecycle().importChain(id, chain, "officer")
        .onSuccess(record -> ctx.response()
            .setStatusCode(201)
            .putHeader("content-type", JSON)
            .end(view(record).encode()))
        .onFailure(ctx::fail);
  }

  /** {@code GET .../certificates}: every certificate of the signer, newest first. */
  private void list(RoutingContext ctx) {
    services.certificates().allOf(pathId(ctx))
        .onSuccess(records -> ctx.response()
            .putHeader("content-type", JSON)
            .end(new JsonObject().put("certificates", views(records)).encode()))
        .onFailure(ctx::fail);
  }

  /** {@code POST .../revoke} with {@code {"reason"}}: revokes the current certificate. */
  private void revoke(RoutingContext ctx) {
    UUID id = pathId(ctx);
    JsonObject body = ctx.body().length() == 0 ? new JsonObject() : jsonBody(ctx);
    RevocationReason reason = RevocationReason.parse(optionalString(body, "reason"));
    services.lifecycle().revoke(id, reason, "officer")
        .onSuccess(record -> ctx.response()
            .putHeader("content-type", JSON)
            .end(view(record).encode()))
        .onFailure(ctx::fail);
  }

  /** {@code GET /api/v1/admin/certificates/expiring}: current certificates in the window. */
  private void expiring(RoutingContext ctx) {
    services.expiry().expiring()
        .onSuccess(records -> ctx.response()
            .putHeader("content-type", JSON)
            .end(new JsonObject()
                .put("windowDays", services.settings().expiryWindow().toDays())
                .put("certificates", views(records))
                .encode()))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST .../rekey} with {@code {"pin", "faceVerificationId"}}: the forgotten-PIN
   * re-key, see {@link Rekeying}.
   */
  private void rekey(RoutingContext ctx) {
    UUID id = pathId(ctx);
    JsonObject body = jsonBody(ctx);
    UUID faceId = uuid(requiredString(body, "faceVerificationId"), "faceVerificationId");
    char[] pin = requiredString(body, "pin").toCharArray();
    services.rekeying().rekey(id, pin, faceId, "officer")
        .onSuccess(result -> ctx.response()
            .putHeader("content-type", JSON)
            .end(new JsonObject()
                .put("signerId", result.signer().id().toString())
                .put("status", result.signer().status())
                .put("revokedSerial", result.revoked().map(CertificateRecord::serial)
                    .orElse(null))
                .put("certificate", Base64.getEncoder().encodeToString(
                    result.signer().certificate()))
                .encode()))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST .../pin-reset-approvals} with {@code {"faceVerificationId"}}, by a named
   * officer: records one approval of the officer-side PIN reset.
   */
  private void approveReset(RoutingContext ctx) {
    UUID id = pathId(ctx);
    UUID faceId = uuid(requiredString(jsonBody(ctx), "faceVerificationId"),
        "faceVerificationId");
    String officer = ctx.get(NamedOfficerAuth.OFFICER);
    services.resetApprovals().approve(id, faceId, officer)
        .onSuccess(status -> ctx.response()
            .putHeader("content-type", JSON)
            .end(new JsonObject()
                .put("signerId", status.signerId().toString())
                .put("faceVerificationId", status.faceVerificationId().toString())
                .put("officers", new JsonArray(status.officers()))
                .put("required", PinResetApprovals.REQUIRED_OFFICERS)
                .put("approved", status.isApproved())
                .encode()))
        .onFailure(ctx::fail);
  }

  private static byte[] chainBytes(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "The body is empty; send the certificate chain as PEM or DER");
    }
    if (body.length() > CertificateImport.MAX_CHAIN_BYTES) {
      throw new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, "The certificate chain is "
          + body.length() + " bytes; the limit is " + CertificateImport.MAX_CHAIN_BYTES);
    }
    String type = ctx.request().getHeader("content-type");
    if (type != null && type.toLowerCase().startsWith("application/json")) {
      String pem = requiredString(jsonBody(ctx), "certificate");
      return pem.getBytes(StandardCharsets.US_ASCII);
    }
    return body.getBytes();
  }

  private static JsonArray views(List<CertificateRecord> records) {
    JsonArray array = new JsonArray();
    records.forEach(record -> array.add(view(record)));
    return array;
  }

  private static JsonObject view(CertificateRecord record) {
    return new JsonObject()
        .put("id", record.id().toString())
        .put("signerId", record.signerId().toString())
        .put("serial", record.serial())
        .put("issuer", record.issuer())
        .put("subject", record.subject())
        .put("notBefore", record.notBefore().toString())
        .put("notAfter", record.notAfter().toString())
        .put("source", record.source())
        .put("status", record.status())
        .put("revokedAt", record.revokedAt() == null ? null : record.revokedAt().toString())
        .put("revocationReason", record.revocationReason())
        .put("certificate", Base64.getEncoder().encodeToString(record.der()));
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    return JsonBodies.parseObject(ctx.body().buffer());
  }


  private static String requiredString(JsonObject body, String name) {
    String value = optionalString(body, name);
    if (value == null || value.isEmpty()) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Missing field '" + name + "'");
    }
    return value;
  }

  private static String optionalString(JsonObject body, String name) {
    Object value = body.getValue(name);
    if (value != null && !(value instanceof String)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name
          + "' must be a string");
    }
    return (String) value;
  }

  private static UUID pathId(RoutingContext ctx) {
    return uuid(ctx.pathParam("id"), "signer id");
  }

  private static UUID uuid(String text, String name) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The " + name + " is not a UUID");
    }
  }
}
