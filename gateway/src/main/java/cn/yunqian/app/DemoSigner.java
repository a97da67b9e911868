package cn.yunqian.app;

import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.pin.PinPolicy;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.util.random.RandomGenerator;
import javax.imageio.ImageIO;

/**
 * Made-up identity data for the demo signer: a Chinese name, an ID number that passes the
 * GB 11643 check, a random PIN and a handwritten-looking signature image. None of it belongs to
 * a real person.
 */
public final class DemoSigner {

  private static final String[] SURNAMES = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
  private static final String[] GIVEN_NAMES =
      {"芳", "伟", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "晓明", "建华"};
  /** 北京市东城区, a real county-level code, so the ID number has a valid region. */
  private static final String REGION_CODE = "110101";

  private final RandomGenerator random;

  public DemoSigner(RandomGenerator random) {
    this.random = random;
  }

  public DemoSigner() {
    this(new SecureRandom());
  }

  public String name() {
    return SURNAMES[random.nextInt(SURNAMES.length)]
        + GIVEN_NAMES[random.nextInt(GIVEN_NAMES.length)];
  }

  public String idNumber() {
    LocalDate birth = LocalDate.of(1960, 1, 1).plusDays(random.nextInt(365 * 35));
    String first17 = REGION_CODE + birth.toString().replace("-", "")
        + String.format("%03d", random.nextInt(1000));
    return first17 + ResidentIdNumber.checkCharacter(first17);
  }

  /** Returns a random PIN that passes {@link PinPolicy#requireStrong}. */
  public char[] pin(ResidentIdNumber idNumber) {
    while (true) {
      char[] pin = new char[PinPolicy.LENGTH];
      for (int i = 0; i < pin.length; i++) {
        pin[i] = (char) ('0' + random.nextInt(10));
      }
      try {
        PinPolicy.requireStrong(pin, idNumber);
        return pin;
      } catch (RuntimeException weak) {
        java.util.Arrays.fill(pin, '\0');
      }
    }
  }

  /** Draws a few joined pen strokes in dark blue on a transparent 360x120 canvas. */
  public byte[] signatureImage() {
    BufferedImage image = new BufferedImage(360, 120, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(20, 30, 110));
    g.setStroke(new BasicStroke(4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    Path2D.Float stroke = new Path2D.Float();
    float x = 20;
    float y = 70;
    stroke.moveTo(x, y);
    for (int i = 0; i < 7; i++) {
      float nextX = x + 40 + random.nextInt(10);
      float nextY = 40 + random.nextInt(50);
      stroke.curveTo(x + 10, y - 50 + random.nextInt(30), nextX - 15, nextY + 40,
          nextX, nextY);
      x = nextX;
      y = nextY;
    }
    g.draw(stroke);
    g.drawLine(30, 100, 320, 95);
    g.dispose();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
