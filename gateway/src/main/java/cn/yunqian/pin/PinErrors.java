package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.api.ErrorResponses;
import cn.yunqian.api.PhoneErrorResponses;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Failure handler of the PIN page and the reviewer's reset routes: the usual
 * {@code {"error", "reason"}} body plus a Chinese {@code message} for the page, and
 * {@code attemptsLeft} after a wrong old PIN. Failures it does not know go on to
 * {@link ErrorResponses}.
 */
final class PinErrors {

  private static final Map<ErrorCode, String> MESSAGES = Map.ofEntries(
      Map.entry(ErrorCode.INVALID_REQUEST, "请求内容有误，请检查后重试"),
      Map.entry(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "请求格式不支持，请刷新页面后重试"),
      Map.entry(ErrorCode.PAYLOAD_TOO_LARGE, "图片太大，请重新认证"),
      Map.entry(ErrorCode.NAME_INVALID, "请输入正确的姓名"),
      Map.entry(ErrorCode.ID_NUMBER_INVALID, "身份证号码不正确，请核对后重新输入"),
      Map.entry(ErrorCode.MOBILE_INVALID, "请输入正确的 11 位手机号码"),
      Map.entry(ErrorCode.IDENTITY_NOT_CONFIRMED, "身份信息或验证码不正确，请核对后重试"),
      Map.entry(ErrorCode.TOO_MANY_ATTEMPTS, "尝试次数过多，请稍后再试"),
      Map.entry(ErrorCode.PIN_SESSION_EXPIRED, "页面已超时，请重新验证身份"),
      Map.entry(ErrorCode.PIN_FORMAT_INVALID, "PIN 码须为 6 位数字"),
      Map.entry(ErrorCode.PIN_TOO_WEAK, "PIN 码过于简单，请勿使用重复、连续数字或出生日期，且新旧 PIN 码不能相同"),
      Map.entry(ErrorCode.PIN_MISMATCH, "两次输入的新 PIN 码不一致"),
      Map.entry(ErrorCode.PIN_INCORRECT, "原PIN码错误"),
      Map.entry(ErrorCode.PIN_LOCKED, "PIN 码已锁定，请通过“忘记 PIN 码”核验人脸后重新设置"),
      Map.entry(ErrorCode.SIGNER_NOT_ACTIVE, "您的云签已停用，请联系工作人员"),
      Map.entry(ErrorCode.SIGNER_NOT_FOUND, "未找到签章人员"),
      Map.entry(ErrorCode.FACE_CONSENT_REQUIRED, "请先阅读并勾选同意《认证服务协议》"),
      Map.entry(ErrorCode.FACE_NOT_DETECTED, "没有检测到人脸"),
      Map.entry(ErrorCode.FACE_CHECK_FAILED, "人脸核验未通过，请正对镜头、保持光线充足后重试"),
      Map.entry(ErrorCode.FACE_VERIFICATION_INVALID, "人脸核验已失效，请重新核验"),
      Map.entry(ErrorCode.STEP_OUT_OF_ORDER, "请先完成人脸核验，再设置新 PIN 码"),
      Map.entry(ErrorCode.PIN_RESET_NOT_PENDING, "已有待审核的重置申请，或该申请已处理"),
      Map.entry(ErrorCode.PIN_RESET_NOT_FOUND, "未找到该重置申请"),
      Map.entry(ErrorCode.HSM_UNAVAILABLE, "服务暂时不可用，请稍后再试"));

  private PinErrors() {
  }

  static void handle(RoutingContext ctx) {
    PhoneErrorResponses.handle(ctx, MESSAGES, (e, body) -> {
      if (e instanceof PinChange.OldPinIncorrect incorrect) {
        body.put("attemptsLeft", incorrect.attemptsLeft());
        body.put("message", "原PIN码错误，还可尝试" + incorrect.attemptsLeft() + "次");
      }
    });
  }

}
