package cn.yunqian.enrolment;

import cn.yunqian.enrolment.flow.Step;
import java.util.List;
import java.util.UUID;

/**
 * One enrolment as stored, without its photos and images. Holds masked forms of the ID number
 * and mobile number only.
 *
 * @param steps the preset's steps, copied when the enrolment started
 * @param completed steps done so far, in order
 * @param status IN_PROGRESS, FACE_POSTPONED, PENDING_REVIEW, APPROVED or REJECTED
 * @param signerId id the signer gets on approval, chosen at the PIN step
 * @param tokenLabel HSM token that contains the key made at the PIN step
 */
public record Enrolment(
    UUID id,
    String linkCode,
    String preset,
    List<String> steps,
    List<String> completed,
    String status,
    String mobileMasked,
    String personType,
    String name,
    String idNumberMasked,
    String countyCode,
    UUID signerId,
    String tokenLabel,
    String keyAlgorithm,
    String faceSessionId,
    String rejectionReason) {

  public static final String IN_PROGRESS = "IN_PROGRESS";
  public static final String FACE_POSTPONED = "FACE_POSTPONED";
  public static final String PENDING_REVIEW = "PENDING_REVIEW";
  public static final String APPROVED = "APPROVED";
  public static final String REJECTED = "REJECTED";

  /** Returns the first step not yet completed. */
  public String currentStep() {
    return steps.stream().filter(step -> !completed.contains(step)).findFirst()
        .orElse(Step.RESULT);
  }

  /** Returns whether every step that takes a submission is done. */
  public boolean dataStepsComplete() {
    return steps.stream().filter(Step::isDataStep).allMatch(completed::contains);
  }

  /** Returns whether the phone may still change data: in progress or face postponed. */
  public boolean isOpen() {
    return IN_PROGRESS.equals(status) || FACE_POSTPONED.equals(status);
  }
}
