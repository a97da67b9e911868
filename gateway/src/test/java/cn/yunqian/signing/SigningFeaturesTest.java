package cn.yunqian.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.fontbox.ttf.TrueTypeCollection;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Placement, multi-signer, field and CMS behaviour of the signer on real and generated PDFs. */
class SigningFeaturesTest {

  private static final long MAX_BYTES = 20L * 1024 * 1024;
  private static final String KEYWORD = "评标委员会成员签字";
  private static final Instant TIME = Instant.parse("2026-12-04T02:30:00Z");

  @TempDir
  Path work;

  @BeforeAll
  static void requireTools() {
    PdfTools.requireTools();
  }

  @Test
  void keywordPlacementBesideMatch() throws Exception {
    byte[] input = reportWithKeyword("评标委员会成员签字：", 56, 700);
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.NearKeyword(KEYWORD)),
        signer.contentSigner(), signer.chain());

    SigningAssertions.assertGoodSignedOutput("keyword", input, output, null, work);
    try (PDDocument document = Loader.loadPDF(output)) {
      PDRectangle rect = lastField(document).getWidgets().get(0).getRectangle();
      assertTrue(rect.getLowerLeftX() > 56 + 9 * 10, "stamp not right of keyword: " + rect);
      assertTrue(rect.getLowerLeftY() < 705, "stamp above the keyword line: " + rect);
      assertTrue(rect.getUpperRightY() > 700, "stamp below the keyword line: " + rect);
      assertEquals(2, document.getPages().indexOf(lastField(document).getWidgets().get(0)
          .getPage()) + 1, "stamp not on the last page with the keyword");
    }
  }

  @Test
  void keywordAtRightEdgeGoesBelow() throws Exception {
    byte[] input = reportWithKeyword(KEYWORD, 420, 500);
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.NearKeyword(KEYWORD)),
        signer.contentSigner(), signer.chain());
    try (PDDocument document = Loader.loadPDF(output)) {
      PDRectangle rect = lastField(document).getWidgets().get(0).getRectangle();
      assertTrue(rect.getUpperRightY() < 500, "stamp not below keyword: " + rect);
      assertTrue(rect.getUpperRightX() <= PDRectangle.A4.getWidth(), "stamp off page: " + rect);
    }
  }

  @Test
  void missingKeywordNamesKeyword() throws Exception {
    CheckedPdf checked = PdfDocumentCheck.check(reportWithKeyword("其他内容", 56, 700), null,
        MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    CountingSigner counting = new CountingSigner(signer.contentSigner());
    GatewayException error = assertThrows(GatewayException.class, () -> PadesSigner.sign(
        checked, spec(new Placement.NearKeyword(KEYWORD)), counting, signer.chain()));
    assertEquals(ErrorCode.KEYWORD_NOT_FOUND, error.code());
    assertTrue(error.getMessage().contains(KEYWORD), error.getMessage());
    assertEquals(0, counting.calls, "the key was used for a rejected request");
  }

  @Test
  void chineseNameEmbedsStampFont() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("plain-one-page-a4-wps.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(1, 300, 100, 150, 62)),
        signer.contentSigner(), signer.chain());
    Path file = work.resolve("font.pdf");
    Files.write(file, output);
    String fonts = PdfTools.pdffonts(file, null);
    String stampFont = fonts.lines().filter(line -> line.contains("WenQuanYiMicroHei"))
        .findFirst().orElse("");
    assertFalse(stampFont.isEmpty(), "stamp font missing:\n" + fonts);
    assertTrue(stampFont.matches(".*\\+WenQuanYiMicroHei\\s+CID TrueType\\s+Identity-H\\s+yes\\s+"
        + "yes\\s+yes.*"), "stamp font not an embedded subset with ToUnicode: " + stampFont);
    assertTrue(PdfTools.run(List.of("pdftotext", file.toString(), "-")).contains("王芳"),
        "name not extractable as text");
  }

  @Test
  void threeSignersAllStayValid() throws Exception {
    byte[] current = CorpusSigningTest.corpusBytes("chinese-report-22-pages-tables-simsun.pdf");
    List<String> names = List.of("王芳", "李强", "张伟");
    for (int i = 0; i < names.size(); i++) {
      byte[] input = current;
      TestPki.Signer signer = TestPki.INSTANCE.ecSigner(names.get(i));
      CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
      SignatureSpec spec = new SignatureSpec(new Placement.OnPage(22, 40 + i * 170, 60, 150, 62),
          TestPki.signaturePng(), names.get(i), TIME.plusSeconds(60L * i), null, null);
      current = PadesSigner.sign(checked, spec, signer.contentSigner(), signer.chain());
      SigningAssertions.assertGoodSignedOutput("multi-" + i, input, current, null, work);
    }
    Path file = work.resolve("three.pdf");
    Files.write(file, current);
    List<PdfTools.PdfsigSignature> signatures = PdfTools.pdfsig(file, null);
    assertEquals(3, signatures.size());
    for (PdfTools.PdfsigSignature signature : signatures) {
      assertTrue(signature.valid(), signature.fieldName() + ": " + signature.validation());
    }
    assertEquals(3, signatures.stream().map(PdfTools.PdfsigSignature::fieldName).distinct()
        .count(), "field names repeat");
    List<VerifiedSignature> verified = SignatureVerifier.verify(current, null);
    assertTrue(verified.stream().allMatch(VerifiedSignature::cryptographicallyValid));
    assertTrue(verified.stream().allMatch(VerifiedSignature::coversRevision));
    assertEquals(List.of(false, false, true),
        verified.stream().map(VerifiedSignature::coversWholeDocument).toList());
  }

  @Test
  void namedEmptyFieldSignedInPlace() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("form-empty-signature-field.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.InField("Signature1")),
        signer.contentSigner(), signer.chain());

    List<PdfTools.PdfsigSignature> signatures =
        SigningAssertions.assertGoodSignedOutput("field", input, output, null, work);
    assertEquals("Signature1", signatures.get(signatures.size() - 1).fieldName());
    try (PDDocument document = Loader.loadPDF(output)) {
      List<PDSignatureField> fields = document.getSignatureFields();
      assertEquals(1, fields.size(), "a second signature field was added");
      PDRectangle rect = fields.get(0).getWidgets().get(0).getRectangle();
      assertEquals(149.2f, rect.getLowerLeftX(), 0.1f);
      assertEquals(533.8f, rect.getLowerLeftY(), 0.1f);
      assertEquals(486.7f, rect.getUpperRightX(), 0.1f);
      assertEquals(653.2f, rect.getUpperRightY(), 0.1f);
      assertEquals(1, document.getPage(0).getAnnotations().stream()
          .filter(a -> "Widget".equals(a.getSubtype())).count(), "widget duplicated on page");
    }
  }

  @Test
  void unknownFieldRejected() throws Exception {
    CheckedPdf checked = PdfDocumentCheck.check(
        CorpusSigningTest.corpusBytes("form-empty-signature-field.pdf"), null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    GatewayException error = assertThrows(GatewayException.class, () -> PadesSigner.sign(
        checked, spec(new Placement.InField("Nope")), signer.contentSigner(), signer.chain()));
    assertEquals(ErrorCode.SIGNATURE_FIELD_NOT_FOUND, error.code());
  }

  @Test
  void existingSignatureNameNotReused() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("signed-acroform.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(1, 20, 20, 150, 62)),
        signer.contentSigner(), signer.chain());
    try (PDDocument document = Loader.loadPDF(output)) {
      List<String> names = new ArrayList<>();
      document.getSignatureFields().forEach(f -> names.add(f.getFullyQualifiedName()));
      assertEquals(names.size(), names.stream().distinct().count(), "duplicate names " + names);
      assertTrue(names.contains("Signature2"), names.toString());
    }
  }

  @Test
  void rsaSignerProducesValidSignature() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("plain-one-page.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.rsaSigner("李强");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(1, 20, 20, 150, 62)),
        signer.contentSigner(), signer.chain());
    SigningAssertions.assertGoodSignedOutput("rsa", input, output, null, work);
  }

  @Test
  void cmsHasPadesAttributesOnly() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("plain-one-page.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(1, 20, 20, 150, 62)),
        signer.contentSigner(), signer.chain());
    try (PDDocument document = Loader.loadPDF(output)) {
      PDSignature signature = document.getLastSignatureDictionary();
      assertEquals("Adobe.PPKLite", signature.getFilter());
      assertEquals("ETSI.CAdES.detached", signature.getSubFilter());
      assertEquals("+08'00'", signature.getCOSObject().getString("M").substring(16));
      byte[] contents = signature.getContents(output);
      CMSSignedData cms;
      try (ASN1InputStream in = new ASN1InputStream(contents)) {
        cms = new CMSSignedData(ContentInfo.getInstance(in.readObject()));
      }
      assertTrue(cms.isDetachedSignature(), "CMS is not detached");
      assertEquals(2, cms.getCertificates().getMatches(null).size(), "chain not included");
      SignerInformation info = cms.getSignerInfos().getSigners().iterator().next();
      AttributeTable attributes = info.getSignedAttributes();
      assertNotNull(attributes.get(CMSAttributes.contentType));
      assertNotNull(attributes.get(CMSAttributes.messageDigest));
      assertNotNull(attributes.get(PKCSObjectIdentifiers.id_aa_signingCertificateV2));
      assertNull(attributes.get(CMSAttributes.signingTime), "signing-time must be absent");
    }
  }

  @Test
  void contentSignerExceptionPropagates() throws Exception {
    CheckedPdf checked = PdfDocumentCheck.check(
        CorpusSigningTest.corpusBytes("plain-one-page.pdf"), null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    IllegalStateException pinLocked = new IllegalStateException("PIN locked");
    ContentSigner failing = new CountingSigner(signer.contentSigner()) {
      @Override
      public byte[] getSignature() {
        throw pinLocked;
      }
    };
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
        PadesSigner.sign(checked, spec(new Placement.OnPage(1, 20, 20, 150, 62)), failing,
            signer.chain()));
    assertSame(pinLocked, thrown);
  }

  @Test
  void placementErrorsUseSpecificCodes() throws Exception {
    CheckedPdf checked = PdfDocumentCheck.check(
        CorpusSigningTest.corpusBytes("rotated-second-page.pdf"), null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    List<Object[]> cases = List.of(
        new Object[] {new Placement.OnPage(3, 20, 20, 150, 62), ErrorCode.PAGE_OUT_OF_RANGE},
        new Object[] {new Placement.OnPage(0, 20, 20, 150, 62), ErrorCode.PAGE_OUT_OF_RANGE},
        new Object[] {new Placement.OnPage(1, -5, 20, 150, 62), ErrorCode.PLACEMENT_INVALID},
        new Object[] {new Placement.OnPage(1, 20, 20, 0, 62), ErrorCode.PLACEMENT_INVALID},
        new Object[] {new Placement.OnPage(1, 500, 20, 150, 62), ErrorCode.PLACEMENT_INVALID},
        new Object[] {new Placement.OnPage(2, 20, 600, 150, 62), ErrorCode.PLACEMENT_INVALID});
    for (Object[] testCase : cases) {
      GatewayException error = assertThrows(GatewayException.class, () -> PadesSigner.sign(
          checked, spec((Placement) testCase[0]), signer.contentSigner(), signer.chain()),
          testCase[0].toString());
      assertEquals(testCase[1], error.code(), testCase[0] + ": " + error.getMessage());
    }
  }

  @Test
  void rotatedPageStampUprightInside() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("rotated-second-page.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, null, MAX_BYTES);
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(2, 20, 30, 150, 62)),
        signer.contentSigner(), signer.chain());
    try (PDDocument document = Loader.loadPDF(output)) {
      PDPage page = document.getPage(1);
      assertEquals(90, page.getRotation());
      var widget = lastField(document).getWidgets().get(0);
      PDRectangle rect = widget.getRectangle();
      PDRectangle crop = page.getCropBox();
      assertEquals(62f, rect.getWidth(), 0.01f, "width on a /Rotate 90 page is the box height");
      assertEquals(150f, rect.getHeight(), 0.01f);
      assertEquals(crop.getUpperRightX() - 30 - 62, rect.getLowerLeftX(), 0.01f);
      assertEquals(crop.getLowerLeftY() + 20, rect.getLowerLeftY(), 0.01f);
      var matrix = widget.getNormalAppearanceStream().getMatrix();
      assertEquals(0f, matrix.getScaleX(), 1e-6f);
      assertEquals(1f, matrix.getShearY(), 1e-6f, "appearance not turned by 90 degrees");
    }
  }

  @Test
  void encryptedOutputStaysEncrypted() throws Exception {
    byte[] input = CorpusSigningTest.corpusBytes("encrypted-aes128-user-password-asdfzxcv.pdf");
    CheckedPdf checked = PdfDocumentCheck.check(input, "asdfzxcv", MAX_BYTES);
    assertTrue(checked.encrypted());
    TestPki.Signer signer = TestPki.INSTANCE.ecSigner("王芳");
    byte[] output = PadesSigner.sign(checked, spec(new Placement.OnPage(1, 20, 20, 150, 62)),
        signer.contentSigner(), signer.chain());

    assertThrows(GatewayException.class, () -> PdfDocumentCheck.check(output, null, MAX_BYTES),
        "output opens without the password");
    List<VerifiedSignature> verified = SignatureVerifier.verify(output, "asdfzxcv");
    assertTrue(verified.get(0).cryptographicallyValid());
    assertTrue(SignatureVerifier.lastCoversWholeDocument(verified));
    Path file = work.resolve("encrypted.pdf");
    Files.write(file, output);
    String pdfsig = PdfTools.pdfsigOutput(file, "asdfzxcv");
    assertTrue(pdfsig.contains("Signature is Valid"), pdfsig);
    // NOTE: pdfsig 22.12 prints "Not total document signed" here, although BC confirms above
    // that the ranges reach the end of the file. The assert makes a poppler change visible.
    assertTrue(pdfsig.contains("Not total document signed"), pdfsig);
  }

  private static SignatureSpec spec(Placement placement) {
    return new SignatureSpec(placement, TestPki.signaturePng(), "王芳", TIME, "评标", "北京");
  }

  private static PDSignatureField lastField(PDDocument document) throws Exception {
    List<PDSignatureField> fields = document.getSignatureFields();
    return fields.get(fields.size() - 1);
  }

  /** Builds a two-page A4 report in WQY whose last page shows {@code text} at (x, y). */
  static byte[] reportWithKeyword(String text, float x, float y) throws Exception {
    try (PDDocument document = new PDDocument();
        TrueTypeCollection collection = new TrueTypeCollection(
            new File("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"))) {
      PDType0Font font = PDType0Font.load(document,
          collection.getFontByName("WenQuanYiMicroHei"), true);
      for (int i = 0; i < 2; i++) {
        PDPage page = new PDPage(PDRectangle.A4);
        document.addPage(page);
        try (PDPageContentStream content = new PDPageContentStream(document, page)) {
          content.beginText();
          content.setFont(font, 10);
          content.newLineAtOffset(56, 780);
          content.showText("评标报告 第" + (i + 1) + "页");
          content.endText();
          if (i == 1) {
            content.beginText();
            content.setFont(font, 10);
            content.newLineAtOffset(x, y);
            content.showText(text);
            content.endText();
          }
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      document.save(out);
      return out.toByteArray();
    }
  }

  /** Wraps a content signer and counts how often a signature was requested. */
  static class CountingSigner implements ContentSigner {
    private final ContentSigner delegate;
    int calls;

    CountingSigner(ContentSigner delegate) {
      this.delegate = delegate;
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
      return delegate.getAlgorithmIdentifier();
    }

    @Override
    public OutputStream getOutputStream() {
      return delegate.getOutputStream();
    }

    @Override
    public byte[] getSignature() {
      calls++;
      return delegate.getSignature();
    }
  }
}
