package cn.yunqian.signing;

import java.io.IOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;

/**
 * Finds a keyword in the page text, from the last page backwards. Text and keyword are both
 * NFKC-normalised and compared without whitespace, so full-width punctuation, letter spacing and
 * text split over several show-text operators still match.
 *
 * <p>NOTE: a page whose text has no Unicode mapping (no /ToUnicode) or is drawn as outlines or
 * images yields no match. Text that is itself rotated on a rotated page gets wrong positions.
 */
final class KeywordLocator extends PDFTextStripper {

  /**
   * A match on one page in display coordinates: points from the CropBox's top-left corner as
   * the reader sees the page.
   *
   * @param pageIndex 0-based page index
   * @param baseline distance of the text baseline from the top
   * @param top distance of the glyph tops from the top
   */
  record Match(int pageIndex, float left, float right, float top, float baseline) {}

  private final String keyword;
  private final List<TextPosition> glyphs = new ArrayList<>();
  private Match match;

  private KeywordLocator(String normalisedKeyword) {
    this.keyword = normalisedKeyword;
  }

  /** Returns the last match in the document, or null when the keyword does not occur. */
  static Match find(PDDocument document, String keyword) throws IOException {
    String normalised = normalise(keyword);
    if (normalised.isEmpty()) {
      return null;
    }
    KeywordLocator locator = new KeywordLocator(normalised);
    for (int page = document.getNumberOfPages(); page >= 1; page--) {
      locator.setStartPage(page);
      locator.setEndPage(page);
      locator.getText(document);
      if (locator.match != null) {
        return locator.match;
      }
    }
    return null;
  }

  static String normalise(String text) {
    String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(nfkc.length());
    nfkc.codePoints()
        .filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c))
        .forEach(out::appendCodePoint);
    return out.toString();
  }

  @Override
  protected void startPage(PDPage page) throws IOException {
    glyphs.clear();
    super.startPage(page);
  }

  @Override
  protected void writeString(String text, List<TextPosition> textPositions) {
    glyphs.addAll(textPositions);
  }

  @Override
  protected void endPage(PDPage page) throws IOException {
    StringBuilder text = new StringBuilder();
    List<TextPosition> owners = new ArrayList<>();
    for (TextPosition glyph : glyphs) {
      String normalised = normalise(glyph.getUnicode() == null ? "" : glyph.getUnicode());
      for (int i = 0; i < normalised.length(); i++) {
        text.append(normalised.charAt(i));
        owners.add(glyph);
      }
    }
    int start = text.lastIndexOf(keyword);
    if (start >= 0) {
      TextPosition first = owners.get(start);
      TextPosition last = owners.get(start + keyword.length() - 1);
      float baseline = Math.max(first.getYDirAdj(), last.getYDirAdj());
      float top = baseline - Math.max(first.getHeightDir(), last.getHeightDir());
      match = new Match(getCurrentPageNo() - 1, first.getXDirAdj(),
          last.getXDirAdj() + last.getWidthDirAdj(), top, baseline);
    }
    super.endPage(page);
  }
}
