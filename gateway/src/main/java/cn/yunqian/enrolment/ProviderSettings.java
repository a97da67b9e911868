package cn.yunqian.enrolment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads provider settings from environment variables and collects every problem, so one start
 * reports all missing or invalid settings together.
 */
public final class ProviderSettings {

  private final Map<String, String> env;
  private final List<String> problems = new ArrayList<>();

  public ProviderSettings(Map<String, String> env) {
    this.env = env;
  }

  /** Returns the trimmed value, or records a problem and returns an empty string. */
  public String required(String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      problems.add(name + " is missing");
      return "";
    }
    return value.trim();
  }

  /** Returns the trimmed value, or {@code defaultValue} when the variable is unset or blank. */
  public String optional(String name, String defaultValue) {
    String value = env.get(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  /** Returns a positive whole number, or records a problem and returns {@code defaultValue}. */
  public long positiveLong(String name, long defaultValue) {
    String value = optional(name, Long.toString(defaultValue));
    try {
      long parsed = Long.parseLong(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // recorded below
    }
    problems.add(name + " must be a positive whole number, got '" + value + "'");
    return defaultValue;
  }

  /**
   * Reads a secret from the file named by {@code name}, trimmed. The error names the path but
   * never the content.
   */
  public String secretFromFile(String name) {
    String path = required(name);
    if (path.isEmpty()) {
      return "";
    }
    try {
      String secret = Files.readString(Path.of(path)).trim();
      if (secret.isEmpty()) {
        problems.add(name + " names an empty file: " + path);
      }
      return secret;
    } catch (IOException e) {
      problems.add(name + " names a file that cannot be read: " + path + " (" + e + ")");
      return "";
    }
  }

  /** Records a problem found by the caller's own checks. */
  public void problem(String message) {
    problems.add(message);
  }

  /** Throws an {@link IllegalArgumentException} that lists every recorded problem, if any. */
  public void check(String what) {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid " + what + " settings: " + String.join("; ", problems));
    }
  }
}
