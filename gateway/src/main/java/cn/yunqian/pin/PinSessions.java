package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.enrolment.sms.MobileNumbers;
import cn.yunqian.enrolment.sms.SmsCodes;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerNames;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phone sessions of the PIN page. A signer identifies with name and ID number, plus an SMS code
 * to the mobile number on file when there is one. Unknown people, wrong names, wrong numbers
 * and wrong codes all fail with the same IDENTITY_NOT_CONFIRMED, and attempts are limited per
 * ID number and per client address, so the page cannot be used to find out who is enrolled.
 * The session cookie is 32 random bytes; the database keeps its SHA-256.
 */
final class PinSessions {

  /** How long a session lasts after identification. */
  static final Duration LIFETIME = Duration.ofMinutes(10);
  /** Identification attempts (and code requests) per ID number in {@link #ID_WINDOW}. */
  static final int MAX_PER_ID_NUMBER = 5;
  static final Duration ID_WINDOW = Duration.ofMinutes(15);
  /** Identification attempts (and code requests) per client address in {@link #IP_WINDOW}. */
  static final int MAX_PER_CLIENT = 30;
  static final Duration IP_WINDOW = Duration.ofHours(1);

  private static final Logger LOG = LoggerFactory.getLogger(PinSessions.class);
  private static final String ID_PURPOSE = "pin-session-id-number";

  private final Pool pool;
  private final SignerEnrolment enrolment;
  private final SignerMobiles mobiles;
  private final SmsCodes smsCodes;
  private final PersonalDataCipher cipher;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  PinSessions(Pool pool, SignerEnrolment enrolment, SignerMobiles mobiles, SmsCodes smsCodes,
      PersonalDataCipher cipher, Clock clock) {
    this.pool = pool;
    this.enrolment = enrolment;
    this.mobiles = mobiles;
    this.smsCodes = smsCodes;
    this.cipher = cipher;
    this.clock = clock;
  }

  /** A PIN session. The face fields are set once the signer verified the face again. */
  record Session(UUID id, UUID signerId, UUID faceVerificationId, String faceSessionId) {

    String actor() {
      return "pin-session:" + id.toString().substring(0, 8);
    }
  }

  /** A new session and the cookie value that selects it, which is not stored. */
  record Opened(String cookie, Session session) {
  }

  /** The identification a person typed. {@code mobile} and {@code code} may be null. */
  record Claim(String name, String idNumber, String mobile, String code) {
  }

  /**
   * Sends an SMS code when the claim names an active signer with this mobile number on file.
   * Succeeds the same way when it does not, and when the resend delay applies, so the response
   * reveals nothing. Fails with NAME_INVALID, ID_NUMBER_INVALID, MOBILE_INVALID or
   * TOO_MANY_ATTEMPTS.
   */
  Future<Void> requestCode(Claim claim, String clientIp) {
    ResidentIdNumber id = ResidentIdNumber.parse(claim.idNumber());
    String name = SignerNames.normalise(claim.name());
    String mobile = MobileNumbers.requireValid(claim.mobile());
    byte[] idHash = enrolment.idNumberHash(id);
    return countAttempt(idHash, clientIp)
        .compose(ok -> findSigner(idHash))
        .compose(found -> {
          if (found.isEmpty() || !matchesSigner(found.get(), name)
              || !mobiles.matches(found.get(), mobile)) {
            return Future.<Void>succeededFuture();
          }
          return smsCodes.request(mobile, clientIp).recover(e -> {
            if (e instanceof GatewayException g && g.code() == ErrorCode.SMS_RATE_LIMITED) {
              LOG.info("PIN page code for signer {} not sent: {}",
                  found.get().getUUID("id"), g.reason());
              return Future.succeededFuture();
            }
            return Future.failedFuture(e);
          });
        });
  }

