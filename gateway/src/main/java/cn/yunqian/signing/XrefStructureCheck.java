package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Byte-level check of a PDF's trailer and cross-reference sections.
 *
 * <p>PDFBox rebuilds a broken cross-reference table without telling the caller, and an
 * incremental update chained to such a table is broken again for every other reader. This check
 * therefore reads the bytes itself: the last {@code %%EOF} and {@code startxref} must sit at the
 * end of the file, and every cross-reference section reached through {@code startxref},
 * {@code /Prev} and {@code /XRefStm} must sit at its recorded offset, with every in-use entry
 * pointing at the object header it names.
 */
final class XrefStructureCheck {

  /** How far before the end of the file the trailer keywords are searched, as readers do. */
  private static final int TAIL_WINDOW = 1024;

  private static final Pattern PREV = Pattern.compile("/Prev\\s+(\\d+)");
  private static final Pattern XREF_STM = Pattern.compile("/XRefStm\\s+(\\d+)");
  private static final Pattern ROOT = Pattern.compile("/Root\\s+\\d+\\s+\\d+\\s+R");
  private static final Pattern ENCRYPT = Pattern.compile("/Encrypt\\b");
  private static final Pattern TYPE_XREF = Pattern.compile("/Type\\s*/XRef\\b");
  private static final Pattern SIZE = Pattern.compile("/Size\\s+(\\d+)");
  private static final Pattern W = Pattern.compile("/W\\s*\\[\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*]");
  private static final Pattern INDEX = Pattern.compile("/Index\\s*\\[([\\d\\s]*)]");
  private static final Pattern LENGTH = Pattern.compile("/Length\\s+(\\d+)(\\s+\\d+\\s+R)?");
  private static final Pattern FILTER = Pattern.compile("/Filter\\s*\\[?\\s*/(\\w+)");
  private static final Pattern PREDICTOR = Pattern.compile("/Predictor\\s+(\\d+)");
  private static final Pattern COLUMNS = Pattern.compile("/Columns\\s+(\\d+)");

  /** Result of the check: whether the newest trailer names an /Encrypt dictionary. */
  record Summary(boolean encrypted) {}

  private final byte[] pdf;

  private XrefStructureCheck(byte[] pdf) {
    this.pdf = pdf;
  }

  /**
   * Checks the trailer and every cross-reference section of {@code pdf}.
   *
   * @throws GatewayException with PDF_DAMAGED naming the first defect found
   */
  static Summary verify(byte[] pdf) {
    return new XrefStructureCheck(pdf).run();
  }

  private Summary run() {
    int eof = lastIndexOf("%%EOF", Math.max(0, pdf.length - TAIL_WINDOW), pdf.length);
    if (eof < 0) {
      throw damaged("no %%EOF marker in the last " + TAIL_WINDOW + " bytes (file truncated or "
          + "followed by other data)");
    }
    for (int i = eof + 5; i < pdf.length; i++) {
      if (!isWhitespace(pdf[i]) || pdf[i] == 0) {
        throw damaged("unexpected data after the final %%EOF at offset " + (eof + 5));
      }
    }
    int startxref = lastIndexOf("startxref", Math.max(0, eof - TAIL_WINDOW), eof);
    if (startxref < 0) {
      throw damaged("no startxref keyword before the final %%EOF");
    }
    long first = readNumber(skipWhitespace(startxref + 9), "startxref");

    Deque<Long> pending = new ArrayDeque<>();
    Set<Long> visited = new HashSet<>();
    pending.add(first);
    boolean newest = true;
    boolean encrypted = false;
    while (!pending.isEmpty()) {
      long offset = pending.poll();
      if (!visited.add(offset)) {
        continue;
      }
      String trailer = readSection(offset, pending);
      if (newest) {
        if (!ROOT.matcher(trailer).find()) {
          throw damaged("the newest trailer has no /Root (document catalog) reference");
        }
        encrypted = ENCRYPT.matcher(trailer).find();
        newest = false;
      }
    }
    return new Summary(encrypted);
  }

  /** Reads the section at {@code offset}, queues the sections it links to, returns its trailer. */
  private String readSection(long offset, Deque<Long> pending) {
    if (offset <= 0 || offset >= pdf.length) {
      throw damaged("cross-reference offset " + offset + " is outside the file of "
          + pdf.length + " bytes");
    }
    int position = skipWhitespace((int) offset);
    String trailer;
    if (startsWith(position, "xref")) {
      trailer = readClassicTable(position + 4);
      Matcher stream = XREF_STM.matcher(trailer);
      if (stream.find()) {
        pending.add(Long.parseLong(stream.group(1)));
      }
    } else {
      trailer = readXrefStream(position, offset);
    }
    Matcher prev = PREV.matcher(trailer);
    if (prev.find()) {
      pending.add(Long.parseLong(prev.group(1)));
    }
    return trailer;
  }

