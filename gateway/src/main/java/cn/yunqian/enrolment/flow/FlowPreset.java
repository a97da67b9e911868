package cn.yunqian.enrolment.flow;

import java.util.List;

/**
 * One configured enrolment flow: the steps in the order the phone walks them.
 *
 * <p>Data steps ({@link Step#isDataStep()}) take a submission each. The flow ends with
 * {@code review} (a reviewer decides) or straight with {@code result} (approved on submit).
 *
 * @param name preset name used in links, e.g. {@code phone-first}
 * @param steps step names in order, always ending with {@code result}
 */
public record FlowPreset(String name, List<String> steps) {

  public FlowPreset {
    steps = List.copyOf(steps);
  }

  /** Returns whether a reviewer must approve before the signer becomes active. */
  public boolean hasReview() {
    return steps.contains(Step.REVIEW);
  }

  /** Returns the data steps, without {@code review} and {@code result}. */
  public List<String> dataSteps() {
    return steps.stream().filter(Step::isDataStep).toList();
  }

  /** Returns whether the identity step may also carry a mobile number and SMS code. */
  public boolean identityTakesMobile() {
    return !steps.contains(Step.SMS_LOGIN);
  }
}
