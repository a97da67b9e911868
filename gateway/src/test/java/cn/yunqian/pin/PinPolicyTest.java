package cn.yunqian.pin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.identity.ResidentIdNumber;
import org.junit.jupiter.api.Test;

class PinPolicyTest {

  private static final ResidentIdNumber ID = ResidentIdNumber.parse("11010519491231002X");

  @Test
  void acceptsOrdinaryPin() {
    assertDoesNotThrow(() -> PinPolicy.requireStrong("250913".toCharArray(), ID));
  }

  @Test
  void rejectsWrongFormat() {
    for (String pin : new String[] {"12345", "1234567", "12a456", ""}) {
      GatewayException e = assertThrows(GatewayException.class,
          () -> PinPolicy.requireStrong(pin.toCharArray(), ID));
      assertEquals(ErrorCode.PIN_FORMAT_INVALID, e.code(), pin);
    }
  }

  @Test
  void rejectsTrivialPins() {
    for (String pin : new String[] {"123456", "654321", "111111", "000000"}) {
      GatewayException e = assertThrows(GatewayException.class,
          () -> PinPolicy.requireStrong(pin.toCharArray(), ID));
      assertEquals(ErrorCode.PIN_TOO_WEAK, e.code(), pin);
    }
  }

  @Test
  void rejectsBirthDate() {
    for (String pin : new String[] {"491231", "194912", "123149"}) {
      GatewayException e = assertThrows(GatewayException.class,
          () -> PinPolicy.requireStrong(pin.toCharArray(), ID));
      assertEquals(ErrorCode.PIN_TOO_WEAK, e.code(), pin);
    }
  }
}
