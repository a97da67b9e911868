package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The three-step preset (signature, identity, face, then the PIN) and going back with 上一步. */
class ThreeStepEnrolmentTest extends PresetWalkTests {

  @Override
  String preset() {
    return "three-step";
  }

  @Test
  void walksFromQrLinkToSignature() throws Exception {
    walkEndToEnd(Enrolee.random("监督", "张伟"), false);
  }

  @Test
  void backButtonReturnsToSignature() throws Exception {
    Enrolee enrolee = Enrolee.random("甲方", "陈静");
    EnrolmentWalk walk = new EnrolmentWalk(browser, gateway, enrolee);
    walk.openPhonePage(walk.createLink(preset(), "上一步检查"));
    assertEquals("signature", walk.currentStep());
    walk.fill("signature");
    walk.submitAndAwait("signature");
    assertEquals("identity", walk.currentStep());
    assertEquals("上一步", browser.textOf("#back").replace("‹", "").trim());

    browser.click("#back");
    walk.awaitStepAfter("identity", Duration.ofSeconds(30));
    assertEquals("signature", walk.currentStep());
    browser.screenshot("back-to-signature");
  }
}
