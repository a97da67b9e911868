package cn.yunqian.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import org.junit.jupiter.api.Test;

class RegionsTest {

  private final Regions regions = Regions.load();

  @Test
  void tableHasAllThreeLevels() {
    assertEquals(34 + 369 + 3479, regions.size());
  }

  @Test
  void countyGetsFullName() {
    assertEquals("广东省 深圳市 南山区", regions.requireCounty("440305"));
  }

  @Test
  void nonCountyCodesAreInvalid() {
    for (String code : new String[] {"440300", "440000", "449999", "", "44030"}) {
      GatewayException e = assertThrows(GatewayException.class,
          () -> regions.requireCounty(code), code);
      assertEquals(ErrorCode.REGION_INVALID, e.code(), code);
    }
  }
}
