package cn.yunqian.enrolment.face;

import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * Maps a GetDetectInfoEnhanced reply to a {@link FaceResult}. Result codes are those of the
 * FaceID H5 error-code table: 0 is success, 17 means the flow was not finished, and codes such as
 * 1002 (liveness) or 2016 (similarity below the threshold) are failures.
 */
final class TencentDetectInfo {

  private static final int NOT_FINISHED = 17;

  /** NOTE: an estimate. The FaceID pages give no size for BestFrame, and a frame is a JPEG. */
  private static final int MAX_BEST_FRAME_BASE64_CHARS = 4 * 1024 * 1024;

  private TencentDetectInfo() {
  }

  /**
   * Builds the result from the Text and BestFrame parts of the reply.
   *
   * @throws ClassCastException when a field has another JSON type than documented
   */
  static FaceResult toFaceResult(JsonObject response) {
    JsonObject text = response.getJsonObject("Text");
    if (text == null) {
      text = new JsonObject();
    }
    Integer errCode = text.getInteger("ErrCode");
    StringBuilder detail = new StringBuilder()
        .append("ErrCode=").append(errCode)
        .append(" ErrMsg=").append(text.getString("ErrMsg"))
        .append(" LiveStatus=").append(text.getInteger("LiveStatus"))
        .append(" Comparestatus=").append(text.getInteger("Comparestatus"));
    if (errCode == null || errCode == NOT_FINISHED) {
      detail.append(": verification not finished");
    }
    byte[] bestFrame = bestFrameJpeg(response.getJsonObject("BestFrame"), detail);
    return new FaceResult(errCode != null && errCode == 0, similarity(text.getString("Sim")),
        detail.toString(), bestFrame);
  }

  /** Parses Sim ("0" to "100", two decimals); returns -1 when absent or not a number. */
  private static double similarity(String sim) {
    if (sim == null) {
      return -1;
    }
    try {
      double value = Double.parseDouble(sim);
      return value >= 0 && value <= 100 ? value : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Decodes BestFrame.BestFrame and keeps it only when the bytes are a JPEG. */
  private static byte[] bestFrameJpeg(JsonObject bestFrame, StringBuilder detail) {
    String base64 = bestFrame == null ? null : bestFrame.getString("BestFrame");
    if (base64 == null || base64.isEmpty()) {
      return null;
    }
    byte[] bytes;
    try {
      bytes = base64.length() > MAX_BEST_FRAME_BASE64_CHARS ? new byte[0]
          : Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    boolean isJpeg = bytes.length > 3 && (bytes[0] & 0xff) == 0xff
        && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff;
    if (!isJpeg) {
      detail.append(" BestFrame=dropped (not a JPEG or larger than ")
          .append(MAX_BEST_FRAME_BASE64_CHARS).append(" base64 characters)");
      return null;
    }
    return bytes;
  }
}