  private String readClassicTable(int position) {
    int cursor = skipWhitespace(position);
    while (!startsWith(cursor, "trailer")) {
      long start = readNumber(cursor, "xref subsection start");
      cursor = skipWhitespace(skipDigits(cursor));
      long count = readNumber(cursor, "xref subsection count");
      cursor = skipWhitespace(skipDigits(cursor));
      for (long i = 0; i < count; i++) {
        long entryOffset = readNumber(cursor, "xref entry offset");
        cursor = skipWhitespace(skipDigits(cursor));
        long generation = readNumber(cursor, "xref entry generation");
        cursor = skipWhitespace(skipDigits(cursor));
        byte kind = cursor < pdf.length ? pdf[cursor] : 0;
        if (kind == 'n') {
          expectObjectHeader(entryOffset, start + i, generation);
        } else if (kind != 'f') {
          throw damaged("xref entry for object " + (start + i) + " has no type n or f");
        }
        cursor = skipWhitespace(cursor + 1);
      }
    }
    int end = indexOf("startxref", cursor, pdf.length);
    return latin1(cursor, end < 0 ? Math.min(pdf.length, cursor + 4096) : end);
  }

  private String readXrefStream(int position, long offset) {
    int dictStart = indexOf("<<", position, Math.min(pdf.length, position + 64));
    int streamKeyword = dictStart < 0 ? -1 : indexOf("stream", dictStart, pdf.length);
    if (!isObjectHeader(position) || streamKeyword < 0) {
      throw damaged("startxref or /Prev offset " + offset
          + " points at neither an xref table nor an xref stream object");
    }
    String dict = latin1(dictStart, streamKeyword);
    if (!TYPE_XREF.matcher(dict).find()) {
      throw damaged("object at cross-reference offset " + offset + " is not an xref stream");
    }
    byte[] data = streamData(dict, streamKeyword + 6, offset);
    if (data != null) {
      checkStreamEntries(dict, data, offset, readNumber(position, "object number"));
    }
    return dict;
  }

  /** Returns the decoded stream data, or null when the stream uses a form this check skips. */
  private byte[] streamData(String dict, int afterKeyword, long offset) {
    Matcher length = LENGTH.matcher(dict);
    if (!length.find() || length.group(2) != null) {
      // NOTE: an indirect /Length is legal but rare for xref streams; its entries go unchecked.
      return null;
    }
    int start = afterKeyword;
    if (start < pdf.length && pdf[start] == '\r') {
      start++;
    }
    if (start < pdf.length && pdf[start] == '\n') {
      start++;
    }
    long end = start + Long.parseLong(length.group(1));
    if (end > pdf.length || indexOf("endstream", (int) end, (int) Math.min(pdf.length, end + 32))
        < 0) {
      throw damaged("xref stream at offset " + offset + " has a wrong /Length");
    }
    byte[] raw = java.util.Arrays.copyOfRange(pdf, start, (int) end);
    Matcher filter = FILTER.matcher(dict);
    if (!filter.find()) {
      return raw;
    }
    if (!"FlateDecode".equals(filter.group(1))) {
      return null;
    }
    return inflate(raw, offset);
  }

