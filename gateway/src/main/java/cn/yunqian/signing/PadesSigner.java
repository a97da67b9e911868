package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TimeZone;
import java.util.function.Supplier;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationWidget;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAppearanceDictionary;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.ExternalSigningSupport;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDField;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds a visible PAdES baseline B signature (ETSI.CAdES.detached) to a checked PDF as an
 * incremental update, so the input stays a byte prefix of the output and earlier signatures
 * stay valid.
 */
public final class PadesSigner {

  private static final Logger LOG = LoggerFactory.getLogger(PadesSigner.class);

  /**
   * Bytes reserved for the CMS in /Contents (written as twice as many hex digits). A B-B CMS
   * with a three-certificate EC chain measured about 1.6 KB and an RSA-2048 one about 2.5 KB.
   */
  static final int CONTENTS_SIZE = 8192;

  private PadesSigner() {}

  /**
   * Signs {@code pdf} once. CPU-bound, so call it on a worker thread; {@code contentSigner} is
   * called exactly once, after every placement and image check has passed.
   *
   * @param contentSigner signs the DER-encoded signed attributes; its algorithm identifier
   *     becomes the signature algorithm. Runtime exceptions it throws propagate unchanged.
   * @param chain the signer certificate first, then its issuers; all go into the CMS
   * @return the signed PDF, whose prefix is {@code pdf.bytes()}
   * @throws GatewayException PAGE_OUT_OF_RANGE, PLACEMENT_INVALID, KEYWORD_NOT_FOUND,
   *     SIGNATURE_FIELD_NOT_FOUND, IMAGE_INVALID, NAME_INVALID, or INTERNAL_ERROR when the
   *     CMS does not fit the reserved space or PDFBox fails to write the update
   */
  public static byte[] sign(CheckedPdf pdf, SignatureSpec spec, ContentSigner contentSigner,
      List<X509CertificateHolder> chain) {
    return sign(pdf, spec, () -> contentSigner, chain);
  }

  /**
   * Signs {@code pdf} once, asking {@code contentSigners} for the signer only after the
   * placement, the appearance and the incremental update are ready. A caller whose signer
   * needs a PIN thus logs in to the HSM only for the CMS step, and a file that fails a
   * placement check never costs a PIN try.
   *
   * @param contentSigners called at most once; exceptions it throws propagate unchanged
   */
  public static byte[] sign(CheckedPdf pdf, SignatureSpec spec,
      Supplier<ContentSigner> contentSigners, List<X509CertificateHolder> chain) {
    if (chain == null || chain.isEmpty()) {
      throw new IllegalArgumentException("The certificate chain must hold the signer certificate");
    }
    try (PDDocument document = Loader.loadPDF(pdf.bytes(),
        pdf.password() == null ? "" : pdf.password())) {
      return sign(document, pdf.bytes().length, spec, contentSigners, chain);
    } catch (SignerFailure e) {
      throw e.getCause();
    } catch (IllegalStateException | IllegalArgumentException e) {
      // PDFBox reports some broken structures (a page tree that loops, say) this way.
      throw new GatewayException(ErrorCode.PDF_DAMAGED,
          "The PDF is damaged: " + e.getMessage(), e);
    } catch (IOException e) {
      LOG.error("Signing a PDF of {} bytes failed", pdf.bytes().length, e);
      throw new GatewayException(ErrorCode.INTERNAL_ERROR,
          "Writing the signed PDF failed: " + e.getMessage(), e);
    }
  }

