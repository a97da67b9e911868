package cn.yunqian.ca;

import java.math.BigInteger;
import java.time.Instant;

/** One revoked certificate as listed in a CRL. */
public record RevokedSerial(BigInteger serial, Instant revokedAt, RevocationReason reason) {
}
