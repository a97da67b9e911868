package cn.yunqian.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import org.junit.jupiter.api.Test;

class ResidentIdNumberTest {

  /** The GB 11643-1999 worked example: 11010519491231002X. */
  private static final String STANDARD_EXAMPLE = "11010519491231002X";

  @Test
  void acceptsStandardExample() {
    ResidentIdNumber id = ResidentIdNumber.parse(STANDARD_EXAMPLE.toLowerCase());
    assertEquals(STANDARD_EXAMPLE, id.value());
    assertEquals("110105", id.regionCode());
    assertEquals("1949-12-31", id.birthDate().toString());
  }

  @Test
  void computesCheckCharacter() {
    assertEquals('X', ResidentIdNumber.checkCharacter("11010519491231002"));
    assertEquals('1', ResidentIdNumber.checkCharacter("44030419900101001"));
  }

  @Test
  void masksAllButFirstAndLastFour() {
    ResidentIdNumber id = ResidentIdNumber.parse(STANDARD_EXAMPLE);
    assertEquals("1101**********002X", id.masked());
    assertEquals(id.masked(), id.toString());
    assertFalse(id.toString().contains("19491231"));
  }

  @Test
  void rejectsWrongCheckDigit() {
    assertRejected("110105194912310021", "check digit");
  }

  @Test
  void rejectsImpossibleBirthDate() {
    String first17 = "11010519490231002";
    assertRejected(first17 + ResidentIdNumber.checkCharacter(first17), "not a real date");
  }

  @Test
  void rejectsFutureBirthDate() {
    String first17 = "11010530000101002";
    assertRejected(first17 + ResidentIdNumber.checkCharacter(first17), "out of range");
  }

  @Test
  void rejectsUnknownProvince() {
    String first17 = "99010519491231002";
    assertRejected(first17 + ResidentIdNumber.checkCharacter(first17), "province");
  }

  @Test
  void rejectsWrongLengthAndLetters() {
    assertRejected("1101051949123100", "17 digits");
    assertRejected("1101051949123100AX", "17 digits");
    assertRejected(null, "missing");
  }

  @Test
  void messageNeverContainsNumber() {
    GatewayException e = assertThrows(GatewayException.class,
        () -> ResidentIdNumber.parse("110105194912310021"));
    assertFalse(e.getMessage().contains("110105194912310021"));
  }

  private static void assertRejected(String text, String rule) {
    GatewayException e = assertThrows(GatewayException.class, () -> ResidentIdNumber.parse(text));
    assertEquals(ErrorCode.ID_NUMBER_INVALID, e.code());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
  }
}
