package cn.yunqian.enrolment.sms;

import cn.yunqian.enrolment.ProviderSettings;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Settings of the Tencent Cloud SMS adapter.
 *
 * @param endpoint URL of the SMS API
 * @param sdkAppId the SmsSdkAppId of the SMS application
 * @param signName the approved signature (短信签名) shown in front of each message
 * @param templates the approved template for each message the gateway sends
 */
public record TencentSmsSettings(String endpoint, String sdkAppId, String signName,
    Map<SmsTemplate, TemplateBinding> templates) {

  public static final String ENDPOINT = "YUNQIAN_SMS_ENDPOINT";
  public static final String SDK_APP_ID = "YUNQIAN_SMS_SDK_APP_ID";
  public static final String SIGN_NAME = "YUNQIAN_SMS_SIGN_NAME";
  /** Prefix of one variable per {@link SmsTemplate}, e.g. YUNQIAN_SMS_TEMPLATE_VERIFICATION_CODE. */
  public static final String TEMPLATE_PREFIX = "YUNQIAN_SMS_TEMPLATE_";

  private static final Pattern TEMPLATE_ID = Pattern.compile("[0-9]{1,20}");
  private static final Pattern PARAMETER_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");

  /**
   * A template registered with Tencent Cloud. Tencent templates number their variables
   * ({1}, {2}, ...), so the binding lists our parameter names in that order.
   *
   * @param templateId the TemplateId
   * @param parameterNames the names of {@link SmsSender#send} parameters for {1}, {2}, ...
   */
  public record TemplateBinding(String templateId, List<String> parameterNames) {
  }

  /**
   * Reads the settings. Each template variable has the form {@code TemplateId:name,name}, e.g.
   * {@code 1234567:code}, or just the TemplateId for a template without variables.
   */
  public static TencentSmsSettings read(ProviderSettings settings) {
    String endpoint = settings.optional(ENDPOINT, "https://sms.tencentcloudapi.com");
    String sdkAppId = settings.required(SDK_APP_ID);
    String signName = settings.required(SIGN_NAME);
    Map<SmsTemplate, TemplateBinding> templates = new EnumMap<>(SmsTemplate.class);
    for (SmsTemplate template : SmsTemplate.values()) {
      String name = TEMPLATE_PREFIX + template.name();
      String value = settings.required(name);
      if (!value.isEmpty()) {
        parseBinding(name, value, settings).ifPresent(binding -> templates.put(template, binding));
      }
    }
    return new TencentSmsSettings(endpoint, sdkAppId, signName, Map.copyOf(templates));
  }

  private static Optional<TemplateBinding> parseBinding(String name, String value,
      ProviderSettings settings) {
    int colon = value.indexOf(':');
    String templateId = colon < 0 ? value : value.substring(0, colon).trim();
    List<String> parameterNames = colon < 0 || value.substring(colon + 1).isBlank() ? List.of()
        : Arrays.stream(value.substring(colon + 1).split(",")).map(String::trim).toList();
    boolean valid = TEMPLATE_ID.matcher(templateId).matches()
        && parameterNames.stream().allMatch(p -> PARAMETER_NAME.matcher(p).matches());
    if (!valid) {
      settings.problem(name + " must look like 'TemplateId:name,name' with a numeric"
          + " TemplateId, got '" + value + "'");
      return Optional.empty();
    }
    return Optional.of(new TemplateBinding(templateId, parameterNames));
  }
}
