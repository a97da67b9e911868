package cn.yunqian.pin;

import cn.yunqian.identity.PersonalDataCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code face_verifications} table: one row per face check of an enrolled signer, passed or
 * not, with the frame encrypted when there is one. {@link Rekeying} and {@link PinResets}
 * consume passed rows.
 */
final class FaceVerifications {

  /** Method of the in-page liveness check, which cannot compare the face with the ID card. */
  static final String BUILTIN = "builtin";
  private static final String PURPOSE = "face-verification";

  private final Pool pool;
  private final PersonalDataCipher cipher;
  private final Clock clock;

  FaceVerifications(Pool pool, PersonalDataCipher cipher, Clock clock) {
    this.pool = pool;
    this.cipher = cipher;
    this.clock = clock;
  }

  /**
   * Inserts a verification and returns its id.
   *
   * @param method {@link #BUILTIN} or the external provider's name
   * @param frameJpeg the frame to keep as evidence, or null
   */
  Future<UUID> record(UUID signerId, boolean passed, String method, String detail,
      byte[] frameJpeg) {
    UUID id = UUID.randomUUID();
    Buffer evidence = frameJpeg == null ? null
        : Buffer.buffer(cipher.encrypt(frameJpeg, PURPOSE, id.toString()));
    return pool.preparedQuery("INSERT INTO face_verifications (id, signer_id, passed,"
            + " verified_at, method, detail, evidence_enc) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .execute(Tuple.of(id, signerId, passed, now(), method, detail, evidence))
        .map(id);
  }

  /** Returns the decrypted frame of a verification, or empty when it has none. */
  Future<Optional<byte[]>> frame(UUID id) {
    return pool.preparedQuery("SELECT evidence_enc FROM face_verifications WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0 || rows.iterator().next().getBuffer("evidence_enc") == null) {
            return Optional.empty();
          }
          return Optional.of(cipher.decrypt(
              rows.iterator().next().getBuffer("evidence_enc").getBytes(), PURPOSE,
              id.toString()));
        });
  }

  /** Returns the method of a verification, or empty for an unknown id. */
  Future<Optional<String>> method(UUID id) {
    return pool.preparedQuery("SELECT method FROM face_verifications WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(rows.iterator().next().getString("method")));
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }
}
