package cn.yunqian.api;

import cn.yunqian.admin.CertificateRoutes;
import cn.yunqian.admin.CertificateServices;
import cn.yunqian.app.HealthCheck;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.pin.PinChange;
import cn.yunqian.pin.PinRoutes;
import cn.yunqian.pin.PinUnlock;
import cn.yunqian.pin.PinWeb;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerRepository;
import cn.yunqian.signing.SigningService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Builds the gateway's HTTP routes. */
public final class ApiServer {

  private ApiServer() {
  }

  /** Everything the routes need, built by the composition root. */
  public record Services(
      SigningService signing,
      SignerEnrolment enrolment,
      SignerRepository signers,
      PinUnlock unlock,
      HealthCheck health,
      PrometheusMeterRegistry registry,
      String clientToken,
      String officerToken,
      String reviewerToken,
      long maxPdfBytes,
      long maxImageBytes,
      long maxBodyBytes,
      Path uploadsDir,
      Path mobileWebDir,
      cn.yunqian.enrolment.EnrolmentModule enrolmentModule,
      CertificateServices certificates,

      PinChange pinChange,
      SignerKeys signerKeys) {
  }

  public static Router router(Vertx vertx, Services services) {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response()
          .putHeader("x-content-type-options", "nosniff")
          .putHeader("cache-control", "no-store")
          // No page of ours is meant to be framed; this stops clickjacking of 通过 and the like.
          .putHeader("x-frame-options", "DENY")
          .putHeader("content-security-policy", "frame-ancestors 'none'");
      ctx.next();
    });

    router.route(HttpMethod.HEAD, "/health").handler(ctx -> health(ctx, services, false));
    router.get("/health").handler(ctx -> health(ctx, services, true));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(services.registry()));

    BearerAuth client = new BearerAuth("client", services.clientToken());
    BearerAuth officer = new BearerAuth("officer", services.officerToken());
    BearerAuth reviewer = new BearerAuth("reviewer", services.reviewerToken());
    router.route("/api/*").handler(new TokenGate(List.of(client::accepts, officer::accepts,
        reviewer::accepts,
        header -> services.certificates().namedOfficers().officerName(header) != null)));
    router.route("/api/*").handler(BodyHandler.create()
        .setBodyLimit(services.maxBodyBytes())
        .setUploadsDirectory(services.uploadsDir().toString())
        .setDeleteUploadedFilesOnEnd(true)
        .setMergeFormAttributes(true));

    SignatureHandler signatures = new SignatureHandler(services.signing(), services.maxPdfBytes());
    SignerHandler signerHandler = new SignerHandler(services.enrolment(), services.signers(),
        services.unlock(), services.maxImageBytes());

    router.post("/api/v1/signatures").handler(client).handler(signatures::handle);
    router.post("/api/v1/signers").handler(officer).handler(signerHandler::enrol);
    router.get("/api/v1/signers/:id").handler(client).handler(signerHandler::get);
    router.get("/api/v1/admin/signers/:id").handler(officer).handler(signerHandler::get);
    router.post("/api/v1/admin/signers/:id/unlock").handler(officer)
        .handler(signerHandler::unlock);
    CertificateRoutes.mount(router, officer, services.certificates());
    PinRoutes.mount(router, client, officer, services.pinChange(), services.signerKeys());
    router.get("/api/v1/admin/audit/verify").handler(officer).handler(ctx ->
        AuditLog.verifyChain(services.signers().pool())
            .onSuccess(broken -> ctx.response()
                .putHeader("content-type", "application/json; charset=utf-8")
                .end(new JsonObject()
                    .put("intact", broken == 0)
                    .put("firstBrokenSeq", broken == 0 ? null : broken)
                    .encode()))
            .onFailure(ctx::fail));

    if (services.enrolmentModule() != null) {
      services.enrolmentModule().mount(router);
      PinWeb.mount(router, services.enrolmentModule().phoneServices(), services.signers(),
          services.enrolment(), services.pinChange(), services.certificates().rekeying(),
          reviewer);
    }

    if (Files.isDirectory(services.mobileWebDir())) {
      cn.yunqian.web.WebPages.mount(router, services.mobileWebDir());
      router.get("/*").handler(StaticHandler.create(
              io.vertx.ext.web.handler.FileSystemAccess.ROOT,
              services.mobileWebDir().toAbsolutePath().toString())
          .setCachingEnabled(false));
    }
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(ErrorResponses::handle);
    return router;
  }

  /** Responds 200 when the database and the HSM test signature are fine, else 503. */
  private static void health(RoutingContext ctx, Services services, boolean withBody) {
    services.health().status()
        .onSuccess(status -> ctx.response()
            .setStatusCode("UP".equals(status.getString("status")) ? 200 : 503)
            .putHeader("content-type", "application/json; charset=utf-8")
            .end(withBody ? status.encode() : ""))
        .onFailure(ctx::fail);
  }
}
