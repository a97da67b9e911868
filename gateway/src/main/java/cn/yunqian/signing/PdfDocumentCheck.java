package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentCatalog;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an uploaded PDF before any HSM use, so that a file that cannot be signed never
 * consumes a PIN try.
 */
public final class PdfDocumentCheck {

  /** Most pages a signed PDF may have; evaluation reports run to a few hundred. */
  static final int MAX_PAGES = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(PdfDocumentCheck.class);

  /** Readers accept the {@code %PDF-} header anywhere in the first 1024 bytes. */
  private static final int HEADER_WINDOW = 1024;

  private PdfDocumentCheck() {}

  /**
   * Checks that {@code pdf} can take a further signature as an incremental update.
   * CPU-bound, so call it on a worker thread; a small damaged file is rejected before PDFBox
   * parses it.
   *
   * @param pdf the uploaded bytes, not modified
   * @param passwordOrNull the user password, or null to try the empty password only
   * @param maxBytes the maximum accepted size in bytes
   * @return the checked document, which {@link PadesSigner#sign} accepts
   * @throws GatewayException with PDF_TOO_LARGE, NOT_A_PDF, PDF_DAMAGED, PDF_PASSWORD_REQUIRED,
   *     PDF_PASSWORD_INCORRECT or PDF_CERTIFIED_NO_CHANGES
   */
  public static CheckedPdf check(byte[] pdf, String passwordOrNull, long maxBytes) {
    if (pdf.length > maxBytes) {
      throw new GatewayException(ErrorCode.PDF_TOO_LARGE, "The PDF has " + pdf.length
          + " bytes, more than the maximum of " + maxBytes + " bytes.");
    }
    if (!hasHeader(pdf)) {
      throw new GatewayException(ErrorCode.NOT_A_PDF,
          "The file is not a PDF: no %PDF- header in its first " + HEADER_WINDOW + " bytes.");
    }
    XrefStructureCheck.Summary summary = XrefStructureCheck.verify(pdf);

    try (PDDocument document = load(pdf, passwordOrNull)) {
      PDDocumentCatalog catalog = document.getDocumentCatalog();
      if (catalog == null || catalog.getCOSObject().getCOSDictionary(COSName.PAGES) == null) {
        throw new GatewayException(ErrorCode.PDF_DAMAGED,
            "The PDF is damaged: its document catalog or page tree is missing.");
      }
      int pageCount = countPages(catalog.getCOSObject().getCOSDictionary(COSName.PAGES));
      if (pageCount < 1) {
        throw new GatewayException(ErrorCode.PDF_DAMAGED, "The PDF has no pages.");
      }
      rejectNoChangesCertification(catalog);
      boolean encrypted = document.isEncrypted() || summary.encrypted();
      return new CheckedPdf(pdf, passwordOrNull, encrypted, pageCount);
    } catch (RuntimeException e) {
      if (e instanceof GatewayException gatewayException) {
        throw gatewayException;
      }
      throw new GatewayException(ErrorCode.PDF_DAMAGED,
          "The PDF is damaged: " + e.getMessage(), e);
    } catch (IOException e) {
      LOG.warn("PDF of {} bytes failed to close after the check", pdf.length, e);
      throw new GatewayException(ErrorCode.PDF_DAMAGED,
          "The PDF is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * Walks the page tree and returns the number of leaf pages. PDFBox trusts /Count, so a tree
   * that claims two billion pages, or whose /Kids loop back, would later keep a worker busy
   * for minutes in page look-ups and text extraction; both are rejected here instead.
   */
  static int countPages(COSDictionary root) {
    Set<COSDictionary> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<COSDictionary> pending = new ArrayDeque<>();
    pending.push(root);
    int leaves = 0;
    while (!pending.isEmpty()) {
      COSDictionary node = pending.pop();
      if (!visited.add(node)) {
        throw new GatewayException(ErrorCode.PDF_DAMAGED,
            "The PDF is damaged: its page tree refers back to itself.");
      }
      COSArray kids = node.getCOSArray(COSName.KIDS);
      if (kids == null || COSName.PAGE.equals(node.getCOSName(COSName.TYPE))) {
        leaves++;
        if (leaves > MAX_PAGES) {
          throw new GatewayException(ErrorCode.PDF_UNSUPPORTED,
              "The PDF has more than " + MAX_PAGES + " pages, the most the gateway signs.");
        }
        continue;
      }
      for (int i = kids.size() - 1; i >= 0; i--) {
        if (kids.getObject(i) instanceof COSDictionary kid) {
          pending.push(kid);
        }
      }
    }
    int declared = root.getInt(COSName.COUNT, -1);
    if (declared != leaves) {
      throw new GatewayException(ErrorCode.PDF_DAMAGED, "The PDF is damaged: its page tree"
          + " declares " + declared + " pages but holds " + leaves + ".");
    }
    return leaves;
  }

  private static PDDocument load(byte[] pdf, String passwordOrNull) {
    try {
      return Loader.loadPDF(pdf, passwordOrNull == null ? "" : passwordOrNull);
    } catch (InvalidPasswordException e) {
      if (passwordOrNull == null) {
        throw new GatewayException(ErrorCode.PDF_PASSWORD_REQUIRED,
            "The PDF is encrypted; send its password to sign it.");
      }
      throw new GatewayException(ErrorCode.PDF_PASSWORD_INCORRECT,
          "The password does not open the PDF.");
    } catch (IOException | RuntimeException e) {
      throw new GatewayException(ErrorCode.PDF_DAMAGED,
          "The PDF is damaged and cannot be parsed: " + e.getMessage(), e);
    }
  }

  private static boolean hasHeader(byte[] pdf) {
    byte[] header = "%PDF-".getBytes(StandardCharsets.US_ASCII);
    int last = Math.min(pdf.length, HEADER_WINDOW) - header.length;
    for (int i = 0; i <= last; i++) {
      int j = 0;
      while (j < header.length && pdf[i + j] == header[j]) {
        j++;
      }
      if (j == header.length) {
        return true;
      }
    }
    return false;
  }

  /**
   * Rejects a certified document whose DocMDP transform sets P=1, because any further change,
   * a new signature included, invalidates its certification (ISO 32000-1, 12.8.2.2).
   */
  private static void rejectNoChangesCertification(PDDocumentCatalog catalog) {
    COSDictionary perms = catalog.getCOSObject().getCOSDictionary(COSName.PERMS);
    COSDictionary docMdp = perms == null ? null : perms.getCOSDictionary(COSName.DOCMDP);
    COSArray references = docMdp == null ? null : docMdp.getCOSArray(COSName.REFERENCE);
    if (references == null) {
      return;
    }
    for (int i = 0; i < references.size(); i++) {
      COSBase entry = references.getObject(i);
      if (!(entry instanceof COSDictionary reference)
          || !COSName.DOCMDP.equals(reference.getCOSName(COSName.TRANSFORM_METHOD))) {
        continue;
      }
      COSDictionary params = reference.getCOSDictionary(COSName.TRANSFORM_PARAMS);
      int permission = params == null ? 2 : params.getInt(COSName.P, 2);
      if (permission == 1) {
        throw new GatewayException(ErrorCode.PDF_CERTIFIED_NO_CHANGES,
            "The PDF is certified with DocMDP permission 1, which forbids any change, "
                + "so it cannot take another signature.");
      }
    }
  }
}
