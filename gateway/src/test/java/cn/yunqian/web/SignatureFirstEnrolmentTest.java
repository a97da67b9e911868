package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The signature-first preset (signature, then identity with an SMS check, then face), and the
 * signature pad's own checks.
 */
class SignatureFirstEnrolmentTest extends PresetWalkTests {

  @Override
  String preset() {
    return "signature-first";
  }

  @Test
  void walksFromQrLinkToSignature() throws Exception {
    walkEndToEnd(Enrolee.random("代理", "李强"), true);
  }

  @Test
  void signaturePadRejectsEmptyAndOneStroke() throws Exception {
    Enrolee enrolee = Enrolee.random("代理", "赵敏");
    EnrolmentWalk walk = new EnrolmentWalk(browser, gateway, enrolee);
    walk.openPhonePage(walk.createLink(preset(), "签名检查"));
    String step = walk.currentStep();
    assertTrue("signature".equals(step), "signature-first starts at " + step);

    browser.click("#signature-submit");
    String empty = browser.awaitText("#error", "请先在签名区域书写", java.time.Duration
        .ofSeconds(5));
    assertTrue(empty.contains("书写"), empty);

    browser.draw("#signature-pad", List.<int[][]>of(EnrolmentWalk.SIGNATURE_STROKES.get(0)));
    browser.click("#signature-submit");
    browser.awaitText("#error", "笔画过少", java.time.Duration.ofSeconds(5));
    browser.screenshot("signature-one-stroke");
    assertTrue("signature".equals(walk.currentStep()), "one stroke left the signature step");

    browser.click("#signature-clear");
    browser.click("#signature-submit");
    browser.awaitText("#error", "请先在签名区域书写", java.time.Duration.ofSeconds(5));
  }
}
