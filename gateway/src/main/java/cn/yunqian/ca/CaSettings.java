package cn.yunqian.ca;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of the internal certificate authority. Contains no secret: the PIN is in
 * {@code pinFile}.
 *
 * @param tokenLabel label of the CA token, for example "yunqian-ca"
 * @param pinFile file with the CA token's user PIN, mode 600, for example data/ca-token.pin
 * @param commonName CN of the self-signed CA certificate
 * @param validity validity of the CA certificate when it is created
 */
public record CaSettings(String tokenLabel, Path pinFile, String commonName, Duration validity) {

  public CaSettings {
    Objects.requireNonNull(tokenLabel, "tokenLabel");
    Objects.requireNonNull(pinFile, "pinFile");
    Objects.requireNonNull(commonName, "commonName");
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("CA validity must be positive, got " + validity);
    }
  }
}
