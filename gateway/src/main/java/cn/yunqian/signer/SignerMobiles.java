package cn.yunqian.signer;

import cn.yunqian.enrolment.sms.MobileNumbers;
import cn.yunqian.identity.PersonalDataCipher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signer's mobile number: AES-GCM ciphertext for sending texts, an HMAC-SHA256 under the
 * deployment's look-up key for comparing a number the signer types, and the masked form.
 */
public final class SignerMobiles {

  /** PersonalDataCipher purpose of the stored number. */
  static final String PURPOSE = "signer-mobile";

  private final Pool pool;
  private final PersonalDataCipher cipher;
  private final byte[] hashKey;

  /** @param hashKey the deployment's look-up key, the same one that hashes ID numbers */
  public SignerMobiles(Pool pool, PersonalDataCipher cipher, byte[] hashKey) {
    this.pool = pool;
    this.cipher = cipher;
    this.hashKey = hashKey.clone();
  }

  /** Stores the number of a signer, in the caller's transaction. */
  public Future<Void> store(SqlClient client, UUID signerId, String mobile) {
    String valid = MobileNumbers.requireValid(mobile);
    byte[] encrypted = cipher.encrypt(valid.getBytes(StandardCharsets.US_ASCII), PURPOSE,
        signerId.toString());
    return client.preparedQuery("UPDATE signers SET mobile_enc = $2, mobile_hash = $3,"
            + " mobile_masked = $4 WHERE id = $1")
        .execute(Tuple.of(signerId, Buffer.buffer(encrypted), Buffer.buffer(hash(valid)),
            MobileNumbers.mask(valid)))
        .mapEmpty();
  }

  /** Returns the signer's number in clear, or empty when none is stored. */
  public Future<Optional<String>> find(UUID signerId) {
    return pool.preparedQuery("SELECT mobile_enc FROM signers WHERE id = $1")
        .execute(Tuple.of(signerId))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Buffer stored = rows.iterator().next().getBuffer("mobile_enc");
          if (stored == null) {
            return Optional.empty();
          }
          byte[] plain = cipher.decrypt(stored.getBytes(), PURPOSE, signerId.toString());
          return Optional.of(new String(plain, StandardCharsets.US_ASCII));
        });
  }

  /** Returns whether the row's stored hash is the hash of {@code mobile}. */
  public boolean matches(Row signerRow, String mobile) {
    Buffer stored = signerRow.getBuffer("mobile_hash");
    return stored != null && mobile != null
        && MessageDigest.isEqual(stored.getBytes(), hash(mobile));
  }

  private byte[] hash(String mobile) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(hashKey, "HmacSHA256"));
      return mac.doFinal(("signer-mobile|" + mobile).getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from the JDK", e);
    }
  }
}
