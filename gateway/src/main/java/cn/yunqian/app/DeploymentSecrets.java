package cn.yunqian.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secrets of one deployment, each in its own file under {@code dataDir/secrets} with mode 600,
 * created on first start. None of them lets anyone sign as a signer: signer keys sit in their
 * own HSM tokens behind PINs that the gateway never keeps.
 *
 * @param personalDataKey AES-256 key for personal data at rest
 * @param idNumberKey HMAC key that turns ID numbers into lookup hashes and certificate serial
 *     number attributes
 * @param clientToken bearer token of evaluation systems calling the signing API
 * @param officerToken bearer token of security officers calling the admin API
 * @param reviewerToken bearer token of reviewers who create enrolment links and approve or
 *     reject enrolments
 */
public record DeploymentSecrets(
    byte[] personalDataKey,
    byte[] idNumberKey,
    String clientToken,
    String officerToken,
    String reviewerToken) {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Returns the file that holds the CA token's user PIN (see {@code CaPinFile}). */
  public static Path caPinFile(Path dataDir) {
    return dataDir.resolve("secrets").resolve("ca-token.pin");
  }

  /** Loads the secrets, creating any file that does not exist yet. */
  public static DeploymentSecrets loadOrCreate(Path dataDir) throws IOException {
    Path dir = dataDir.resolve("secrets");
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return new DeploymentSecrets(
        Base64.getDecoder().decode(readOrCreate(dir.resolve("personal-data.key"), 32)),
        Base64.getDecoder().decode(readOrCreate(dir.resolve("id-number.key"), 32)),
        readOrCreate(dir.resolve("client-api.token"), 32),
        readOrCreate(dir.resolve("officer-api.token"), 32),
        readOrCreate(dir.resolve("reviewer-api.token"), 32));
  }

  private static String readOrCreate(Path file, int randomBytes) throws IOException {
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    }
    byte[] bytes = new byte[randomBytes];
    RANDOM.nextBytes(bytes);
    String value = file.getFileName().toString().endsWith(".key")
        ? Base64.getEncoder().encodeToString(bytes)
        : Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, value + "\n", StandardCharsets.US_ASCII);
    return value;
  }

  @Override
  public String toString() {
    return "DeploymentSecrets[redacted]";
  }
}
