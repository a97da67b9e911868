package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps how many new enrolments one client address may start per hour. Each enrolment that
 * reaches its PIN step creates an HSM token, and HSMs have a limited number of them, so an
 * enrolment link must not let one client create tokens without end.
 *
 * <p>NOTE: the counts live in this process only, and behind a reverse proxy every phone shares
 * the proxy's address, so size the cap for the busiest proxy.
 */
final class AddressRateLimit {

  private static final Duration WINDOW = Duration.ofHours(1);

  private final int maxPerWindow;
  private final Clock clock;
  private final Map<String, Deque<Long>> starts = new ConcurrentHashMap<>();

  AddressRateLimit(int maxPerWindow, Clock clock) {
    this.maxPerWindow = maxPerWindow;
    this.clock = clock;
  }

  /** Counts one start from {@code address}; fails with TOO_MANY_ATTEMPTS over the cap. */
  void acquire(String address) {
    long now = clock.millis();
    long oldest = now - WINDOW.toMillis();
    Deque<Long> times = starts.computeIfAbsent(address, key -> new ArrayDeque<>());
    synchronized (times) {
      while (!times.isEmpty() && times.peekFirst() < oldest) {
        times.pollFirst();
      }
      if (times.size() >= maxPerWindow) {
        throw new GatewayException(ErrorCode.TOO_MANY_ATTEMPTS, "More than " + maxPerWindow
            + " enrolments were started from this address in the last hour; try again later");
      }
      times.addLast(now);
    }
  }
}
