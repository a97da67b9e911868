package cn.yunqian.signing;

import java.util.UUID;

/**
 * One signer signing one PDF. {@code pin} is zeroed by the signing service when it is done.
 *
 * @param pdfPassword the PDF's user password, or null for an unencrypted file
 * @param actor who asked, for the audit log
 */
public record SigningRequest(
    UUID signerId,
    char[] pin,
    byte[] pdf,
    String pdfPassword,
    Placement placement,
    String actor) {

  @Override
  public String toString() {
    return "SigningRequest[signerId=" + signerId + ", pdfBytes=" + pdf.length + ", placement="
        + placement + ", actor=" + actor + "]";
  }
}
