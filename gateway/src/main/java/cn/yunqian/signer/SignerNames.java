package cn.yunqian.signer;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.text.Normalizer;

/** Validation of the name that appears in a signer's certificate and visible signature. */
public final class SignerNames {

  private static final int MAX_LENGTH = 40;

  private SignerNames() {
  }

  /**
   * Returns the name in NFC form. Letters of any script, spaces and the middle dots used in
   * transliterated and minority names are allowed.
   */
  public static String normalise(String name) {
    if (name == null || name.isBlank()) {
      throw new GatewayException(ErrorCode.NAME_INVALID, "The name is missing");
    }
    String value = Normalizer.normalize(name.trim(), Normalizer.Form.NFC);
    if (value.codePointCount(0, value.length()) > MAX_LENGTH) {
      throw new GatewayException(ErrorCode.NAME_INVALID,
          "The name is longer than " + MAX_LENGTH + " characters");
    }
    boolean valid = value.codePoints().allMatch(c -> Character.isLetter(c) || c == ' '
        || c == '·' || c == '•' || c == '.' || c == '-');
    if (!valid) {
      throw new GatewayException(ErrorCode.NAME_INVALID,
          "The name may contain only letters, spaces, '·', '.' and '-'");
    }
    return value;
  }
}
