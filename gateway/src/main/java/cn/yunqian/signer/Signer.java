package cn.yunqian.signer;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An enrolled signer as stored. Holds no PIN and no full ID number.
 *
 * @param certificate DER of the signer's X.509 certificate, or null before approval
 * @param failedPinAttempts wrong PINs in a row; at {@link #MAX_PIN_ATTEMPTS} the signer is locked
 */
public record Signer(
    UUID id,
    String displayName,
    String personType,
    String idNumberMasked,
    String tokenLabel,
    String keyAlgorithm,
    byte[] certificate,
    String status,
    int failedPinAttempts,
    OffsetDateTime lockedAt) {

  /** Wrong PINs in a row after which the signer is locked until an officer unlocks. */
  public static final int MAX_PIN_ATTEMPTS = 5;

  public boolean isLocked() {
    return failedPinAttempts >= MAX_PIN_ATTEMPTS;
  }

  public boolean isActive() {
    return "ACTIVE".equals(status) && certificate != null;
  }
}
