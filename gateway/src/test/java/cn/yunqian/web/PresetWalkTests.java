package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Shared set-up of the browser tests that walk one preset: the shared gateway, one Chromium per
 * test class whose fake camera shows a face, and the end-to-end walk from QR link to a
 * signature made with the new key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PresetWalkTests {

  protected TestGateway gateway;
  protected PhoneBrowser browser;

  /** Preset name and screenshot folder. */
  abstract String preset();

  @BeforeAll
  void startBrowser() throws Exception {
    gateway = TestGateway.shared();
    Path video = FakeCamera.faceVideo(Path.of("..", "mobile-web"),
        Path.of("target", "browser-inputs", "face.y4m"));
    browser = PhoneBrowser.start(preset(), video);
  }

  @AfterAll
  void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  /**
   * Walks the preset from the reviewer's QR link to the result page, approves it on the
   * reviewer page when the preset has a review, then signs a PDF with the new key.
   */
  protected EnrolmentWalk walkEndToEnd(Enrolee enrolee, boolean expectMobile) throws Exception {
    EnrolmentWalk walk = new EnrolmentWalk(browser, gateway, enrolee);
    String url = walk.createLink(preset(), "测试招标代理有限公司");
    walk.openPhonePage(url);
    JsonObject started = walk.phoneState();
    assertEquals(preset(), started.getString("preset"));
    List<Object> steps = started.getJsonArray("steps").getList();

    walk.walkToResult();
    for (String step : walk.visited()) {
      // Without a review step the page still shows a confirmation screen before submitting.
      boolean confirmation = "review".equals(step) && !steps.contains("review");
      assertTrue(steps.contains(step) || confirmation, "visited step " + step + " is not in "
          + steps);
    }

    JsonObject finished = walk.phoneState();
    String enrolmentId = finished.getString("id");
    if ("PENDING_REVIEW".equals(finished.getString("status"))) {
      walk.assertResultPage("等待工作人员审核", expectMobile);
      walk.approveOnReviewerPage(enrolmentId);
      walk.reloadPhonePage();
    }
    walk.assertResultPage("认证成功", expectMobile);
    browser.screenshot("approved");
    assertEquals("APPROVED", walk.phoneState().getString("status"));

    walk.signAndVerify(walk.signerId(enrolmentId));
    return walk;
  }
}
