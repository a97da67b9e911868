package cn.yunqian.enrolment.images;

/**
 * A checked photo ready to be encrypted and stored.
 *
 * @param contentType {@code image/jpeg}, {@code image/png} or {@code image/heic}
 * @param bytes re-encoded pixels for JPEG and PNG, or the original file for HEIC
 */
public record Photo(String contentType, byte[] bytes) {
}
