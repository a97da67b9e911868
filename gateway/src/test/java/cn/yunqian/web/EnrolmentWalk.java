package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.signing.SignatureVerifier;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.ReaderException;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import cn.yunqian.signing.VerifiedSignature;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Drives one enrolment through the real pages: the reviewer page creates the link, the phone
 * page walks whatever steps the gateway's preset returns, and the reviewer page approves. Each
 * step is filled the way a person would, and screenshotted before it is submitted.
 */
final class EnrolmentWalk {

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
  /** The PIN step generates a key pair in SoftHSM2, and the face step runs the face model. */
  private static final Map<String, Duration> SLOW_STEPS = Map.of(
      "pin", Duration.ofSeconds(90),
      "face", Duration.ofSeconds(120));
  /** The three horizontal strokes of 王 and its vertical one, as offsets from the canvas centre. */
  static final List<int[][]> SIGNATURE_STROKES = List.of(
      new int[][] {{-60, -50}, {-20, -52}, {20, -50}, {60, -48}},
      new int[][] {{-45, 0}, {0, 2}, {45, 0}},
      new int[][] {{-70, 50}, {-20, 52}, {30, 50}, {75, 48}},
      new int[][] {{0, -50}, {1, -10}, {0, 20}, {-1, 50}});

  private final PhoneBrowser browser;
  private final TestGateway gateway;
  private final Enrolee enrolee;
  private final List<String> visited = new ArrayList<>();
  private String phoneUrl;

  EnrolmentWalk(PhoneBrowser browser, TestGateway gateway, Enrolee enrolee) {
    this.browser = browser;
    this.gateway = gateway;
    this.enrolee = enrolee;
  }

  List<String> visited() {
    return visited;
  }

  /** Signs in on the reviewer page, creates a link for the preset and returns its URL. */
  String createLink(String preset, String organisation) throws IOException {
    browser.open(gateway.baseUrl() + "/review/index.html");
    if (browser.find("#login").isDisplayed()) {
      browser.type("#reviewer-token", gateway.reviewerToken());
      browser.click("#token-save");
    }
    browser.awaitVisible("#link-form", STEP_TIMEOUT);
    browser.script("document.getElementById('link-preset').value = arguments[0]", preset);
    browser.type("#link-organisation", organisation);
    browser.click("#link-create");
    browser.awaitVisible("#link-result", STEP_TIMEOUT);
    new WebDriverWait(browser.driver(), STEP_TIMEOUT).until(d -> Boolean.TRUE.equals(
        browser.script("const img = document.getElementById('link-qr');"
            + " return img.complete && img.naturalWidth > 0;")));
    browser.screenshot("review-link-qr");
    String shownUrl = browser.textOf("#link-url");
    String qrUrl = decodeQr(String.valueOf(browser.script(
        "const img = document.getElementById('link-qr');"
            + " const canvas = document.createElement('canvas');"
            + " canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;"
            + " canvas.getContext('2d').drawImage(img, 0, 0);"
            + " return canvas.toDataURL('image/png').split(',')[1];")));
    assertEquals(shownUrl, qrUrl, "URL in the QR code");
    assertTrue(qrUrl.contains("/m/enrol.html?link="), "link URL: " + qrUrl);
    return qrUrl;
  }

