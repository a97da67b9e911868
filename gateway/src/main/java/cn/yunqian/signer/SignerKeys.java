package cn.yunqian.signer;

import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.identity.PersonalDataCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads and writes the key-custody columns of {@code signers}: the custody mode, the wrapped
 * key and the encrypted birth date that the PIN rules need.
 */
public final class SignerKeys {

  /** PersonalDataCipher purpose of the stored birth date. */
  static final String BIRTH_DATE_PURPOSE = "birth-date";

  private final Pool pool;
  private final PersonalDataCipher cipher;

  public SignerKeys(Pool pool, PersonalDataCipher cipher) {
    this.pool = pool;
    this.cipher = cipher;
  }

  public Pool pool() {
    return pool;
  }

  /** Returns the custody reference of the signer's key, or empty for an unknown signer. */
  public Future<Optional<CustodyKey>> custodyKey(UUID signerId) {
    return pool.preparedQuery("SELECT token_label, key_custody, wrapped_key FROM signers"
            + " WHERE id = $1")
        .execute(Tuple.of(signerId))
        .map(rows -> rows.size() == 0
            ? Optional.empty()
            : Optional.of(toCustodyKey(rows.iterator().next())));
  }

  /** Returns the signer's birth date, or empty if it was never stored. */
  public Future<Optional<LocalDate>> birthDate(UUID signerId) {
    return pool.preparedQuery("SELECT birth_date_encrypted FROM signers WHERE id = $1")
        .execute(Tuple.of(signerId))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Buffer stored = rows.iterator().next().getBuffer("birth_date_encrypted");
          if (stored == null) {
            return Optional.empty();
          }
          byte[] text = cipher.decrypt(stored.getBytes(), BIRTH_DATE_PURPOSE,
              signerId.toString());
          return Optional.of(LocalDate.parse(new String(text, StandardCharsets.US_ASCII),
              DateTimeFormatter.BASIC_ISO_DATE));
        });
  }

  /** Stores the custody columns of a signer just inserted, in the caller's transaction. */
  public Future<Void> storeNew(SqlClient client, UUID signerId, CustodyKey key,
      LocalDate birthDate) {
    byte[] birth = cipher.encrypt(
        birthDate.format(DateTimeFormatter.BASIC_ISO_DATE).getBytes(StandardCharsets.US_ASCII),
        BIRTH_DATE_PURPOSE, signerId.toString());
    return client.preparedQuery("UPDATE signers SET key_custody = $2, wrapped_key = $3,"
            + " birth_date_encrypted = $4 WHERE id = $1")
        .execute(Tuple.tuple()
            .addUUID(signerId)
            .addString(key.mode().configValue())
            .addBuffer(key.wrappedKey() == null ? null : Buffer.buffer(key.wrappedKey()))
            .addBuffer(Buffer.buffer(birth)))
        .mapEmpty();
  }

  /**
   * Replaces the wrapped key after a PIN change, only if it is still {@code expected}, so
   * that of two concurrent PIN changes only one is kept.
   *
   * @return whether the row was updated
   */
  public static Future<Boolean> replaceWrappedKey(SqlClient client, UUID signerId,
      CustodyKey expected, CustodyKey replacement) {
    return client.preparedQuery("UPDATE signers SET wrapped_key = $3, updated_at = now()"
            + " WHERE id = $1 AND wrapped_key = $2")
        .execute(Tuple.of(signerId, Buffer.buffer(expected.wrappedKey()),
            Buffer.buffer(replacement.wrappedKey())))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Gives back a PIN try that was counted but never reached the HSM's PIN check, for example
   * because the HSM was unavailable.
   */
  public Future<Void> releasePinAttempt(UUID signerId) {
    return pool.preparedQuery("UPDATE signers SET failed_pin_attempts ="
            + " GREATEST(failed_pin_attempts - 1, 0), updated_at = now()"
            + " WHERE id = $1 AND locked_at IS NULL")
        .execute(Tuple.of(signerId))
        .mapEmpty();
  }

  /** Returns the locked signers, longest locked first. */
  public Future<List<LockedSigner>> locked(int limit) {
    return pool.preparedQuery("SELECT id, display_name, id_number_masked, failed_pin_attempts,"
            + " locked_at FROM signers WHERE failed_pin_attempts >= $1"
            + " ORDER BY locked_at NULLS LAST, id LIMIT $2")
        .execute(Tuple.of(Signer.MAX_PIN_ATTEMPTS, limit))
        .map(rows -> {
          List<LockedSigner> locked = new ArrayList<>();
          for (Row row : rows) {
            locked.add(new LockedSigner(row.getUUID("id"), row.getString("display_name"),
                row.getString("id_number_masked"), row.getInteger("failed_pin_attempts"),
                row.getOffsetDateTime("locked_at")));
          }
          return locked;
        });
  }

  private static CustodyKey toCustodyKey(Row row) {
    CustodyMode mode = CustodyMode.parse(row.getString("key_custody"));
    Buffer wrapped = row.getBuffer("wrapped_key");
    return new CustodyKey(mode, row.getString("token_label"),
        wrapped == null ? null : wrapped.getBytes());
  }

  /** A locked signer as the officer's list shows it; no full ID number. */
  public record LockedSigner(UUID id, String displayName, String idNumberMasked,
      int failedPinAttempts, java.time.OffsetDateTime lockedAt) {
  }
}
