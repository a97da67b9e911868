package cn.yunqian.audit;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tamper-evident audit log in PostgreSQL. Every row stores
 * {@code hash = SHA-256(prev_hash || canonical row text)}, so a changed or removed row breaks
 * the chain that {@link #verifyChain(Pool)} walks. A trigger also refuses UPDATE and DELETE.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final byte[] GENESIS = new byte[32];
  /** Arbitrary constant naming the advisory lock that serialises appends. */
  private static final long APPEND_LOCK = 0x41554449544cL;

  private final Pool pool;

  public AuditLog(Pool pool) {
    this.pool = pool;
  }

  /** Appends the event in its own transaction. */
  public Future<Void> record(AuditEvent event) {
    return pool.withTransaction(conn -> append(conn, event))
        .onFailure(e -> LOG.error("Failed to write audit event: action='{}' signer='{}'",
            event.action(), event.signerId(), e));
  }

  /** Appends the event inside the caller's transaction, so it commits or rolls back with it. */
  public static Future<Void> append(SqlConnection conn, AuditEvent event) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    return conn.query("SELECT pg_advisory_xact_lock(" + APPEND_LOCK + ")").execute()
        .compose(locked -> conn.query(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").execute())
        .compose(rows -> {
          long seq = 1;
          byte[] prev = GENESIS;
          if (rows.size() > 0) {
            Row last = rows.iterator().next();
            seq = last.getLong("seq") + 1;
            prev = last.getBuffer("hash").getBytes();
          }
          String details = event.details() == null ? "{}" : event.details().encode();
          byte[] hash = chainHash(prev, seq, now, event.actor(), event.action(),
              String.valueOf(event.signerId()), event.outcome(), details);
          Tuple row = Tuple.tuple()
              .addLong(seq)
              .addOffsetDateTime(now)
              .addString(event.actor())
              .addString(event.action())
              .addUUID(event.signerId())
              .addString(event.outcome())
              .addString(details)
              .addBuffer(Buffer.buffer(prev))
              .addBuffer(Buffer.buffer(hash));
          return conn.preparedQuery("INSERT INTO audit_events (seq, occurred_at, actor, action,"
                  + " signer_id, outcome, details, prev_hash, hash)"
                  + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
              .execute(row)
              .mapEmpty();
        });
  }

  /**
   * Recomputes every row's hash. Returns the sequence number of the first row that does not
   * match, or 0 when the whole chain is intact.
   */
  public static Future<Long> verifyChain(Pool pool) {
    return pool.query("SELECT seq, occurred_at, actor, action, signer_id, outcome,"
            + " details, prev_hash, hash FROM audit_events ORDER BY seq")
        .execute()
        .map(rows -> {
          byte[] prev = GENESIS;
          for (Row row : rows) {
            byte[] expected = chainHash(prev, row.getLong("seq"),
                row.getOffsetDateTime("occurred_at"), row.getString("actor"),
                row.getString("action"), String.valueOf(row.getUUID("signer_id")),
                row.getString("outcome"), row.getString("details"));
            byte[] stored = row.getBuffer("hash").getBytes();
            if (!Arrays.equals(prev, row.getBuffer("prev_hash").getBytes())
                || !Arrays.equals(expected, stored)) {
              return row.getLong("seq");
            }
            prev = stored;
          }
          return 0L;
        });
  }

  private static byte[] chainHash(byte[] prev, long seq, OffsetDateTime at, String... fields) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(prev);
      StringBuilder text = new StringBuilder().append(seq).append('\n')
          .append(at.toInstant().toEpochMilli() * 1000 + at.getNano() / 1000 % 1000);
      for (String field : fields) {
        text.append('\n').append(field);
      }
      return sha256.digest(text.toString().getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
