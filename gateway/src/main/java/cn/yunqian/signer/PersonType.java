package cn.yunqian.signer;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.util.Arrays;

/** The parties of a tender who sign evaluation documents. */
public enum PersonType {
  EXPERT("专家"),
  AGENT("代理"),
  SUPERVISOR("监督"),
  TENDERER("甲方");

  private final String chineseLabel;

  PersonType(String chineseLabel) {
    this.chineseLabel = chineseLabel;
  }

  public String chineseLabel() {
    return chineseLabel;
  }

  /** Accepts the English constant or the Chinese label; null means {@link #EXPERT}. */
  public static PersonType parse(String text) {
    if (text == null || text.isBlank()) {
      return EXPERT;
    }
    return Arrays.stream(values())
        .filter(type -> type.name().equalsIgnoreCase(text.trim())
            || type.chineseLabel.equals(text.trim()))
        .findFirst()
        .orElseThrow(() -> new GatewayException(ErrorCode.INVALID_REQUEST,
            "Unknown person type '" + text + "'; expected one of EXPERT, AGENT, SUPERVISOR,"
                + " TENDERER (专家, 代理, 监督, 甲方)"));
  }
}
