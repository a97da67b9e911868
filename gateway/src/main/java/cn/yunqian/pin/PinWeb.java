package cn.yunqian.pin;

import cn.yunqian.api.BearerAuth;
import cn.yunqian.enrolment.EnrolmentModule;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerRepository;
import io.vertx.ext.web.Router;

/**
 * PIN management on the phone ({@code /m/pin.html}, API under {@code /api/v1/pin}) and the
 * reviewer's queue of forgotten-PIN resets. It reuses phone enrolment's SMS codes, SMS sender,
 * face provider and settings.
 */
public final class PinWeb {

  private PinWeb() {
  }

  /**
   * Adds the phone and reviewer routes. The body handler for {@code /api/*} must already be on
   * the router, and the token gate must let {@code /api/v1/pin/} through.
   *
   * @param secureCookie whether the session cookie is marked Secure (an https public URL)
   */
  public static void mount(Router router, EnrolmentModule.PhoneServices phone,
      SignerRepository signers, SignerEnrolment enrolment, PinChange pinChange,
      Rekeying rekeying, BearerAuth reviewer) {
    var config = phone.config();
    SecurityNotices notices = new SecurityNotices(phone.mobiles(), phone.sms());
    FaceVerifications faces = new FaceVerifications(signers.pool(), phone.cipher(),
        config.clock());
    PinResets resets = new PinResets(signers.pool(), rekeying, phone.cipher(), notices,
        config.clock());
    PinSessions sessions = new PinSessions(signers.pool(), enrolment, phone.mobiles(),
        phone.smsCodes(), phone.cipher(), config.clock());
    boolean secureCookie = config.publicBaseUrl().map(url -> url.startsWith("https:"))
        .orElse(false);
    new PinPhoneRoutes(sessions, signers, pinChange, resets, rekeying, faces, notices,
        phone.faceProvider(), config.livenessThreshold(), secureCookie).mount(router);
    new PinResetRoutes(resets, faces).mount(router, reviewer);
  }
}
