package cn.yunqian.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Signs or rejects every corpus file the way the corpus README expects. */
class CorpusSigningTest {

  private static final long MAX_BYTES = 20L * 1024 * 1024;

  @TempDir
  Path work;

  @BeforeAll
  static void requireTools() {
    PdfTools.requireTools();
  }

  /** File, password, expected rejection (null to expect a signature), 1-based page or 0. */
  static Stream<Arguments> corpus() {
    return Stream.of(
        Arguments.of("plain-one-page.pdf", null, null, 0),
        Arguments.of("google-docs-export.pdf", null, null, 0),
        Arguments.of("four-pages-object-streams.pdf", null, null, 0),
        Arguments.of("hybrid-xref-30-pages.pdf", null, null, 0),
        Arguments.of("xref-streams.pdf", null, null, 0),
        Arguments.of("signed-pades-bb.pdf", null, null, 0),
        Arguments.of("signed-acroform.pdf", null, null, 0),
        Arguments.of("form-empty-signature-field-10-pages.pdf", null, null, 0),
        Arguments.of("form-invisible-signature-field.pdf", null, null, 0),
        Arguments.of("form-libreoffice.pdf", null, null, 0),
        Arguments.of("rotated-90-arabic.pdf", null, null, 0),
        Arguments.of("rotated-second-page.pdf", null, null, 1),
        Arguments.of("rotated-second-page.pdf", null, null, 2),
        Arguments.of("chinese-text-cjk-font.pdf", null, null, 0),
        Arguments.of("pdfa-unsigned.pdf", null, null, 0),
        Arguments.of("encrypted-password-user.pdf", null, ErrorCode.PDF_PASSWORD_REQUIRED, 0),
        Arguments.of("encrypted-password-user.pdf", "user", null, 0),
        Arguments.of("encrypted-password-openpassword.pdf", null,
            ErrorCode.PDF_PASSWORD_REQUIRED, 0),
        Arguments.of("encrypted-password-openpassword.pdf", "openpassword", null, 0),
        Arguments.of("pdf20-simple.pdf", null, null, 0),
        Arguments.of("damaged-stream.pdf", null, null, 0),
        Arguments.of("bad-xref-entry.pdf", null, ErrorCode.PDF_DAMAGED, 0),
        Arguments.of("truncated.pdf", null, ErrorCode.PDF_DAMAGED, 0),
        Arguments.of("plain-one-page-a4-wps.pdf", null, null, 0),
        Arguments.of("multipage-37-pages-pdf12-word.pdf", null, null, 1),
        Arguments.of("multipage-37-pages-pdf12-word.pdf", null, null, 37),
        Arguments.of("xref-stream-objstm-weasyprint.pdf", null, null, 0),
        Arguments.of("signed-one-pades-signature.pdf", null, null, 0),
        Arguments.of("form-empty-signature-field.pdf", null, null, 0),
        Arguments.of("rotated-90-landscape-table.pdf", null, null, 0),
        Arguments.of("chinese-report-22-pages-tables-simsun.pdf", null, null, 22),
        Arguments.of("chinese-report-22-pages-tables-simsun.pdf", null, null, 1),
        Arguments.of("chinese-contract-seal-line-small-cropbox.pdf", null, null, 0),
        Arguments.of("pdfa-3b-tagged-libreoffice.pdf", null, null, 0),
        Arguments.of("encrypted-aes256-empty-user-password.pdf", null, null, 0),
        Arguments.of("encrypted-aes128-user-password-asdfzxcv.pdf", null,
            ErrorCode.PDF_PASSWORD_REQUIRED, 0),
        Arguments.of("encrypted-aes128-user-password-asdfzxcv.pdf", "wrong",
            ErrorCode.PDF_PASSWORD_INCORRECT, 0),
        Arguments.of("encrypted-aes128-user-password-asdfzxcv.pdf", "asdfzxcv", null, 0),
        Arguments.of("pdf20-tagged-pdfua2.pdf", null, null, 0),
        Arguments.of("damaged-xref-offsets-crlf-stripped.pdf", null, ErrorCode.PDF_DAMAGED, 0),
        Arguments.of("damaged-trailing-nul-padding.pdf", null, ErrorCode.PDF_DAMAGED, 0),
        Arguments.of("truncated-fragment-no-catalog.pdf", null, ErrorCode.PDF_DAMAGED, 0));
  }

  @ParameterizedTest(name = "{0} password={1} expect={2} page={3}")
  @MethodSource("corpus")
  void corpusFileSignedOrRejected(String file, String password, ErrorCode rejection, int page)
      throws Exception {
    byte[] input = corpusBytes(file);
    if (rejection != null) {
      GatewayException error = assertThrows(GatewayException.class,
          () -> PdfDocumentCheck.check(input, password, MAX_BYTES));
      assertEquals(rejection, error.code(), file + ": " + error.getMessage());
      return;
    }
    CheckedPdf checked = PdfDocumentCheck.check(input, password, MAX_BYTES);
    int targetPage = page == 0 ? checked.pageCount() : page;
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    SignatureSpec spec = new SignatureSpec(new Placement.OnPage(targetPage, 20, 20, 150, 62),
        TestPki.signaturePng(), "王芳", Instant.parse("2026-12-04T02:30:00Z"), "评标", null);
    byte[] output = PadesSigner.sign(checked, spec, signer.contentSigner(), signer.chain());

    String label = file.replace(".pdf", "") + "-p" + targetPage;
    List<PdfTools.PdfsigSignature> signatures =
        SigningAssertions.assertGoodSignedOutput(label, input, output, password, work);
    PdfTools.PdfsigSignature added = signatures.get(signatures.size() - 1);
    assertNotNull(added.fieldName());
    // NOTE: on encrypted outputs pdfsig 22.12 prints "Not total document signed" although the
    // byte ranges end at the end of the file. The BC check above asserts the real coverage.
    if (!checked.encrypted()) {
      assertTrue(added.totalDocumentSigned(), label + ": pdfsig does not say total document");
    }
  }

  static byte[] corpusBytes(String file) throws IOException {
    try (InputStream in = CorpusSigningTest.class.getResourceAsStream("/corpus/" + file)) {
      assertNotNull(in, "corpus file missing from test resources: " + file);
      return in.readAllBytes();
    }
  }
}
