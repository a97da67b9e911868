package cn.yunqian.ca;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;

/** Reads and writes the {@code certificates} and {@code certificate_requests} tables. */
public final class CertificateRepository {

  private static final String COLUMNS = "id, signer_id, serial, issuer, subject, not_before,"
      + " not_after, source, status, revoked_at, revocation_reason, der, issuer_chain";

  private final Pool pool;

  public CertificateRepository(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  /**
   * Inserts {@code certificate} as the signer's current certificate. The caller first moves the
   * previous one out of CURRENT ({@link #supersedeCurrent} or {@link #revokeCurrent}) in the
   * same transaction, because a unique index allows one current certificate per signer.
   */
  public static Future<CertificateRecord> insertCurrent(SqlClient client, UUID signerId,
      X509CertificateHolder certificate, String source, List<byte[]> issuerChain) {
    Buffer[] chain = issuerChain.stream().map(Buffer::buffer).toArray(Buffer[]::new);
    Tuple row = Tuple.tuple()
        .addUUID(UUID.randomUUID())
        .addUUID(signerId)
        .addString(CertificateRecord.serialHex(certificate.getSerialNumber()))
        .addString(CertificateRecord.issuerOf(certificate))
        .addString(certificate.getSubject().toString())
        .addOffsetDateTime(utc(certificate.getNotBefore().toInstant()))
        .addOffsetDateTime(utc(certificate.getNotAfter().toInstant()))
        .addString(source)
        .addBuffer(Buffer.buffer(encode(certificate)))
        .addArrayOfBuffer(chain);
    return client.preparedQuery("INSERT INTO certificates (id, signer_id, serial, issuer,"
            + " subject, not_before, not_after, source, status, der, issuer_chain)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'CURRENT', $9, $10)"
            + " RETURNING " + COLUMNS)
        .execute(row)
        .map(rows -> toRecord(rows.iterator().next()));
  }

  /** Marks the signer's current certificate SUPERSEDED, if there is one. */
  public static Future<Void> supersedeCurrent(SqlClient client, UUID signerId) {
    return client.preparedQuery("UPDATE certificates SET status = 'SUPERSEDED'"
            + " WHERE signer_id = $1 AND status = 'CURRENT'")
        .execute(Tuple.of(signerId))
        .mapEmpty();
  }

  /**
   * Revokes the signer's current certificate.
   *
   * @return the revoked certificate, or empty when the signer has no current certificate
   */
  public static Future<Optional<CertificateRecord>> revokeCurrent(SqlClient client,
      UUID signerId, RevocationReason reason, Instant revokedAt) {
    return client.preparedQuery("UPDATE certificates SET status = 'REVOKED', revoked_at = $2,"
            + " revocation_reason = $3 WHERE signer_id = $1 AND status = 'CURRENT'"
            + " RETURNING " + COLUMNS)
        .execute(Tuple.of(signerId, utc(revokedAt), reason.name()))
        .map(CertificateRepository::first);
  }

  /** Finds the certificate with this issuer and serial number. */
  public Future<Optional<CertificateRecord>> find(X509CertificateHolder certificate) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM certificates"
            + " WHERE issuer = $1 AND serial = $2")
        .execute(Tuple.of(CertificateRecord.issuerOf(certificate),
            CertificateRecord.serialHex(certificate.getSerialNumber())))
        .map(CertificateRepository::first);
  }

  /** Finds the signer's current certificate. */
  public Future<Optional<CertificateRecord>> current(UUID signerId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM certificates"
            + " WHERE signer_id = $1 AND status = 'CURRENT'")
        .execute(Tuple.of(signerId))
        .map(CertificateRepository::first);
  }

  /** Lists every certificate of the signer, newest first. */
  public Future<List<CertificateRecord>> allOf(UUID signerId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM certificates"
            + " WHERE signer_id = $1 ORDER BY created_at DESC")
        .execute(Tuple.of(signerId))
        .map(CertificateRepository::all);
  }

  /** Lists the revoked certificates of one issuer, for its CRL. */
  public Future<List<RevokedSerial>> revokedBy(String issuer) {
    return pool.preparedQuery("SELECT serial, revoked_at, revocation_reason FROM certificates"
            + " WHERE issuer = $1 AND status = 'REVOKED' ORDER BY revoked_at")
        .execute(Tuple.of(issuer))
        .map(rows -> {
          List<RevokedSerial> revoked = new ArrayList<>();
          for (Row row : rows) {
            revoked.add(new RevokedSerial(new java.math.BigInteger(row.getString("serial"), 16),
                row.getOffsetDateTime("revoked_at").toInstant(),
                RevocationReason.valueOf(row.getString("revocation_reason"))));
          }
          return revoked;
        });
  }

  /** Lists current certificates whose notAfter lies in {@code [from, to)}, soonest first. */
  public Future<List<CertificateRecord>> currentExpiringBetween(Instant from, Instant to) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM certificates"
            + " WHERE status = 'CURRENT' AND not_after >= $1 AND not_after < $2"
            + " ORDER BY not_after")
        .execute(Tuple.of(utc(from), utc(to)))
        .map(CertificateRepository::all);
  }

  /**
   * Inserts a CURRENT row for every signer certificate that has none, which is the case for
   * signers enrolled before the table existed. Returns the number of rows added.
   */
  public Future<Integer> backfill() {
    return pool.query("SELECT id, certificate FROM signers s WHERE certificate IS NOT NULL"
            + " AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.signer_id = s.id"
            + " AND c.status = 'CURRENT')")
        .execute()
        .compose(rows -> {
          Future<Integer> chain = Future.succeededFuture(0);
          for (Row row : rows) {
            UUID signerId = row.getUUID("id");
            X509CertificateHolder certificate = parse(row.getBuffer("certificate").getBytes());
            chain = chain.compose(count -> insertCurrent(pool, signerId, certificate,
                CertificateRecord.INTERNAL_CA, List.of()).map(added -> count + 1));
          }
          return chain;
        });
  }

  /** Sets the certificate that {@code signers.certificate} holds for the signer. */
  public static Future<Void> replaceSignerCertificate(SqlClient client, UUID signerId,
      byte[] der) {
    return client.preparedQuery("UPDATE signers SET certificate = $2, updated_at = now()"
            + " WHERE id = $1")
        .execute(Tuple.of(signerId, Buffer.buffer(der)))
        .mapEmpty();
  }

  /** Stores a PKCS#10 request made with the signer's key. */
  public static Future<Void> insertRequest(SqlClient client, UUID signerId, byte[] der) {
    return client.preparedQuery("INSERT INTO certificate_requests (id, signer_id, der)"
            + " VALUES ($1, $2, $3)")
        .execute(Tuple.of(UUID.randomUUID(), signerId, Buffer.buffer(der)))
        .mapEmpty();
  }

  /** Returns the signer's newest PKCS#10 request. */
  public Future<Optional<byte[]>> latestRequest(UUID signerId) {
    return pool.preparedQuery("SELECT der FROM certificate_requests WHERE signer_id = $1"
            + " ORDER BY created_at DESC LIMIT 1")
        .execute(Tuple.of(signerId))
        .map(rows -> rows.size() == 0
            ? Optional.empty()
            : Optional.of(rows.iterator().next().getBuffer("der").getBytes()));
  }

  static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  static byte[] encode(X509CertificateHolder certificate) {
    try {
      return certificate.getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to encode certificate", e);
    }
  }

  private static X509CertificateHolder parse(byte[] der) {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new UncheckedIOException("stored signer certificate is not valid DER", e);
    }
  }

  private static Optional<CertificateRecord> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(toRecord(rows.iterator().next()));
  }

  private static List<CertificateRecord> all(RowSet<Row> rows) {
    List<CertificateRecord> records = new ArrayList<>();
    for (Row row : rows) {
      records.add(toRecord(row));
    }
    return records;
  }

  private static CertificateRecord toRecord(Row row) {
    OffsetDateTime revokedAt = row.getOffsetDateTime("revoked_at");
    Buffer[] chain = row.getArrayOfBuffers("issuer_chain");
    return new CertificateRecord(
        row.getUUID("id"),
        row.getUUID("signer_id"),
        row.getString("serial"),
        row.getString("issuer"),
        row.getString("subject"),
        row.getOffsetDateTime("not_before").toInstant(),
        row.getOffsetDateTime("not_after").toInstant(),
        row.getString("source"),
        row.getString("status"),
        revokedAt == null ? null : revokedAt.toInstant(),
        row.getString("revocation_reason"),
        row.getBuffer("der").getBytes(),
        chain == null ? List.of() : Arrays.stream(chain).map(Buffer::getBytes).toList());
  }
}
