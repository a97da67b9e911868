package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.signing.Placement;
import cn.yunqian.signing.SignedDocument;
import cn.yunqian.signing.SigningRequest;
import cn.yunqian.signing.SigningService;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code POST /api/v1/signatures}: signs one PDF for one signer and returns the signed PDF.
 * Accepts JSON ({@code pdf} in base64) or a multipart form (a {@code pdf} file part).
 */
final class SignatureHandler {

  private final SigningService signing;
  private final long maxPdfBytes;

  SignatureHandler(SigningService signing, long maxPdfBytes) {
    this.signing = signing;
    this.maxPdfBytes = maxPdfBytes;
  }

  void handle(RoutingContext ctx) {
    RequestFields fields = RequestFields.of(ctx);
    UUID signerId = fields.requiredUuid("signerId");
    char[] pin = fields.requiredString("pin").toCharArray();
    String password = fields.optionalString("password");
    Placement placement = PlacementParser.parse(fields, ctx);
    String actor = "client";
    readPdf(ctx, fields)
        .compose(pdf -> signing.sign(new SigningRequest(signerId, pin, pdf, password, placement,
            actor)))
        .onSuccess(signed -> respond(ctx, signed))
        .onFailure(ctx::fail);
  }

  private Future<byte[]> readPdf(RoutingContext ctx, RequestFields fields) {
    if (fields.isJson()) {
      return Future.succeededFuture(fields.requiredBase64("pdf", maxPdfBytes,
          ErrorCode.PDF_TOO_LARGE));
    }
    FileUpload upload = ctx.fileUploads().stream()
        .filter(file -> "pdf".equals(file.name()))
        .findFirst()
        .orElseThrow(() -> new GatewayException(ErrorCode.INVALID_REQUEST,
            "The multipart form has no 'pdf' file part"));
    if (upload.size() > maxPdfBytes) {
      throw new GatewayException(ErrorCode.PDF_TOO_LARGE, "The PDF is " + upload.size()
          + " bytes; the limit is " + maxPdfBytes);
    }
    return ctx.vertx().fileSystem().readFile(upload.uploadedFileName()).map(Buffer::getBytes);
  }

  private static void respond(RoutingContext ctx, SignedDocument signed) {
    ctx.response()
        .putHeader("content-type", "application/pdf")
        .putHeader("content-disposition", "attachment; filename=\"signed.pdf\"")
        .putHeader("x-yunqian-signature-id", signed.signatureId().toString())
        .end(Buffer.buffer(signed.pdf()));
  }
}
