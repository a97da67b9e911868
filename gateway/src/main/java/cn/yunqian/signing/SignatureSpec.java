package cn.yunqian.signing;

import java.time.Instant;

/**
 * Appearance, placement and dictionary entries of one signature.
 *
 * @param placement where the visible signature goes
 * @param imagePng the handwritten signature as a PNG, transparent background expected
 * @param signerName the display name drawn under the image, may be Chinese
 * @param signingTime the time written to /M and drawn in Asia/Shanghai time
 * @param reason the /Reason entry, or null
 * @param location the /Location entry, or null
 */
public record SignatureSpec(
    Placement placement,
    byte[] imagePng,
    String signerName,
    Instant signingTime,
    String reason,
    String location) {}
