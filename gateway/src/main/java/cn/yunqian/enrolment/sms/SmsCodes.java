package cn.yunqian.enrolment.sms;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SMS verification codes: 6 random digits, valid 5 minutes, at most 5 tries, a new code no
 * sooner than 60 seconds after the last one, and daily caps per number and per client address.
 * The database keeps only HMAC-SHA256 values of the number and of the code.
 */
public final class SmsCodes {

  public static final Duration VALIDITY = Duration.ofMinutes(5);
  public static final Duration RESEND_AFTER = Duration.ofSeconds(60);
  public static final int MAX_TRIES = 5;
  private static final Duration CAP_WINDOW = Duration.ofHours(24);
  /** Outcome of a check that found the right code; other outcomes are the tries left or -1. */
  private static final int MATCHED = Integer.MAX_VALUE;

  private final Pool pool;
  private final SmsSender sender;
  private final byte[] hmacKey;
  private final Clock clock;
  private final int capPerMobile;
  private final int capPerIp;
  private final SecureRandom random = new SecureRandom();

  public SmsCodes(Pool pool, SmsSender sender, byte[] hmacKey, Clock clock, int capPerMobile,
      int capPerIp) {
    this.pool = pool;
    this.sender = sender;
    this.hmacKey = hmacKey.clone();
    this.clock = clock;
    this.capPerMobile = capPerMobile;
    this.capPerIp = capPerIp;
  }

  /**
   * Creates a new code for the number, replacing any earlier one, and sends it.
   * Fails with SMS_RATE_LIMITED when the resend delay or a daily cap applies.
   */
  public Future<Void> request(String mobile, String clientIp) {
    byte[] mobileHash = hmac("mobile|" + mobile);
    String code = String.format("%06d", random.nextInt(1_000_000));
    OffsetDateTime now = now();
    return pool.withTransaction(conn -> checkLimits(conn, mobileHash, clientIp, now)
            .compose(ok -> conn.preparedQuery("INSERT INTO sms_codes (mobile_hash, code_hash,"
                    + " sent_at, expires_at, tries_left) VALUES ($1, $2, $3, $4, $5)"
                    + " ON CONFLICT (mobile_hash) DO UPDATE SET code_hash = $2, sent_at = $3,"
                    + " expires_at = $4, tries_left = $5")
                .execute(Tuple.of(Buffer.buffer(mobileHash), Buffer.buffer(codeHash(mobile, code)),
                    now, now.plus(VALIDITY), MAX_TRIES)))
            .compose(done -> conn.preparedQuery("INSERT INTO sms_sends (mobile_hash, client_ip,"
                    + " sent_at) VALUES ($1, $2, $3)")
                .execute(Tuple.of(Buffer.buffer(mobileHash), clientIp, now)))
            .compose(done -> sender.send(mobile, SmsTemplate.VERIFICATION_CODE,
                Map.of("code", code))));
  }

  private Future<Void> checkLimits(SqlConnection conn, byte[] mobileHash, String clientIp,
      OffsetDateTime now) {
    OffsetDateTime since = now.minus(CAP_WINDOW);
    return conn.preparedQuery("SELECT"
            + " (SELECT max(sent_at) FROM sms_sends WHERE mobile_hash = $1) AS last_sent,"
            + " (SELECT count(*) FROM sms_sends WHERE mobile_hash = $1 AND sent_at > $3)"
            + " AS per_mobile,"
            + " (SELECT count(*) FROM sms_sends WHERE client_ip = $2 AND sent_at > $3) AS per_ip")
        .execute(Tuple.of(Buffer.buffer(mobileHash), clientIp, since))
        .compose(rows -> {
          Row row = rows.iterator().next();
          OffsetDateTime lastSent = row.getOffsetDateTime("last_sent");
          if (lastSent != null && lastSent.plus(RESEND_AFTER).isAfter(now)) {
            return limited("A new code can be requested " + RESEND_AFTER.toSeconds()
                + " seconds after the last one");
          }
          if (row.getLong("per_mobile") >= capPerMobile) {
            return limited("This number has reached its limit of " + capPerMobile
                + " codes in 24 hours");
          }
          if (row.getLong("per_ip") >= capPerIp) {
            return limited("This client address has reached its limit of " + capPerIp
                + " codes in 24 hours");
          }
          return Future.succeededFuture();
        });
  }

  /**
   * Checks the code and uses it up when it matches. A wrong try is committed before the
   * future fails, so a rollback elsewhere never gives a try back.
   * Fails with SMS_CODE_INCORRECT (with the tries left) or SMS_CODE_EXPIRED (also after the
   * last try, or when no code was sent).
   */
  public Future<Void> verify(String mobile, String code) {
    byte[] mobileHash = hmac("mobile|" + mobile);
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT code_hash, expires_at,"
                + " tries_left FROM sms_codes WHERE mobile_hash = $1 FOR UPDATE")
            .execute(Tuple.of(Buffer.buffer(mobileHash)))
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(-1);
              }
              Row row = rows.iterator().next();
              if (row.getInteger("tries_left") <= 0
                  || !row.getOffsetDateTime("expires_at").isAfter(now())) {
                return Future.succeededFuture(-1);
              }
              boolean matches = code != null && code.matches("\\d{6}")
                  && MessageDigest.isEqual(row.getBuffer("code_hash").getBytes(),
                      codeHash(mobile, code));
              if (matches) {
                return conn.preparedQuery("DELETE FROM sms_codes WHERE mobile_hash = $1")
                    .execute(Tuple.of(Buffer.buffer(mobileHash)))
                    .map(MATCHED);
              }
              int left = row.getInteger("tries_left") - 1;
              return conn.preparedQuery("UPDATE sms_codes SET tries_left = $2"
                      + " WHERE mobile_hash = $1")
                  .execute(Tuple.of(Buffer.buffer(mobileHash), left))
                  .map(left);
            }))
        .compose(outcome -> {
          if (outcome == MATCHED) {
            return Future.succeededFuture();
          }
          if (outcome < 0) {
            return expired();
          }
          return Future.failedFuture(new SmsCodeIncorrect(outcome));
        });
  }

  /** A wrong code; carries the tries left so the page can show them. */
  public static final class SmsCodeIncorrect extends GatewayException {
    private final int triesLeft;

    SmsCodeIncorrect(int triesLeft) {
      super(ErrorCode.SMS_CODE_INCORRECT, "The SMS code is incorrect, " + triesLeft
          + " tries left");
      this.triesLeft = triesLeft;
    }

    public int triesLeft() {
      return triesLeft;
    }
  }

  private OffsetDateTime now() {
    return OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC);
  }

  private byte[] codeHash(String mobile, String code) {
    return hmac("code|" + mobile + "|" + code);
  }

  private byte[] hmac(String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from the JDK", e);
    }
  }

  private static <T> Future<T> limited(String reason) {
    return Future.failedFuture(new GatewayException(ErrorCode.SMS_RATE_LIMITED, reason));
  }

  private static <T> Future<T> expired() {
    return Future.failedFuture(new GatewayException(ErrorCode.SMS_CODE_EXPIRED,
        "The SMS code has expired or was used up. Request a new one"));
  }
}
