package cn.yunqian.enrolment;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class AddressRateLimitTest {

  @Test
  void capsStartsPerAddressPerHour() {
    MutableClock clock = new MutableClock();
    AddressRateLimit limit = new AddressRateLimit(3, clock);
    for (int i = 0; i < 3; i++) {
      limit.acquire("10.0.0.1");
    }
    GatewayException refused = assertThrows(GatewayException.class,
        () -> limit.acquire("10.0.0.1"));
    assertEquals(ErrorCode.TOO_MANY_ATTEMPTS, refused.code());
    assertDoesNotThrow(() -> limit.acquire("10.0.0.2"));

    clock.advance(Duration.ofMinutes(61));
    assertDoesNotThrow(() -> limit.acquire("10.0.0.1"));
  }

  private static final class MutableClock extends Clock {

    private Instant now = Instant.parse("2026-12-04T08:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
