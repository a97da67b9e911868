package cn.yunqian.signing;

/**
 * Position of a visible signature. Coordinates are PDF points with the origin at the bottom-left
 * corner of the page as the reader sees it, that is after /Rotate and relative to the CropBox.
 */
public sealed interface Placement {

  /**
   * A rectangle on a page.
   *
   * @param page 1-based page number
   */
  record OnPage(int page, float x, float y, float width, float height) implements Placement {}

  /**
   * Beside the first match of {@code keyword}, searched from the last page backwards: right of
   * the match when the stamp fits on the page there, else below it.
   */
  record NearKeyword(String keyword, float width, float height) implements Placement {

    /** Default stamp size in points, room for the image and two lines of text. */
    public NearKeyword(String keyword) {
      this(keyword, 150f, 62f);
    }
  }

  /** An existing, still empty signature field, signed with its own rectangle. */
  record InField(String fieldName) implements Placement {}
}
