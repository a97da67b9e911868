package cn.yunqian.enrolment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks the signer against the worked example of the Tencent Cloud API 3.0 document
 * "签名方法 v3" (TC3-HMAC-SHA256). The example signs a CVM DescribeInstances request with the
 * document's sample SecretId and SecretKey, whose last characters are literally '*'. It uses
 * timestamp 1551113065 and the JSON body below, and signs only content-type and host. The same
 * inputs appear in the vendor's demo program signature-process-demo,
 * cvm/signature-v3/python/demo.py.
 */
class TencentCloudSignerTest {

  private static final String SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
  private static final String SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3*******";
  private static final long TIMESTAMP = 1551113065L;
  /** The document's body: Python json.dumps output, so 未命名 is written as \\u escapes. */
  private static final String PAYLOAD = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
      + "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
  private static final Map<String, String> HEADERS = Map.of(
      "Content-Type", "application/json; charset=utf-8",
      "Host", "cvm.tencentcloudapi.com");

  @Test
  void documentedExamplePayloadDigest() {
    assertEquals("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
        TencentCloudSigner.sha256Hex(PAYLOAD));
  }

  @Test
  void documentedExampleCanonicalRequest() {
    String expected = "POST\n/\n\n"
        + "content-type:application/json; charset=utf-8\n"
        + "host:cvm.tencentcloudapi.com\n\n"
        + "content-type;host\n"
        + "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064";
    String canonical = TencentCloudSigner.canonicalRequest(HEADERS, PAYLOAD);
    assertEquals(expected, canonical);
    assertEquals("5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
        TencentCloudSigner.sha256Hex(canonical));
  }

  @Test
  void documentedExampleStringToSign() {
    String canonical = TencentCloudSigner.canonicalRequest(HEADERS, PAYLOAD);
    assertEquals("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
            + "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
        TencentCloudSigner.stringToSign("cvm", TIMESTAMP, canonical));
  }

  @Test
  void documentedExampleAuthorization() {
    TencentCloudSigner signer = new TencentCloudSigner(SECRET_ID, SECRET_KEY);
    assertEquals("TC3-HMAC-SHA256 Credential=" + SECRET_ID + "/2019-02-25/cvm/tc3_request, "
            + "SignedHeaders=content-type;host, "
            + "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        signer.authorization("cvm", TIMESTAMP, HEADERS, PAYLOAD));
  }

  @Test
  void headerValuesAreLowerCased() {
    String canonical = TencentCloudSigner.canonicalRequest(
        Map.of("X-TC-Action", " SendSms "), "{}");
    assertEquals("POST\n/\n\nx-tc-action:sendsms\n\nx-tc-action\n"
        + TencentCloudSigner.sha256Hex("{}"), canonical);
  }

  @Test
  void otherKeyGivesOtherSignature() {
    TencentCloudSigner signer = new TencentCloudSigner(SECRET_ID, SECRET_KEY + "x");
    String canonical = TencentCloudSigner.canonicalRequest(HEADERS, PAYLOAD);
    assertNotEquals("2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        signer.signature("cvm", TIMESTAMP, canonical));
  }
}
