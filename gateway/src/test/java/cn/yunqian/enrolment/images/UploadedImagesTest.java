package cn.yunqian.enrolment.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class UploadedImagesTest {

  private static final long LIMIT = 8L * 1024 * 1024;

  @Test
  void jpegLosesExifSegment() throws IOException {
    byte[] plain = write(new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB), "jpg");
    byte[] withExif = insertApp1(plain, "Exif\0\0GPSLatitude=22.5");

    Photo photo = UploadedImages.idCardSide(withExif, LIMIT, "front");

    assertEquals("image/jpeg", photo.contentType());
    assertTrue(contains(withExif, "GPSLatitude"));
    assertFalse(contains(photo.bytes(), "GPSLatitude"));
    assertFalse(contains(photo.bytes(), "Exif"));
  }

  @Test
  void heicIsKeptByteForByte() {
    byte[] heic = new byte[256];
    byte[] header = "\0\0\0\u0018ftypheic".getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(header, 0, heic, 0, header.length);

    Photo photo = UploadedImages.idCardSide(heic, LIMIT, "back");

    assertEquals("image/heic", photo.contentType());
    assertArrayEquals(heic, photo.bytes());
  }

  @Test
  void typeComesFromBytesNotName() {
    GatewayException gif = assertThrows(GatewayException.class,
        () -> UploadedImages.idCardSide("GIF89a....".getBytes(StandardCharsets.US_ASCII),
            LIMIT, "front"));
    GatewayException tooLarge = assertThrows(GatewayException.class,
        () -> UploadedImages.idCardSide(new byte[(int) LIMIT + 1], LIMIT, "front"));

    assertEquals(ErrorCode.UNSUPPORTED_MEDIA_TYPE, gif.code());
    assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, tooLarge.code());
  }

  @Test
  void tinyOrTruncatedPhotoIsInvalid() throws IOException {
    byte[] tiny = write(new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB), "png");
    byte[] big = write(new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB), "jpg");
    byte[] truncated = Arrays.copyOf(big, 40);

    assertEquals(ErrorCode.IMAGE_INVALID, assertThrows(GatewayException.class,
        () -> UploadedImages.idCardSide(tiny, LIMIT, "front")).code());
    assertEquals(ErrorCode.IMAGE_INVALID, assertThrows(GatewayException.class,
        () -> UploadedImages.idCardSide(truncated, LIMIT, "front")).code());
  }

  @Test
  void signatureIsTrimmedToInkWithMargin() throws IOException {
    BufferedImage canvas = new BufferedImage(600, 300, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = canvas.createGraphics();
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(4));
    g.drawLine(200, 100, 260, 180);
    g.drawLine(300, 100, 360, 180);
    g.dispose();

    byte[] trimmed = SignatureStrokes.checkAndTrim(write(canvas, "png"), 2, 512 * 1024);
    BufferedImage result = ImageIO.read(new ByteArrayInputStream(trimmed));

    // The ink spans about 164 x 84 pixels with a 4-pixel pen; the margin adds 8 on each side.
    assertTrue(result.getWidth() >= 164 + 2 * SignatureStrokes.MARGIN
        && result.getWidth() < 200, "width " + result.getWidth());
    assertTrue(result.getHeight() >= 84 + 2 * SignatureStrokes.MARGIN
        && result.getHeight() < 120, "height " + result.getHeight());
    assertEquals(0, result.getRGB(0, 0) >>> 24, "corner is transparent");
  }

  @Test
  void singleMarkIsRejectedWhateverThePageSays() throws IOException {
    BufferedImage canvas = new BufferedImage(600, 300, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = canvas.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(100, 100, 12, 12);
    g.dispose();
    byte[] png = write(canvas, "png");

    GatewayException e = assertThrows(GatewayException.class,
        () -> SignatureStrokes.checkAndTrim(png, 9, 512 * 1024));

    assertEquals(ErrorCode.IMAGE_INVALID, e.code());
  }

  private static byte[] insertApp1(byte[] jpeg, String payload) {
    byte[] data = payload.getBytes(StandardCharsets.ISO_8859_1);
    int length = data.length + 2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    out.write(0xff);
    out.write(0xe1);
    out.write(length >> 8);
    out.write(length & 0xff);
    out.write(data, 0, data.length);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }

  private static byte[] write(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }
}
