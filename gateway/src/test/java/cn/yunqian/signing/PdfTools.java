package cn.yunqian.signing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.X509CertificateHolder;

/** Runs poppler's pdfsig and pdffonts, qpdf and certutil as external processes for tests. */
public final class PdfTools {

  /** One signature as pdfsig prints it. */
  public record PdfsigSignature(String fieldName, boolean valid, boolean totalDocumentSigned,
      String validation) {}

  private static Path nssDirectory;

  private PdfTools() {}

  public static void requireTools() {
    for (String tool : List.of("pdfsig", "qpdf", "certutil", "pdffonts")) {
      boolean found = false;
      for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
        found |= Files.isExecutable(Path.of(dir, tool));
      }
      if (!found) {
        fail(tool + " is not installed; run ./yunqian test, which installs poppler-utils, qpdf "
            + "and libnss3-tools");
      }
    }
  }

  /** Returns an NSS database that trusts the test CA, created once per JVM. */
  static synchronized Path nssDirectory() throws IOException, InterruptedException {
    if (nssDirectory == null) {
      Path dir = Files.createTempDirectory("yunqian-nss");
      run(List.of("certutil", "-N", "--empty-password", "-d", "sql:" + dir));
      Path ca = dir.resolve("ca.der");
      X509CertificateHolder caCertificate = TestPki.INSTANCE.caCertificate;
      Files.write(ca, caCertificate.getEncoded());
      run(List.of("certutil", "-A", "-n", "yunqian-test-ca", "-t", "C,C,C", "-i", ca.toString(),
          "-d", "sql:" + dir));
      nssDirectory = dir;
    }
    return nssDirectory;
  }

  public static String pdfsigOutput(Path pdf, String password) throws IOException,
      InterruptedException {
    List<String> command = new ArrayList<>(List.of("pdfsig", "-nssdir",
        "sql:" + nssDirectory(), "-no-ocsp"));
    if (password != null) {
      command.add("-upw");
      command.add(password);
    }
    command.add(pdf.toString());
    return run(command);
  }

  public static List<PdfsigSignature> pdfsig(Path pdf, String password) throws IOException,
      InterruptedException {
    String output = pdfsigOutput(pdf, password);
    List<PdfsigSignature> signatures = new ArrayList<>();
    String[] blocks = output.split("Signature #\\d+:");
    for (int i = 1; i < blocks.length; i++) {
      String block = blocks[i];
      if (!block.contains("Signature Validation:")) {
        continue; // an empty signature field, which pdfsig lists as "not signed"
      }
      Matcher name = Pattern.compile("Signature Field Name: (.*)").matcher(block);
      Matcher validation = Pattern.compile("Signature Validation: (.*)").matcher(block);
      String status = validation.find() ? validation.group(1).trim() : "";
      signatures.add(new PdfsigSignature(name.find() ? name.group(1).trim() : "",
          status.startsWith("Signature is Valid"),
          block.contains("- Total document signed"), status));
    }
    return signatures;
  }

  /** Returns qpdf --check's error and warning lines, with file-specific numbers kept. */
  public static List<String> qpdfProblems(Path pdf, String password) throws IOException,
      InterruptedException {
    List<String> command = new ArrayList<>(List.of("qpdf", "--check"));
    if (password != null) {
      command.add("--password=" + password);
    }
    command.add(pdf.toString());
    List<String> problems = new ArrayList<>();
    for (String line : run(command).split("\n")) {
      String lower = line.toLowerCase();
      // qpdf's clean verdict wraps over two lines and mentions "errors" in both.
      if (line.startsWith("No syntax or stream encoding errors found")
          || line.startsWith("errors that qpdf cannot detect")) {
        continue;
      }
      if (lower.contains("error") || lower.contains("warning") || lower.contains("damaged")) {
        problems.add(line.replace(pdf.toString(), "FILE"));
      }
    }
    return problems;
  }

  /**
   * Adds {@code ca} as a trusted issuer to the NSS database that pdfsig uses, for tests whose
   * certificates come from another CA than the test PKI (the gateway's own CA, say).
   */
  public static synchronized void trust(X509CertificateHolder ca, String nickname)
      throws IOException, InterruptedException {
    Path dir = nssDirectory();
    Path file = dir.resolve(nickname + ".der");
    Files.write(file, ca.getEncoded());
    run(List.of("certutil", "-A", "-n", nickname, "-t", "C,C,C", "-i", file.toString(),
        "-d", "sql:" + dir));
  }

  /**
   * Runs pdfsig with its certificate checks as they are by default. With {@code -no-ocsp},
   * pdfsig 22.12 reports "Unknown issue with Certificate" even for a trusted chain, so this
   * variant leaves the flag off. Use it only for certificates without an OCSP address (ours),
   * so that pdfsig has nowhere to connect to.
   */
  public static String pdfsigWithCertificateCheck(Path pdf) throws IOException,
      InterruptedException {
    return run(List.of("pdfsig", "-nssdir", "sql:" + nssDirectory(), pdf.toString()));
  }

  static String pdffonts(Path pdf, String password) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("pdffonts"));
    if (password != null) {
      command.add("-upw");
      command.add(password);
    }
    command.add(pdf.toString());
    return run(command);
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(command.get(0) + " timed out");
    }
    return output;
  }
}
