package cn.yunqian;

/**
 * A failure that the gateway reports to its caller as an {@link ErrorCode} and a reason.
 * The reason is shown to API clients, so it must never contain a PIN, an SMS code, a full
 * ID number or a full phone number.
 */
public class GatewayException extends RuntimeException {

  private final ErrorCode code;

  public GatewayException(ErrorCode code, String reason) {
    super(reason);
    this.code = code;
  }

  public GatewayException(ErrorCode code, String reason, Throwable cause) {
    super(reason, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public String reason() {
    return getMessage();
  }
}