  private static byte[] sign(PDDocument document, int inputLength, SignatureSpec spec,
      Supplier<ContentSigner> contentSigners, List<X509CertificateHolder> chain)
      throws IOException {
    SignatureTarget target = SignatureTarget.resolve(document, spec.placement());
    Set<String> existingNames = fieldNames(document);
    PDSignature signature = signatureDictionary(spec);
    if (target.existingField() != null) {
      // PDFBox signs into an existing field only when its /V already is the new dictionary.
      target.existingField().getCOSObject().setItem(COSName.V, signature);
    }
    SignatureOptions options = new SignatureOptions();
    options.setPreferredSignatureSize(CONTENTS_SIZE);
    options.setPage(target.pageIndex());
    document.addSignature(signature, options);
    options.close();

    PDSignatureField field = fieldOf(document, signature);
    if (target.existingField() == null) {
      field.setPartialName(uniqueName(existingNames));
    }
    decorateWidget(document, field, target, spec);

    ByteArrayOutputStream out = new ByteArrayOutputStream(inputLength + 4 * CONTENTS_SIZE);
    ExternalSigningSupport external = document.saveIncrementalForExternalSigning(out);
    byte[] cms;
    try {
      cms = CmsSignatureBuilder.build(external.getContent(), contentSigners.get(), chain);
    } catch (RuntimeException e) {
      throw new SignerFailure(e);
    }
    if (cms.length > CONTENTS_SIZE) {
      throw new GatewayException(ErrorCode.INTERNAL_ERROR, "The CMS signature has "
          + cms.length + " bytes but only " + CONTENTS_SIZE + " are reserved in /Contents; "
          + "shorten the certificate chain or raise the reservation.");
    }
    external.setSignature(cms);
    LOG.debug("Signed field {} on page {}; CMS {} bytes", field.getFullyQualifiedName(),
        target.pageIndex() + 1, cms.length);
    return out.toByteArray();
  }

  private static PDSignature signatureDictionary(SignatureSpec spec) {
    PDSignature signature = new PDSignature();
    signature.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
    signature.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
    if (spec.signerName() != null && !spec.signerName().isBlank()) {
      signature.setName(spec.signerName().strip());
    }
    if (spec.reason() != null) {
      signature.setReason(spec.reason());
    }
    if (spec.location() != null) {
      signature.setLocation(spec.location());
    }
    Calendar time = new GregorianCalendar(TimeZone.getTimeZone(SignatureAppearance.SHANGHAI));
    time.setTimeInMillis(spec.signingTime().toEpochMilli());
    signature.setSignDate(time);
    return signature;
  }

  /**
   * Sets the widget's rectangle and appearance. This must follow addSignature, which sets an
   * empty rectangle and appearance when no visual template is given.
   */
  private static void decorateWidget(PDDocument document, PDSignatureField field,
      SignatureTarget target, SignatureSpec spec) throws IOException {
    PDAnnotationWidget widget = field.getWidgets().get(0);
    widget.setRectangle(target.rectangle());
    widget.getCOSObject().setNeedToBeUpdated(true);
    if (!target.isVisible()) {
      return;
    }
    PDAppearanceDictionary appearance = new PDAppearanceDictionary();
    appearance.setNormalAppearance(SignatureAppearance.create(document, spec, target.width(),
        target.height(), target.rotation()));
    widget.setAppearance(appearance);
  }

  private static PDSignatureField fieldOf(PDDocument document, PDSignature signature)
      throws IOException {
    for (PDSignatureField field : document.getSignatureFields()) {
      if (field.getCOSObject().getDictionaryObject(COSName.V) == signature.getCOSObject()) {
        return field;
      }
    }
    throw new IOException("PDFBox did not attach the signature to a field");
  }

  private static Set<String> fieldNames(PDDocument document) {
    Set<String> names = new HashSet<>();
    PDAcroForm form = document.getDocumentCatalog().getAcroForm(null);
    if (form != null) {
      for (PDField field : form.getFieldTree()) {
        names.add(field.getFullyQualifiedName());
        names.add(field.getPartialName());
      }
    }
    return names;
  }

  private static String uniqueName(Set<String> existing) {
    int n = 1;
    while (existing.contains("Signature" + n)) {
      n++;
    }
    return "Signature" + n;
  }

  /** Carries a signer's exception past the handlers that turn PDFBox failures into 422s. */
  private static final class SignerFailure extends RuntimeException {

    SignerFailure(RuntimeException cause) {
      super(cause);
    }

    @Override
    public synchronized RuntimeException getCause() {
      return (RuntimeException) super.getCause();
    }
  }
}
