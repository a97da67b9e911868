package cn.yunqian.enrolment;

import cn.yunqian.app.Gateway;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.testing.TestGateway;
import java.util.Map;

/** Starts real gateways for enrolment tests, each with its own data folder and database. */
final class TestGateways {

  private TestGateways() {
  }

  static Gateway start(EnrolmentConfig enrolment,
      Map<String, FaceVerificationProvider> faceProviders) {
    return Gateway.start(TestGateway.config("enrol", Map.of()), enrolment, faceProviders)
        .await();
  }
}
