package cn.yunqian.web;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Video for Chromium's fake camera ({@code --use-file-for-fake-video-capture}), which reads
 * YUV4MPEG2 files. The picture is the single portrait from the thumbnail row of
 * {@code assets/samples.jpg} in the @vladmandic/human npm package, scaled into a 640x480 frame.
 */
final class FakeCamera {

  static final int WIDTH = 640;
  static final int HEIGHT = 480;
  private static final int FRAMES = 10;
  /** Position of the one-person thumbnail (a woman facing the camera) in samples.jpg. */
  private static final int CROP_X = 166;
  private static final int CROP_Y = 0;
  private static final int CROP_WIDTH = 152;
  private static final int CROP_HEIGHT = 156;

  private FakeCamera() {
  }

  /** Writes the face video to {@code target} unless it is already there, and returns it. */
  static Path faceVideo(Path mobileWebDir, Path target) throws IOException {
    if (Files.exists(target)) {
      return target;
    }
    Path samples = mobileWebDir.resolve("node_modules/@vladmandic/human/assets/samples.jpg");
    BufferedImage source = ImageIO.read(samples.toFile());
    if (source == null) {
      throw new IOException("cannot read the face sample " + samples + "; run npm ci in "
          + mobileWebDir);
    }
    BufferedImage frame = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = frame.createGraphics();
    graphics.setColor(Color.GRAY);
    graphics.fillRect(0, 0, WIDTH, HEIGHT);
    graphics.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
        RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    int height = HEIGHT;
    int width = CROP_WIDTH * HEIGHT / CROP_HEIGHT;
    graphics.drawImage(source.getSubimage(CROP_X, CROP_Y, CROP_WIDTH, CROP_HEIGHT),
        (WIDTH - width) / 2, 0, width, height, null);
    graphics.dispose();
    Files.createDirectories(target.getParent());
    writeY4m(frame, target);
    return target;
  }

  /** Writes the image as a few identical 4:2:0 frames (BT.601 full-range conversion). */
  static void writeY4m(BufferedImage image, Path target) throws IOException {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] luma = new byte[width * height];
    byte[] cb = new byte[(width / 2) * (height / 2)];
    byte[] cr = new byte[cb.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        luma[y * width + x] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
        if (y % 2 == 0 && x % 2 == 0) {
          int index = (y / 2) * (width / 2) + x / 2;
          cb[index] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
          cr[index] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
        }
      }
    }
    try (OutputStream out = Files.newOutputStream(target)) {
      out.write(("YUV4MPEG2 W" + width + " H" + height + " F10:1 Ip A1:1 C420jpeg\n")
          .getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < FRAMES; i++) {
        out.write("FRAME\n".getBytes(StandardCharsets.US_ASCII));
        out.write(luma);
        out.write(cb);
        out.write(cr);
      }
    }
  }

  private static byte clamp(double value) {
    return (byte) Math.max(0, Math.min(255, Math.round(value)));
  }
}
