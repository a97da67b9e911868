package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.enrolment.flow.FlowPresets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Base64;

/** Creates enrolment links: the random code that a QR code carries to a phone. */
public final class EnrolmentLinks {

  static final int MAX_VALID_HOURS = 24 * 30;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final EnrolmentService service;
  private final FlowPresets presets;

  EnrolmentLinks(EnrolmentService service, FlowPresets presets) {
    this.service = service;
    this.presets = presets;
  }

  /**
   * Creates and audits a link. The organisation's configured preset, if any, wins over
   * {@code presetName}. Fails with INVALID_REQUEST for an unknown preset or a validity outside
   * 1 hour to 30 days.
   */
  Future<EnrolmentRepository.Link> create(String presetName, String organisation,
      int validHours, String actor) {
    String preset = presets.presetForOrganisation(organisation).orElse(presetName);
    if (preset == null) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Field 'preset' is missing"));
    }
    if (presets.find(preset).isEmpty()) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Unknown preset '" + preset + "'"));
    }
    if (validHours < 1 || validHours > MAX_VALID_HOURS) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Field 'validHours' must be a whole number from 1 to " + MAX_VALID_HOURS));
    }
    byte[] secret = new byte[24];
    RANDOM.nextBytes(secret);
    String code = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    OffsetDateTime now = service.now();
    EnrolmentRepository.Link link = new EnrolmentRepository.Link(code, preset, organisation,
        now, now.plus(Duration.ofHours(validHours)), null);
    JsonObject details = new JsonObject()
        .put("preset", preset)
        .put("organisation", organisation)
        .put("link", code.substring(0, 6));
    return service.repository().pool()
        .withTransaction(conn -> service.repository().insertLink(conn, link)
            .compose(done -> AuditLog.append(conn, new AuditEvent(actor,
                "ENROLMENT_LINK_CREATED", null, "SUCCESS", details))))
        .map(done -> link);
  }

  /** Creates a link as {@link #create} does and returns only its code. */
  public Future<String> createCode(String presetName, String organisation, int validHours,
      String actor) {
    return create(presetName, organisation, validHours, actor).map(EnrolmentRepository.Link::code);
  }

  /** Returns the phone URL of a link under {@code baseUrl}. */
  public static String phoneUrl(String baseUrl, String code) {
    return baseUrl.replaceAll("/+$", "") + "/m/enrol.html?link=" + code;
  }
}
