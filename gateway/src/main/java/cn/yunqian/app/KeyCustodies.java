package cn.yunqian.app;

import cn.yunqian.ca.CaPinFile;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.HsmSettings;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.hsm.TokenPerSignerCustody;
import cn.yunqian.hsm.WrappedKeyCustody;
import java.time.Duration;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the key custody that the HSM settings select. */
final class KeyCustodies {

  private static final Logger LOG = LoggerFactory.getLogger(KeyCustodies.class);
  private static final Duration SESSION_LEASE_TIMEOUT = Duration.ofSeconds(30);

  private KeyCustodies() {
  }

  /**
   * Opens the custody. In wrapped-key custody the shared token's PIN file is created with a
   * random PIN and mode 600 on first start, like the CA PIN file. Blocks on the HSM.
   */
  static KeyCustody open(SignerTokens tokens, HsmSettings settings) {
    CustodyMode mode = CustodyMode.parse(settings.custodyMode());
    LOG.info("Key custody: {}", mode.configValue());
    if (mode == CustodyMode.TOKEN_PER_SIGNER) {
      return new TokenPerSignerCustody(tokens);
    }
    CaPinFile.createIfMissing(settings.servicePinFile());
    char[] servicePin = CaPinFile.read(settings.servicePinFile());
    try {
      return WrappedKeyCustody.open(tokens, settings.sharedTokenLabel(), servicePin,
          settings.maxSessions(), SESSION_LEASE_TIMEOUT, settings.pinKdfIterations());
    } finally {
      Arrays.fill(servicePin, '\0');
    }
  }
}