  /**
   * Checks the claim and opens a session. Fails with IDENTITY_NOT_CONFIRMED for every
   * mismatch, TOO_MANY_ATTEMPTS past the limits, or NAME_INVALID, ID_NUMBER_INVALID or
   * MOBILE_INVALID for input that is malformed. Every attempt past the format checks is
   * audited with the masked ID number, never the full one, the mobile number or the code.
   */
  Future<Opened> identify(Claim claim, String clientIp) {
    ResidentIdNumber id = ResidentIdNumber.parse(claim.idNumber());
    String name = SignerNames.normalise(claim.name());
    String mobile = claim.mobile() == null || claim.mobile().isBlank() ? null
        : MobileNumbers.requireValid(claim.mobile());
    byte[] idHash = enrolment.idNumberHash(id);
    return countAttempt(idHash, clientIp)
        .compose(ok -> findSigner(idHash))
        .compose(found -> confirm(found, name, mobile, claim.code())
            .compose(signerId -> open(signerId, id))
            .onFailure(e -> audit(found.map(row -> row.getUUID("id")).orElse(null),
                "PIN_IDENTIFY", e instanceof GatewayException g ? g.code().name()
                    : "INTERNAL_ERROR", id.masked())))
        .onSuccess(opened -> audit(opened.session().signerId(), "PIN_IDENTIFY", "SUCCESS",
            id.masked()))
        .onFailure(e -> {
          if (e instanceof GatewayException g && g.code() == ErrorCode.TOO_MANY_ATTEMPTS) {
            audit(null, "PIN_IDENTIFY", g.code().name(), id.masked());
          }
        });
  }

  private Future<UUID> confirm(Optional<Row> found, String name, String mobile, String code) {
    if (found.isEmpty() || !matchesSigner(found.get(), name)) {
      return notConfirmed();
    }
    Row signer = found.get();
    boolean hasMobile = signer.getBuffer("mobile_hash") != null;
    if (!hasMobile) {
      return mobile == null ? Future.succeededFuture(signer.getUUID("id")) : notConfirmed();
    }
    if (mobile == null || !mobiles.matches(signer, mobile)) {
      return notConfirmed();
    }
    // NOTE: only a claim that matches a signer reaches the code check, one more database round
    // trip, so its response can come slightly later than the response to an unknown claim.
    return smsCodes.verify(mobile, code)
        .map(signer.getUUID("id"))
        .recover(e -> e instanceof GatewayException g && (g.code() == ErrorCode.SMS_CODE_INCORRECT
            || g.code() == ErrorCode.SMS_CODE_EXPIRED) ? notConfirmed() : Future.failedFuture(e));
  }

  private static boolean matchesSigner(Row signer, String name) {
    return "ACTIVE".equals(signer.getString("status"))
        && name.equals(signer.getString("display_name"));
  }

