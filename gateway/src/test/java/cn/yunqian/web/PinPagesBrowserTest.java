package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.pin.PinPhone;
import cn.yunqian.signing.SignatureVerifier;
import cn.yunqian.signing.VerifiedSignature;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The PIN management page (首页 → pin 码管理) and the reviewer's reset queue in headless
 * Chromium, with the fake camera showing a face: change PIN, the lockout message, and a
 * forgotten PIN with the built-in face check, approved or rejected on the reviewer page. The
 * signers are enrolled through the phone enrolment API, without a mobile number, because the
 * shared gateway's real clock would hold back a second SMS code for 60 seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PinPagesBrowserTest {

  private static final Duration STEP = Duration.ofSeconds(30);
  /** The first face detection loads the model; about 6 to 14 s on 2 cores, so allow more. */
  private static final Duration FACE = Duration.ofSeconds(120);
  private static final String NEW_PIN = "407152";
  private static final String WRONG_PIN = "864209";

  private TestGateway gateway;
  private PinPhone phone;
  private PhoneBrowser browser;

  @BeforeAll
  void startBrowser() throws Exception {
    gateway = TestGateway.shared();
    phone = new PinPhone(gateway.gateway(), () -> {
      throw new AssertionError("the browser tests enrol signers without a mobile number");
    });
    Path video = FakeCamera.faceVideo(Path.of("..", "mobile-web"),
        Path.of("target", "browser-inputs", "face.y4m"));
    browser = PhoneBrowser.start("pin", video);
  }

  @AfterAll
  void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void changePinThenSignWithNewPin() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("韩梅", false);
    identify(signer);
    browser.screenshot("home");

    browser.click("#go-change");
    awaitView("change");
    browser.type("#old-pin", signer.pin());
    browser.type("#new-pin", NEW_PIN);
    browser.type("#new-pin-repeat", NEW_PIN);
    browser.screenshot("change");
    browser.click("#change-submit");
    awaitView("done");
    browser.awaitText("#status", "修改成功", STEP);
    browser.screenshot("changed");

    assertSignsWith(signer, NEW_PIN);
    assertEquals(403, phone.sign(signer.signerId(), signer.pin()).statusCode());
  }

  @Test
  void wrongOldPinFiveTimesShowsLocked() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("马骏", false);
    identify(signer);
    browser.click("#go-change");
    awaitView("change");

    for (int left = 4; left >= 1; left--) {
      submitChange(WRONG_PIN);
      browser.awaitText("#error", "原PIN码错误，还可尝试" + left + "次", STEP);
    }
    submitChange(WRONG_PIN);
    browser.awaitText("#error", "已锁定", STEP);
    browser.screenshot("locked");

    browser.click("#back");
    awaitView("home");
    browser.awaitText("#pin-state", "已锁定", STEP);
    assertEquals(423, phone.sign(signer.signerId(), signer.pin()).statusCode());
  }

  @Test
  void forgottenPinApprovedOnReviewerPage() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("沈星", false);
    for (int i = 0; i < 5; i++) {
      phone.sign(signer.signerId(), WRONG_PIN);
    }
    BigInteger oldSerial = phone.currentSerial(signer.signerId());
    identify(signer);
    browser.awaitText("#pin-state", "已锁定", STEP);

    resetWithFace("forgot-approve");
    browser.awaitText("#status", "等待工作人员审核", STEP);
    browser.screenshot("reset-pending");
    assertEquals(423, phone.sign(signer.signerId(), signer.pin()).statusCode());

    decideOnReviewerPage(signer, "#reset-approve", null);

    assertSignsWith(signer, NEW_PIN);
    assertEquals(403, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertNotNull(phone.crl().getRevokedCertificate(oldSerial), "old certificate not on CRL");
    browser.open(gateway.baseUrl() + "/m/pin.html");
    awaitView("home");
    browser.awaitText("#pin-state", "正常", STEP);
    browser.screenshot("unlocked");
  }

  @Test
  void rejectedResetKeepsOldPin() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("秦岚", false);
    identify(signer);

    resetWithFace("forgot-reject");
    browser.awaitText("#status", "等待工作人员审核", STEP);
    decideOnReviewerPage(signer, "#reset-reject", "照片与认证时不是同一人");

    assertSignsWith(signer, signer.pin());
    assertEquals(403, phone.sign(signer.signerId(), NEW_PIN).statusCode());
  }

  /** Opens the PIN page in a fresh session and identifies with name and ID number. */
  private void identify(PinPhone.Enrolled signer) {
    browser.open(gateway.baseUrl() + "/m/pin.html");
    browser.await("identify or home view", STEP, () -> List.of("identify", "home")
        .contains(currentView()));
    if ("home".equals(currentView())) {
      // The session cookie of the previous test is scoped to /api/v1/pin, where WebDriver
      // cannot delete it from this page, so the page's own logout ends it.
      browser.click("#logout");
      awaitView("identify");
    }
    browser.type("#name", signer.name());
    browser.type("#id-number", signer.idNumber());
    browser.click("#identify-submit");
    awaitView("home");
    String page = browser.textOf("#app");
    assertTrue(page.contains(signer.name()), page);
    assertTrue(!page.contains(signer.idNumber()), "the page shows the full ID number");
  }

  /** From the home view: face verification on the fake camera, then the new PIN twice. */
  private void resetWithFace(String screenshot) throws Exception {
    browser.click("#go-forgot");
    awaitView("forgot-face");
    browser.click("#face-consent");
    browser.screenshot(screenshot + "-face");
    browser.click("#face-start");
    awaitView("forgot-pin", FACE);
    browser.type("#reset-pin", NEW_PIN);
    browser.type("#reset-pin-repeat", NEW_PIN);
    browser.screenshot(screenshot + "-pin");
    browser.click("#reset-submit");
    awaitView("done", Duration.ofSeconds(90));
  }

  /** Approves (no reason) or rejects the signer's pending reset on the reviewer page. */
  private void decideOnReviewerPage(PinPhone.Enrolled signer, String button, String reason)
      throws Exception {
    browser.open(gateway.baseUrl() + "/review/index.html");
    if (browser.find("#login").isDisplayed()) {
      browser.type("#reviewer-token", gateway.reviewerToken());
      browser.click("#token-save");
    }
    String open = "#pin-resets tbody tr .reset-open";
    browser.await("pending PIN reset", STEP, () -> browser.textOf("#pin-resets")
        .contains(signer.name()));
    for (var row : browser.findAll("#pin-resets tbody tr")) {
      if (row.getText().contains(signer.name())) {
        row.findElement(org.openqa.selenium.By.cssSelector(".reset-open")).click();
        break;
      }
    }
    assertTrue(!browser.findAll(open).isEmpty());
    browser.awaitVisible("#reset-detail", STEP);
    browser.await("both face frames", STEP, () -> Boolean.TRUE.equals(browser.script(
        "return ['reset-face-new', 'reset-face-enrolled'].map(id => document.getElementById(id))"
            + ".every(img => !img.parentElement.hidden && img.complete"
            + " && img.naturalWidth > 0);")));
    browser.script("document.getElementById('reset-detail').scrollIntoView()");
    browser.screenshot("review-reset");
    if (reason != null) {
      browser.type("#reset-reject-reason", reason);
    }
    browser.click(button);
    browser.await("decision", STEP, () -> !browser.find("#reset-detail").isDisplayed());
    assertEquals("", browser.textOf("#error"), browser.consoleLog());
  }

  private void submitChange(String oldPin) {
    browser.type("#old-pin", oldPin);
    browser.type("#new-pin", NEW_PIN);
    browser.type("#new-pin-repeat", NEW_PIN);
    browser.click("#change-submit");
  }

  private void awaitView(String view) {
    awaitView(view, STEP);
  }

  private void awaitView(String view, Duration timeout) {
    browser.await("view " + view, timeout, () -> view.equals(currentView()));
  }

  private String currentView() {
    return String.valueOf(browser.script("return document.getElementById('app').dataset.step;"));
  }

  private void assertSignsWith(PinPhone.Enrolled signer, String pin) throws Exception {
    HttpResponse<Buffer> signed = phone.sign(signer.signerId(), pin);
    assertEquals(200, signed.statusCode(), signed.bodyAsString());
    List<VerifiedSignature> signatures = SignatureVerifier.verify(signed.body().getBytes(),
        null);
    assertEquals(1, signatures.size());
    assertTrue(signatures.get(0).cryptographicallyValid(), signatures.get(0).failure());
  }
}
