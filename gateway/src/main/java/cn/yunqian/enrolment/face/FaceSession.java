package cn.yunqian.enrolment.face;

/** A started verification: the provider's id for it and the page to send the phone to. */
public record FaceSession(String providerSessionId, String redirectUrl) {
}
