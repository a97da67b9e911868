package cn.yunqian.app;

import cn.yunqian.GatewayException;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.signer.EnrolmentRequest;
import cn.yunqian.signer.Signer;
import cn.yunqian.signing.CheckedPdf;
import cn.yunqian.signing.PdfDocumentCheck;
import cn.yunqian.signing.PdfKeywords;
import cn.yunqian.signing.Placement;
import cn.yunqian.signing.SignedDocument;
import cn.yunqian.signing.SigningRequest;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * {@code ./yunqian demo FILE.pdf...}: enrols a made-up signer with a key in its own SoftHSM2
 * token and signs each file with a visible PAdES signature, beside the keyword
 * {@value #KEYWORD} when the file has it, else in the lower left corner of the last page.
 * The demo keeps its own embedded database, so it runs while the gateway is running too.
 */
public final class Demo {

  static final String KEYWORD = "评标委员会成员签字";
  private static final int DEMO_PG_PORT_OFFSET = 1;

  private Demo() {
  }

  /**
   * Runs the demo and returns the process exit status: 0 when every file was signed, 1 when
   * some file was not, 2 for a usage error.
   */
  public static int run(GatewayConfig config, String[] args, PrintStream out, PrintStream err) {
    Arguments arguments;
    try {
      arguments = Arguments.parse(args);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println("Usage: ./yunqian demo [--out DIR] [--password PASSWORD] FILE.pdf...");
      return 2;
    }
    GatewayConfig demoConfig = config.withEmbeddedPg(config.dataDir().resolve("demo-pg"),
        config.embeddedPgPort() + DEMO_PG_PORT_OFFSET);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Gateway.newVertx(registry);
    try {
      Gateway.Services services = join(Gateway.openServices(vertx, demoConfig, registry));
      try {
        return signAll(services, arguments, out, err);
      } finally {
        services.database().close();
      }
    } catch (RuntimeException e) {
      err.println("The demo could not start: " + rootMessage(e));
      return 1;
    } finally {
      join(vertx.close());
    }
  }

  private static int signAll(Gateway.Services services, Arguments arguments, PrintStream out,
      PrintStream err) {
    DemoSigner demo = new DemoSigner();
    String idNumber = demo.idNumber();
    char[] pin = demo.pin(ResidentIdNumber.parse(idNumber));
    Signer signer = join(services.enrolment().enrol(new EnrolmentRequest(demo.name(), idNumber,
        "EXPERT", pin.clone(), demo.signatureImage(), KeyAlgorithm.EC_P256, "demo")));
    out.println("Enrolled demo signer " + signer.displayName() + " (ID " + signer.idNumberMasked()
        + ", id " + signer.id() + ")");
    int failures = 0;
    for (Path file : arguments.files()) {
      try {
        Path target = signOne(services, signer, pin, file, arguments);
        out.println(file + ": signed -> " + target);
      } catch (RuntimeException | IOException e) {
        failures++;
        err.println(file + ": " + rootMessage(e));
      }
    }
    Arrays.fill(pin, '\0');
    return failures == 0 ? 0 : 1;
  }

  private static Path signOne(Gateway.Services services, Signer signer, char[] pin, Path file,
      Arguments arguments) throws IOException {
    byte[] pdf = Files.readAllBytes(file);
    Placement placement = placementFor(services, pdf, arguments.password());
    SignedDocument signed = join(services.signing().sign(new SigningRequest(signer.id(),
        pin.clone(), pdf, arguments.password(), placement, "demo")));
    Path target = outputPath(file, arguments.outDir());
    Files.write(target, signed.pdf());
    return target;
  }

  /**
   * Uses the keyword when the file has it, else the lower left corner of the last page. The
   * check here only counts pages; the signing service checks the file again in full.
   */
  private static Placement placementFor(Gateway.Services services, byte[] pdf, String password) {
    CheckedPdf checked = PdfDocumentCheck.check(pdf, password, services.config().maxPdfBytes());
    if (PdfKeywords.contains(checked, KEYWORD)) {
      return new Placement.NearKeyword(KEYWORD);
    }
    return new Placement.OnPage(checked.pageCount(), 36f, 36f, 150f, 62f);
  }

  private static Path outputPath(Path file, Path outDir) throws IOException {
    String name = file.getFileName().toString();
    String stem = name.toLowerCase().endsWith(".pdf") ? name.substring(0, name.length() - 4)
        : name;
    Path dir = outDir != null ? outDir : file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    return dir.resolve(stem + ".signed.pdf");
  }

  private static <T> T join(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof GatewayException gatewayException) {
      return gatewayException.code() + ": " + gatewayException.reason();
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /** Parsed command line. */
  record Arguments(List<Path> files, Path outDir, String password) {

    static Arguments parse(String[] args) {
      List<Path> files = new ArrayList<>();
      Path outDir = null;
      String password = null;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--out" -> outDir = Path.of(value(args, ++i, "--out"));
          case "--password" -> password = value(args, ++i, "--password");
          default -> {
            if (args[i].startsWith("--")) {
              throw new IllegalArgumentException("Unknown option " + args[i]);
            }
            files.add(Path.of(args[i]));
          }
        }
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException("No PDF files given");
      }
      return new Arguments(files, outDir, password);
    }

    private static String value(String[] args, int index, String option) {
      if (index >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[index];
    }
  }
}
