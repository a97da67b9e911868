package cn.yunqian.app;

import cn.yunqian.admin.CertificateServices;
import cn.yunqian.api.ApiServer;
import cn.yunqian.ca.CaPinFile;
import cn.yunqian.ca.CaSettings;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateSettings;
import cn.yunqian.db.Database;
import cn.yunqian.enrolment.EnrolmentConfig;
import cn.yunqian.enrolment.EnrolmentModule;
import cn.yunqian.enrolment.VendorProviders;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.hsm.HsmConfigCheck;
import cn.yunqian.hsm.HsmModule;
import cn.yunqian.hsm.HsmSettings;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.WrappedKeyCustody;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.pin.PinChange;
import cn.yunqian.pin.PinUnlock;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerRepository;
import cn.yunqian.signing.SigningService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: starts the database, the HSM, the internal CA and the HTTP server, and
 * stops them again in reverse order.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  private static final String CA_COMMON_NAME = "Yunqian Internal CA";
  private static final Duration CA_VALIDITY = Duration.ofDays(10 * 365);

  private final Vertx vertx;
  private final Services services;
  private final HttpServer server;
  private final EnrolmentModule enrolmentModule;

  private Gateway(Vertx vertx, Services services, HttpServer server,
      EnrolmentModule enrolmentModule) {
    this.vertx = vertx;
    this.services = services;
    this.server = server;
    this.enrolmentModule = enrolmentModule;
  }

  public EnrolmentModule enrolmentModule() {
    return enrolmentModule;
  }

  /** Everything below the HTTP layer, shared by the server and the demo. */
  public record Services(
      GatewayConfig config,
      DeploymentSecrets secrets,
      Database database,
      SignerTokens tokens,
      CertificateAuthority ca,
      SignerRepository signers,
      SignerEnrolment enrolment,
      SigningService signing,
      PinUnlock unlock,
      HealthCheck health,
      WorkerExecutor workers,
      CertificateServices certificates,
      KeyCustody custody,
      PinChange pinChange,
      SignerKeys signerKeys,
      Optional<SmsSender> sms) {
  }

  /** Creates a Vert.x instance that reports its metrics to {@code registry}. */
  public static Vertx newVertx(PrometheusMeterRegistry registry) {
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }

  /**
   * Opens the database, the HSM and the CA and builds the services. Blocking steps run on a
   * worker; the returned future completes on the event loop.
   */
  public static Future<Services> openServices(Vertx vertx, GatewayConfig config,
      PrometheusMeterRegistry registry) {
    // PDF work on a hostile file can run for seconds, so warn only past two minutes instead of
    // logging a blocked-thread stack trace every second.
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("yunqian-hsm-pdf",
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 2, TimeUnit.MINUTES);
    return workers.executeBlocking(() -> {
      Files.createDirectories(config.dataDir());
      DeploymentSecrets secrets = DeploymentSecrets.loadOrCreate(config.dataDir());
      HsmSettings hsmSettings = HsmSettings.fromEnvironment(config.environment(),
          Path.of(config.pkcs11Library()), config.dataDir().resolve("secrets"));
      HsmConfigCheck.requireValid(hsmSettings);
      SignerTokens tokens = new SignerTokens(
          HsmModule.forLibrary(Path.of(config.pkcs11Library())), Duration.ofSeconds(30));
      Path pinFile = DeploymentSecrets.caPinFile(config.dataDir());
      CaPinFile.createIfMissing(pinFile);
      CertificateAuthority ca = CertificateAuthority.openOrCreate(tokens, new CaSettings(
          config.caTokenLabel(), pinFile, CA_COMMON_NAME, CA_VALIDITY));
      writeCaCertificate(config.dataDir(), ca);
      return new HsmParts(secrets, tokens, ca, KeyCustodies.open(tokens, hsmSettings));
    }, false).compose(opened -> Database.open(vertx, config,
        opened.secrets().databasePassword()).map(database -> {
      DeploymentSecrets secrets = opened.secrets();
      SignerTokens tokens = opened.tokens();
      CertificateSettings certificateSettings = CertificateSettings.fromEnvironment(
          config.environment(), config.dataDir(), config.httpHost(), config.httpPort());
      CertificateAuthority ca = opened.ca()
          .withCrlDistributionPoint(certificateSettings.crlUrl());
      KeyCustody custody = opened.custody();
      SignerRepository signers = new SignerRepository(database.pool());
      PersonalDataCipher cipher = new PersonalDataCipher(secrets.personalDataKey());
      SignerKeys signerKeys = new SignerKeys(database.pool(), cipher);
      Optional<SmsSender> sms = VendorProviders.smsSender(vertx, config.environment());
      CertificateServices certificates = CertificateServices.create(signers, tokens, custody,
          signerKeys, new SignerMobiles(database.pool(), cipher, secrets.idNumberKey()), ca,
          workers, certificateSettings, sms, Clock.systemUTC());
      HealthCheck health = new HealthCheck(database.pool(), workers, () -> {
        var result = ca.healthCheck().check();
        if (!result.healthy()) {
          throw new IllegalStateException(result.detail());
        }
        return null;
      });
      return new Services(config, secrets, database, tokens, ca, signers,
          new SignerEnrolment(signers, custody, ca, cipher, secrets.idNumberKey(), workers,
              config.maxImageBytes()),
          new SigningService(signers, custody, certificates.signing(), cipher, workers,
              config.maxPdfBytes(), registry),
          new PinUnlock(signers), health, workers, certificates, custody,
          new PinChange(signers, signerKeys, custody, workers), signerKeys, sms);
    }));
  }

  private record HsmParts(DeploymentSecrets secrets, SignerTokens tokens, CertificateAuthority ca,
      KeyCustody custody) {
  }

  /** Starts everything and listens for HTTP. */
  public static Future<Gateway> start(GatewayConfig config) {
    return start(config, EnrolmentConfig.fromEnvironment(config.environment()));
  }

  /** Starts everything with the given enrolment settings; tests pass their own clock. */
  public static Future<Gateway> start(GatewayConfig config, EnrolmentConfig enrolmentConfig) {
    return start(config, enrolmentConfig, Map.of());
  }

  /**
   * Starts everything with the given enrolment settings and external face-verification
   * providers by name, one of which {@code YUNQIAN_FACE_PROVIDER} may select.
   */
  public static Future<Gateway> start(GatewayConfig config, EnrolmentConfig enrolmentConfig,
      Map<String, FaceVerificationProvider> faceProviders) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = newVertx(registry);
    Map<String, FaceVerificationProvider> faces = new HashMap<>(faceProviders);
    try {
      VendorProviders.faceProvider(vertx, config.environment())
          .ifPresent(provider -> faces.put(provider.name(), provider));
    } catch (IllegalArgumentException e) {
      vertx.close();
      return Future.failedFuture(e);
    }
    return openServices(vertx, config, registry)
        .compose(services -> services.health().probeHsm().map(services))
        .compose(services -> services.certificates().start(vertx).map(services))
        .compose(services -> {
          Path uploads = config.dataDir().resolve("uploads");
          EnrolmentModule enrolmentModule = EnrolmentModule.create(enrolmentConfig,
              services.signers(), services.tokens(), services.custody(), services.ca(),
              services.enrolment(), services.secrets(), services.workers(), registry, faces,
              services.sms(), config.maxImageBytes());
          ApiServer.Services api = new ApiServer.Services(services.signing(),
              services.enrolment(), services.signers(), services.unlock(), services.health(),
              registry, services.secrets().clientToken(), services.secrets().officerToken(),
              services.secrets().reviewerToken(),
              config.maxPdfBytes(), config.maxImageBytes(), config.maxBodyBytes(), uploads,
              mobileWebDir(), enrolmentModule, services.certificates(), services.pinChange(), services.signerKeys());
          return vertx.createHttpServer(new HttpServerOptions()
                  .setHost(config.httpHost())
                  .setPort(config.httpPort())
                  .setMaxHeaderSize(16 * 1024))
              .requestHandler(ApiServer.router(vertx, api))
              .listen()
              .map(server -> new Gateway(vertx, services, server, enrolmentModule));
        })
        .onFailure(e -> vertx.close());
  }

  public int port() {
    return server.actualPort();
  }

  public Services services() {
    return services;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * Writes the CA certificate to {@code dataDir/ca-certificate.pem}, so that verifiers such as
   * pdfsig can be set to trust it.
   */
  private static void writeCaCertificate(Path dataDir, CertificateAuthority ca)
      throws java.io.IOException {
    String pem = "-----BEGIN CERTIFICATE-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(ca.certificate().getEncoded())
        + "\n-----END CERTIFICATE-----\n";
    Files.writeString(dataDir.resolve("ca-certificate.pem"), pem);
  }

  /** Returns the phone pages' folder: {@code YUNQIAN_MOBILE_WEB_DIR}, else {@code mobile-web/}. */
  static Path mobileWebDir() {
    String configured = System.getenv("YUNQIAN_MOBILE_WEB_DIR");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    Path fromRoot = Path.of("mobile-web");
    return Files.isDirectory(fromRoot) ? fromRoot : Path.of("..", "mobile-web");
  }

  @Override
  public void close() {
    LOG.info("Stopping the gateway");
    server.close().toCompletionStage().toCompletableFuture().join();
    services.database().close();
    if (services.custody() instanceof WrappedKeyCustody wrapped) {
      wrapped.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }
}
