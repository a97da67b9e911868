package cn.yunqian.identity;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Province, city and county codes of GB/T 2260 with their names, loaded from the resource
 * {@code regions/gbt2260-vant-area-data-2.1.0.tsv} (see the README beside it for the source).
 * Used to check the county code a phone submits and to show the full place name.
 */
public final class Regions {

  /** Classpath location of the region table. */
  public static final String RESOURCE = "/regions/gbt2260-vant-area-data-2.1.0.tsv";

  private final Map<String, Region> byCode;

  private Regions(Map<String, Region> byCode) {
    this.byCode = byCode;
  }

  /** A region: its 6-digit code, level ({@code province}, {@code city}, {@code county}), name. */
  public record Region(String code, String level, String name) {
  }

  /** Loads the table from the classpath. */
  public static Regions load() {
    Map<String, Region> byCode = new HashMap<>();
    try (InputStream in = Regions.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("Region table missing from the classpath: " + RESOURCE);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in,
          StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        String[] fields = line.split("\t");
        if (fields.length == 3) {
          byCode.put(fields[0], new Region(fields[0], fields[1], fields[2]));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Regions(Map.copyOf(byCode));
  }

  /** Returns the number of codes in the table. */
  public int size() {
    return byCode.size();
  }

  /** Returns the region with this code at any level. */
  public Optional<Region> find(String code) {
    return Optional.ofNullable(code).map(byCode::get);
  }

  /**
   * Returns the full name of a county, e.g. {@code 广东省 深圳市 南山区}.
   *
   * @throws GatewayException REGION_INVALID when the code is not a county in the table
   */
  public String requireCounty(String code) {
    Region county = find(code).filter(region -> "county".equals(region.level()))
        .orElseThrow(() -> new GatewayException(ErrorCode.REGION_INVALID,
            "Unknown county code '" + code + "'; expected a 6-digit GB/T 2260 county code"));
    String province = find(code.substring(0, 2) + "0000").map(Region::name).orElse("");
    String city = find(code.substring(0, 4) + "00").map(Region::name).orElse("");
    return String.join(" ", province, city, county.name()).trim();
  }
}
