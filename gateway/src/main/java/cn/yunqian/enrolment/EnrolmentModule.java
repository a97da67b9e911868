package cn.yunqian.enrolment;

import cn.yunqian.app.DeploymentSecrets;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.enrolment.flow.FlowPresets;
import cn.yunqian.enrolment.sms.DevOutboxSmsSender;
import cn.yunqian.enrolment.sms.SmsCodes;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.identity.Regions;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds phone enrolment from the gateway's services and mounts its routes. The SMS sender is
 * the development outbox until a provider adapter is configured.
 */
public final class EnrolmentModule {

  private static final Logger LOG = LoggerFactory.getLogger(EnrolmentModule.class);
  /** New enrolments one client address may start per hour; see {@link AddressRateLimit}. */
  private static final int NEW_ENROLMENTS_PER_ADDRESS_PER_HOUR = 60;

  private final EnrolmentRoutes phoneRoutes;
  private final ReviewRoutes reviewRoutes;
  private final DevOutboxSmsSender outbox;
  private final EnrolmentLinks links;
  private final PhoneServices phoneServices;

  private EnrolmentModule(EnrolmentRoutes phoneRoutes, ReviewRoutes reviewRoutes,
      DevOutboxSmsSender outbox, EnrolmentLinks links, PhoneServices phoneServices) {
    this.phoneRoutes = phoneRoutes;
    this.reviewRoutes = reviewRoutes;
    this.outbox = outbox;
    this.links = links;
    this.phoneServices = phoneServices;
  }

  /**
   * The parts of phone enrolment that other phone pages reuse, such as PIN management.
   *
   * @param faceProvider the external face provider, or empty for the in-page check
   */
  public record PhoneServices(EnrolmentConfig config, SmsCodes smsCodes, SmsSender sms,
      Optional<FaceVerificationProvider> faceProvider, PersonalDataCipher cipher,
      SignerMobiles mobiles) {
  }

  /** Returns the parts that other phone pages reuse. */
  public PhoneServices phoneServices() {
    return phoneServices;
  }

  /** Returns the link factory, for links made outside the reviewer API. */
  public EnrolmentLinks links() {
    return links;
  }

  /**
   * Creates the module.
   *
   * @param faceProviders external providers by name; {@code config.faceProvider()} picks one
   *     unless it is {@code builtin}
   * @param vendorSms the configured SMS adapter; when empty, messages go to the development
   *     outbox, which only logs them (masked)
   * @throws IllegalArgumentException when the configured face provider is not in the map
   */
  public static EnrolmentModule create(EnrolmentConfig config, SignerRepository signers,
      SignerTokens tokens, KeyCustody custody, CertificateAuthority ca,
      SignerEnrolment signerEnrolment, DeploymentSecrets secrets, WorkerExecutor workers,
      MeterRegistry registry, Map<String, FaceVerificationProvider> faceProviders, Optional<SmsSender> vendorSms,
      long maxSignatureBytes) {
    Optional<FaceVerificationProvider> face = Optional.empty();
    if (!"builtin".equals(config.faceProvider())) {
      face = Optional.ofNullable(faceProviders.get(config.faceProvider()));
      if (face.isEmpty()) {
        throw new IllegalArgumentException("YUNQIAN_FACE_PROVIDER names '"
            + config.faceProvider() + "'; available: builtin " + faceProviders.keySet());
      }
    }
    DevOutboxSmsSender outbox = new DevOutboxSmsSender();
    SmsSender sms = vendorSms.orElse(outbox);
    if (vendorSms.isEmpty()) {
      LOG.warn("No SMS provider configured (YUNQIAN_SMS_PROVIDER); verification codes and"
          + " results are only logged, masked, by the development outbox");
    }
    PersonalDataCipher cipher = new PersonalDataCipher(secrets.personalDataKey());
    if (face.isEmpty()) {
      LOG.info("Face verification is the built-in check, which cannot compare a face with the"
          + " ID card; every enrolment preset ends with staff review");
    }
    FlowPresets presets = FlowPresets.load(config.presetsFile(), face.isEmpty());
    Regions regions = Regions.load();
    EnrolmentRepository repository = new EnrolmentRepository(signers.pool());
    EnrolmentService service = new EnrolmentService(repository, presets, cipher, config.clock(),
        registry);
    SmsCodes codes = new SmsCodes(signers.pool(), sms, secrets.idNumberKey(), config.clock(),
        config.smsDailyCapPerMobile(), config.smsDailyCapPerIp());
    EnrolmentSteps steps = new EnrolmentSteps(service, codes, custody, signerEnrolment, signers,
        regions, workers, config, face, maxSignatureBytes);
    SignerMobiles mobiles = new SignerMobiles(signers.pool(), cipher, secrets.idNumberKey());
    EnrolmentReview review = new EnrolmentReview(service, tokens, ca, secrets.idNumberKey(),
        workers, sms, registry, mobiles, new SignerKeys(signers.pool(), cipher));
    EnrolmentView view = new EnrolmentView(regions, face.isPresent());
    EnrolmentLinks links = new EnrolmentLinks(service, presets);
    boolean secure = config.publicBaseUrl().map(url -> url.startsWith("https:")).orElse(false);
    return new EnrolmentModule(
        new EnrolmentRoutes(service, steps, review, view,
            config.devMode() ? Optional.of(outbox) : Optional.empty(), secure, maxSignatureBytes,
            new AddressRateLimit(NEW_ENROLMENTS_PER_ADDRESS_PER_HOUR, config.clock())),
        new ReviewRoutes(service, review, view, links, secrets.reviewerToken(),
            config.publicBaseUrl()),
        outbox, links, new PhoneServices(config, codes, sms, face, cipher, mobiles));
  }

  /** Adds the phone, reviewer and dev-mode routes, each group with its failure handler. */
  public void mount(Router router) {
    phoneRoutes.mount(router);
    reviewRoutes.mount(router);
  }

  /** Returns the development outbox; tests read result messages from it. */
  public DevOutboxSmsSender outbox() {
    return outbox;
  }
}
