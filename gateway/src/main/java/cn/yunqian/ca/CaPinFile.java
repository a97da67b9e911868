package cn.yunqian.ca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that contains the CA token's user PIN. The gateway signs certificates unattended,
 * so this PIN, unlike a signer's, has to be on disk: anyone who can read the file and the token
 * directory can issue certificates. The file is created with mode 600.
 */
public final class CaPinFile {

  private static final Logger LOG = LoggerFactory.getLogger(CaPinFile.class);
  private static final int PIN_RANDOM_BYTES = 24;
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private CaPinFile() {
  }

  /**
   * Creates the file with a random 32-character PIN if it does not exist, with mode 600.
   * Returns true if it created the file.
   */
  public static boolean createIfMissing(Path pinFile) {
    if (Files.exists(pinFile)) {
      return false;
    }
    byte[] random = new byte[PIN_RANDOM_BYTES];
    new SecureRandom().nextBytes(random);
    byte[] pin = Base64.getUrlEncoder().withoutPadding().encode(random);
    try {
      Path parent = pinFile.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Files.createFile(pinFile, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.write(pinFile, pin);
      LOG.info("Created the CA token PIN file {}", pinFile);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("failed to create the CA PIN file " + pinFile, e);
    } finally {
      Arrays.fill(random, (byte) 0);
      Arrays.fill(pin, (byte) 0);
    }
  }

  /**
   * Reads the PIN. The caller owns the returned array and clears it after use.
   *
   * @throws IllegalStateException if the file is readable by group or others, or is empty
   */
  public static char[] read(Path pinFile) {
    byte[] bytes = null;
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(pinFile);
      if (!OWNER_ONLY.containsAll(permissions)) {
        throw new IllegalStateException("CA PIN file " + pinFile + " has permissions "
            + PosixFilePermissions.toString(permissions) + "; run chmod 600 on it");
      }
      bytes = Files.readAllBytes(pinFile);
      CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
      char[] pin = Arrays.copyOfRange(chars.array(), chars.position(), chars.limit());
      Arrays.fill(chars.array(), '\0');
      char[] trimmed = trimLineEnd(pin);
      if (trimmed.length == 0) {
        throw new IllegalStateException("CA PIN file " + pinFile + " is empty");
      }
      return trimmed;
    } catch (IOException e) {
      throw new UncheckedIOException("failed to read the CA PIN file " + pinFile, e);
    } finally {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  /** Removes a trailing line break (an editor may add one) and clears the input array. */
  private static char[] trimLineEnd(char[] pin) {
    int end = pin.length;
    while (end > 0 && (pin[end - 1] == '\n' || pin[end - 1] == '\r')) {
      end--;
    }
    char[] trimmed = Arrays.copyOf(pin, end);
    Arrays.fill(pin, '\0');
    return trimmed;
  }
}
