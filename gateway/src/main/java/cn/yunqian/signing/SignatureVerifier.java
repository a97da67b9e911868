package cn.yunqian.signing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Checks the signatures of a signed PDF with Bouncy Castle: the CMS signature, the message
 * digest over the byte ranges and how much of the file each signature covers. It does not
 * check certificate trust or revocation.
 */
public final class SignatureVerifier {

  private static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();

  private SignatureVerifier() {}

  /**
   * Verifies every signature in {@code pdf}, ordered by where its signed ranges end.
   *
   * @param password the user password of an encrypted file, or null
   * @throws IOException when PDFBox cannot open the file
   */
  public static List<VerifiedSignature> verify(byte[] pdf, String password) throws IOException {
    List<VerifiedSignature> results = new ArrayList<>();
    try (PDDocument document = Loader.loadPDF(pdf, password == null ? "" : password)) {
      for (PDSignatureField field : document.getSignatureFields()) {
        PDSignature signature = field.getSignature();
        if (signature != null) {
          results.add(verifyOne(pdf, field.getFullyQualifiedName(), signature));
        }
      }
    }
    results.sort(Comparator.comparingLong(VerifiedSignature::signedEnd));
    return results;
  }

  /** Returns whether the last signature by file position covers the whole file. */
  public static boolean lastCoversWholeDocument(List<VerifiedSignature> signatures) {
    return !signatures.isEmpty() && signatures.get(signatures.size() - 1).coversWholeDocument();
  }

  private static VerifiedSignature verifyOne(byte[] pdf, String name, PDSignature signature) {
    int[] range = signature.getByteRange();
    String subFilter = signature.getSubFilter();
    if (range == null || range.length != 4 || range[0] < 0 || range[1] < 0
        || range[2] < range[1] || range[3] < 0 || (long) range[2] + range[3] > pdf.length) {
      return failed(name, subFilter, 0, "invalid /ByteRange");
    }
    long end = (long) range[2] + range[3];
    boolean coversWhole = range[0] == 0 && end == pdf.length;
    boolean coversRevision = range[0] == 0 && endsRevision(pdf, (int) end)
        && isHexString(pdf, range[1], range[2]);
    try {
      byte[] contents = decodeHex(pdf, range[1] + 1, range[2] - 1);
      ContentInfo info;
      try (ASN1InputStream in = new ASN1InputStream(contents)) {
        ASN1Primitive object = in.readObject();
        info = ContentInfo.getInstance(object);
      }
      byte[] signed = signedBytes(pdf, range);
      CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(signed), info);
      SignerInformation signer = cms.getSignerInfos().getSigners().iterator().next();
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> matches = cms.getCertificates().getMatches(signer.getSID());
      if (matches.isEmpty()) {
        return failed(name, subFilter, end, "signer certificate missing from the CMS");
      }
      X509CertificateHolder certificate = matches.iterator().next();
      boolean valid = signer.verify(new JcaSimpleSignerInfoVerifierBuilder()
          .setProvider(PROVIDER).build(certificate));
      return new VerifiedSignature(name, subFilter, end, valid, coversRevision, coversWhole,
          certificate, valid ? null : "signature value does not verify");
    } catch (IOException | CMSException | OperatorCreationException | CertificateException
        | RuntimeException e) {
      return failed(name, subFilter, end, "CMS check failed: " + e.getMessage());
    }
  }

  private static VerifiedSignature failed(String name, String subFilter, long end, String why) {
    return new VerifiedSignature(name, subFilter, end, false, false, false, null, why);
  }

  private static byte[] signedBytes(byte[] pdf, int[] range) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(range[1] + range[3]);
    out.write(pdf, range[0], range[1]);
    out.write(pdf, range[2], range[3]);
    return out.toByteArray();
  }

  /** Returns whether the bytes before {@code end} are %%EOF plus an optional end-of-line marker. */
  private static boolean endsRevision(byte[] pdf, int end) {
    int cursor = end;
    while (cursor > 0 && (pdf[cursor - 1] == '\n' || pdf[cursor - 1] == '\r')
        && end - cursor < 2) {
      cursor--;
    }
    return cursor >= 5 && "%%EOF".equals(
        new String(pdf, cursor - 5, 5, StandardCharsets.US_ASCII));
  }

  private static boolean isHexString(byte[] pdf, int from, int to) {
    return to - from >= 2 && pdf[from] == '<' && pdf[to - 1] == '>';
  }

  private static byte[] decodeHex(byte[] pdf, int from, int to) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream((to - from) / 2);
    int high = -1;
    for (int i = from; i < to; i++) {
      int digit = Character.digit(pdf[i], 16);
      if (digit < 0) {
        if (pdf[i] == ' ' || pdf[i] == '\n' || pdf[i] == '\r' || pdf[i] == '\t') {
          continue;
        }
        throw new IOException("/Contents is not a hex string");
      }
      if (high < 0) {
        high = digit;
      } else {
        out.write(high << 4 | digit);
        high = -1;
      }
    }
    return out.toByteArray();
  }
}
