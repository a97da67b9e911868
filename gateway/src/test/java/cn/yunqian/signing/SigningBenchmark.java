package cn.yunqian.signing;

import static cn.yunqian.testing.TestGateway.join;

import cn.yunqian.app.DemoSigner;
import cn.yunqian.app.Gateway;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.signer.EnrolmentRequest;
import cn.yunqian.signer.Signer;
import cn.yunqian.testing.TestGateway;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput and latency of signing, printed as figures and as ratios against a baseline
 * measured in the same run: PAdES signing with a software key and no database (the PDF work
 * alone). Runs only with {@code ./yunqian bench}; it asserts nothing about speed.
 */
@Tag("benchmark")
class SigningBenchmark {

  private static final int WARM_UP = 200;
  private static final int MEASURED = 1000;
  private static final int CONCURRENCY = 4;
  private static final char[] PIN = "250913".toCharArray();

  @Test
  void printSigningFigures() throws Exception {
    byte[] pdf = TestGateway.corpusFile("plain-one-page.pdf");
    Placement placement = new Placement.OnPage(1, 36, 36, 150, 62);
    byte[] image = new DemoSigner().signatureImage();

    TestPki.Signer software = TestPki.INSTANCE.ecSigner("基准");
    Figures baseline = measure("software key, no database (baseline)", 1, () -> {
      CheckedPdf checked = PdfDocumentCheck.check(pdf, null, 20L << 20);
      return PadesSigner.sign(checked, new SignatureSpec(placement, image, "基准",
          Instant.now(), null, null), software.contentSigner(), software.chain());
    });

    GatewayConfig config = TestGateway.config("bench", Map.of());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Gateway.newVertx(registry);
    Gateway.Services services = join(Gateway.openServices(vertx, config, registry));
    try {
      List<Signer> signers = new ArrayList<>();
      for (int i = 0; i < CONCURRENCY; i++) {
        signers.add(enrol(services, i));
      }
      Figures hsm = measure("SoftHSM2 token per signer, PIN counted in PostgreSQL", 1,
          () -> join(services.signing().sign(request(signers.get(0), pdf, placement))));
      Figures parallel = measure(CONCURRENCY + " signers in parallel", CONCURRENCY, () -> {
        List<Future<SignedDocument>> batch = new ArrayList<>();
        for (Signer signer : signers) {
          batch.add(services.signing().sign(request(signer, pdf, placement)));
        }
        return join(Future.all(batch));
      });
      System.out.println();
      System.out.println("Signing benchmark (" + MEASURED + " operations after " + WARM_UP
          + " warm-up, input " + pdf.length + " bytes, visible stamp, EC P-256, "
          + Runtime.getRuntime().availableProcessors() + " cores)");
      for (Figures figures : List.of(baseline, hsm, parallel)) {
        System.out.println(figures.describe(baseline));
      }
    } finally {
      services.database().close();
      join(vertx.close());
    }
  }

  private static Signer enrol(Gateway.Services services, int index) {
    DemoSigner demo = new DemoSigner();
    String idNumber = demo.idNumber();
    return join(services.enrolment().enrol(new EnrolmentRequest("基准" + "甲乙丙丁".charAt(index),
        idNumber,
        "EXPERT", PIN.clone(), demo.signatureImage(), KeyAlgorithm.EC_P256, "bench")));
  }

  private static SigningRequest request(Signer signer, byte[] pdf, Placement placement) {
    return new SigningRequest(signer.id(), PIN.clone(), pdf, null, placement, "bench");
  }

  /** Runs {@code operation} repeatedly; each call signs {@code docsPerCall} documents. */
  private static Figures measure(String label, int docsPerCall, Callable<?> operation)
      throws Exception {
    for (int i = 0; i < WARM_UP / docsPerCall; i++) {
      operation.call();
    }
    int calls = MEASURED / docsPerCall;
    long[] latencies = new long[calls];
    long started = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      long t0 = System.nanoTime();
      operation.call();
      latencies[i] = System.nanoTime() - t0;
    }
    long elapsed = System.nanoTime() - started;
    Arrays.sort(latencies);
    return new Figures(label, calls * docsPerCall * 1e9 / elapsed, percentile(latencies, 50),
        percentile(latencies, 95), percentile(latencies, 99));
  }

  private static double percentile(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }

  private record Figures(String label, double docsPerSecond, double p50Millis,
      double p95Millis, double p99Millis) {

    String describe(Figures baseline) {
      return String.format(Locale.ROOT,
          "  %-55s %8.1f docs/s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  x%.2f of baseline",
          label, docsPerSecond, p50Millis, p95Millis, p99Millis,
          docsPerSecond / baseline.docsPerSecond);
    }
  }
}
