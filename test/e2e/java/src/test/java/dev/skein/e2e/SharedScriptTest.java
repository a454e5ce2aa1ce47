package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The shared statement script (test/e2e/script/script.json) through the JDBC driver: setup with
 * executeUpdate, each query with executeQuery, every cell in canonical form compared with
 * $SKEIN_EXPECTED_DIR/&lt;name&gt;.json.
 *
 * <p>TIME columns are compared to the millisecond: the driver (18.3.0) reads TIME vectors into
 * java.sql.Time (ArrowFlightJdbcTimeVectorAccessor), which keeps milliseconds only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedScriptTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(120);

  /**
   * exotic_ queries whose types the JDBC driver cannot represent, with the reason. Every other
   * query is compared in full.
   */
  static final Map<String, String> JDBC_CANNOT_REPRESENT = Map.of();

  private Connection conn;

  @AfterAll
  void close() throws SQLException {
    if (conn != null) {
      conn.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> sharedScript() throws Exception {
    JsonNode script = JSON.readTree(Files.readAllBytes(TestEnv.scriptPath()));
    conn = TestEnv.connect();
    for (JsonNode s : script.get("setup")) {
      String sql = s.isTextual() ? s.textValue() : s.get("sql").textValue();
      try (Statement st = conn.createStatement()) {
        st.executeUpdate(sql);
      } catch (SQLException e) {
        throw new AssertionError("setup statement failed: " + sql + "\n" + TestEnv.causeChain(e), e);
      }
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode q : script.get("queries")) {
      String name = q.get("name").textValue();
      String sql = q.get("sql").textValue();
      boolean ordered = q.path("ordered").asBoolean(false);
      tests.add(DynamicTest.dynamicTest(name,
          () -> assertTimeoutPreemptively(QUERY_TIMEOUT, () -> runQuery(name, sql, ordered), name + " timed out")));
    }
    assertTrue(!tests.isEmpty(), "script has no queries");
    return tests.stream();
  }

  private void runQuery(String name, String sql, boolean ordered) throws Exception {
    if (name.startsWith("exotic_") && JDBC_CANNOT_REPRESENT.containsKey(name)) {
      Assumptions.abort(JDBC_CANNOT_REPRESENT.get(name));
    }
    Expected want = Expected.load(TestEnv.expectedDir(), name);
    List<List<Object>> got = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> names = new ArrayList<>();
      for (int c = 1; c <= md.getColumnCount(); c++) {
        names.add(md.getColumnLabel(c));
      }
      boolean hasRows = rs.next();
      if (!hasRows && names.size() == 2 * want.names.size()
          && names.subList(0, want.names.size()).equals(want.names)
          && names.subList(want.names.size(), names.size()).equals(want.names)) {
        // Known driver bug (apache/arrow-java#44, JDBC >= 15): an empty result lists every
        // column twice in its metadata, whatever the server sends (the driver skips streams
        // without rows). Names and order are still checked.
        names = names.subList(0, want.names.size());
      }
      assertEquals(want.names, names, name + ": column names");
      for (; hasRows; hasRows = rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int c = 1; c <= want.types.size(); c++) {
          DuckType t = want.types.get(c - 1);
          try {
            row.add(Canonical.cell(rs, c, t));
          } catch (RuntimeException e) {
            throw new AssertionError(name + ": row " + got.size() + " column " + want.names.get(c - 1)
                + " (" + t + "): " + e, e);
          }
        }
        got.add(row);
      }
    } catch (SQLException e) {
      throw new AssertionError(name + ": " + sql + "\n" + TestEnv.causeChain(e), e);
    }
    List<String> diffs = compareRows(want.rows, got, ordered);
    if (!diffs.isEmpty()) {
      fail(name + ": " + sql + "\n" + String.join("\n", diffs));
    }
  }

  static List<String> compareRows(List<List<Object>> want, List<List<Object>> got, boolean ordered) {
    List<String> diffs = new ArrayList<>();
    if (want.size() != got.size()) {
      diffs.add("row count: want " + want.size() + ", got " + got.size());
    }
    if (!ordered) {
      Comparator<List<Object>> byRendering = Comparator.comparing(Canonical::render);
      want = new ArrayList<>(want);
      got = new ArrayList<>(got);
      want.sort(byRendering);
      got.sort(byRendering);
    }
    int bad = 0;
    for (int r = 0; r < Math.min(want.size(), got.size()); r++) {
      if (!Canonical.same(want.get(r), got.get(r))) {
        if (++bad <= 5) {
          diffs.add("row " + r + ":\n    want " + Canonical.render(want.get(r)) + "\n    got  " + Canonical.render(got.get(r)));
        }
      }
    }
    if (bad > 5) {
      diffs.add("... " + bad + " differing rows in all");
    }
    return diffs;
  }

  /** A parsed &lt;name&gt;.json: column names, DuckDB types and canonical rows. */
  static final class Expected {
    final List<String> names = new ArrayList<>();
    final List<DuckType> types = new ArrayList<>();
    final List<List<Object>> rows = new ArrayList<>();

    static Expected load(Path dir, String name) throws IOException {
      JsonNode doc = JSON.readTree(Files.readAllBytes(dir.resolve(name + ".json")));
      Expected e = new Expected();
      for (JsonNode c : doc.get("columns")) {
        e.names.add(c.get("name").textValue());
        e.types.add(DuckType.parse(c.get("type").textValue()));
      }
      for (JsonNode r : doc.get("rows")) {
        List<Object> row = new ArrayList<>();
        int i = 0;
        for (JsonNode cell : r) {
          row.add(toJdbcPrecision(Canonical.fromJson(cell), e.types.get(i++)));
        }
        e.rows.add(row);
      }
      return e;
    }

    /** Top-level TIME values cut to the milliseconds the driver keeps (see the class comment). */
    static Object toJdbcPrecision(Object cell, DuckType t) {
      if (!(cell instanceof String)) {
        return cell;
      }
      switch (t.name) {
        case "TIME":
        case "TIME WITH TIME ZONE":
        case "TIME_NS": {
          String s = (String) cell;
          int dot = s.indexOf('.');
          String frac = s.substring(dot + 1);
          return s.substring(0, dot + 1) + frac.substring(0, 3) + "0".repeat(frac.length() - 3);
        }
        default:
          return cell;
      }
    }
  }
}
