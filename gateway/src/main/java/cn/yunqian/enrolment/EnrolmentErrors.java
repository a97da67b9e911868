package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.api.ErrorResponses;
import cn.yunqian.api.PhoneErrorResponses;
import cn.yunqian.enrolment.sms.SmsCodes;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Failure handler for the enrolment routes: the usual {@code {"error", "reason"}} body plus a
 * Chinese {@code message} for the phone page (and {@code triesLeft} for a wrong SMS code).
 * Failures it does not know go on to the gateway's {@link ErrorResponses}.
 */
final class EnrolmentErrors {

  private static final Map<ErrorCode, String> MESSAGES = Map.ofEntries(
      Map.entry(ErrorCode.INVALID_REQUEST, "请求内容有误，请检查后重试"),
      Map.entry(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "文件格式不支持，请上传 JPG、PNG 或 HEIC 图片"),
      Map.entry(ErrorCode.PAYLOAD_TOO_LARGE, "文件太大，请重新拍摄或选择较小的图片"),
      Map.entry(ErrorCode.IMAGE_INVALID, "图片无法识别，请重新拍摄或重新签名"),
      Map.entry(ErrorCode.MOBILE_INVALID, "请输入正确的 11 位手机号码"),
      Map.entry(ErrorCode.SMS_RATE_LIMITED, "验证码发送过于频繁，请稍后再试"),
      Map.entry(ErrorCode.SMS_CODE_INCORRECT, "验证码错误"),
      Map.entry(ErrorCode.SMS_CODE_EXPIRED, "验证码已失效，请重新获取"),
      Map.entry(ErrorCode.NAME_INVALID, "请输入正确的姓名"),
      Map.entry(ErrorCode.ID_NUMBER_INVALID, "身份证号码不正确，请核对后重新输入"),
      Map.entry(ErrorCode.ID_NUMBER_ALREADY_ENROLLED, "该身份证号码已完成认证"),
      Map.entry(ErrorCode.REGION_INVALID, "请选择正确的省市县"),
      Map.entry(ErrorCode.PIN_FORMAT_INVALID, "PIN 码须为 6 位数字"),
      Map.entry(ErrorCode.PIN_TOO_WEAK, "PIN 码过于简单，请勿使用重复、连续数字或出生日期"),
      Map.entry(ErrorCode.PIN_MISMATCH, "两次输入的 PIN 码不一致"),
      Map.entry(ErrorCode.FACE_NOT_DETECTED, "没有检测到人脸"),
      Map.entry(ErrorCode.FACE_CONSENT_REQUIRED, "请先阅读并勾选同意《认证服务协议》"),
      Map.entry(ErrorCode.TOO_MANY_ATTEMPTS, "尝试次数过多，请稍后再试"),
      Map.entry(ErrorCode.FACE_CHECK_FAILED, "人脸核验未通过，请正对镜头、保持光线充足后重试"),
      Map.entry(ErrorCode.STEP_OUT_OF_ORDER, "操作顺序有误，请刷新页面后继续"),
      Map.entry(ErrorCode.ENROLMENT_NOT_FOUND, "未找到认证记录，请重新扫码进入"),
      Map.entry(ErrorCode.ENROLMENT_NOT_PENDING, "该认证不在待审核状态"),
      Map.entry(ErrorCode.LINK_NOT_FOUND, "认证链接无效，请重新扫码"),
      Map.entry(ErrorCode.LINK_EXPIRED, "认证链接已过期，请联系工作人员获取新的二维码"),
      Map.entry(ErrorCode.LINK_REVOKED, "认证链接已作废，请联系工作人员获取新的二维码"),
      Map.entry(ErrorCode.HSM_UNAVAILABLE, "服务暂时不可用，请稍后再试"));

  private EnrolmentErrors() {
  }

  static void handle(RoutingContext ctx) {
    PhoneErrorResponses.handle(ctx, MESSAGES, (e, body) -> {
      if (e instanceof SmsCodes.SmsCodeIncorrect incorrect) {
        body.put("triesLeft", incorrect.triesLeft());
        body.put("message", "验证码错误，还可尝试 " + incorrect.triesLeft() + " 次");
      }
    });
  }

}
