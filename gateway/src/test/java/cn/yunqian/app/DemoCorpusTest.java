package cn.yunqian.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.signing.PdfTools;
import cn.yunqian.signing.SignatureVerifier;
import cn.yunqian.signing.VerifiedSignature;
import cn.yunqian.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./yunqian demo} in-process over every corpus PDF, against real SoftHSM2 and
 * PostgreSQL, and checks each file's outcome against what a good signer does with it.
 */
class DemoCorpusTest {

  /** Files a good signer rejects without a password, with the code it gives. */
  private static final Map<String, String> REJECTED = Map.of(
      "bad-xref-entry.pdf", "PDF_DAMAGED",
      "damaged-trailing-nul-padding.pdf", "PDF_DAMAGED",
      "damaged-xref-offsets-crlf-stripped.pdf", "PDF_DAMAGED",
      "truncated.pdf", "PDF_DAMAGED",
      "truncated-fragment-no-catalog.pdf", "PDF_DAMAGED",
      "encrypted-password-user.pdf", "PDF_PASSWORD_REQUIRED",
      "encrypted-password-openpassword.pdf", "PDF_PASSWORD_REQUIRED",
      "encrypted-aes128-user-password-asdfzxcv.pdf", "PDF_PASSWORD_REQUIRED");

  private static Path corpus;

  @TempDir
  Path out;

  @BeforeAll
  static void findCorpus() throws Exception {
    PdfTools.requireTools();
    corpus = Path.of(DemoCorpusTest.class.getResource("/corpus").toURI());
  }

  @Test
  void signsOrRejectsEveryCorpusFile() throws Exception {
    List<Path> files;
    try (Stream<Path> listing = Files.list(corpus)) {
      files = listing.filter(file -> file.toString().endsWith(".pdf")).sorted().toList();
    }
    assertEquals(35, files.size(), "corpus files");
    GatewayConfig config = TestGateway.config("demo", Map.of());
    Result result = runDemo(config, files.stream().map(Path::toString).toArray(String[]::new));

    assertEquals(1, result.exitCode(), "exit status with rejected files\n" + result.err());
    assertTrue(result.out().contains("Enrolled demo signer"), result.out());
    PdfTools.trust(caCertificate(config), "demo-test-ca-" + System.nanoTime());
    for (Path file : files) {
      String name = file.getFileName().toString();
      Path signed = out.resolve(name.replace(".pdf", ".signed.pdf"));
      String expectedCode = REJECTED.get(name);
      if (expectedCode != null) {
        assertTrue(result.err().contains(file + ": " + expectedCode + ": "),
            name + " should be rejected with " + expectedCode + "\n" + result.err());
        assertFalse(Files.exists(signed), name + " must not produce output");
      } else {
        assertTrue(result.out().contains(file + ": signed -> " + signed),
            name + " should be signed\n" + result.out() + result.err());
        assertValidDemoSignature(file, signed, null);
      }
    }
  }

  @Test
  void signsEncryptedFileWithPassword() throws Exception {
    GatewayConfig config = TestGateway.config("demo-password", Map.of());
    Path file = corpus.resolve("encrypted-aes128-user-password-asdfzxcv.pdf");
    Result wrong = runDemo(config, "--password", "wrong", file.toString());
    assertEquals(1, wrong.exitCode());
    assertTrue(wrong.err().contains("PDF_PASSWORD_INCORRECT"), wrong.err());

    Result right = runDemo(config, "--password", "asdfzxcv", file.toString());
    assertEquals(0, right.exitCode(), right.err());
    Path signed = out.resolve("encrypted-aes128-user-password-asdfzxcv.signed.pdf");
    List<VerifiedSignature> signatures = SignatureVerifier.verify(Files.readAllBytes(signed),
        "asdfzxcv");
    assertTrue(signatures.get(signatures.size() - 1).cryptographicallyValid());
    assertTrue(SignatureVerifier.lastCoversWholeDocument(signatures));
    String pdfsig = PdfTools.pdfsigOutput(signed, "asdfzxcv");
    assertTrue(pdfsig.contains("Signature is Valid"), pdfsig);
    assertTrue(PdfTools.pdfsigOutput(signed, null).contains("Incorrect password")
        || !PdfTools.pdfsigOutput(signed, null).contains("Signature is Valid"),
        "the output must still need its password");
  }

  @Test
  void rejectsUsageErrors() {
    GatewayConfig config = TestGateway.config("demo-usage", Map.of());
    assertEquals(2, runDemo(config).exitCode());
    assertEquals(2, runDemo(config, "--colour", "x.pdf").exitCode());
    assertEquals(2, Demo.run(config, new String[] {"--out"}, System.out, System.err));
  }

  private void assertValidDemoSignature(Path input, Path signed, String password)
      throws Exception {
    byte[] in = Files.readAllBytes(input);
    byte[] output = Files.readAllBytes(signed);
    String name = input.getFileName().toString();
    assertArrayEquals(in, Arrays.copyOf(output, in.length), name + ": input is not a prefix");
    List<VerifiedSignature> signatures = SignatureVerifier.verify(output, password);
    VerifiedSignature last = signatures.get(signatures.size() - 1);
    assertTrue(last.cryptographicallyValid(), name + ": " + last.failure());
    assertTrue(SignatureVerifier.lastCoversWholeDocument(signatures), name);

    List<PdfTools.PdfsigSignature> pdfsig = PdfTools.pdfsig(signed, password);
    PdfTools.PdfsigSignature newest = pdfsig.get(pdfsig.size() - 1);
    String text = PdfTools.pdfsigOutput(signed, password);
    assertTrue(newest.valid(), name + "\n" + text);
    if (!name.startsWith("encrypted")) {
      // pdfsig 22.12 prints "Not total document signed" for every encrypted file even when
      // the byte ranges end at the end of the file; SignatureVerifier checked coverage above.
      assertTrue(newest.totalDocumentSigned(), name + "\n" + text);
      String checked = PdfTools.pdfsigWithCertificateCheck(signed);
      assertTrue(checked.contains("Certificate is Trusted"), name + "\n" + checked);
    }
  }

  private Result runDemo(GatewayConfig config, String... args) {
    String[] withOut = Stream.concat(Stream.of("--out", out.toString()), Arrays.stream(args))
        .toArray(String[]::new);
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exit = Demo.run(config, args.length == 0 ? new String[0] : withOut,
        new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    return new Result(exit, stdout.toString(StandardCharsets.UTF_8),
        stderr.toString(StandardCharsets.UTF_8));
  }

  private static X509CertificateHolder caCertificate(GatewayConfig config) throws Exception {
    String pem = Files.readString(config.dataDir().resolve("ca-certificate.pem"));
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return new X509CertificateHolder(java.util.Base64.getDecoder().decode(base64));
  }

  private record Result(int exitCode, String out, String err) {
  }
}
