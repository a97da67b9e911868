package cn.yunqian.signer;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Checks a handwritten signature image from outside and re-encodes it, so that only pixels
 * (no PNG text chunks, no metadata, no trailing bytes) are stored.
 */
public final class SignatureImages {

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final int MAX_SIDE = 2000;
  private static final int MIN_INK_PIXELS = 50;

  private SignatureImages() {
  }

  /**
   * Returns the image as a fresh ARGB PNG.
   *
   * @throws GatewayException IMAGE_INVALID when the bytes are not a PNG, too large, of odd
   *     dimensions or blank
   */
  public static byte[] normalise(byte[] png, long maxBytes) {
    if (png == null || png.length == 0) {
      throw invalid("the signature image is missing");
    }
    if (png.length > maxBytes) {
      throw new GatewayException(ErrorCode.PAYLOAD_TOO_LARGE,
          "The signature image is " + png.length + " bytes; the limit is " + maxBytes);
    }
    if (png.length < PNG_MAGIC.length
        || !Arrays.equals(Arrays.copyOf(png, PNG_MAGIC.length), PNG_MAGIC)) {
      throw invalid("the signature image must be a PNG file");
    }
    // Read the size from the IHDR chunk before decoding, so a small file that claims a huge
    // canvas is rejected without allocating it.
    requireSize(readInt(png, 16), readInt(png, 20));
    BufferedImage image = decode(png);
    requireSize(image.getWidth(), image.getHeight());
    if (inkPixels(image) < MIN_INK_PIXELS) {
      throw invalid("the signature image is blank");
    }
    return toPng(toArgb(image));
  }

  private static BufferedImage decode(byte[] png) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      if (image == null) {
        throw invalid("the signature image cannot be decoded");
      }
      return image;
    } catch (IOException | RuntimeException e) {
      if (e instanceof GatewayException gatewayException) {
        throw gatewayException;
      }
      throw invalid("the signature image cannot be decoded");
    }
  }

  private static void requireSize(long width, long height) {
    if (width > MAX_SIDE || height > MAX_SIDE || width < 20 || height < 10) {
      throw invalid("the signature image must be between 20x10 and " + MAX_SIDE + "x" + MAX_SIDE
          + " pixels, got " + width + "x" + height);
    }
  }

  private static long readInt(byte[] bytes, int offset) {
    if (bytes.length < offset + 4) {
      throw invalid("the PNG header is truncated");
    }
    return ((bytes[offset] & 0xffL) << 24) | ((bytes[offset + 1] & 0xff) << 16)
        | ((bytes[offset + 2] & 0xff) << 8) | (bytes[offset + 3] & 0xff);
  }

  /** Counts pixels that are visibly drawn: opaque enough and darker than the paper. */
  private static int inkPixels(BufferedImage image) {
    int count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int argb = image.getRGB(x, y);
        int alpha = argb >>> 24;
        int luminance = ((argb >> 16 & 0xff) + (argb >> 8 & 0xff) + (argb & 0xff)) / 3;
        if (alpha > 64 && luminance < 160) {
          count++;
        }
      }
    }
    return count;
  }

  private static BufferedImage toArgb(BufferedImage image) {
    BufferedImage argb = new BufferedImage(image.getWidth(), image.getHeight(),
        BufferedImage.TYPE_INT_ARGB);
    argb.getGraphics().drawImage(image, 0, 0, null);
    return argb;
  }

  /** Encodes an image as PNG. */
  public static byte[] toPng(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding failed", e);
    }
  }

  private static GatewayException invalid(String rule) {
    return new GatewayException(ErrorCode.IMAGE_INVALID, "Invalid signature image: " + rule);
  }
}
