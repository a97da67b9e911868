package cn.yunqian.enrolment.face;

/**
 * Outcome of one verification.
 *
 * @param passed true only when the provider says the live face matches the ID photo
 * @param similarity the provider's match score (0 to 100), or -1 when it gives none
 * @param detail the provider's result code and message, for reviewers and the audit log
 * @param bestFrameJpeg the frame the provider kept as evidence, or null when it returns none
 */
public record FaceResult(boolean passed, double similarity, String detail, byte[] bestFrameJpeg) {
}
