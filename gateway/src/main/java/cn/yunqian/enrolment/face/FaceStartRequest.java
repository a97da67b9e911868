package cn.yunqian.enrolment.face;

/**
 * What a provider needs to start a verification. {@link #toString()} masks the ID number.
 *
 * @param enrolmentId our enrolment, passed through the provider as an opaque reference
 * @param returnUrl where the provider sends the phone when the person is done
 */
public record FaceStartRequest(String enrolmentId, String name, String idNumber,
    String returnUrl) {

  @Override
  public String toString() {
    String masked = idNumber == null || idNumber.length() < 8 ? "****"
        : idNumber.substring(0, 4) + "**********" + idNumber.substring(idNumber.length() - 4);
    return "FaceStartRequest[enrolmentId=" + enrolmentId + ", idNumber=" + masked + "]";
  }
}