  private Future<Opened> open(UUID signerId, ResidentIdNumber id) {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String cookie = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    UUID sessionId = UUID.randomUUID();
    OffsetDateTime now = now();
    byte[] idNumber = cipher.encrypt(id.value().getBytes(StandardCharsets.US_ASCII), ID_PURPOSE,
        sessionId.toString());
    return pool.preparedQuery("INSERT INTO pin_sessions (id, session_hash, signer_id,"
            + " id_number_enc, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .execute(Tuple.of(sessionId, Buffer.buffer(sha256(cookie)), signerId,
            Buffer.buffer(idNumber), now, now.plus(LIFETIME)))
        .map(done -> new Opened(cookie, new Session(sessionId, signerId, null, null)));
  }

  /** Returns the session of a cookie. Fails with PIN_SESSION_EXPIRED when there is none. */
  Future<Session> find(String cookie) {
    if (cookie == null || cookie.isEmpty() || cookie.length() > 100) {
      return expired();
    }
    return pool.preparedQuery("SELECT id, signer_id, face_verification_id, face_session_id"
            + " FROM pin_sessions WHERE session_hash = $1 AND expires_at > $2")
        .execute(Tuple.of(Buffer.buffer(sha256(cookie)), now()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return expired();
          }
          Row row = rows.iterator().next();
          return Future.succeededFuture(new Session(row.getUUID("id"), row.getUUID("signer_id"),
              row.getUUID("face_verification_id"), row.getString("face_session_id")));
        });
  }

  /** Returns the ID number the signer typed when opening the session. */
  Future<ResidentIdNumber> idNumber(Session session) {
    return pool.preparedQuery("SELECT id_number_enc FROM pin_sessions WHERE id = $1")
        .execute(Tuple.of(session.id()))
        .map(rows -> ResidentIdNumber.parse(new String(cipher.decrypt(
            rows.iterator().next().getBuffer("id_number_enc").getBytes(), ID_PURPOSE,
            session.id().toString()), StandardCharsets.US_ASCII)));
  }

  /** Attaches a face verification (or clears it with null) and the provider's session id. */
  Future<Void> setFace(Session session, UUID faceVerificationId, String faceSessionId) {
    return pool.preparedQuery("UPDATE pin_sessions SET face_verification_id = $2,"
            + " face_session_id = $3 WHERE id = $1")
        .execute(Tuple.of(session.id(), faceVerificationId, faceSessionId))
        .mapEmpty();
  }

  /** Ends the session. */
  Future<Void> close(Session session) {
    return pool.preparedQuery("DELETE FROM pin_sessions WHERE id = $1")
        .execute(Tuple.of(session.id()))
        .mapEmpty();
  }

  /**
   * Counts an attempt, unless a limit is reached, in which case it fails with TOO_MANY_ATTEMPTS
   * without counting. Expired sessions and old attempts are deleted on the way.
   */
  private Future<Void> countAttempt(byte[] idHash, String clientIp) {
    OffsetDateTime now = now();
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT"
                + " (SELECT count(*) FROM pin_identify_attempts WHERE id_number_hash = $1"
                + " AND attempted_at > $3) AS per_id,"
                + " (SELECT count(*) FROM pin_identify_attempts WHERE client_ip = $2"
                + " AND attempted_at > $4) AS per_ip")
            .execute(Tuple.of(Buffer.buffer(idHash), clientIp, now.minus(ID_WINDOW),
                now.minus(IP_WINDOW)))
            .compose(rows -> {
              Row row = rows.iterator().next();
              if (row.getLong("per_id") >= MAX_PER_ID_NUMBER) {
                return limited("This ID number has used its " + MAX_PER_ID_NUMBER
                    + " attempts in " + ID_WINDOW.toMinutes() + " minutes");
              }
              if (row.getLong("per_ip") >= MAX_PER_CLIENT) {
                return limited("This client address has used its " + MAX_PER_CLIENT
                    + " attempts in " + IP_WINDOW.toMinutes() + " minutes");
              }
              return conn.preparedQuery("INSERT INTO pin_identify_attempts (id_number_hash,"
                      + " client_ip, attempted_at) VALUES ($1, $2, $3)")
                  .execute(Tuple.of(Buffer.buffer(idHash), clientIp, now))
                  .compose(done -> conn.preparedQuery("DELETE FROM pin_identify_attempts"
                          + " WHERE attempted_at < $1")
                      .execute(Tuple.of(now.minus(IP_WINDOW).minus(ID_WINDOW))))
                  .compose(done -> conn.preparedQuery("DELETE FROM pin_sessions"
                          + " WHERE expires_at < $1")
                      .execute(Tuple.of(now)))
                  .<Void>mapEmpty();
            }))
        .onFailure(e -> {
          if (e instanceof GatewayException g && g.code() == ErrorCode.TOO_MANY_ATTEMPTS) {
            LOG.warn("PIN page identification limited: client={} {}", clientIp, g.reason());
          }
        });
  }

  private Future<Optional<Row>> findSigner(byte[] idHash) {
    return pool.preparedQuery("SELECT id, display_name, status, mobile_hash FROM signers"
            + " WHERE id_number_hash = $1")
        .execute(Tuple.of(Buffer.buffer(idHash)))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next()));
  }

  private void audit(UUID signerId, String action, String outcome, String maskedIdNumber) {
    new AuditLog(pool).record(new AuditEvent("pin-page", action, signerId, outcome,
            new JsonObject().put("idNumber", maskedIdNumber)))
        .onFailure(e -> LOG.error("Failed to audit {} {}", action, outcome, e));
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  private static <T> Future<T> notConfirmed() {
    return Future.failedFuture(new GatewayException(ErrorCode.IDENTITY_NOT_CONFIRMED,
        "Name, ID number, mobile number and SMS code do not identify an enrolled signer"));
  }

  private static <T> Future<T> limited(String reason) {
    return Future.failedFuture(new GatewayException(ErrorCode.TOO_MANY_ATTEMPTS,
        reason + "; try again later"));
  }

  private static <T> Future<T> expired() {
    return Future.failedFuture(new GatewayException(ErrorCode.PIN_SESSION_EXPIRED,
        "No PIN session for this cookie, or it is older than " + LIFETIME.toMinutes()
            + " minutes; identify again"));
  }
}
