package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

/**
 * A signature image encoded once as Flate-compressed RGB samples plus an alpha soft mask, so
 * each further document only copies the compressed bytes into new streams.
 */
record StampImage(int width, int height, byte[] rgbFlate, byte[] alphaFlate) {

  /** Largest accepted image side in pixels; a signature image needs far less. */
  static final int MAX_SIDE = 2048;

  private static final int CACHE_ENTRIES = 256;

  private static final Map<String, StampImage> CACHE = Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, StampImage> eldest) {
          return size() > CACHE_ENTRIES;
        }
      });

  /**
   * Returns the encoded form of {@code png}, from the cache when the same bytes came before.
   *
   * @throws GatewayException IMAGE_INVALID when the bytes are not a readable image
   */
  static StampImage of(byte[] png) {
    String key = HexFormat.of().formatHex(sha256(png));
    StampImage cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    StampImage encoded = encode(png);
    CACHE.put(key, encoded);
    return encoded;
  }

  private static StampImage encode(byte[] png) {
    BufferedImage image;
    try {
      image = png == null ? null : ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      image = null;
    }
    if (image == null) {
      throw new GatewayException(ErrorCode.IMAGE_INVALID,
          "The signature image is not a readable PNG.");
    }
    int width = image.getWidth();
    int height = image.getHeight();
    if (width > MAX_SIDE || height > MAX_SIDE) {
      throw new GatewayException(ErrorCode.IMAGE_INVALID, "The signature image is " + width
          + "x" + height + " pixels; the maximum is " + MAX_SIDE + " pixels per side.");
    }
    byte[] rgb = new byte[width * height * 3];
    byte[] alpha = new byte[width * height];
    boolean opaque = true;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int argb = image.getRGB(x, y);
        int i = y * width + x;
        rgb[i * 3] = (byte) (argb >> 16);
        rgb[i * 3 + 1] = (byte) (argb >> 8);
        rgb[i * 3 + 2] = (byte) argb;
        alpha[i] = (byte) (argb >>> 24);
        opaque &= (argb >>> 24) == 0xff;
      }
    }
    return new StampImage(width, height, deflate(rgb), opaque ? null : deflate(alpha));
  }

  /**
   * Creates the image XObject in {@code document}.
   * TODO: the alpha soft mask is transparency, which PDF/A-1 forbids. PDF/A-2 and PDF/A-3 allow
   * it, so only a PDF/A-1 input needs an opaque or flattened image.
   */
  PDImageXObject toXObject(PDDocument document) throws IOException {
    COSStream stream = imageStream(document, rgbFlate, COSName.DEVICERGB);
    if (alphaFlate != null) {
      stream.setItem(COSName.SMASK, imageStream(document, alphaFlate, COSName.DEVICEGRAY));
    }
    return new PDImageXObject(new org.apache.pdfbox.pdmodel.common.PDStream(stream), null);
  }

  private COSStream imageStream(PDDocument document, byte[] flate, COSName colorSpace)
      throws IOException {
    COSStream stream = document.getDocument().createCOSStream();
    try (OutputStream out = stream.createRawOutputStream()) {
      out.write(flate);
    }
    stream.setItem(COSName.TYPE, COSName.XOBJECT);
    stream.setItem(COSName.SUBTYPE, COSName.IMAGE);
    stream.setInt(COSName.WIDTH, width);
    stream.setInt(COSName.HEIGHT, height);
    stream.setInt(COSName.BITS_PER_COMPONENT, 8);
    stream.setItem(COSName.COLORSPACE, colorSpace);
    stream.setItem(COSName.FILTER, COSName.FLATE_DECODE);
    return stream;
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
    byte[] buffer = new byte[8192];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.toByteArray();
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data == null ? new byte[0] : data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
