package cn.yunqian.pin;

import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.enrolment.sms.SmsTemplate;
import cn.yunqian.signer.SignerMobiles;
import io.vertx.core.Future;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Texts a signer about a change to their PIN ({@link SmsTemplate#SECURITY_NOTICE} with the
 * parameter {@code event}), so a change the signer did not make is noticed. Signers without a
 * stored mobile number get nothing. A failed send is logged and never fails the caller.
 */
final class SecurityNotices {

  static final String PIN_CHANGED = "PIN_CHANGED";
  static final String PIN_RESET = "PIN_RESET";
  static final String PIN_RESET_SUBMITTED = "PIN_RESET_SUBMITTED";
  static final String PIN_RESET_REJECTED = "PIN_RESET_REJECTED";

  private static final Logger LOG = LoggerFactory.getLogger(SecurityNotices.class);

  private final SignerMobiles mobiles;
  private final SmsSender sms;

  SecurityNotices(SignerMobiles mobiles, SmsSender sms) {
    this.mobiles = mobiles;
    this.sms = sms;
  }

  Future<Void> send(UUID signerId, String event) {
    return mobiles.find(signerId)
        .compose(mobile -> mobile.isEmpty()
            ? Future.<Void>succeededFuture()
            : sms.send(mobile.get(), SmsTemplate.SECURITY_NOTICE, Map.of("event", event)))
        .recover(e -> {
          LOG.warn("Failed to text signer {} the security notice {}", signerId, event, e);
          return Future.succeededFuture();
        });
  }
}
