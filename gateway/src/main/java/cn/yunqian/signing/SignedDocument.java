package cn.yunqian.signing;

import java.util.UUID;

/** A signed PDF and the id under which its signature is recorded. */
public record SignedDocument(UUID signatureId, byte[] pdf) {
}
