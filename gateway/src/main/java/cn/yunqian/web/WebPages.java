package cn.yunqian.web;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes for the phone and reviewer pages' third-party files. {@code /m/vendor/<path>} serves
 * {@code mobile-web/node_modules/<path>}, but only the runtime files listed in
 * {@link #VENDOR_FILES}. The rest of {@code node_modules} and the npm manifests stay hidden even
 * though the pages' static handler serves {@code mobile-web/} at the root.
 */
public final class WebPages {

  private static final Logger LOG = LoggerFactory.getLogger(WebPages.class);

  /** URL prefix of the vendored runtime files. */
  public static final String VENDOR_PREFIX = "/m/vendor/";

  private static final String HUMAN_MODELS = "@vladmandic/human/models/";

  /**
   * Paths under {@code node_modules} that the pages load. The face models are the subset the
   * built-in face check uses: BlazeFace detection, FaceMesh landmarks, anti-spoofing and
   * liveness (about 3.5 MB instead of the package's 29 MB).
   */
  static final Set<String> VENDOR_FILES = Set.of(
      "vue/dist/vue.global.prod.js",
      "vant/lib/vant.min.js",
      "vant/lib/index.css",
      "signature_pad/dist/signature_pad.js",
      "@vant/area-data/dist/index.js",
      "@vladmandic/human/dist/human.esm.js",
      HUMAN_MODELS + "blazeface.json",
      HUMAN_MODELS + "blazeface.bin",
      HUMAN_MODELS + "facemesh.json",
      HUMAN_MODELS + "facemesh.bin",
      HUMAN_MODELS + "antispoof.json",
      HUMAN_MODELS + "antispoof.bin",
      HUMAN_MODELS + "liveness.json",
      HUMAN_MODELS + "liveness.bin");

  private WebPages() {
  }

  /**
   * Mounts the vendor files and hides the npm folder and manifests. Call it before the
   * catch-all static handler for {@code mobileWebDir}.
   */
  public static void mount(Router router, Path mobileWebDir) {
    router.route("/node_modules/*").handler(ctx -> ctx.fail(404));
    router.getWithRegex("/package(-lock)?\\.json/?").handler(ctx -> ctx.fail(404));

    Path nodeModules = mobileWebDir.resolve("node_modules").toAbsolutePath();
    if (!Files.isDirectory(nodeModules)) {
      LOG.warn("{} is missing, so the phone pages cannot load their libraries; run npm ci in {}"
          + " (./yunqian run does it)", nodeModules, mobileWebDir.toAbsolutePath());
      router.route(VENDOR_PREFIX + "*").handler(ctx -> ctx.fail(404));
      return;
    }
    router.route(VENDOR_PREFIX + "*").handler(ctx -> {
      String relative = ctx.normalizedPath().substring(VENDOR_PREFIX.length());
      if (VENDOR_FILES.contains(relative)) {
        ctx.next();
      } else {
        ctx.fail(404);
      }
    });
    router.route(VENDOR_PREFIX + "*").handler(StaticHandler.create(FileSystemAccess.ROOT,
            nodeModules.toString())
        .setMaxAgeSeconds(24 * 3600));
  }
}
