package cn.yunqian.enrolment.images;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;

/**
 * Position of the ink in a signature image: its bounding box and the number of separate
 * 8-connected marks.
 */
record Ink(int minX, int minY, int maxX, int maxY, int components) {

  /** Returns whether a pixel counts as ink; the same rule as {@code SignatureImages}. */
  static boolean isInk(int argb) {
    int alpha = argb >>> 24;
    int luminance = ((argb >> 16 & 0xff) + (argb >> 8 & 0xff) + (argb & 0xff)) / 3;
    return alpha > 64 && luminance < 160;
  }

  int width() {
    return maxX - minX + 1;
  }

  int height() {
    return maxY - minY + 1;
  }

  static Ink measure(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    boolean[] ink = new boolean[width * height];
    int minX = width;
    int minY = height;
    int maxX = -1;
    int maxY = -1;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        if (isInk(image.getRGB(x, y))) {
          ink[y * width + x] = true;
          minX = Math.min(minX, x);
          minY = Math.min(minY, y);
          maxX = Math.max(maxX, x);
          maxY = Math.max(maxY, y);
        }
      }
    }
    return new Ink(minX, minY, maxX, maxY, countComponents(ink, width, height));
  }

  private static int countComponents(boolean[] ink, int width, int height) {
    boolean[] seen = new boolean[ink.length];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    int components = 0;
    for (int start = 0; start < ink.length; start++) {
      if (!ink[start] || seen[start]) {
        continue;
      }
      components++;
      seen[start] = true;
      queue.add(start);
      while (!queue.isEmpty()) {
        int at = queue.poll();
        int x = at % width;
        int y = at / width;
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int nx = x + dx;
            int ny = y + dy;
            if (nx >= 0 && ny >= 0 && nx < width && ny < height) {
              int next = ny * width + nx;
              if (ink[next] && !seen[next]) {
                seen[next] = true;
                queue.add(next);
              }
            }
          }
        }
      }
    }
    return components;
  }
}
