package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Token;

/**
 * A bounded pool of logged-in read-write sessions on one token, for a token that stays logged
 * in with a service PIN. At most {@code maxSessions} sessions are open at once; a caller that
 * finds them all leased waits up to the lease timeout.
 *
 * <p>A session that fails with CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
 * CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT is discarded together with every idle session,
 * because whatever closed it (C_CloseAllSessions, a dropped connection to a network HSM, a
 * removed token) has most likely closed them too. {@link #call} then retries once on a new
 * session, and the token is looked up by label again. A new session logs in again when the
 * token has lost its login (PKCS#11 ends the login when the last session of a token closes).
 */
final class SessionPool implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SessionPool.class);

  private final HsmModule module;
  private final String tokenLabel;
  private final char[] userPin;
  private final long leaseTimeoutMillis;
  private final Semaphore permits;
  private final Deque<Session> idle = new ArrayDeque<>();
  private final AtomicInteger open = new AtomicInteger();
  private boolean closed;

  /**
   * @param userPin the token's user PIN; the pool keeps a copy and clears it on close
   * @param maxSessions maximum number of sessions open at once, at least 1
   */
  SessionPool(HsmModule module, String tokenLabel, char[] userPin, int maxSessions,
      long leaseTimeoutMillis) {
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions must be at least 1, got " + maxSessions);
    }
    this.module = Objects.requireNonNull(module, "module");
    this.tokenLabel = Objects.requireNonNull(tokenLabel, "tokenLabel");
    this.userPin = userPin.clone();
    this.leaseTimeoutMillis = leaseTimeoutMillis;
    this.permits = new Semaphore(maxSessions, true);
  }

  /** Work done with one leased session. */
  @FunctionalInterface
  interface SessionWork<T> {
    T run(Session session) throws PKCS11Exception;
  }

  /**
   * Runs {@code work} on a leased session and returns the session afterwards. When the session
   * turns out to be lost, discards it and runs {@code work} once more on a new session, so work
   * must be safe to repeat. Other PKCS#11 errors are translated with {@code operation}.
   */
  <T> T call(String operation, SessionWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      Session session = lease();
      boolean lost = false;
      try {
        return work.run(session);
      } catch (PKCS11Exception e) {
        lost = Pkcs11Errors.isSessionLost(e);
        if (lost && attempt == 1) {
          LOG.warn("Session on token {} lost during {} ({}); retrying on a new session",
              tokenLabel, operation, e.getErrorName());
          continue;
        }
        throw Pkcs11Errors.translate(operation, tokenLabel, e);
      } finally {
        giveBack(session, lost);
      }
    }
  }

  /**
   * Leases a logged-in session; the caller returns it with {@link #giveBack}. Waits at most the
   * lease timeout when every session is leased.
   *
   * @throws GatewayException HSM_UNAVAILABLE on timeout or when no session can be opened
   */
  Session lease() {
    acquirePermit();
    try {
      Session session = takeIdle();
      return session != null ? session : openLoggedIn();
    } catch (RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  /**
   * Returns a leased session. A lost session is closed and not reused, and the idle sessions
   * are closed with it (see the class comment).
   */
  void giveBack(Session session, boolean lost) {
    try {
      if (lost) {
        closeQuietly(session);
        discardIdle();
        return;
      }
      synchronized (idle) {
        if (!closed) {
          idle.push(session);
          return;
        }
      }
      closeQuietly(session);
    } finally {
      permits.release();
    }
  }

  /** Returns the number of sessions this pool has open, leased or idle. */
  int openSessions() {
    return open.get();
  }

  /** Closes the idle sessions and clears the PIN. Leased sessions close when given back. */
  @Override
  public void close() {
    synchronized (idle) {
      closed = true;
      while (!idle.isEmpty()) {
        closeQuietly(idle.pop());
      }
    }
    Arrays.fill(userPin, '\0');
  }

  private void discardIdle() {
    synchronized (idle) {
      if (!idle.isEmpty()) {
        LOG.warn("Discarding {} idle sessions of token {} after a lost session", idle.size(),
            tokenLabel);
      }
      while (!idle.isEmpty()) {
        closeQuietly(idle.pop());
      }
    }
  }

  private void acquirePermit() {
    try {
      if (!permits.tryAcquire(leaseTimeoutMillis, TimeUnit.MILLISECONDS)) {
        throw new GatewayException(ErrorCode.HSM_UNAVAILABLE, "timed out after "
            + leaseTimeoutMillis + " ms waiting for a session on token " + tokenLabel);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "interrupted while waiting for a session on token " + tokenLabel, e);
    }
  }

  private Session takeIdle() {
    synchronized (idle) {
      if (closed) {
        throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
            "the session pool of token " + tokenLabel + " is closed");
      }
      return idle.poll();
    }
  }

  private Session openLoggedIn() {
    // A missing pool token is an HSM outage, not an unknown signer, so it is HSM_UNAVAILABLE.
    Token token = module.findToken(tokenLabel).orElseThrow(() -> new GatewayException(
        ErrorCode.HSM_UNAVAILABLE, "token " + tokenLabel + " is not present in any slot"));
    Session session = Sessions.openReadWrite(token, tokenLabel);
    open.incrementAndGet();
    try {
      session.login(PKCS11Constants.CKU_USER, userPin);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN) {
        closeQuietly(session);
        throw Pkcs11Errors.translate("C_Login", tokenLabel, e);
      }
    }
    return session;
  }

  private void closeQuietly(Session session) {
    open.decrementAndGet();
    Sessions.close(session, tokenLabel);
  }
}
