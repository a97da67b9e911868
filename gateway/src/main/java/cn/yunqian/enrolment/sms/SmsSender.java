package cn.yunqian.enrolment.sms;

import io.vertx.core.Future;
import java.util.Map;

/**
 * Sends one templated text message through an SMS service. Implementations never log the full
 * number or the parameter values (a verification code is one of them).
 */
public interface SmsSender {

  /** Short name used in configuration and logs, e.g. {@code dev-outbox}. */
  String name();

  /**
   * Sends the message. Fails with a {@code GatewayException} (SMS_SEND_FAILED) carrying the
   * provider's error code when the provider rejects it.
   *
   * @param mobile an 11-digit mainland mobile number, already validated
   * @param template what the message says: {@link SmsTemplate}
   * @param parameters template parameters by name, e.g. {@code code}
   */
  Future<Void> send(String mobile, SmsTemplate template, Map<String, String> parameters);
}
