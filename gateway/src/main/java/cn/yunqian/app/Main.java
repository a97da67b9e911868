package cn.yunqian.app;

import cn.yunqian.enrolment.EnrolmentLinks;
import cn.yunqian.enrolment.QrCodes;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Command-line entry point: {@code run} starts the gateway, {@code demo} signs files. */
public final class Main {

  /** Preset and organisation of the enrolment link printed at start, for a first try. */
  private static final String WELCOME_PRESET = "phone-first";
  private static final String WELCOME_ORGANISATION = "演示评标机构";

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    switch (command) {
      case "run" -> run();
      case "demo" -> System.exit(Demo.run(GatewayConfig.fromEnvironment(System.getenv()), rest,
          System.out, System.err));
      default -> {
        System.err.println("Unknown command '" + command + "'; expected run or demo");
        System.exit(2);
      }
    }
  }

  private static void run() throws InterruptedException {
    GatewayConfig config = GatewayConfig.fromEnvironment(System.getenv());
    Gateway gateway;
    try {
      gateway = Gateway.start(config).toCompletionStage().toCompletableFuture().join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof cn.yunqian.GatewayException expected) {
        // The reason names the problem (for example every problem of the HSM check), so the
        // stack trace goes to DEBUG only.
        LOG.error("The gateway failed to start: {}", expected.getMessage());
        LOG.debug("Start-up failure", e);
      } else if (cause instanceof java.net.BindException) {
        LOG.error("The gateway failed to start: {}:{} is already in use; set YUNQIAN_HTTP_PORT"
            + " (or YUNQIAN_HTTP_HOST) to a free one", config.httpHost(), config.httpPort());
      } else {
        LOG.error("The gateway failed to start", e);
      }
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      stopped.countDown();
    }, "yunqian-shutdown"));
    printWelcome(config, gateway);
    stopped.await();
  }

  private static void printWelcome(GatewayConfig config, Gateway gateway) {
    String base = System.getenv().getOrDefault("YUNQIAN_PUBLIC_BASE_URL", "http://"
        + ("0.0.0.0".equals(config.httpHost()) ? "localhost" : config.httpHost()) + ":"
        + gateway.port()).replaceAll("/+$", "");
    String code = gateway.enrolmentModule().links()
        .createCode(WELCOME_PRESET, WELCOME_ORGANISATION, 72, "system")
        .toCompletionStage().toCompletableFuture().join();
    String enrolUrl = EnrolmentLinks.phoneUrl(base, code);
    PrintStream out = System.out;
    out.println();
    out.println("Yunqian gateway is running.");
    out.println("  Phone enrolment (" + WELCOME_PRESET + ", valid 72 h): " + enrolUrl);
    out.print(QrCodes.terminal(enrolUrl));
    out.println("  Reviewer page: " + base + "/review/index.html (token in "
        + config.dataDir().resolve("secrets/reviewer-api.token") + ")");
    out.println("  Health:        " + base + "/health");
    out.println("  Metrics:       " + base + "/metrics");
    out.println("  Signing API:   POST " + base + "/api/v1/signatures (token in "
        + config.dataDir().resolve("secrets/client-api.token") + ")");
    out.println("  Enrolment API: POST " + base + "/api/v1/signers (token in "
        + config.dataDir().resolve("secrets/officer-api.token") + ")");
    if ("127.0.0.1".equals(config.httpHost())) {
      out.println("  A phone reaches the gateway only with YUNQIAN_HTTP_HOST=0.0.0.0 and"
          + " YUNQIAN_PUBLIC_BASE_URL=http://<this machine's address>:" + gateway.port());
    }
    out.println("Press Ctrl-C to stop.");
  }

}
