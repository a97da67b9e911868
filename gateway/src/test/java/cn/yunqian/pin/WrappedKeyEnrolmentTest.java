package cn.yunqian.pin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cn.yunqian.app.Gateway;
import cn.yunqian.enrolment.EnrolmentConfig;
import cn.yunqian.hsm.TestHsm;
import cn.yunqian.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A phone enrolment on a gateway whose keys are in wrapped-key custody signs and locks. */
class WrappedKeyEnrolmentTest {

  private static Gateway gateway;
  private static PinPhone phone;

  @BeforeAll
  static void start() {
    Map<String, String> env = Map.of(
        "YUNQIAN_KEY_CUSTODY", "wrapped-key",
        "YUNQIAN_HSM_SHARED_TOKEN", TestHsm.newLabel("wrapped"),
        "YUNQIAN_DEV_MODE", "true");
    gateway = Gateway.start(TestGateway.config("wrapped-enrol", env),
        EnrolmentConfig.fromEnvironment(env)).await();
    phone = new PinPhone(gateway, () -> {
      throw new AssertionError("these signers have no mobile number");
    });
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void phoneEnrolledSignerSignsWithWrappedKey() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("郑重", false);

    assertEquals(200, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertEquals(403, phone.sign(signer.signerId(), "975310").statusCode());
    String custody = gateway.services().signers().pool()
        .preparedQuery("SELECT key_custody FROM signers WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(signer.signerId()))
        .await().iterator().next().getString(0);
    assertEquals("wrapped-key", custody);
  }
}
