package cn.yunqian.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PersonalDataCipherTest {

  private final PersonalDataCipher cipher = new PersonalDataCipher(new byte[32]);

  @Test
  void roundTrips() {
    byte[] plain = "签名图像".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = cipher.encrypt(plain, "signature-image", "a");
    assertEquals(1 + 12 + plain.length + 16, sealed.length);
    assertArrayEquals(plain, cipher.decrypt(sealed, "signature-image", "a"));
  }

  @Test
  void rejectsOtherRecord() {
    byte[] sealed = cipher.encrypt(new byte[] {1, 2, 3}, "signature-image", "a");
    assertThrows(IllegalStateException.class,
        () -> cipher.decrypt(sealed, "signature-image", "b"));
  }

  @Test
  void rejectsAlteredCiphertext() {
    byte[] sealed = cipher.encrypt(new byte[] {1, 2, 3}, "signature-image", "a");
    sealed[sealed.length - 1] ^= 1;
    assertThrows(IllegalStateException.class,
        () -> cipher.decrypt(sealed, "signature-image", "a"));
  }

  @Test
  void rejectsOtherKey() {
    byte[] sealed = cipher.encrypt(new byte[] {1, 2, 3}, "signature-image", "a");
    byte[] otherKey = new byte[32];
    Arrays.fill(otherKey, (byte) 7);
    assertThrows(IllegalStateException.class, () -> new PersonalDataCipher(otherKey)
        .decrypt(sealed, "signature-image", "a"));
  }
}