  private byte[] inflate(byte[] raw, long offset) {
    Inflater inflater = new Inflater();
    inflater.setInput(raw);
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
    byte[] buffer = new byte[8192];
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        out.write(buffer, 0, n);
      }
    } catch (DataFormatException e) {
      throw damaged("xref stream at offset " + offset + " does not inflate: " + e.getMessage());
    } finally {
      inflater.end();
    }
    return out.toByteArray();
  }

  /**
   * Checks the type 1 entries of an xref stream. The entry for the stream object itself is
   * skipped: readers find that object through startxref or /XRefStm, never through its entry,
   * and some writers (the qpdf test file hybrid-xref.pdf among them) leave it wrong.
   */
  private void checkStreamEntries(String dict, byte[] data, long offset, long ownNumber) {
    Matcher w = W.matcher(dict);
    Matcher size = SIZE.matcher(dict);
    if (!w.find() || !size.find()) {
      throw damaged("xref stream at offset " + offset + " lacks /W or /Size");
    }
    int[] widths = {Integer.parseInt(w.group(1)), Integer.parseInt(w.group(2)),
        Integer.parseInt(w.group(3))};
    int rowLength = widths[0] + widths[1] + widths[2];
    Matcher predictor = PREDICTOR.matcher(dict);
    if (predictor.find() && Integer.parseInt(predictor.group(1)) >= 10) {
      Matcher columns = COLUMNS.matcher(dict);
      int columnCount = columns.find() ? Integer.parseInt(columns.group(1)) : 1;
      data = PngPredictor.decode(data, columnCount);
    } else if (predictor.find(0) && Integer.parseInt(predictor.group(1)) != 1) {
      return;
    }
    long[] index = readIndex(dict, Long.parseLong(size.group(1)));
    int row = 0;
    for (int i = 0; i + 1 < index.length; i += 2) {
      for (long n = 0; n < index[i + 1]; n++, row++) {
        int base = row * rowLength;
        if (base + rowLength > data.length) {
          throw damaged("xref stream at offset " + offset
              + " has fewer entries than /Index declares");
        }
        long type = widths[0] == 0 ? 1 : field(data, base, widths[0]);
        if (type == 1 && index[i] + n != ownNumber) {
          long objectOffset = field(data, base + widths[0], widths[1]);
          long generation = field(data, base + widths[0] + widths[1], widths[2]);
          expectObjectHeader(objectOffset, index[i] + n, generation);
        }
      }
    }
  }

  private long[] readIndex(String dict, long size) {
    Matcher index = INDEX.matcher(dict);
    if (!index.find()) {
      return new long[] {0, size};
    }
    String[] parts = index.group(1).trim().split("\\s+");
    long[] values = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      values[i] = Long.parseLong(parts[i]);
    }
    return values;
  }

  private static long field(byte[] data, int start, int width) {
    long value = 0;
    for (int i = 0; i < width; i++) {
      value = (value << 8) | (data[start + i] & 0xff);
    }
    return value;
  }

  private void expectObjectHeader(long offset, long number, long generation) {
    String expected = number + " " + generation + " obj";
    if (offset <= 0 || offset >= pdf.length) {
      throw damaged("xref entry for object " + number + " points outside the file (offset "
          + offset + ")");
    }
    int cursor = skipWhitespace((int) offset);
    if (cursor >= pdf.length || !Character.isDigit(pdf[cursor])) {
      throw damaged("xref entry for object " + number + " points at offset " + offset
          + ", where no '" + expected + "' header starts");
    }
    long foundNumber = readNumber(cursor, "object number");
    cursor = skipWhitespace(skipDigits(cursor));
    long foundGeneration = cursor < pdf.length && Character.isDigit(pdf[cursor])
        ? readNumber(cursor, "generation") : -1;
    cursor = skipWhitespace(skipDigits(cursor));
    if (foundNumber != number || foundGeneration != generation || !startsWith(cursor, "obj")) {
      throw damaged("xref entry for object " + number + " points at offset " + offset
          + ", where no '" + expected + "' header starts");
    }
  }

  private boolean isObjectHeader(int position) {
    int cursor = position;
    if (cursor >= pdf.length || !Character.isDigit(pdf[cursor])) {
      return false;
    }
    cursor = skipWhitespace(skipDigits(cursor));
    if (cursor >= pdf.length || !Character.isDigit(pdf[cursor])) {
      return false;
    }
    cursor = skipWhitespace(skipDigits(cursor));
    return startsWith(cursor, "obj");
  }

  private long readNumber(int position, String description) {
    int end = skipDigits(position);
    if (end == position || end - position > 15) {
      throw damaged("expected a number for " + description + " at offset " + position);
    }
    return Long.parseLong(latin1(position, end));
  }

  private int skipDigits(int position) {
    int cursor = position;
    while (cursor < pdf.length && pdf[cursor] >= '0' && pdf[cursor] <= '9') {
      cursor++;
    }
    return cursor;
  }

  private int skipWhitespace(int position) {
    int cursor = position;
    while (cursor < pdf.length && isWhitespace(pdf[cursor])) {
      cursor++;
    }
    return cursor;
  }

  private static boolean isWhitespace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '\f' || b == 0;
  }

  private boolean startsWith(int position, String keyword) {
    if (position < 0 || position + keyword.length() > pdf.length) {
      return false;
    }
    for (int i = 0; i < keyword.length(); i++) {
      if (pdf[position + i] != keyword.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private int indexOf(String keyword, int from, int to) {
    for (int i = Math.max(0, from); i + keyword.length() <= to; i++) {
      if (startsWith(i, keyword)) {
        return i;
      }
    }
    return -1;
  }

  private int lastIndexOf(String keyword, int from, int to) {
    for (int i = to - keyword.length(); i >= from; i--) {
      if (startsWith(i, keyword)) {
        return i;
      }
    }
    return -1;
  }

  private String latin1(int from, int to) {
    return new String(pdf, from, Math.max(0, to - from), StandardCharsets.ISO_8859_1);
  }

  private static GatewayException damaged(String detail) {
    return new GatewayException(ErrorCode.PDF_DAMAGED,
        "The PDF is damaged: " + detail + ". Export or save it again and retry.");
  }
}
