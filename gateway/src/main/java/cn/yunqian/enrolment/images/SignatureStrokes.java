package cn.yunqian.enrolment.images;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.signer.SignatureImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Checks a handwritten signature drawn on the phone and crops it to its ink. A signature is
 * rejected when the page reports fewer than two strokes, or when the pixels show one small
 * mark: a single connected blot of ink whose bounding box is under 40 x 20 pixels. Neither
 * source alone is trusted, because the stroke count is whatever the page sends and a
 * connected cursive signature is one blot of ink.
 */
public final class SignatureStrokes {

  /** Transparent border kept around the ink, in pixels. */
  static final int MARGIN = 8;
  private static final int MIN_SINGLE_MARK_WIDTH = 40;
  private static final int MIN_SINGLE_MARK_HEIGHT = 20;

  private SignatureStrokes() {
  }

  /**
   * Validates the PNG with {@link SignatureImages#normalise}, checks the strokes and returns a
   * transparent PNG cropped to the ink plus a margin.
   *
   * @throws GatewayException IMAGE_INVALID for blank, single-stroke or undecodable images
   */
  public static byte[] checkAndTrim(byte[] png, int strokes, long maxBytes) {
    if (strokes < 2) {
      throw invalid("draw the signature with at least two strokes");
    }
    BufferedImage image = read(SignatureImages.normalise(png, maxBytes));
    Ink ink = Ink.measure(image);
    if (ink.components() < 2 && (ink.width() < MIN_SINGLE_MARK_WIDTH
        || ink.height() < MIN_SINGLE_MARK_HEIGHT)) {
      throw invalid("the drawing is a single mark, not a signature");
    }
    return write(crop(image, ink));
  }

  private static BufferedImage crop(BufferedImage image, Ink ink) {
    int left = Math.max(0, ink.minX() - MARGIN);
    int top = Math.max(0, ink.minY() - MARGIN);
    int right = Math.min(image.getWidth() - 1, ink.maxX() + MARGIN);
    int bottom = Math.min(image.getHeight() - 1, ink.maxY() + MARGIN);
    BufferedImage cropped = new BufferedImage(right - left + 1, bottom - top + 1,
        BufferedImage.TYPE_INT_ARGB);
    for (int y = top; y <= bottom; y++) {
      for (int x = left; x <= right; x++) {
        // Paper (light or transparent pixels) becomes fully transparent.
        int argb = image.getRGB(x, y);
        cropped.setRGB(x - left, y - top, Ink.isInk(argb) ? argb : 0);
      }
    }
    return cropped;
  }

  private static BufferedImage read(byte[] png) {
    try {
      return ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      throw invalid("the signature image cannot be decoded");
    }
  }

  private static byte[] write(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding failed", e);
    }
  }

  private static GatewayException invalid(String rule) {
    return new GatewayException(ErrorCode.IMAGE_INVALID, "Invalid signature: " + rule);
  }
}
