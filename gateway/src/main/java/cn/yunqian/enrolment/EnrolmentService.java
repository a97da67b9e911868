package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.enrolment.flow.FlowPreset;
import cn.yunqian.enrolment.flow.FlowPresets;
import cn.yunqian.enrolment.flow.Step;
import cn.yunqian.identity.PersonalDataCipher;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrolment flow engine: starts enrolments from links, keeps each one's progress in the
 * database and accepts a step only when it is the current one. The step contents are checked
 * by {@link EnrolmentSteps}, and this class owns order, state and audit.
 */
public final class EnrolmentService {

  private static final Logger LOG = LoggerFactory.getLogger(EnrolmentService.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final EnrolmentRepository repository;
  private final FlowPresets presets;
  private final PersonalDataCipher cipher;
  private final Clock clock;
  private final MeterRegistry registry;

  EnrolmentService(EnrolmentRepository repository, FlowPresets presets, PersonalDataCipher cipher,
      Clock clock, MeterRegistry registry) {
    this.repository = repository;
    this.presets = presets;
    this.cipher = cipher;
    this.clock = clock;
    this.registry = registry;
  }

  /** A started or resumed enrolment and, for a new one, the cookie value to set. */
  record Started(Enrolment enrolment, String newSessionCookie) {
  }

  OffsetDateTime now() {
    return OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC);
  }

  PersonalDataCipher cipher() {
    return cipher;
  }

  EnrolmentRepository repository() {
    return repository;
  }

  /**
   * Resumes the enrolment named by the cookie when it belongs to the same link, else starts a
   * new one. Fails with LINK_NOT_FOUND, LINK_EXPIRED or LINK_REVOKED.
   */
  Future<Started> start(String linkCode, String sessionCookie) {
    return repository.findLink(linkCode == null ? "" : linkCode)
        .compose(found -> {
          EnrolmentRepository.Link link = found.orElseThrow(() -> new GatewayException(
              ErrorCode.LINK_NOT_FOUND, "No enrolment link with this code"));
          if (sessionCookie != null) {
            // An enrolment already started from the link goes on after the link lapses.
            return repository.findBySession(sessionHash(sessionCookie))
                .compose(existing -> existing.isPresent()
                    && existing.get().linkCode().equals(link.code())
                    ? Future.succeededFuture(new Started(existing.get(), null))
                    : createIfOpen(link));
          }
          return createIfOpen(link);
        });
  }

  private Future<Started> createIfOpen(EnrolmentRepository.Link link) {
    if (link.revokedAt() != null) {
      return Future.failedFuture(new GatewayException(ErrorCode.LINK_REVOKED,
          "The enrolment link was revoked"));
    }
    if (!link.expiresAt().isAfter(now())) {
      return Future.failedFuture(new GatewayException(ErrorCode.LINK_EXPIRED,
          "The enrolment link expired at " + link.expiresAt()));
    }
    return create(link);
  }

  private Future<Started> create(EnrolmentRepository.Link link) {
    FlowPreset preset = presets.find(link.preset()).orElseThrow(() -> new GatewayException(
        ErrorCode.LINK_NOT_FOUND, "The link names preset '" + link.preset()
            + "', which this deployment no longer has"));
    UUID id = UUID.randomUUID();
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String cookie = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return repository.pool().withTransaction(conn -> repository.insert(conn, id, link.code(),
                sessionHash(cookie), preset.name(), preset.steps(), now())
            .compose(done -> AuditLog.append(conn, event(id, "ENROLMENT_STARTED", "SUCCESS",
                new JsonObject().put("preset", preset.name())
                    .put("organisation", link.organisation())))))
        .compose(done -> repository.findById(repository.pool(), id, false))
        .map(found -> {
          registry.counter("enrolment.started", "preset", preset.name()).increment();
          LOG.info("Enrolment {} started: preset={} link={}...", id, preset.name(),
              link.code().substring(0, 6));
          return new Started(found.orElseThrow(), cookie);
        });
  }

  /** Returns the enrolment named by the cookie; fails with ENROLMENT_NOT_FOUND. */
  Future<Enrolment> current(String sessionCookie) {
    if (sessionCookie == null || sessionCookie.isEmpty()) {
      return Future.failedFuture(notFound());
    }
    return repository.findBySession(sessionHash(sessionCookie))
        .map(found -> found.orElseThrow(EnrolmentService::notFound));
  }

  /**
   * Runs one step: checks that {@code step} is the current step of an open enrolment, lets
   * {@code work} check the submission and return the columns to store, then stores them and
   * marks the step completed in one transaction, with an audit row. When the enrolment moved
   * on meanwhile the transaction fails with STEP_OUT_OF_ORDER and nothing is stored.
   *
   * @param allowPostponed also accept an enrolment whose face check was postponed
   */
  Future<Enrolment> completeStep(String sessionCookie, String step, boolean allowPostponed,
      Function<Enrolment, Future<Map<String, Object>>> work) {
    return current(sessionCookie)
        .compose(enrolment -> {
          requireCurrent(enrolment, step, allowPostponed);
          return Future.succeededFuture(enrolment)
              .compose(work::apply)
              .compose(columns -> store(enrolment, step, columns, true, allowPostponed))
              .onFailure(e -> auditFailure(enrolment.id(), step, e));
        });
  }

