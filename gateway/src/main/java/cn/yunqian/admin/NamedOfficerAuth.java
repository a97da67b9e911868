package cn.yunqian.admin;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a request through only with the bearer token of a named officer, and puts the officer's
 * name into the routing context under {@link #OFFICER}. Each officer has a file
 * {@code <name>.token} in the officers folder, created by the operator. The shared officer
 * token is not accepted here, because an approval must name who gave it.
 */
public final class NamedOfficerAuth implements Handler<RoutingContext> {

  /** Key under which the officer's name is put into the routing context. */
  public static final String OFFICER = "yunqian.officer";

  private static final Logger LOG = LoggerFactory.getLogger(NamedOfficerAuth.class);
  private static final Pattern NAME = Pattern.compile("[a-z0-9._-]{1,32}");
  private static final int MIN_TOKEN_LENGTH = 24;

  private final Map<String, byte[]> tokensByName;

  NamedOfficerAuth(Map<String, byte[]> tokensByName) {
    this.tokensByName = Map.copyOf(tokensByName);
  }

  /**
   * Reads every {@code <name>.token} file of {@code directory}; a missing folder means no named
   * officers. Names are 1 to 32 characters of {@code [a-z0-9._-]} and tokens at least 24
   * characters, and files that break either rule are skipped with a warning.
   */
  public static NamedOfficerAuth load(Path directory) {
    Map<String, byte[]> tokens = new TreeMap<>();
    if (!Files.isDirectory(directory)) {
      return new NamedOfficerAuth(tokens);
    }
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".token"))
          .toList()) {
        String name = file.getFileName().toString().replaceFirst("\\.token$", "");
        String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (!NAME.matcher(name).matches() || token.length() < MIN_TOKEN_LENGTH) {
          LOG.warn("Skipping officer token file '{}': the name must match {} and the token"
              + " have at least {} characters", file, NAME, MIN_TOKEN_LENGTH);
          continue;
        }
        tokens.put(name, token.getBytes(StandardCharsets.US_ASCII));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("failed to read officer tokens from " + directory, e);
    }
    LOG.info("Loaded {} named officer tokens from {}", tokens.size(), directory);
    return new NamedOfficerAuth(tokens);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String matched = officerName(ctx.request().getHeader("Authorization"));
    if (matched != null) {
      ctx.put(OFFICER, matched);
      ctx.next();
      return;
    }
    ctx.fail(401);
  }

  /** Returns the name of the officer whose token the header carries, or null. */
  public String officerName(String authorizationHeader) {
    if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0,
        7)) {
      return null;
    }
    byte[] presented = authorizationHeader.substring(7).trim().getBytes(StandardCharsets.US_ASCII);
    String matched = null;
    // Compares with every token, so the time taken does not show which name matched.
    for (Map.Entry<String, byte[]> entry : tokensByName.entrySet()) {
      if (MessageDigest.isEqual(entry.getValue(), presented)) {
        matched = entry.getKey();
      }
    }
    return matched;
  }
}
