package cn.yunqian.enrolment.images;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Checks photos uploaded from a phone: ID card sides and face evidence frames. The type comes
 * from the leading bytes, never from the file name or the declared content type. JPEG and PNG
 * are decoded and re-encoded, which drops EXIF (including GPS position) and every other
 * metadata block. HEIC is only checked by its {@code ftyp} box and kept byte for byte, because
 * the JDK has no HEIC decoder.
 */
public final class UploadedImages {

  private static final int MIN_SIDE = 200;
  private static final int MAX_SIDE = 8000;
  /**
   * Most pixels decoded for one image: 24 MP is more than a phone camera's 4:3 photo of 5664 x
   * 4248, and bounds the memory of one decode to about 100 MB.
   */
  private static final long MAX_PIXELS = 24_000_000L;
  private static final int MIN_FACE_SIDE = 64;
  private static final int MAX_FACE_SIDE = 4000;
  /** HEIF major brands used by phone cameras for still images (ISO/IEC 23008-12). */
  private static final Set<String> HEIC_BRANDS = Set.of("heic", "heix", "heim", "heis", "mif1",
      "msf1");

  private UploadedImages() {
  }

  /**
   * Checks one side of an ID card photo.
   *
   * @throws GatewayException PAYLOAD_TOO_LARGE over {@code maxBytes}, UNSUPPORTED_MEDIA_TYPE
   *     when the bytes are not JPEG, PNG or HEIC, IMAGE_INVALID when they do not decode or the
   *     size is outside 200 to 8000 pixels per side
   */
  public static Photo idCardSide(byte[] bytes, long maxBytes, String side) {
    requireSize(bytes, maxBytes, side);
    String type = detectType(bytes);
    switch (type) {
      case "image/heic" -> {
        // NOTE: HEIC pixels are not decoded here, so its size and metadata are not checked.
        return new Photo(type, bytes.clone());
      }
      case "image/jpeg", "image/png" -> {
        BufferedImage image = decode(bytes, side, MIN_SIDE, MAX_SIDE);
        return new Photo(type, encode(image, type.equals("image/png") ? "png" : "jpg"));
      }
      default -> throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The " + side
          + " photo is not a JPEG, PNG or HEIC image");
    }
  }

  /**
   * Checks a face evidence frame: a JPEG that decodes, 64 to 4000 pixels per side. Returns it
   * re-encoded without metadata.
   */
  public static byte[] faceFrame(byte[] bytes, long maxBytes) {
    requireSize(bytes, maxBytes, "face frame");
    if (!"image/jpeg".equals(detectType(bytes))) {
      throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "The face frame must be a JPEG image");
    }
    return encode(decode(bytes, "face frame", MIN_FACE_SIDE, MAX_FACE_SIDE), "jpg");
  }

  /** Returns the content type named by the file's leading bytes, or an empty string. */
  static String detectType(byte[] bytes) {
    if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8
        && (bytes[2] & 0xff) == 0xff) {
      return "image/jpeg";
    }
    if (bytes.length >= 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N'
        && bytes[3] == 'G' && bytes[4] == '\r' && bytes[5] == '\n' && bytes[6] == 0x1a
        && bytes[7] == '\n') {
      return "image/png";
    }
    // An ISO base media file starts with a box: 4-byte size, then the type "ftyp", then the
    // 4-byte major brand.
    if (bytes.length >= 12
        && "ftyp".equals(new String(bytes, 4, 4, StandardCharsets.US_ASCII))
        && HEIC_BRANDS.contains(new String(bytes, 8, 4, StandardCharsets.US_ASCII))) {
      return "image/heic";
    }
    return "";
  }

  private static void requireSize(byte[] bytes, long maxBytes, String what) {
    if (bytes == null || bytes.length == 0) {
      throw new GatewayException(ErrorCode.IMAGE_INVALID, "The " + what + " is missing");
    }
    if (bytes.length > maxBytes) {
      throw new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE, "The " + what + " is "
          + bytes.length + " bytes, over the limit of " + maxBytes);
    }
  }

  /** Reads the dimensions from the header first, so a huge declared canvas is never allocated. */
  private static BufferedImage decode(byte[] bytes, String what, int minSide, int maxSide) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw invalid(what, "cannot be decoded");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width < minSide || height < minSide || width > maxSide || height > maxSide) {
          throw invalid(what, "must be " + minSide + " to " + maxSide + " pixels per side, got "
              + width + "x" + height);
        }
        if ((long) width * height > MAX_PIXELS) {
          throw invalid(what, "must have at most " + MAX_PIXELS + " pixels, got " + width + "x"
              + height);
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof GatewayException gatewayException) {
        throw gatewayException;
      }
      throw invalid(what, "cannot be decoded");
    }
  }

  private static byte[] encode(BufferedImage image, String format) {
    int type = "png".equals(format) ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
    BufferedImage clean = new BufferedImage(image.getWidth(), image.getHeight(), type);
    Graphics2D graphics = clean.createGraphics();
    graphics.drawImage(image, 0, 0, null);
    graphics.dispose();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(clean, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("Image encoding failed: " + format, e);
    }
  }

  private static GatewayException invalid(String what, String rule) {
    return new GatewayException(ErrorCode.IMAGE_INVALID, "The " + what + " " + rule);
  }
}
