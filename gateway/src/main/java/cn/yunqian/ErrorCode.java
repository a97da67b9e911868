package cn.yunqian;

/**
 * Error codes returned to API clients, each with the HTTP status it maps to.
 * The code is stable and machine-readable; the reason that goes with it is for people.
 */
public enum ErrorCode {
  INVALID_REQUEST(400),
  PLACEMENT_INVALID(400),
  ID_NUMBER_INVALID(400),
  NAME_INVALID(400),
  PIN_FORMAT_INVALID(400),
  PIN_TOO_WEAK(400),
  IMAGE_INVALID(400),
  PIN_INCORRECT(403),
  FACE_VERIFICATION_INVALID(403),
  SIGNER_NOT_FOUND(404),
  CERTIFICATE_REQUEST_NOT_FOUND(404),
  SIGNER_NOT_ACTIVE(409),
  PAYLOAD_TOO_LARGE(413),
  PDF_TOO_LARGE(413),
  UNSUPPORTED_MEDIA_TYPE(415),
  NOT_A_PDF(415),
  PDF_DAMAGED(422),
  PDF_PASSWORD_REQUIRED(422),
  PDF_PASSWORD_INCORRECT(422),
  PDF_CERTIFIED_NO_CHANGES(422),
  PDF_UNSUPPORTED(422),
  KEYWORD_NOT_FOUND(422),
  SIGNATURE_FIELD_NOT_FOUND(422),
  PAGE_OUT_OF_RANGE(422),
  CERTIFICATE_NOT_VALID(422),
  CERTIFICATE_REJECTED(422),
  PIN_LOCKED(423),
  HSM_UNAVAILABLE(503),
  INTERNAL_ERROR(500);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
