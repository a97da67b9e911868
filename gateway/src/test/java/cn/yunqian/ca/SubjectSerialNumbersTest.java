package cn.yunqian.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SubjectSerialNumbersTest {

  private static final byte[] SECRET_A =
      "deployment secret A, at least 32 bytes".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SECRET_B =
      "deployment secret B, at least 32 bytes".getBytes(StandardCharsets.US_ASCII);

  @Test
  void derivedValueHasPrefixAndLength() {
    String value = SubjectSerialNumbers.derive("11010519491231002X", SECRET_A);

    assertTrue(value.startsWith("YQ-"), value);
    assertEquals(35, value.length());
    assertTrue(value.substring(3).matches("[0-9a-f]{32}"), value);
  }

  @Test
  void derivedValueIsNotIdNumber() {
    String value = SubjectSerialNumbers.derive("11010519491231002X", SECRET_A);

    assertNotEquals("11010519491231002X", value);
    assertFalse(value.contains("110105"), value);
  }

  @Test
  void sameInputsGiveSameValue() {
    assertEquals(SubjectSerialNumbers.derive("11010519491231002X", SECRET_A),
        SubjectSerialNumbers.derive(" 11010519491231002x ", SECRET_A));
  }

  @Test
  void secretChangesValue() {
    assertNotEquals(SubjectSerialNumbers.derive("11010519491231002X", SECRET_A),
        SubjectSerialNumbers.derive("11010519491231002X", SECRET_B));
  }

  @Test
  void differentIdsGiveDifferentValues() {
    assertNotEquals(SubjectSerialNumbers.derive("11010519491231002X", SECRET_A),
        SubjectSerialNumbers.derive("110105194912310021", SECRET_A));
  }

  @Test
  void malformedIdIsRejected() {
    GatewayException invalid = assertThrows(GatewayException.class,
        () -> SubjectSerialNumbers.derive("1101051949", SECRET_A));

    assertEquals(ErrorCode.ID_NUMBER_INVALID, invalid.code());
    assertFalse(invalid.getMessage().contains("1101051949"), "message must not echo the ID");
  }

  @Test
  void shortSecretIsRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> SubjectSerialNumbers.derive("11010519491231002X", new byte[16]));
  }
}
