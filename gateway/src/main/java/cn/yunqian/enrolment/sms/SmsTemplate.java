package cn.yunqian.enrolment.sms;

/** The messages the gateway sends. Providers map each to a template registered with them. */
public enum SmsTemplate {
  /** 您的验证码为 ${code}，5 分钟内有效。 */
  VERIFICATION_CODE,
  /** 您的云签认证已通过。 / 您的云签认证未通过：${reason} */
  ENROLMENT_RESULT,
  /** Security notices: PIN changed, PIN reset, signer unlocked, certificate expiring. */
  SECURITY_NOTICE
}