  /** Decodes the QR code in a base64 PNG with ZXing and returns its text. */
  private static String decodeQr(String pngBase64) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(
        Base64.getDecoder().decode(pngBase64)));
    int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0,
        image.getWidth());
    BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(
        new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
    try {
      // The gateway renders the code without noise, so the pure-barcode path of ZXing applies.
      return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE))
          .getText();
    } catch (ReaderException e) {
      throw new AssertionError("the reviewer page's QR image does not decode: " + e, e);
    }
  }

  /**
   * Opens the phone page of the link on the test gateway's address. The reviewer page and the
   * phone page share one tab because, in headless Chromium 156, the reviewer page in a second
   * tab did not react to clicks after switching back to it.
   */
  void openPhonePage(String linkUrl) {
    URI uri = URI.create(linkUrl);
    phoneUrl = gateway.baseUrl() + uri.getRawPath() + "?" + uri.getRawQuery();
    browser.open(phoneUrl);
    awaitLoaded();
  }

  /** Returns the step the page shows: the {@code data-step} attribute of the app root. */
  String currentStep() {
    return String.valueOf(browser.script(
        "const app = document.getElementById('app'); return app && app.dataset.step;"));
  }

  void awaitLoaded() {
    try {
      new WebDriverWait(browser.driver(), STEP_TIMEOUT).until(d -> {
        String step = currentStep();
        return !"loading".equals(step) && !"null".equals(step) && !"undefined".equals(step)
            || !browser.textOf("#error").isEmpty();
      });
    } catch (TimeoutException e) {
      throw new AssertionError("the phone page did not load\n" + browser.consoleLog(), e);
    }
    String error = browser.textOf("#error");
    assertTrue(error.isEmpty(), "the phone page shows an error on load: " + error);
  }

  /** Walks the phone page until it shows the result page, filling every step. */
  void walkToResult() throws Exception {
    for (int guard = 0; guard < 12; guard++) {
      String step = currentStep();
      if ("result".equals(step)) {
        browser.screenshot("result");
        return;
      }
      visited.add(step);
      fill(step);
      submitAndAwait(step);
    }
    throw new AssertionError("the phone page never reached the result; steps: " + visited);
  }

  /** Fills the step's fields and takes its screenshot, without submitting. */
  void fill(String step) throws Exception {
    switch (step) {
      case "sms-login" -> {
        browser.type("#mobile", enrolee.mobile());
        browser.click("#sms-send");
        browser.type("#sms-code", gateway.lastSmsCode(enrolee.mobile()));
      }
      case "id-card" -> {
        browser.find("#id-front").sendKeys(idCardPhoto("front").toString());
        browser.find("#id-back").sendKeys(idCardPhoto("back").toString());
        new WebDriverWait(browser.driver(), STEP_TIMEOUT)
            .until(d -> browser.findAll(".id-photo img").size() == 2);
      }
      case "region" -> browser.awaitVisible("#region-picker", STEP_TIMEOUT);
      case "identity" -> {
        browser.click("#person-type [data-value='" + enrolee.personType() + "']");
        browser.type("#name", enrolee.name());
        browser.type("#id-number", enrolee.idNumber());
        if (!browser.findAll("#mobile").isEmpty()) {
          browser.type("#mobile", enrolee.mobile());
          browser.click("#sms-send");
          browser.type("#sms-code", gateway.lastSmsCode(enrolee.mobile()));
        }
      }
      case "pin" -> {
        browser.type("#pin", enrolee.pin());
        browser.type("#pin-repeat", enrolee.pin());
      }
      case "face" -> {
        if (!browser.find("#face-consent").isSelected()) {
          browser.click("#face-consent");
        }
      }
      case "signature" -> {
        browser.awaitVisible("#signature-pad", STEP_TIMEOUT);
        browser.draw("#signature-pad", SIGNATURE_STROKES);
      }
      case "review" -> browser.awaitVisible("#submit", STEP_TIMEOUT);
      default -> throw new AssertionError("the phone page shows an unknown step '" + step + "'");
    }
    browser.screenshot(step);
  }

  /** Clicks the step's submit button and waits for the page to move on, failing on an error. */
  void submitAndAwait(String step) {
    String button = switch (step) {
      case "sms-login" -> "#login";
      case "id-card" -> "#id-submit";
      case "region" -> "#region-submit";
      case "identity" -> "#identity-submit";
      case "pin" -> "#pin-submit";
      case "face" -> "#face-start";
      case "signature" -> "#signature-submit";
      case "review" -> "#submit";
      default -> throw new AssertionError("no submit button for step " + step);
    };
    browser.click(button);
    awaitStepAfter(step, SLOW_STEPS.getOrDefault(step, STEP_TIMEOUT));
  }

  /** Waits until the page leaves {@code step}; an error message or a timeout fails the test. */
  void awaitStepAfter(String step, Duration timeout) {
    try {
      new WebDriverWait(browser.driver(), timeout).until(d ->
          !step.equals(currentStep()) || !browser.textOf("#error").isEmpty());
    } catch (TimeoutException e) {
      throw new AssertionError("step " + step + " did not finish within " + timeout + "\n"
          + browser.consoleLog(), e);
    }
    String error = browser.textOf("#error");
    assertTrue(error.isEmpty(), "step " + step + " failed with '" + error + "'\n"
        + browser.consoleLog());
  }

  /** Returns the enrolment state that the phone page's session cookie selects. */
  JsonObject phoneState() {
    Object state = browser.asyncScript("const done = arguments[arguments.length - 1];"
        + " fetch('/api/v1/enrolments/current', {credentials: 'same-origin'})"
        + ".then(r => r.text()).then(done, e => done(String(e)));");
    return new JsonObject(String.valueOf(state));
  }

  /** Approves the enrolment on the reviewer page, after checking that its images load. */
  void approveOnReviewerPage(String enrolmentId) throws IOException {
    browser.open(gateway.baseUrl() + "/review/index.html");
    String row = "#pending tr[data-id='" + enrolmentId + "'] .pending-open";
    browser.await("pending row " + enrolmentId, STEP_TIMEOUT,
        () -> !browser.findAll(row).isEmpty());
    browser.click(row);
    browser.awaitVisible("#detail", STEP_TIMEOUT);
    browser.await("review images", STEP_TIMEOUT, () -> Boolean.TRUE.equals(
        browser.script("return ['detail-id-front', 'detail-id-back', 'detail-face',"
            + " 'detail-signature'].map(id => document.getElementById(id))"
            + ".filter(img => !img.parentElement.hidden)"
            + ".every(img => img.complete && img.naturalWidth > 0);")));
    assertEquals(enrolee.name(), browser.textOf("#detail-name"));
    browser.screenshot("review-detail");
    browser.click("#approve");
    browser.await("approval", STEP_TIMEOUT, () -> !browser.find("#detail").isDisplayed());
    String error = browser.textOf("#error");
    assertTrue(error.isEmpty(), "approving failed on the reviewer page: " + error);
  }

  /** Opens the phone page's link again; the session cookie resumes the same enrolment. */
  void reloadPhonePage() {
    browser.open(phoneUrl);
    awaitLoaded();
  }

  /** Returns the signer id that approval created, from the reviewer API. */
  String signerId(String enrolmentId) throws Exception {
    HttpResponse<String> response = gateway.json("GET", "/api/v1/admin/enrolments/"
        + enrolmentId, gateway.reviewerToken(), null);
    assertEquals(200, response.statusCode(), response.body());
    JsonObject detail = new JsonObject(response.body());
    String signerId = detail.getString("signerId");
    assertNotNull(signerId, "the approved enrolment names no signerId: " + detail.encode());
    return signerId;
  }

  /** Signs a one-page PDF as the new signer with the PIN set on the phone and verifies it. */
  void signAndVerify(String signerId) throws Exception {
    byte[] pdf;
    try (PDDocument document = new PDDocument();
        ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      document.addPage(new PDPage());
      document.save(out);
      pdf = out.toByteArray();
    }
    JsonObject request = new JsonObject()
        .put("signerId", signerId)
        .put("pin", enrolee.pin())
        .put("pdf", Base64.getEncoder().encodeToString(pdf))
        .put("placement", new JsonObject().put("page", 1).put("x", 72).put("y", 72)
            .put("width", 160).put("height", 60));
    byte[] signed = gateway.jsonForBytes("/api/v1/signatures", gateway.clientToken(), request);
    List<VerifiedSignature> signatures = SignatureVerifier.verify(signed, null);
    assertEquals(1, signatures.size(), "signatures in the signed PDF");
    VerifiedSignature signature = signatures.get(0);
    assertTrue(signature.cryptographicallyValid(), "signature invalid: " + signature.failure());
    assertTrue(signature.coversWholeDocument(), "signature does not cover the whole file");
    assertNotNull(signature.signerCertificate(), "no signer certificate in the CMS");
    Path out = Path.of("target", "screenshots", "signed-" + enrolee.mobile() + ".pdf");
    Files.write(out, signed);
  }

  /** Checks the result page: status text, masked fields and every step ticked. */
  void assertResultPage(String statusText, boolean expectMobile) {
    browser.awaitText("#status", statusText, STEP_TIMEOUT);
    String page = browser.textOf("#app");
    assertTrue(page.contains(enrolee.name()), "result page lacks the name:\n" + page);
    assertTrue(page.contains(enrolee.maskedIdNumber()), "result page lacks the masked ID:\n"
        + page);
    assertFalse(page.contains(enrolee.idNumber()), "result page shows the full ID number");
    assertFalse(page.contains(enrolee.mobile()), "result page shows the full mobile number");
    if (expectMobile) {
      assertTrue(page.contains(enrolee.maskedMobile()), "result page lacks the masked mobile:\n"
          + page);
    }
    JsonObject state = phoneState();
    JsonArray steps = state.getJsonArray("steps");
    int expected = "APPROVED".equals(state.getString("status")) ? steps.size()
        : steps.size() - 1;
    long ticked = browser.findAll(".done-steps li.done").size();
    assertEquals(expected, ticked, "ticked steps on the result page: " + page);
  }

  /** Writes a stand-in ID card photo: a JPEG with the side's name, in place of a camera photo. */
  private static Path idCardPhoto(String side) throws IOException {
    Path file = Path.of("target", "browser-inputs", "id-" + side + ".jpg").toAbsolutePath();
    if (Files.exists(file)) {
      return file;
    }
    Files.createDirectories(file.getParent());
    BufferedImage image = new BufferedImage(856, 540, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = image.createGraphics();
    graphics.setColor(new Color(0xE8F0F8));
    graphics.fillRect(0, 0, image.getWidth(), image.getHeight());
    graphics.setColor(Color.DARK_GRAY);
    graphics.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 48));
    graphics.drawString("TEST ID CARD " + side.toUpperCase(), 60, 280);
    graphics.dispose();
    ImageIO.write(image, "jpg", file.toFile());
    return file;
  }
}
