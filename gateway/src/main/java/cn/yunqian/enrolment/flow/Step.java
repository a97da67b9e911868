package cn.yunqian.enrolment.flow;

import java.util.Set;

/** Names of enrolment steps, as used in presets, URLs and the state returned to the phone. */
public final class Step {

  public static final String SMS_LOGIN = "sms-login";
  public static final String ID_CARD = "id-card";
  public static final String IDENTITY = "identity";
  public static final String REGION = "region";
  public static final String PIN = "pin";
  public static final String FACE = "face";
  public static final String SIGNATURE = "signature";
  public static final String REVIEW = "review";
  public static final String RESULT = "result";

  /** Every step name a preset may use. */
  public static final Set<String> ALL = Set.of(SMS_LOGIN, ID_CARD, IDENTITY, REGION, PIN, FACE,
      SIGNATURE, REVIEW, RESULT);

  private Step() {
  }

  /** Returns whether the step takes a submission from the phone. */
  public static boolean isDataStep(String step) {
    return !REVIEW.equals(step) && !RESULT.equals(step);
  }
}
