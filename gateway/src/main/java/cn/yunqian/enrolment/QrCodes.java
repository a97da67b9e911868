package cn.yunqian.enrolment;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws QR codes as PNG with ZXing, for enrolment links that reviewers print or show. */
public final class QrCodes {

  private QrCodes() {
  }

  /** Encodes the text (UTF-8, error correction M) as a black-on-white PNG of about size px. */
  static byte[] png(String text, int size) {
    try {
      BitMatrix matrix = encode(text, size, 2);
      BufferedImage image = new BufferedImage(matrix.getWidth(), matrix.getHeight(),
          BufferedImage.TYPE_BYTE_BINARY);
      for (int y = 0; y < matrix.getHeight(); y++) {
        for (int x = 0; x < matrix.getWidth(); x++) {
          image.setRGB(x, y, matrix.get(x, y) ? 0xff000000 : 0xffffffff);
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("QR encoding failed", e);
    }
  }

  /**
   * Draws the QR code with half-block characters, two module rows per text line. Terminals
   * draw light glyphs on a dark background, so light modules are drawn and dark ones left
   * blank, which phone cameras read as a normal code.
   */
  public static String terminal(String text) {
    BitMatrix matrix = encode(text, 0, 2);
    StringBuilder out = new StringBuilder();
    for (int y = 0; y < matrix.getHeight(); y += 2) {
      for (int x = 0; x < matrix.getWidth(); x++) {
        boolean top = matrix.get(x, y);
        boolean bottom = y + 1 < matrix.getHeight() && matrix.get(x, y + 1);
        // Light cells are drawn, so the code reads as dark modules on a light background.
        char cell;
        if (top && bottom) {
          cell = ' ';
        } else if (top) {
          cell = '▄';
        } else if (bottom) {
          cell = '▀';
        } else {
          cell = '█';
        }
        out.append(cell);
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static BitMatrix encode(String text, int size, int margin) {
    try {
      return new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, size, size,
          Map.of(EncodeHintType.CHARACTER_SET, "UTF-8",
              EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M,
              EncodeHintType.MARGIN, margin));
    } catch (WriterException e) {
      throw new IllegalStateException("QR encoding failed", e);
    }
  }
}
