package cn.yunqian.hsm;

/**
 * Security attributes of a private key object as the token reports them (PKCS#11 v2.40,
 * section 4.9). A key generated in the token and never exportable has {@code local},
 * {@code alwaysSensitive} and {@code neverExtractable} set.
 */
public record PrivateKeyAttributes(
    boolean sensitive,
    boolean extractable,
    boolean alwaysSensitive,
    boolean neverExtractable,
    boolean local,
    boolean sign,
    boolean decrypt,
    boolean unwrap,
    boolean derive) {
}
