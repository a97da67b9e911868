package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The built-in face check on Chromium's own fake camera, whose test pattern shows no face: the
 * page reports 没有检测到人脸, 暂不认证 postpones the step, and reopening the page resumes at it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaceCheckBrowserTest {

  private TestGateway gateway;
  private PhoneBrowser browser;

  @BeforeAll
  void startBrowser() throws Exception {
    gateway = TestGateway.shared();
    browser = PhoneBrowser.start("face-check", null);
  }

  @AfterAll
  void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void noFaceThenPostponeAndResume() throws Exception {
    Enrolee enrolee = Enrolee.random("专家", "刘洋");
    EnrolmentWalk walk = new EnrolmentWalk(browser, gateway, enrolee);
    walk.openPhonePage(walk.createLink("three-step", "人脸检查"));
    while (!"face".equals(walk.currentStep())) {
      String step = walk.currentStep();
      walk.fill(step);
      walk.submitAndAwait(step);
    }

    browser.click("#face-start");
    browser.awaitText("#error", "请先阅读并勾选同意", Duration.ofSeconds(5));
    walk.fill("face");
    String page = browser.textOf("#app");
    for (String guidance : new String[] {"正对镜头", "不要遮挡面部", "光线充足", "认证服务协议"}) {
      assertTrue(page.contains(guidance), "face step lacks '" + guidance + "':\n" + page);
    }
    browser.click("#face-start");
    browser.awaitText("#error", "没有检测到人脸", Duration.ofSeconds(120));
    browser.screenshot("face-not-detected");
    assertEquals("face", walk.currentStep());

    browser.click("#face-postpone");
    new org.openqa.selenium.support.ui.WebDriverWait(browser.driver(), Duration.ofSeconds(30))
        .until(d -> "FACE_POSTPONED".equals(walk.phoneState().getString("status")));
    walk.reloadPhonePage();
    assertEquals("face", walk.currentStep());
    browser.awaitText("#app", "暂不认证", Duration.ofSeconds(5));
    browser.screenshot("face-postponed-resumed");
  }
}
