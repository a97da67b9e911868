package cn.yunqian.enrolment.sms;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.enrolment.TencentCloudClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends SMS through Tencent Cloud SMS ({@code SendSms}, API version 2021-01-11). One message
 * goes to one mainland number. Logs show the number masked and never the parameter values.
 */
public final class TencentSmsSender implements SmsSender {

  /** Value of YUNQIAN_SMS_PROVIDER that selects this adapter. */
  public static final String NAME = "tencent";
  /** Product and version of the SMS API, for {@link TencentCloudClient}. */
  public static final String SERVICE = "sms";
  public static final String VERSION = "2021-01-11";

  private static final Logger LOG = LoggerFactory.getLogger(TencentSmsSender.class);
  private static final Pattern MAINLAND_MOBILE = Pattern.compile("1[0-9]{10}");
  /** Code of a SendStatus entry for an accepted message. Every other code is a rejection. */
  private static final String ACCEPTED = "Ok";

  private final TencentCloudClient client;
  private final TencentSmsSettings settings;

  public TencentSmsSender(TencentCloudClient client, TencentSmsSettings settings) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Sends one message. Fails with SMS_SEND_FAILED naming the provider code when the call fails
   * or Tencent Cloud rejects the number (e.g. {@code LimitExceeded.PhoneNumberDailyLimit}).
   *
   * <p>Fails with an {@link IllegalArgumentException}, without calling the provider, when
   * {@code mobile} is not an 11-digit mainland number or a parameter that the template needs is
   * missing; both are caller bugs.
   */
  @Override
  public Future<Void> send(String mobile, SmsTemplate template, Map<String, String> parameters) {
    Objects.requireNonNull(template, "template");
    if (mobile == null || !MAINLAND_MOBILE.matcher(mobile).matches()) {
      return Future.failedFuture(
          new IllegalArgumentException("mobile must be an 11-digit mainland number"));
    }
    TencentSmsSettings.TemplateBinding binding = settings.templates().get(template);
    List<Object> values;
    try {
      values = orderedValues(template, binding, parameters);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    JsonObject request = new JsonObject()
        .put("PhoneNumberSet", new JsonArray().add("+86" + mobile))
        .put("SmsSdkAppId", settings.sdkAppId())
        .put("SignName", settings.signName())
        .put("TemplateId", binding.templateId())
        .put("TemplateParamSet", new JsonArray(values));
    return client.call("SendSms", request)
        .compose(response -> checkSendStatus(response, mobile, template));
  }

  private static List<Object> orderedValues(SmsTemplate template,
      TencentSmsSettings.TemplateBinding binding, Map<String, String> parameters) {
    List<Object> values = new ArrayList<>();
    for (String name : binding.parameterNames()) {
      String value = parameters.get(name);
      if (value == null) {
        throw new IllegalArgumentException(
            "template " + template + " needs parameter '" + name + "', which is missing");
      }
      values.add(value);
    }
    return values;
  }

  private Future<Void> checkSendStatus(JsonObject response, String mobile,
      SmsTemplate template) {
    String requestId = String.valueOf(response.getValue("RequestId"));
    Object statuses = response.getValue("SendStatusSet");
    Object first = statuses instanceof JsonArray array && !array.isEmpty() ? array.getValue(0)
        : null;
    JsonObject status = first instanceof JsonObject object ? object : new JsonObject();
    String code = String.valueOf(status.getValue("Code", "no SendStatus"));
    if (!ACCEPTED.equals(code)) {
      LOG.warn("[sms] SendSms rejected: mobile={} template={} code={} requestId={}",
          masked(mobile), template, code, requestId);
      return Future.failedFuture(new GatewayException(ErrorCode.SMS_SEND_FAILED,
          "Tencent Cloud SMS did not send the message: " + code));
    }
    LOG.info("[sms] sent: mobile={} template={} serialNo={} requestId={}",
        masked(mobile), template, status.getValue("SerialNo"), requestId);
    return Future.succeededFuture();
  }

  /** Returns the number with its middle four digits hidden, e.g. 138****5678. */
  static String masked(String mobile) {
    return mobile.substring(0, 3) + "****" + mobile.substring(7);
  }
}
