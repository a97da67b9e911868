package cn.yunqian.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.junit.jupiter.api.Test;

/** Rejections of {@link PdfDocumentCheck} on inputs built for one defect each. */
class PdfDocumentCheckTest {

  private static final long MAX_BYTES = 20L * 1024 * 1024;

  @Test
  void oversizedFileRejected() throws Exception {
    byte[] pdf = CorpusSigningTest.corpusBytes("plain-one-page.pdf");
    GatewayException error = assertThrows(GatewayException.class,
        () -> PdfDocumentCheck.check(pdf, null, pdf.length - 1));
    assertEquals(ErrorCode.PDF_TOO_LARGE, error.code());
  }

  @Test
  void nonPdfRejected() {
    byte[] png = TestPki.signaturePng();
    assertEquals(ErrorCode.NOT_A_PDF, codeOf(png));
    assertEquals(ErrorCode.NOT_A_PDF, codeOf(new byte[0]));
  }

  @Test
  void shiftedFileRejectedAsDamaged() throws Exception {
    byte[] pdf = CorpusSigningTest.corpusBytes("plain-one-page.pdf");
    byte[] prefixed = new byte[pdf.length + 100];
    Arrays.fill(prefixed, 0, 100, (byte) ' ');
    System.arraycopy(pdf, 0, prefixed, 100, pdf.length);
    // A shifted file has wrong xref offsets, so the header passes and the xref check fails.
    assertEquals(ErrorCode.PDF_DAMAGED, codeOf(prefixed));
  }

  @Test
  void tinyBrokenFilesRejectedQuickly() {
    String[] fragments = {"%PDF-1.7\n", "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF",
        "%PDF-1.7\nstartxref\n999999\n%%EOF\n", "%PDF-1.7\nxref\nstartxref\n9\n%%EOF\n"};
    for (String fragment : fragments) {
      byte[] bytes = fragment.getBytes(StandardCharsets.US_ASCII);
      assertTimeout(Duration.ofMillis(200), () ->
          assertEquals(ErrorCode.PDF_DAMAGED, codeOf(bytes), fragment));
    }
  }

  @Test
  void truncatedCorpusFileRejectedQuickly() throws Exception {
    byte[] pdf = CorpusSigningTest.corpusBytes("truncated.pdf");
    assertTimeout(Duration.ofMillis(200), () ->
        assertEquals(ErrorCode.PDF_DAMAGED, codeOf(pdf)));
  }

  @Test
  void garbageAfterEofRejected() throws Exception {
    byte[] pdf = CorpusSigningTest.corpusBytes("plain-one-page.pdf");
    byte[] padded = Arrays.copyOf(pdf, pdf.length + 16);
    GatewayException error = assertThrows(GatewayException.class,
        () -> PdfDocumentCheck.check(padded, null, MAX_BYTES));
    assertEquals(ErrorCode.PDF_DAMAGED, error.code());
    assertTrue(error.getMessage().contains("%%EOF"), error.getMessage());
  }

  @Test
  void noChangesCertificationRejected() throws Exception {
    assertEquals(ErrorCode.PDF_CERTIFIED_NO_CHANGES, codeOf(certified(1)));
    assertEquals(1, PdfDocumentCheck.check(certified(2), null, MAX_BYTES).pageCount());
  }

  /**
   * Returns a PDF whose catalog carries a DocMDP entry with permission {@code permission}.
   * Only the permission is read by the check, so the signature dictionary contains no CMS.
   */
  private static byte[] certified(int permission) throws Exception {
    try (PDDocument document = Loader.loadPDF(
        CorpusSigningTest.corpusBytes("plain-one-page.pdf"))) {
      COSDictionary params = new COSDictionary();
      params.setInt(COSName.P, permission);
      COSDictionary reference = new COSDictionary();
      reference.setItem(COSName.TRANSFORM_METHOD, COSName.DOCMDP);
      reference.setItem(COSName.TRANSFORM_PARAMS, params);
      COSArray references = new COSArray();
      references.add(reference);
      COSDictionary signature = new COSDictionary();
      signature.setItem(COSName.TYPE, COSName.SIG);
      signature.setItem(COSName.REFERENCE, references);
      COSDictionary perms = new COSDictionary();
      perms.setItem(COSName.DOCMDP, signature);
      document.getDocumentCatalog().getCOSObject().setItem(COSName.PERMS, perms);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      document.save(out);
      return out.toByteArray();
    }
  }

  private static ErrorCode codeOf(byte[] pdf) {
    return assertThrows(GatewayException.class,
        () -> PdfDocumentCheck.check(pdf, null, MAX_BYTES)).code();
  }
}
