package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;

/** Keyword look-up for callers that choose a placement before signing. */
public final class PdfKeywords {

  private PdfKeywords() {
  }

  /**
   * Returns whether {@code keyword} occurs in the page text, matched as the signer's keyword
   * placement matches it. CPU-bound; call it on a worker thread.
   */
  public static boolean contains(CheckedPdf pdf, String keyword) {
    try (PDDocument document = Loader.loadPDF(pdf.bytes(),
        pdf.password() == null ? "" : pdf.password())) {
      return KeywordLocator.find(document, keyword) != null;
    } catch (IOException e) {
      throw new GatewayException(ErrorCode.PDF_DAMAGED,
          "The PDF text could not be read: " + e.getMessage(), e);
    }
  }
}
