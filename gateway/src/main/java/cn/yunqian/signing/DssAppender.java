package cn.yunqian.signing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;

/**
 * Adds a Document Security Store (ISO 32000-2, section 12.8.4.3) with certificates and CRLs to
 * a signed PDF, in an incremental update after the signature, as PAdES B-LT requires. The signed
 * bytes stay a prefix of the output, so the signature stays valid.
 */
public final class DssAppender {

  private static final COSName DSS = COSName.getPDFName("DSS");
  private static final COSName CERTS = COSName.getPDFName("Certs");
  private static final COSName CRLS = COSName.getPDFName("CRLs");

  private DssAppender() {}

  /**
   * Returns {@code signedPdf} with a /DSS dictionary appended that contains the given DER
   * certificates and CRLs. An existing /DSS is replaced by one that contains only these.
   *
   * @throws IOException if PDFBox cannot read the PDF or write the update
   */
  public static byte[] append(byte[] signedPdf, List<byte[]> certificates, List<byte[]> crls)
      throws IOException {
    try (PDDocument document = Loader.loadPDF(signedPdf)) {
      COSDictionary catalog = document.getDocumentCatalog().getCOSObject();
      COSDictionary dss = new COSDictionary();
      dss.setItem(CERTS, streams(document, certificates));
      dss.setItem(CRLS, streams(document, crls));
      dss.setDirect(false);
      catalog.setItem(DSS, dss);
      ByteArrayOutputStream out = new ByteArrayOutputStream(signedPdf.length + 8192);
      document.saveIncremental(out, Set.of(catalog, dss));
      return out.toByteArray();
    }
  }

  private static COSArray streams(PDDocument document, List<byte[]> items) throws IOException {
    COSArray array = new COSArray();
    for (byte[] der : items) {
      COSStream stream = document.getDocument().createCOSStream();
      try (OutputStream out = stream.createOutputStream()) {
        out.write(der);
      }
      stream.setDirect(false);
      array.add(stream);
    }
    return array;
  }
}
