package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.awt.geom.AffineTransform;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.apache.fontbox.ttf.TrueTypeCollection;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAppearanceStream;

/**
 * Draws the visible signature: the handwritten image with the signer's name and the signing
 * time under it, in the WenQuanYi Micro Hei font embedded as a subset.
 */
final class SignatureAppearance {

  /** Time zone of the drawn time and of /M; bid evaluation in China runs on Beijing time. */
  static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(SHANGHAI);

  /** Debian package fonts-wqy-microhei; Noto CJK is CFF-based and PDFBox cannot embed it. */
  static final Path FONT_FILE = Path.of("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc");

  private static final String FONT_NAME = "WenQuanYiMicroHei";

  private static volatile byte[] fontCollectionBytes;

  /** TrueTypeFont is not thread-safe, so each thread parses the cached bytes once. */
  private static final ThreadLocal<TrueTypeFont> FONT = ThreadLocal.withInitial(
      SignatureAppearance::parseFont);

  private static final float MARGIN = 2f;

  private SignatureAppearance() {}

  /**
   * Creates the normal appearance for a box of {@code width} x {@code height} points as the
   * reader sees it, turned by {@code rotation} degrees so it stays upright on a page with that
   * /Rotate value.
   */
  static PDAppearanceStream create(PDDocument document, SignatureSpec spec, float width,
      float height, int rotation) throws IOException {
    PDImageXObject image = StampImage.of(spec.imagePng()).toXObject(document);
    PDType0Font font = PDType0Font.load(document, FONT.get(), true);
    String name = spec.signerName() == null ? "" : spec.signerName().strip();
    String time = TIME.format(spec.signingTime());
    float fontSize = fontSize(font, width, height, name, time);

    PDAppearanceStream appearance = new PDAppearanceStream(document);
    appearance.setBBox(new PDRectangle(width, height));
    appearance.setResources(new PDResources());
    if (rotation != 0) {
      appearance.setMatrix(AffineTransform.getQuadrantRotateInstance(rotation / 90));
    }
    float textBlock = fontSize * 2.4f + MARGIN;
    try (PDPageContentStream content = new PDPageContentStream(document, appearance)) {
      drawImage(content, image, width, textBlock, height - MARGIN);
      content.beginText();
      content.setFont(font, fontSize);
      content.newLineAtOffset(MARGIN, MARGIN + fontSize * 1.3f);
      showText(content, name);
      content.newLineAtOffset(0, -fontSize * 1.2f);
      showText(content, time);
      content.endText();
    }
    return appearance;
  }

  /** Draws the image centred and scaled to fit between {@code bottom} and {@code top}. */
  private static void drawImage(PDPageContentStream content, PDImageXObject image, float width,
      float bottom, float top) throws IOException {
    float availableWidth = width - 2 * MARGIN;
    float availableHeight = top - bottom;
    if (availableWidth <= 0 || availableHeight <= 0) {
      return;
    }
    float scale = Math.min(availableWidth / image.getWidth(),
        availableHeight / image.getHeight());
    float drawnWidth = image.getWidth() * scale;
    float drawnHeight = image.getHeight() * scale;
    float x = (width - drawnWidth) / 2;
    float y = bottom + (availableHeight - drawnHeight) / 2;
    content.drawImage(image, x, y, drawnWidth, drawnHeight);
  }

  private static void showText(PDPageContentStream content, String text) throws IOException {
    try {
      content.showText(text);
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.NAME_INVALID, "The signer name contains a character "
          + "that the stamp font cannot draw: " + e.getMessage());
    }
  }

  /** Picks the largest size up to 9 pt at which both lines fit the box. */
  private static float fontSize(PDType0Font font, float width, float height, String name,
      String time) throws IOException {
    float size = Math.min(9f, height / 6f);
    float widest;
    try {
      widest = Math.max(font.getStringWidth(name), font.getStringWidth(time)) / 1000f;
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.NAME_INVALID, "The signer name contains a character "
          + "that the stamp font cannot draw: " + e.getMessage());
    }
    if (widest > 0) {
      size = Math.min(size, (width - 2 * MARGIN) / widest);
    }
    return Math.max(size, 2f);
  }

  private static TrueTypeFont parseFont() {
    try {
      byte[] bytes = fontCollectionBytes;
      if (bytes == null) {
        bytes = Files.readAllBytes(FONT_FILE);
        fontCollectionBytes = bytes;
      }
      TrueTypeFont font = new TrueTypeCollection(new ByteArrayInputStream(bytes))
          .getFontByName(FONT_NAME);
      if (font == null) {
        throw new IOException(FONT_NAME + " is not in " + FONT_FILE);
      }
      return font;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load the stamp font " + FONT_FILE
          + "; install the fonts-wqy-microhei package", e);
    }
  }
}
