package cn.yunqian.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway serves the pages and only the listed vendor files, never node_modules itself. */
class WebPagesTest {

  private static TestGateway gateway;

  @BeforeAll
  static void startGateway() {
    gateway = TestGateway.shared();
  }

  @Test
  void servesListedVendorFiles() throws Exception {
    for (String file : WebPages.VENDOR_FILES) {
      HttpResponse<String> response = get(WebPages.VENDOR_PREFIX + file);
      assertEquals(200, response.statusCode(), file);
    }
    String type = get("/m/vendor/vue/dist/vue.global.prod.js").headers()
        .firstValue("content-type").orElse("");
    assertTrue(type.contains("javascript"), "content type of vue: " + type);
  }

  @Test
  void hidesUnlistedNpmFiles() throws Exception {
    String[] hidden = {
        "/m/vendor/vue/package.json",
        "/m/vendor/@vladmandic/human/models/faceres.json",
        "/m/vendor/@vladmandic/human/assets/samples.jpg",
        "/m/vendor/",
        "/m/vendor/vant/lib/../../vue/package.json",
        "/node_modules/vue/dist/vue.global.prod.js",
        "/package.json",
        "/package-lock.json",
    };
    for (String path : hidden) {
      assertEquals(404, get(path).statusCode(), path);
    }
  }

  @Test
  void servesEnrolmentAndReviewPages() throws Exception {
    HttpResponse<String> enrol = get("/m/enrol.html");
    assertEquals(200, enrol.statusCode());
    assertTrue(enrol.body().contains("/m/vendor/vant/lib/vant.min.js"), "enrol.html body");
    HttpResponse<String> review = get("/review/index.html");
    assertEquals(200, review.statusCode());
    assertTrue(review.body().contains("reviewer-token"), "review page body");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return gateway.json("GET", path, null, null);
  }
}
