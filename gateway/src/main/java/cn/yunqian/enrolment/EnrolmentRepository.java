package cn.yunqian.enrolment;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Reads and writes the {@code enrolment_links} and {@code enrolments} tables. */
final class EnrolmentRepository {

  private static final String COLUMNS = "id, link_code, preset, steps, completed, status,"
      + " mobile_masked, person_type, name, id_number_masked, county_code, signer_id,"
      + " token_label, key_algorithm, face_session_id, rejection_reason";
  /** Columns that {@link #update} may set; names never come from a request. */
  private static final Set<String> UPDATABLE = Set.of("completed", "status", "mobile_masked",
      "mobile_enc", "person_type", "name", "id_number_hash", "id_number_masked",
      "id_number_enc", "county_code", "id_front_enc", "id_front_type", "id_back_enc",
      "id_back_type", "face_evidence_enc", "face_detail", "face_session_id", "signature_enc",
      "signer_id", "token_label", "key_algorithm", "key_custody", "wrapped_key", "public_key",
      "rejection_reason", "submitted_at", "decided_at");
  /** Encrypted image columns that reviewers may read. */
  static final Set<String> IMAGE_COLUMNS = Set.of("id_front_enc", "id_back_enc",
      "face_evidence_enc", "signature_enc");

  private final Pool pool;

  EnrolmentRepository(Pool pool) {
    this.pool = pool;
  }

  Pool pool() {
    return pool;
  }

  /** A link as stored. */
  record Link(String code, String preset, String organisation, OffsetDateTime createdAt,
      OffsetDateTime expiresAt, OffsetDateTime revokedAt) {
  }

  Future<Void> insertLink(SqlClient client, Link link) {
    return client.preparedQuery("INSERT INTO enrolment_links (code, preset, organisation,"
            + " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(link.code(), link.preset(), link.organisation(), link.createdAt(),
            link.expiresAt()))
        .mapEmpty();
  }

  Future<Optional<Link>> findLink(String code) {
    return pool.preparedQuery("SELECT * FROM enrolment_links WHERE code = $1")
        .execute(Tuple.of(code))
        .map(rows -> first(rows).map(EnrolmentRepository::toLink));
  }

  Future<List<Link>> listLinks() {
    return pool.query("SELECT * FROM enrolment_links ORDER BY created_at DESC LIMIT 500")
        .execute()
        .map(rows -> {
          List<Link> links = new ArrayList<>();
          rows.forEach(row -> links.add(toLink(row)));
          return links;
        });
  }

  Future<Boolean> revokeLink(SqlClient client, String code, OffsetDateTime at) {
    return client.preparedQuery("UPDATE enrolment_links SET revoked_at = $2"
            + " WHERE code = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(code, at))
        .map(rows -> rows.rowCount() > 0);
  }

  Future<Void> insert(SqlClient client, UUID id, String linkCode, byte[] sessionHash,
      String preset, List<String> steps, OffsetDateTime now) {
    return client.preparedQuery("INSERT INTO enrolments (id, link_code, session_hash, preset,"
            + " steps, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .execute(Tuple.of(id, linkCode, Buffer.buffer(sessionHash), preset,
            String.join(",", steps), Enrolment.IN_PROGRESS, now))
        .mapEmpty();
  }

  Future<Optional<Enrolment>> findBySession(byte[] sessionHash) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM enrolments WHERE session_hash = $1")
        .execute(Tuple.of(Buffer.buffer(sessionHash)))
        .map(rows -> first(rows).map(EnrolmentRepository::toEnrolment));
  }

  Future<Optional<Enrolment>> findById(SqlClient client, UUID id, boolean forUpdate) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM enrolments WHERE id = $1"
            + (forUpdate ? " FOR UPDATE" : ""))
        .execute(Tuple.of(id))
        .map(rows -> first(rows).map(EnrolmentRepository::toEnrolment));
  }

  Future<List<Enrolment>> listByStatus(String status) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM enrolments WHERE status = $1"
            + " ORDER BY submitted_at NULLS LAST, created_at LIMIT 500")
        .execute(Tuple.of(status))
        .map(rows -> {
          List<Enrolment> list = new ArrayList<>();
          rows.forEach(row -> list.add(toEnrolment(row)));
          return list;
        });
  }

  /** Reads one encrypted column and, for photos, its content type column. */
  Future<Optional<Row>> readEncrypted(UUID id, String column) {
    if (!IMAGE_COLUMNS.contains(column) && !"mobile_enc".equals(column)
        && !"id_number_enc".equals(column)) {
      throw new IllegalArgumentException("Not an encrypted column: " + column);
    }
    String typeColumn = column.startsWith("id_front") ? ", id_front_type AS type"
        : column.startsWith("id_back") ? ", id_back_type AS type" : "";
    return pool.preparedQuery("SELECT " + column + " AS value" + typeColumn
            + " FROM enrolments WHERE id = $1")
        .execute(Tuple.of(id))
        .map(EnrolmentRepository::first);
  }

  /** Sets the given columns and {@code updated_at}. Values of type byte[] are stored as bytea. */
  Future<Void> update(SqlClient client, UUID id, Map<String, Object> columns,
      OffsetDateTime now) {
    StringBuilder sql = new StringBuilder("UPDATE enrolments SET updated_at = $2");
    Tuple values = Tuple.of(id, now);
    int index = 3;
    for (Map.Entry<String, Object> column : columns.entrySet()) {
      if (!UPDATABLE.contains(column.getKey())) {
        throw new IllegalArgumentException("Column not updatable: " + column.getKey());
      }
      sql.append(", ").append(column.getKey()).append(" = $").append(index++);
      Object value = column.getValue();
      if (value instanceof byte[] bytes) {
        values.addBuffer(Buffer.buffer(bytes));
      } else if (value instanceof List<?> list) {
        values.addString(String.join(",", list.stream().map(String::valueOf).toList()));
      } else {
        values.addValue(value);
      }
    }
    return client.preparedQuery(sql.append(" WHERE id = $1").toString())
        .execute(values)
        .mapEmpty();
  }

  private static Optional<Row> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
  }

  private static Link toLink(Row row) {
    return new Link(row.getString("code"), row.getString("preset"),
        row.getString("organisation"), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("expires_at"), row.getOffsetDateTime("revoked_at"));
  }

  private static Enrolment toEnrolment(Row row) {
    return new Enrolment(
        row.getUUID("id"),
        row.getString("link_code"),
        row.getString("preset"),
        split(row.getString("steps")),
        split(row.getString("completed")),
        row.getString("status"),
        row.getString("mobile_masked"),
        row.getString("person_type"),
        row.getString("name"),
        row.getString("id_number_masked"),
        row.getString("county_code"),
        row.getUUID("signer_id"),
        row.getString("token_label"),
        row.getString("key_algorithm"),
        row.getString("face_session_id"),
        row.getString("rejection_reason"));
  }

  private static List<String> split(String text) {
    return text == null || text.isEmpty() ? List.of() : Arrays.asList(text.split(","));
  }
}
