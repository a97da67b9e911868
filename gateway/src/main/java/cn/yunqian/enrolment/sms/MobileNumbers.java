package cn.yunqian.enrolment.sms;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.util.regex.Pattern;

/** Mainland China mobile numbers: 11 digits starting with 1 and then 3 to 9. */
public final class MobileNumbers {

  private static final Pattern MAINLAND = Pattern.compile("1[3-9]\\d{9}");

  private MobileNumbers() {
  }

  /**
   * Returns the number without surrounding spaces.
   *
   * @throws GatewayException MOBILE_INVALID when it is not a mainland mobile number
   */
  public static String requireValid(String mobile) {
    String value = mobile == null ? "" : mobile.trim();
    if (!MAINLAND.matcher(value).matches()) {
      throw new GatewayException(ErrorCode.MOBILE_INVALID,
          "The mobile number must be 11 digits starting with 13 to 19");
    }
    return value;
  }

  /** Returns the display form, e.g. {@code 138****5678}. */
  public static String mask(String mobile) {
    return mobile.substring(0, 3) + "****" + mobile.substring(7);
  }
}
