package cn.yunqian.signing;

/**
 * A PDF that passed {@link PdfDocumentCheck#check}: it opens with {@code password}, its
 * cross-reference structure is intact and it allows a further signature.
 *
 * @param bytes the unchanged input; callers must not modify the array
 * @param password the password that opened it, or null when none was needed
 * @param encrypted whether the file uses the standard security handler
 * @param pageCount number of pages
 */
public record CheckedPdf(byte[] bytes, String password, boolean encrypted, int pageCount) {}
