package cn.yunqian.signing;

import java.util.Arrays;

/**
 * Reverses the PNG row predictors (PDF /Predictor 10 to 15) for one byte per pixel, the form
 * that cross-reference streams use.
 */
final class PngPredictor {

  private PngPredictor() {}

  /** Returns the rows of {@code data} without their filter-type bytes and with filters undone. */
  static byte[] decode(byte[] data, int columns) {
    int rowCount = data.length / (columns + 1);
    byte[] out = new byte[rowCount * columns];
    byte[] previous = new byte[columns];
    for (int row = 0; row < rowCount; row++) {
      int in = row * (columns + 1);
      int filter = data[in] & 0xff;
      byte[] current = Arrays.copyOfRange(data, in + 1, in + 1 + columns);
      for (int i = 0; i < columns; i++) {
        int left = i > 0 ? current[i - 1] & 0xff : 0;
        int up = previous[i] & 0xff;
        int upLeft = i > 0 ? previous[i - 1] & 0xff : 0;
        int value = current[i] & 0xff;
        switch (filter) {
          case 1 -> value += left;
          case 2 -> value += up;
          case 3 -> value += (left + up) / 2;
          case 4 -> value += paeth(left, up, upLeft);
          default -> { }
        }
        current[i] = (byte) value;
      }
      System.arraycopy(current, 0, out, row * columns, columns);
      previous = current;
    }
    return out;
  }

  private static int paeth(int left, int up, int upLeft) {
    int estimate = left + up - upLeft;
    int distanceLeft = Math.abs(estimate - left);
    int distanceUp = Math.abs(estimate - up);
    int distanceUpLeft = Math.abs(estimate - upLeft);
    if (distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft) {
      return left;
    }
    return distanceUp <= distanceUpLeft ? up : upLeft;
  }
}
