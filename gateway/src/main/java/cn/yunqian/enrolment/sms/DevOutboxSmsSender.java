package cn.yunqian.enrolment.sms;

import io.vertx.core.Future;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Development SMS sender: sends nothing, logs the masked number and template, and keeps the
 * last verification code per number in memory so that browser tests can read it through the
 * dev-mode outbox endpoint. Never configure it in production.
 */
public final class DevOutboxSmsSender implements SmsSender {

  private static final Logger LOG = LoggerFactory.getLogger(DevOutboxSmsSender.class);

  private final Map<String, String> lastCodes = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> lastMessages = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "dev-outbox";
  }

  @Override
  public Future<Void> send(String mobile, SmsTemplate template, Map<String, String> parameters) {
    LOG.info("SMS to {}: template={} code={}", MobileNumbers.mask(mobile), template,
        parameters.containsKey("code") ? "******" : "-");
    if (template == SmsTemplate.VERIFICATION_CODE) {
      lastCodes.put(mobile, parameters.get("code"));
    } else {
      lastMessages.put(mobile + "|" + template, Map.copyOf(parameters));
    }
    return Future.succeededFuture();
  }

  /** Returns the last verification code sent to the number. */
  public Optional<String> lastCode(String mobile) {
    return Optional.ofNullable(lastCodes.get(mobile));
  }

  /** Returns the parameters of the last message of this template sent to the number. */
  public Optional<Map<String, String>> lastMessage(String mobile, SmsTemplate template) {
    return Optional.ofNullable(lastMessages.get(mobile + "|" + template));
  }
}
