package cn.yunqian.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Checks a signed output against its input with Bouncy Castle, pdfsig and qpdf. */
final class SigningAssertions {

  private SigningAssertions() {}

  /**
   * Asserts that {@code output} is {@code input} plus one valid signature that covers the whole
   * file, that earlier signatures keep their status and that qpdf finds no new problem.
   *
   * @return pdfsig's view of the output, for further checks
   */
  static List<PdfTools.PdfsigSignature> assertGoodSignedOutput(String label, byte[] input,
      byte[] output, String password, Path workDirectory) throws Exception {
    assertTrue(output.length > input.length, label + ": output is not longer than input");
    assertArrayEquals(input, Arrays.copyOf(output, input.length),
        label + ": input is not a byte prefix of the output");

    List<VerifiedSignature> before = SignatureVerifier.verify(input, password);
    List<VerifiedSignature> after = SignatureVerifier.verify(output, password);
    assertEquals(before.size() + 1, after.size(), label + ": signature count");
    for (int i = 0; i < before.size(); i++) {
      assertEquals(before.get(i).cryptographicallyValid(), after.get(i).cryptographicallyValid(),
          label + ": BC status of earlier signature " + before.get(i).fieldName());
    }
    VerifiedSignature added = after.get(after.size() - 1);
    assertTrue(added.cryptographicallyValid(), label + ": new signature fails in BC: "
        + added.failure());
    assertTrue(added.coversRevision(), label + ": new signature does not cover its revision");
    assertTrue(SignatureVerifier.lastCoversWholeDocument(after),
        label + ": last signature does not cover the whole file");

    Path inFile = workDirectory.resolve(label + "-in.pdf");
    Path outFile = workDirectory.resolve(label + "-out.pdf");
    // Kept under target/ for a look with a PDF viewer after the run.
    Path samples = Files.createDirectories(Path.of("target", "signing-samples"));
    Files.write(samples.resolve(label + ".pdf"), output);
    Files.write(inFile, input);
    Files.write(outFile, output);
    List<PdfTools.PdfsigSignature> pdfsigBefore = PdfTools.pdfsig(inFile, password);
    List<PdfTools.PdfsigSignature> pdfsigAfter = PdfTools.pdfsig(outFile, password);
    String pdfsigText = PdfTools.pdfsigOutput(outFile, password);
    assertEquals(pdfsigBefore.size() + 1, pdfsigAfter.size(),
        label + ": pdfsig signature count\n" + pdfsigText);
    for (int i = 0; i < pdfsigBefore.size(); i++) {
      assertEquals(pdfsigBefore.get(i).validation(), pdfsigAfter.get(i).validation(),
          label + ": pdfsig status of earlier signature " + pdfsigBefore.get(i).fieldName());
    }
    PdfTools.PdfsigSignature newest = pdfsigAfter.get(pdfsigAfter.size() - 1);
    assertTrue(newest.valid(), label + ": pdfsig rejects the new signature\n" + pdfsigText);

    List<String> newProblems = new ArrayList<>(PdfTools.qpdfProblems(outFile, password));
    newProblems.removeAll(PdfTools.qpdfProblems(inFile, password));
    assertEquals(List.of(), newProblems, label + ": qpdf --check reports new problems");
    return pdfsigAfter;
  }
}
