package cn.yunqian.enrolment.face;

import io.vertx.core.Future;

/**
 * A face-verification service that runs its own H5 page: the gateway starts a verification,
 * sends the phone to the provider's page, and queries the result when the phone comes back.
 * The built-in in-browser check does not use this interface.
 */
public interface FaceVerificationProvider {

  /** Short name used in configuration and logs. */
  String name();

  /**
   * Starts one verification of {@code request.name()} / {@code request.idNumber()} and returns
   * the provider's session id and the URL to redirect the phone to.
   */
  Future<FaceSession> start(FaceStartRequest request);

  /** Queries the outcome of a started verification. */
  Future<FaceResult> result(String providerSessionId);
}
