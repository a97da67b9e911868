package cn.yunqian.signer;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/** Reads and writes the {@code signers} and {@code signatures} tables. */
public final class SignerRepository {

  private static final String COLUMNS = "id, display_name, person_type, id_number_masked,"
      + " token_label, key_algorithm, certificate, status, failed_pin_attempts, locked_at";

  private final Pool pool;

  public SignerRepository(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  public Future<Optional<Signer>> findById(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM signers WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0
            ? Optional.empty()
            : Optional.of(toSigner(rows.iterator().next())));
  }

  public Future<Boolean> existsWithIdNumberHash(byte[] idNumberHash) {
    return pool.preparedQuery("SELECT 1 FROM signers WHERE id_number_hash = $1")
        .execute(Tuple.of(Buffer.buffer(idNumberHash)))
        .map(rows -> rows.size() > 0);
  }

  /** Inserts a new signer; runs on the caller's connection so it joins its transaction. */
  public static Future<Void> insert(SqlClient client, NewSigner signer) {
    return client.preparedQuery("INSERT INTO signers (id, display_name, person_type,"
            + " id_number_hash, id_number_masked, subject_serial, token_label, key_algorithm,"
            + " certificate, signature_image, status)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ACTIVE')")
        .execute(Tuple.tuple()
            .addUUID(signer.id())
            .addString(signer.displayName())
            .addString(signer.personType())
            .addBuffer(Buffer.buffer(signer.idNumberHash()))
            .addString(signer.idNumberMasked())
            .addString(signer.subjectSerial())
            .addString(signer.tokenLabel())
            .addString(signer.keyAlgorithm())
            .addBuffer(Buffer.buffer(signer.certificate()))
            .addBuffer(Buffer.buffer(signer.encryptedSignatureImage())))
        .mapEmpty();
  }

  /** Returns the stored (encrypted) signature image. */
  public Future<byte[]> encryptedSignatureImage(UUID id) {
    return pool.preparedQuery("SELECT signature_image FROM signers WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.iterator().next().getBuffer("signature_image").getBytes());
  }

  /**
   * Counts a PIN try before the HSM sees it, unless the signer is already locked. Counting
   * first means that concurrent requests can never make more than the allowed number of
   * tries; a correct PIN then resets the count with {@link #resetPinAttempts}.
   *
   * @return the number of tries used including this one, or empty when the signer is locked
   */
  public Future<Optional<Integer>> reservePinAttempt(UUID id) {
    return pool.preparedQuery("UPDATE signers SET failed_pin_attempts = failed_pin_attempts + 1,"
            + " updated_at = now() WHERE id = $1 AND failed_pin_attempts < $2"
            + " RETURNING failed_pin_attempts")
        .execute(Tuple.of(id, Signer.MAX_PIN_ATTEMPTS))
        .map(rows -> rows.size() == 0
            ? Optional.empty()
            : Optional.of(rows.iterator().next().getInteger(0)));
  }

  /**
   * Gives back a try taken by {@link #reservePinAttempt} when the HSM never checked the PIN,
   * for example because the document failed a placement check first.
   */
  public Future<Void> releasePinAttempt(UUID id) {
    return pool.preparedQuery("UPDATE signers SET failed_pin_attempts ="
            + " greatest(failed_pin_attempts - 1, 0), updated_at = now() WHERE id = $1")
        .execute(Tuple.of(id))
        .mapEmpty();
  }

  /** Marks the moment of locking, once, when the last allowed try failed. */
  public Future<Void> markLocked(UUID id) {
    return pool.preparedQuery("UPDATE signers SET locked_at = now(), updated_at = now()"
            + " WHERE id = $1 AND failed_pin_attempts >= $2 AND locked_at IS NULL")
        .execute(Tuple.of(id, Signer.MAX_PIN_ATTEMPTS))
        .mapEmpty();
  }

  public static Future<Void> resetPinAttempts(SqlClient client, UUID id) {
    return client.preparedQuery("UPDATE signers SET failed_pin_attempts = 0, locked_at = NULL,"
            + " updated_at = now() WHERE id = $1")
        .execute(Tuple.of(id))
        .mapEmpty();
  }

  public static Future<Void> insertSignature(SqlClient client, SignatureRecord record) {
    return client.preparedQuery("INSERT INTO signatures (id, signer_id, input_sha256,"
            + " output_sha256, signed_at) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.tuple()
            .addUUID(record.id())
            .addUUID(record.signerId())
            .addBuffer(Buffer.buffer(record.inputSha256()))
            .addBuffer(Buffer.buffer(record.outputSha256()))
            .addOffsetDateTime(record.signedAt()))
        .mapEmpty();
  }

  private static Signer toSigner(Row row) {
    Buffer certificate = row.getBuffer("certificate");
    return new Signer(
        row.getUUID("id"),
        row.getString("display_name"),
        row.getString("person_type"),
        row.getString("id_number_masked"),
        row.getString("token_label"),
        row.getString("key_algorithm"),
        certificate == null ? null : certificate.getBytes(),
        row.getString("status"),
        row.getInteger("failed_pin_attempts"),
        row.getOffsetDateTime("locked_at"));
  }

  /** A signer about to be inserted, with everything already validated and encrypted. */
  public record NewSigner(
      UUID id,
      String displayName,
      String personType,
      byte[] idNumberHash,
      String idNumberMasked,
      String subjectSerial,
      String tokenLabel,
      String keyAlgorithm,
      byte[] certificate,
      byte[] encryptedSignatureImage) {
  }

  /** One signature made, as kept for accounting. */
  public record SignatureRecord(
      UUID id,
      UUID signerId,
      byte[] inputSha256,
      byte[] outputSha256,
      OffsetDateTime signedAt) {
  }
}
