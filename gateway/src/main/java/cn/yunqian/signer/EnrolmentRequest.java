package cn.yunqian.signer;

import cn.yunqian.hsm.KeyAlgorithm;

/**
 * What is needed to enrol a signer in one step. {@code pin} is the caller's array; the
 * enrolment zeroes it when done.
 */
public record EnrolmentRequest(
    String name,
    String idNumber,
    String personType,
    char[] pin,
    byte[] signatureImagePng,
    KeyAlgorithm keyAlgorithm,
    String actor) {

  @Override
  public String toString() {
    return "EnrolmentRequest[name=" + name + ", personType=" + personType + ", keyAlgorithm="
        + keyAlgorithm + ", actor=" + actor + "]";
  }
}
