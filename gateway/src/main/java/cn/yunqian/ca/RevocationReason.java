package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.util.Locale;
import org.bouncycastle.asn1.x509.CRLReason;

/** CRL reason codes of RFC 5280, section 5.3.1, that an officer may give. */
public enum RevocationReason {
  UNSPECIFIED(CRLReason.unspecified),
  KEY_COMPROMISE(CRLReason.keyCompromise),
  AFFILIATION_CHANGED(CRLReason.affiliationChanged),
  SUPERSEDED(CRLReason.superseded),
  CESSATION_OF_OPERATION(CRLReason.cessationOfOperation);

  private final int code;

  RevocationReason(int code) {
    this.code = code;
  }

  /** Returns the numeric reasonCode of RFC 5280. */
  public int code() {
    return code;
  }

  /**
   * Parses a reason given by name ({@code keyCompromise} or {@code KEY_COMPROMISE}) or by its
   * RFC 5280 number.
   *
   * @throws GatewayException INVALID_REQUEST for any other value
   */
  public static RevocationReason parse(String text) {
    if (text == null || text.isBlank()) {
      return UNSPECIFIED;
    }
    String normalised = text.trim().replaceAll("([a-z])([A-Z])", "$1_$2")
        .toUpperCase(Locale.ROOT);
    for (RevocationReason reason : values()) {
      if (reason.name().equals(normalised) || String.valueOf(reason.code).equals(normalised)) {
        return reason;
      }
    }
    throw new GatewayException(ErrorCode.INVALID_REQUEST, "Unknown revocation reason '" + text
        + "'; expected unspecified, keyCompromise, affiliationChanged, superseded or"
        + " cessationOfOperation");
  }
}