  /**
   * Stores columns for the current step in a transaction that first re-reads and locks the
   * row. With {@code markCompleted} the step is added to the completed list.
   */
  Future<Enrolment> store(Enrolment seen, String step, Map<String, Object> columns,
      boolean markCompleted, boolean allowPostponed) {
    return store(seen, step, columns, markCompleted, allowPostponed, "ENROLMENT_STEP");
  }

  /** Stores like {@link #store} but writes the audit row under another action name. */
  Future<Enrolment> store(Enrolment seen, String step, Map<String, Object> columns,
      boolean markCompleted, boolean allowPostponed, String auditAction) {
    return repository.pool().withTransaction(conn -> repository.findById(conn, seen.id(), true)
            .compose(found -> {
              Enrolment locked = found.orElseThrow(EnrolmentService::notFound);
              requireCurrent(locked, step, allowPostponed);
              Map<String, Object> update = new LinkedHashMap<>(columns);
              if (markCompleted) {
                List<String> completed = new ArrayList<>(locked.completed());
                completed.add(step);
                update.put("completed", completed);
                update.putIfAbsent("status", Enrolment.IN_PROGRESS);
              }
              return repository.update(conn, locked.id(), update, now())
                  .compose(done -> AuditLog.append(conn, event(locked.id(),
                      auditAction, "SUCCESS", new JsonObject().put("step", step))));
            })
            .compose(done -> repository.findById(conn, seen.id(), false)))
        .map(found -> found.orElseThrow());
  }

  /**
   * Goes back one step (上一步): removes the last completed step so the phone can redo it.
   * Not allowed once the PIN is set, because the key exists from then on.
   */
  Future<Enrolment> back(String sessionCookie) {
    return current(sessionCookie).compose(seen -> repository.pool().withTransaction(conn ->
            repository.findById(conn, seen.id(), true).compose(found -> {
              Enrolment locked = found.orElseThrow(EnrolmentService::notFound);
              if (!locked.isOpen() || locked.completed().isEmpty()
                  || locked.completed().contains(Step.PIN)) {
                throw outOfOrder("Going back is not possible from step '"
                    + locked.currentStep() + "' once the PIN is set or the enrolment is"
                    + " submitted");
              }
              List<String> completed = new ArrayList<>(locked.completed());
              String redo = completed.remove(completed.size() - 1);
              Map<String, Object> update = new LinkedHashMap<>();
              update.put("completed", completed);
              if (Enrolment.FACE_POSTPONED.equals(locked.status())) {
                // Going back from a postponed face step resumes the flow.
                update.put("status", Enrolment.IN_PROGRESS);
              }
              return repository.update(conn, locked.id(), update, now())
                  .compose(done -> AuditLog.append(conn, event(locked.id(), "ENROLMENT_BACK",
                      "SUCCESS", new JsonObject().put("step", redo))));
            })
            .compose(done -> repository.findById(conn, seen.id(), false)))
        .map(found -> found.orElseThrow()));
  }

  /** Checks the step order; fails with STEP_OUT_OF_ORDER. */
  static void requireCurrent(Enrolment enrolment, String step, boolean allowPostponed) {
    boolean open = Enrolment.IN_PROGRESS.equals(enrolment.status())
        || (allowPostponed && Enrolment.FACE_POSTPONED.equals(enrolment.status()));
    if (!open) {
      throw outOfOrder("The enrolment is " + enrolment.status() + ". Step '" + step
          + "' is not accepted now");
    }
    if (!enrolment.steps().contains(step)) {
      throw outOfOrder("Step '" + step + "' is not part of preset '" + enrolment.preset() + "'");
    }
    if (!step.equals(enrolment.currentStep())) {
      throw outOfOrder("Step '" + step + "' was sent but the current step is '"
          + enrolment.currentStep() + "'");
    }
  }

  /** Records a successful action that changes no enrolment column, such as sending a code. */
  void auditSuccess(UUID enrolmentId, String step) {
    new AuditLog(repository.pool()).record(event(enrolmentId, "ENROLMENT_STEP", "SUCCESS",
        new JsonObject().put("step", step)));
  }

  /** Records a rejected step with its error code; the submitted values are not recorded. */
  void auditFailure(UUID enrolmentId, String step, Throwable failure) {
    String outcome = failure instanceof GatewayException e ? e.code().name() : "INTERNAL_ERROR";
    new AuditLog(repository.pool()).record(event(enrolmentId, "ENROLMENT_STEP", outcome,
        new JsonObject().put("step", step)));
  }

  static AuditEvent event(UUID enrolmentId, String action, String outcome, JsonObject details) {
    return new AuditEvent("enrolment:" + enrolmentId, action, null, outcome, details);
  }

  static GatewayException outOfOrder(String reason) {
    return new GatewayException(ErrorCode.STEP_OUT_OF_ORDER, reason);
  }

  private static GatewayException notFound() {
    return new GatewayException(ErrorCode.ENROLMENT_NOT_FOUND,
        "No enrolment for this browser. Open the enrolment link again");
  }

  static byte[] sessionHash(String cookie) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(cookie.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
