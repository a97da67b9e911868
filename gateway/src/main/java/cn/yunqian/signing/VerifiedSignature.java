package cn.yunqian.signing;

import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The result of checking one signature of a PDF.
 *
 * @param fieldName fully qualified name of the signature field
 * @param subFilter the /SubFilter value, such as ETSI.CAdES.detached
 * @param signedEnd offset just past the last signed byte
 * @param cryptographicallyValid whether the CMS signature and message digest match the ranges
 * @param coversRevision whether the ranges cover the file from offset 0 to the %%EOF of their
 *     revision, leaving out only the /Contents string
 * @param coversWholeDocument whether the signed ranges end at the end of the file
 * @param signerCertificate the signer certificate from the CMS, or null when absent
 * @param failure why the check failed, or null when it passed
 */
public record VerifiedSignature(
    String fieldName,
    String subFilter,
    long signedEnd,
    boolean cryptographicallyValid,
    boolean coversRevision,
    boolean coversWholeDocument,
    X509CertificateHolder signerCertificate,
    String failure) {}
