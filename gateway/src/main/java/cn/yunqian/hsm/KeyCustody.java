package cn.yunqian.hsm;

/**
 * Custody of signers' private keys in the HSM, where the signer's PIN is checked by the HSM.
 * Implemented by {@link TokenPerSignerCustody} and {@link WrappedKeyCustody}.
 *
 * <p>PIN arrays stay owned by the caller, who clears them. All methods block on native calls;
 * call them from a worker thread. Failures are {@link cn.yunqian.GatewayException}s:
 * PIN_INCORRECT for a wrong PIN, SIGNER_NOT_FOUND for an unknown key and HSM_UNAVAILABLE for
 * other HSM errors. Implementations do not count wrong PINs; the caller locks the signer.
 */
public interface KeyCustody {

  CustodyMode mode();

  /**
   * Generates a key pair in the HSM for a new signer, protected by {@code pin}.
   *
   * @param label unique label, 1 to 32 characters of {@code [A-Za-z0-9._-]}
   */
  NewKey create(String label, char[] pin, KeyAlgorithm algorithm);

  /** Opens the key for signing; the caller closes the handle as soon as it has signed. */
  SigningHandle openForSigning(CustodyKey key, char[] pin);

  /**
   * Changes the PIN and returns the reference to store. In wrapped-key custody the old PIN
   * stops working once the caller stores the returned reference. In token-per-signer custody it
   * stops working at once and the returned reference is the same.
   *
   * @throws cn.yunqian.GatewayException PIN_INCORRECT if {@code oldPin} is wrong
   */
  CustodyKey changePin(CustodyKey key, char[] oldPin, char[] newPin);

  /** Destroys the key, for example when storing a new signer fails. */
  void destroy(CustodyKey key, char[] pin);

  /** Reads the security attributes of the private key as the HSM reports them. */
  PrivateKeyAttributes readAttributes(CustodyKey key, char[] pin);

  /** A new key: the reference to store and the public key to certify. */
  record NewKey(CustodyKey custodyKey, SignerKey signerKey) {
  }
}
