package cn.yunqian.web;

import org.junit.jupiter.api.Test;

/**
 * The phone-first preset: SMS login, ID card, identity, region, PIN, face, signature, review.
 */
class PhoneFirstEnrolmentTest extends PresetWalkTests {

  @Override
  String preset() {
    return "phone-first";
  }

  @Test
  void walksFromQrLinkToSignature() throws Exception {
    walkEndToEnd(Enrolee.random("专家", "王芳"), true);
  }
}
