package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationWidget;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDField;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;

/**
 * A resolved placement: the page, the widget rectangle in default user space and the box size
 * as the reader sees it.
 *
 * @param pageIndex 0-based page index
 * @param rectangle the widget /Rect in default user space
 * @param width box width as the reader sees it, in points
 * @param height box height as the reader sees it, in points
 * @param rotation the page's /Rotate value normalised to 0, 90, 180 or 270
 * @param existingField the empty field to sign into, or null to create a new field
 */
record SignatureTarget(int pageIndex, PDRectangle rectangle, float width, float height,
    int rotation, PDSignatureField existingField) {

  /** Gap between the keyword and the stamp, in points. */
  private static final float KEYWORD_GAP = 6f;

  boolean isVisible() {
    return width > 0 && height > 0;
  }

  /**
   * Resolves {@code placement} in {@code document}.
   *
   * @throws GatewayException PAGE_OUT_OF_RANGE, PLACEMENT_INVALID, KEYWORD_NOT_FOUND or
   *     SIGNATURE_FIELD_NOT_FOUND
   */
  static SignatureTarget resolve(PDDocument document, Placement placement) throws IOException {
    if (placement instanceof Placement.OnPage onPage) {
      return onPage(document, onPage);
    }
    if (placement instanceof Placement.NearKeyword near) {
      return nearKeyword(document, near);
    }
    if (placement instanceof Placement.InField inField) {
      return inField(document, inField.fieldName());
    }
    throw new GatewayException(ErrorCode.PLACEMENT_INVALID, "The placement is missing.");
  }

  private static SignatureTarget onPage(PDDocument document, Placement.OnPage request) {
    int pageCount = document.getNumberOfPages();
    if (request.page() < 1 || request.page() > pageCount) {
      throw new GatewayException(ErrorCode.PAGE_OUT_OF_RANGE, "Page " + request.page()
          + " does not exist; the document has " + pageCount + " pages.");
    }
    return onDisplayBox(document, request.page() - 1, request.x(), request.y(), request.width(),
        request.height());
  }

  private static SignatureTarget nearKeyword(PDDocument document, Placement.NearKeyword request)
      throws IOException {
    KeywordLocator.Match match = KeywordLocator.find(document, request.keyword());
    if (match == null) {
      throw new GatewayException(ErrorCode.KEYWORD_NOT_FOUND, "The keyword '"
          + request.keyword() + "' does not occur in the text of the document.");
    }
    PDPage page = document.getPage(match.pageIndex());
    float pageWidth = displayWidth(page);
    float pageHeight = displayHeight(page);
    float width = request.width();
    float height = request.height();
    float baselineUp = pageHeight - match.baseline();
    float textMiddle = baselineUp + (match.baseline() - match.top()) / 2;

    float x = match.right() + KEYWORD_GAP;
    float y = clamp(textMiddle - height / 2, 0, pageHeight - height);
    if (x + width > pageWidth) {
      x = clamp(match.left(), 0, pageWidth - width);
      y = baselineUp - KEYWORD_GAP - height;
    }
    if (y < 0 || x < 0) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID, "A " + width + " x " + height
          + " pt stamp fits neither right of nor below the keyword '" + request.keyword()
          + "' on page " + (match.pageIndex() + 1) + ".");
    }
    return onDisplayBox(document, match.pageIndex(), x, y, width, height);
  }

  private static SignatureTarget inField(PDDocument document, String name) {
    PDAcroForm form = document.getDocumentCatalog().getAcroForm(null);
    PDField field = form == null ? null : form.getField(name);
    if (!(field instanceof PDSignatureField signatureField)) {
      throw new GatewayException(ErrorCode.SIGNATURE_FIELD_NOT_FOUND,
          "The document has no signature field named '" + name + "'.");
    }
    if (signatureField.getCOSObject().getDictionaryObject(
        org.apache.pdfbox.cos.COSName.V) != null) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "The signature field '" + name + "' is already signed.");
    }
    PDAnnotationWidget widget = signatureField.getWidgets().get(0);
    int pageIndex = pageIndexOf(document, widget);
    if (pageIndex < 0) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "The signature field '" + name + "' is on no page of the document.");
    }
    PDRectangle rect = widget.getRectangle();
    if (rect == null) {
      rect = new PDRectangle(0, 0);
    }
    int rotation = rotation(document.getPage(pageIndex));
    boolean turned = rotation == 90 || rotation == 270;
    float width = turned ? rect.getHeight() : rect.getWidth();
    float height = turned ? rect.getWidth() : rect.getHeight();
    return new SignatureTarget(pageIndex, rect, width, height, rotation, signatureField);
  }

  private static int pageIndexOf(PDDocument document, PDAnnotationWidget widget) {
    PDPage page = widget.getPage();
    if (page != null) {
      int index = document.getPages().indexOf(page);
      if (index >= 0) {
        return index;
      }
    }
    int index = 0;
    for (PDPage candidate : document.getPages()) {
      try {
        for (PDAnnotation annotation : candidate.getAnnotations()) {
          if (annotation.getCOSObject() == widget.getCOSObject()) {
            return index;
          }
        }
      } catch (IOException e) {
        // An unreadable /Annots array cannot hold the widget; keep looking on later pages.
      }
      index++;
    }
    return -1;
  }

  /** Maps a box given as the reader sees the page into default user space. */
  private static SignatureTarget onDisplayBox(PDDocument document, int pageIndex, float x,
      float y, float width, float height) {
    PDPage page = document.getPage(pageIndex);
    float pageWidth = displayWidth(page);
    float pageHeight = displayHeight(page);
    boolean finite = Float.isFinite(x) && Float.isFinite(y) && Float.isFinite(width)
        && Float.isFinite(height);
    if (!finite || width <= 0 || height <= 0 || x < 0 || y < 0
        || x + width > pageWidth + 0.01f || y + height > pageHeight + 0.01f) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID, String.format(
          "The rectangle x=%.1f y=%.1f width=%.1f height=%.1f does not lie inside page %d, "
              + "whose visible area is %.1f x %.1f pt.",
          x, y, width, height, pageIndex + 1, pageWidth, pageHeight));
    }
    PDRectangle crop = page.getCropBox();
    float left = crop.getLowerLeftX();
    float bottom = crop.getLowerLeftY();
    int rotation = rotation(page);
    PDRectangle rect = switch (rotation) {
      case 90 -> new PDRectangle(left + crop.getWidth() - y - height, bottom + x, height, width);
      case 180 -> new PDRectangle(left + crop.getWidth() - x - width,
          bottom + crop.getHeight() - y - height, width, height);
      case 270 -> new PDRectangle(left + y, bottom + crop.getHeight() - x - width, height, width);
      default -> new PDRectangle(left + x, bottom + y, width, height);
    };
    return new SignatureTarget(pageIndex, rect, width, height, rotation, null);
  }

  static int rotation(PDPage page) {
    int rotation = ((page.getRotation() % 360) + 360) % 360;
    return rotation - rotation % 90;
  }

  private static float displayWidth(PDPage page) {
    int rotation = rotation(page);
    PDRectangle crop = page.getCropBox();
    return rotation == 90 || rotation == 270 ? crop.getHeight() : crop.getWidth();
  }

  private static float displayHeight(PDPage page) {
    int rotation = rotation(page);
    PDRectangle crop = page.getCropBox();
    return rotation == 90 || rotation == 270 ? crop.getWidth() : crop.getHeight();
  }

  private static float clamp(float value, float min, float max) {
    return Math.max(min, Math.min(max, value));
  }
}
