package cn.yunqian.enrolment;

import cn.yunqian.identity.Regions;
import cn.yunqian.signer.PersonType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** JSON views of an enrolment: the phone's state and the reviewer's record. Masked data only. */
final class EnrolmentView {

  /** Button and field texts of the phone pages, as the tender parties know them. */
  private static final JsonObject LABELS = new JsonObject()
      .put("smsSend", "获取验证码")
      .put("login", "登录")
      .put("signatureStart", "点我签名")
      .put("signatureClear", "重新签名")
      .put("faceStart", "开始认证")
      .put("facePostpone", "暂不认证")
      .put("back", "上一步")
      .put("submit", "提交")
      .put("personType", "人员类型")
      .put("faceConsent", "认证服务协议")
      .put("region", "省市县")
      .put("pin", "设置 PIN 码");

  private final Regions regions;

  private final String faceProvider;

  /** @param externalFace whether an external provider runs the face step (else built-in) */
  EnrolmentView(Regions regions, boolean externalFace) {
    this.regions = regions;
    this.faceProvider = externalFace ? "external" : "builtin";
  }

  JsonObject phoneState(Enrolment enrolment) {
    return new JsonObject()
        .put("id", enrolment.id().toString())
        .put("preset", enrolment.preset())
        .put("steps", new JsonArray(enrolment.steps()))
        .put("completed", new JsonArray(enrolment.completed()))
        .put("current", enrolment.currentStep())
        .put("status", enrolment.status())
        .put("name", enrolment.name())
        .put("idNumber", enrolment.idNumberMasked())
        .put("mobile", enrolment.mobileMasked())
        .put("rejectionReason", enrolment.rejectionReason())
        .put("faceProvider", faceProvider)
        .put("labels", LABELS.copy());
  }

  JsonObject reviewRecord(Enrolment enrolment) {
    String base = "/api/v1/admin/enrolments/" + enrolment.id();
    JsonObject record = phoneState(enrolment);
    record.remove("labels");
    return record
        .put("personType", enrolment.personType() == null ? null
            : PersonType.valueOf(enrolment.personType()).chineseLabel())
        .put("countyCode", enrolment.countyCode())
        .put("region", enrolment.countyCode() == null ? null
            : regions.requireCounty(enrolment.countyCode()))
        .put("signerId", enrolment.signerId() == null ? null : enrolment.signerId().toString())
        .put("images", new JsonObject()
            .put("idCardFront", base + "/id-card/front")
            .put("idCardBack", base + "/id-card/back")
            .put("faceEvidence", base + "/face-evidence")
            .put("signature", base + "/signature"));
  }
}
