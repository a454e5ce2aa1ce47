package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DatabaseMetaData walk a database browser (DBeaver) does on connect and while expanding its
 * navigator: identity and capability getters (all answered from one GetSqlInfo), catalogs, schemas,
 * tables, columns, keys and table types. The objects live in schema jdbc_meta of catalog memory.
 *
 * <p>Driver 18.3.0 limits (asserted as they are, so a change shows up): it answers getTypeInfo
 * without asking the server (an empty result), and the identifier-case and NULL-ordering getters
 * (storesLowerCaseIdentifiers, nullsAreSortedHigh, …) are Avatica defaults rather than SqlInfo
 * 503/505/507.
 */
class MetadataTest {
  private static final String CATALOG = "memory";
  private static final String SCHEMA = "jdbc_meta";

  private static final String[] SETUP = {
    "DROP SCHEMA IF EXISTS jdbc_meta CASCADE",
    "CREATE SCHEMA jdbc_meta",
    "CREATE TABLE jdbc_meta.customers (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, email VARCHAR, "
        + "created TIMESTAMP)",
    "CREATE TABLE jdbc_meta.orders (order_id BIGINT PRIMARY KEY, "
        + "customer_id INTEGER NOT NULL REFERENCES jdbc_meta.customers (id), amount DECIMAL(12,2), placed DATE)",
    "CREATE TABLE jdbc_meta.order_lines (order_id BIGINT REFERENCES jdbc_meta.orders (order_id), "
        + "line_no INTEGER, sku VARCHAR, qty SMALLINT, PRIMARY KEY (order_id, line_no))",
    "CREATE TABLE jdbc_meta.line_notes (order_id BIGINT, line_no INTEGER, note VARCHAR, "
        + "FOREIGN KEY (order_id, line_no) REFERENCES jdbc_meta.order_lines (order_id, line_no))",
    "CREATE VIEW jdbc_meta.big_orders AS SELECT order_id, amount FROM jdbc_meta.orders WHERE amount > 100",
  };

  @BeforeAll
  static void createObjects() throws SQLException {
    try (Connection c = TestEnv.connect()) {
      for (String sql : SETUP) {
        TestEnv.update(c, sql);
      }
    }
  }

  @AfterAll
  static void dropObjects() throws SQLException {
    try (Connection c = TestEnv.connect()) {
      TestEnv.update(c, "DROP SCHEMA IF EXISTS jdbc_meta CASCADE");
    }
  }

  /** Each row as "v1|v2|…" (getString; SQL NULL prints as "null"). */
  private static List<String> rows(ResultSet rs, String... columns) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        List<String> cells = new ArrayList<>();
        for (String col : columns) {
          cells.add(String.valueOf(rs.getString(col)));
        }
        out.add(String.join("|", cells));
      }
    }
    return out;
  }

  private static List<String> columnLabels(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i));
    }
    return out;
  }

  private static List<String> split(String commaList) {
    return Arrays.asList(commaList.split(", "));
  }

  private static String queryString(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getString(1);
    }
  }

  // --- identity and capabilities (GetSqlInfo) ---------------------------------------------------

  @Test
  void identity() throws Exception {
    String version = new ObjectMapper().readTree(Paths.get("..", "..", "..", "package.json").toFile())
        .get("version").asText();
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      assertEquals("Skein", md.getDatabaseProductName());
      assertEquals(version, md.getDatabaseProductVersion());
      assertEquals("\"", md.getIdentifierQuoteString());
      assertEquals("\\", md.getSearchStringEscape());
      assertEquals("$", md.getExtraNameCharacters());
      assertEquals("schema", md.getSchemaTerm());
      assertEquals("catalog", md.getCatalogTerm());
      assertEquals("procedure", md.getProcedureTerm());
      assertTrue(md.isCatalogAtStart());
      assertFalse(md.isReadOnly());
    }
  }

  @Test
  void keywordsAreDuckdbsAndFunctionsAreSorted() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      String keywords = queryString(c,
          "SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT DISTINCT upper(keyword_name) AS k FROM duckdb_keywords())");
      assertEquals(keywords, md.getSQLKeywords());
      assertTrue(split(md.getNumericFunctions()).containsAll(List.of("ABS", "CEILING", "FLOOR", "MOD", "PI",
          "POWER", "ROUND", "SQRT")), md.getNumericFunctions());
      assertTrue(split(md.getStringFunctions()).containsAll(List.of("CONCAT", "LCASE", "LEFT", "LENGTH", "LTRIM",
          "REPLACE", "SUBSTRING", "UPPER")), md.getStringFunctions());
      assertTrue(split(md.getSystemFunctions()).containsAll(List.of("COALESCE", "CURRENT_DATABASE", "IFNULL",
          "USER", "VERSION")), md.getSystemFunctions());
      assertTrue(split(md.getTimeDateFunctions()).containsAll(List.of("CURRENT_DATE", "CURRENT_TIMESTAMP",
          "DATE_TRUNC", "EXTRACT", "HOUR", "NOW", "YEAR")), md.getTimeDateFunctions());
      for (String list : List.of(md.getNumericFunctions(), md.getStringFunctions(), md.getSystemFunctions(),
          md.getTimeDateFunctions())) {
        List<String> names = split(list);
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(null);
        assertEquals(sorted, names);
      }
    }
  }

  @Test
  void sqlCapabilities() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      assertTrue(md.supportsColumnAliasing());
      assertTrue(md.nullPlusNonNullIsNull());
      assertTrue(md.supportsTableCorrelationNames());
      assertFalse(md.supportsDifferentTableCorrelationNames());
      assertTrue(md.supportsExpressionsInOrderBy());
      assertTrue(md.supportsOrderByUnrelated());
      assertTrue(md.supportsGroupBy());
      assertTrue(md.supportsGroupByUnrelated());
      assertTrue(md.supportsLikeEscapeClause());
      assertTrue(md.supportsNonNullableColumns());
      assertTrue(md.supportsMinimumSQLGrammar());
      assertTrue(md.supportsCoreSQLGrammar());
      assertTrue(md.supportsExtendedSQLGrammar());
      assertTrue(md.supportsANSI92EntryLevelSQL());
      assertTrue(md.supportsANSI92IntermediateSQL());
      assertFalse(md.supportsANSI92FullSQL());
      assertTrue(md.supportsIntegrityEnhancementFacility());
      assertTrue(md.supportsOuterJoins());
      assertTrue(md.supportsFullOuterJoins());
      assertTrue(md.supportsLimitedOuterJoins());
      assertTrue(md.supportsSchemasInIndexDefinitions());
      assertFalse(md.supportsSchemasInProcedureCalls());
      assertFalse(md.supportsSchemasInPrivilegeDefinitions());
      assertTrue(md.supportsCatalogsInIndexDefinitions());
      assertFalse(md.supportsCatalogsInPrivilegeDefinitions());
      assertFalse(md.supportsPositionedDelete());
      assertFalse(md.supportsPositionedUpdate());
      assertTrue(md.supportsResultSetType(ResultSet.TYPE_FORWARD_ONLY));
      assertFalse(md.supportsResultSetType(ResultSet.TYPE_SCROLL_INSENSITIVE));
      assertFalse(md.supportsResultSetType(ResultSet.TYPE_SCROLL_SENSITIVE));
      assertFalse(md.supportsSelectForUpdate());
      assertFalse(md.supportsStoredProcedures());
      assertTrue(md.supportsSubqueriesInComparisons());
      assertTrue(md.supportsSubqueriesInExists());
      assertTrue(md.supportsSubqueriesInIns());
      assertTrue(md.supportsSubqueriesInQuantifieds());
      assertTrue(md.supportsCorrelatedSubqueries());
      assertTrue(md.supportsUnion());
      assertTrue(md.supportsUnionAll());
      assertTrue(md.supportsBatchUpdates());
      assertFalse(md.supportsSavepoints());
      assertFalse(md.supportsNamedParameters());
      assertFalse(md.locatorsUpdateCopy());
      assertFalse(md.supportsStoredFunctionsUsingCallSyntax());
      assertTrue(md.doesMaxRowSizeIncludeBlobs());
    }
  }

  @Test
  void limitsAreUnbounded() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      int[] limits = {
        md.getMaxBinaryLiteralLength(), md.getMaxCharLiteralLength(), md.getMaxColumnNameLength(),
        md.getMaxColumnsInGroupBy(), md.getMaxColumnsInIndex(), md.getMaxColumnsInOrderBy(),
        md.getMaxColumnsInSelect(), md.getMaxColumnsInTable(), md.getMaxConnections(), md.getMaxCursorNameLength(),
        md.getMaxIndexLength(), md.getMaxSchemaNameLength(), md.getMaxProcedureNameLength(),
        md.getMaxCatalogNameLength(), md.getMaxRowSize(), md.getMaxStatementLength(), md.getMaxStatements(),
        md.getMaxTableNameLength(), md.getMaxTablesInSelect(), md.getMaxUserNameLength(),
      };
      assertEquals(Arrays.toString(new int[limits.length]), Arrays.toString(limits), "0 = no limit");
    }
  }

  @Test
  void conversions() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      assertTrue(md.supportsConvert());
      assertTrue(md.supportsConvert(Types.VARCHAR, Types.INTEGER));
      assertTrue(md.supportsConvert(Types.VARCHAR, Types.DATE));
      assertTrue(md.supportsConvert(Types.INTEGER, Types.VARCHAR));
      assertTrue(md.supportsConvert(Types.INTEGER, Types.DECIMAL));
      assertTrue(md.supportsConvert(Types.DATE, Types.TIMESTAMP));
      assertTrue(md.supportsConvert(Types.BINARY, Types.VARCHAR));
      assertFalse(md.supportsConvert(Types.DATE, Types.INTEGER));
      assertFalse(md.supportsConvert(Types.INTEGER, Types.BINARY));
      assertFalse(md.supportsConvert(Types.TIMESTAMP, Types.BIGINT));
    }
  }

  @Test
  void transactionGetters() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      // Their values belong to the transactions work; here they must only answer (in 18.3.0 a missing
      // or mistyped SqlInfo is a NullPointerException or ClassCastException).
      md.supportsTransactions();
      md.supportsTransactionIsolationLevel(Connection.TRANSACTION_SERIALIZABLE);
      md.dataDefinitionCausesTransactionCommit();
      md.dataDefinitionIgnoredInTransactions();
      // SqlInfo 562 is the Flight SQL ordinal SERIALIZABLE (4); the driver passes the number through,
      // and JDBC's own constant 4 means REPEATABLE_READ.
      assertEquals(4, md.getDefaultTransactionIsolation());
    }
  }

  @Test
  void avaticaDefaultsNotFromServer() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      // Avatica's SQL-standard defaults. For DuckDB (case-insensitive, case-preserving; SqlInfo 503 and
      // 505 say CASE_INSENSITIVE) storesMixedCaseIdentifiers would be the truth, but 18.3.0 never asks.
      // NULLs last matches SqlInfo 507 (SQL_NULLS_SORTED_AT_END) by coincidence.
      String got = String.join(",",
          "storesLower=" + md.storesLowerCaseIdentifiers(),
          "storesUpper=" + md.storesUpperCaseIdentifiers(),
          "storesMixed=" + md.storesMixedCaseIdentifiers(),
          "storesMixedQuoted=" + md.storesMixedCaseQuotedIdentifiers(),
          "supportsMixed=" + md.supportsMixedCaseIdentifiers(),
          "supportsMixedQuoted=" + md.supportsMixedCaseQuotedIdentifiers(),
          "nullsHigh=" + md.nullsAreSortedHigh(),
          "nullsLow=" + md.nullsAreSortedLow(),
          "nullsAtStart=" + md.nullsAreSortedAtStart(),
          "nullsAtEnd=" + md.nullsAreSortedAtEnd());
      assertEquals("storesLower=false,storesUpper=true,storesMixed=false,storesMixedQuoted=false,supportsMixed=false,"
          + "supportsMixedQuoted=true,nullsHigh=false,nullsLow=false,nullsAtStart=false,nullsAtEnd=true", got);
    }
  }

  // --- catalogs, schemas, tables, columns -------------------------------------------------------

  @Test
  void catalogs() throws Exception {
    try (Connection c = TestEnv.connect()) {
      ResultSet rs = c.getMetaData().getCatalogs();
      assertEquals(List.of("TABLE_CAT"), columnLabels(rs));
      assertEquals(List.of(CATALOG), rows(rs, "TABLE_CAT"));
    }
  }

  @Test
  void schemas() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      ResultSet all = md.getSchemas();
      assertEquals(List.of("TABLE_SCHEM", "TABLE_CATALOG"), columnLabels(all));
      List<String> every = rows(all, "TABLE_CATALOG", "TABLE_SCHEM");
      assertTrue(every.containsAll(List.of("memory|jdbc_meta", "memory|main")), every.toString());
      assertFalse(every.stream().anyMatch(s -> s.endsWith("|information_schema") || s.endsWith("|pg_catalog")),
          every.toString());
      List<String> sorted = new ArrayList<>(every);
      sorted.sort(null);
      assertEquals(sorted, every, "ordered by catalog, schema");

      assertEquals(List.of("memory|jdbc_meta"), rows(md.getSchemas(CATALOG, "jdbc\\_meta"), "TABLE_CATALOG",
          "TABLE_SCHEM"));
      assertEquals(List.of("memory|jdbc_meta"), rows(md.getSchemas(null, "jdbc_me%"), "TABLE_CATALOG",
          "TABLE_SCHEM"));
      assertEquals(List.of(), rows(md.getSchemas("no_such_catalog", null), "TABLE_SCHEM"));
      assertEquals(List.of(), rows(md.getSchemas(CATALOG, "no\\_such%"), "TABLE_SCHEM"));
    }
  }

  @Test
  void tables() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      ResultSet rs = md.getTables(null, SCHEMA, "%", null);
      assertEquals(List.of("TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS", "TYPE_CAT",
          "TYPE_SCHEM", "TYPE_NAME", "SELF_REFERENCING_COL_NAME", "REF_GENERATION"), columnLabels(rs));
      assertEquals(List.of(
          "memory|jdbc_meta|big_orders|VIEW",
          "memory|jdbc_meta|customers|BASE TABLE",
          "memory|jdbc_meta|line_notes|BASE TABLE",
          "memory|jdbc_meta|order_lines|BASE TABLE",
          "memory|jdbc_meta|orders|BASE TABLE"), rows(rs, "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE"));

      assertEquals(List.of("big_orders"), rows(md.getTables(CATALOG, SCHEMA, null, new String[] {"VIEW"}),
          "TABLE_NAME"));
      assertEquals(List.of("customers", "line_notes", "order_lines", "orders"),
          rows(md.getTables(null, SCHEMA, null, new String[] {"BASE TABLE"}), "TABLE_NAME"));
      assertEquals(List.of("big_orders", "customers"),
          rows(md.getTables(null, SCHEMA, "%", new String[] {"VIEW", "BASE TABLE"}), "TABLE_NAME")
              .subList(0, 2));
      assertEquals(List.of("order_lines", "orders"), rows(md.getTables(null, SCHEMA, "order%", null), "TABLE_NAME"));
      assertEquals(List.of("order_lines"), rows(md.getTables(null, "jdbc\\_meta", "order\\_lines", null),
          "TABLE_NAME"));
      assertEquals(List.of("orders"), rows(md.getTables(null, "jdbc_m%", "ord_rs", null), "TABLE_NAME"));
      assertEquals(List.of(), rows(md.getTables(null, SCHEMA, "%", new String[] {"LOCAL TEMPORARY"}), "TABLE_NAME"));
      assertEquals(List.of(), rows(md.getTables("no_such_catalog", SCHEMA, "%", null), "TABLE_NAME"));
    }
  }

  @Test
  void tableTypes() throws Exception {
    try (Connection c = TestEnv.connect()) {
      ResultSet rs = c.getMetaData().getTableTypes();
      assertEquals(List.of("TABLE_TYPE"), columnLabels(rs));
      assertEquals(List.of("BASE TABLE", "LOCAL TEMPORARY", "VIEW"), rows(rs, "TABLE_TYPE"));
    }
  }

  private static final String[] COLUMN_FIELDS = {
    "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE",
    "DECIMAL_DIGITS", "NUM_PREC_RADIX", "NULLABLE", "IS_NULLABLE", "ORDINAL_POSITION", "IS_AUTOINCREMENT",
  };

  @Test
  void columns() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      // DATA_TYPE comes from the Arrow type, TYPE_NAME from DuckDB (ARROW:FLIGHT:SQL:TYPE_NAME), sizes
      // from PRECISION/SCALE or the driver's defaults for the Arrow type; NULLABLE from NOT NULL.
      assertEquals(List.of(
          "memory|jdbc_meta|orders|order_id|" + Types.BIGINT + "|BIGINT|19|0|10|0|NO|1|NO",
          "memory|jdbc_meta|orders|customer_id|" + Types.INTEGER + "|INTEGER|10|0|10|0|NO|2|NO",
          "memory|jdbc_meta|orders|amount|" + Types.DECIMAL + "|DECIMAL(12,2)|12|2|10|1|YES|3|NO",
          "memory|jdbc_meta|orders|placed|" + Types.DATE + "|DATE|10|0|null|1|YES|4|NO"),
          rows(md.getColumns(null, SCHEMA, "orders", null), COLUMN_FIELDS));
      assertEquals(List.of(
          "memory|jdbc_meta|customers|id|" + Types.INTEGER + "|INTEGER|10|0|10|0|NO|1|NO",
          "memory|jdbc_meta|customers|name|" + Types.VARCHAR + "|VARCHAR|65536|null|null|0|NO|2|NO",
          "memory|jdbc_meta|customers|email|" + Types.VARCHAR + "|VARCHAR|65536|null|null|1|YES|3|NO",
          "memory|jdbc_meta|customers|created|" + Types.TIMESTAMP + "|TIMESTAMP|26|6|null|1|YES|4|NO"),
          rows(md.getColumns(CATALOG, SCHEMA, "customers", null), COLUMN_FIELDS));
      assertEquals(List.of(
          "memory|jdbc_meta|big_orders|order_id|" + Types.BIGINT + "|BIGINT|19|0|10|1|YES|1|NO",
          "memory|jdbc_meta|big_orders|amount|" + Types.DECIMAL + "|DECIMAL(12,2)|12|2|10|1|YES|2|NO"),
          rows(md.getColumns(null, SCHEMA, "big_orders", null), COLUMN_FIELDS));
      // Column pattern, and table pattern across tables (rows in table order, then column order). The
      // driver matches column names itself, with a regex that takes the escape character literally, so
      // column patterns cannot escape '_'.
      assertEquals(List.of("big_orders|order_id|1", "line_notes|order_id|1", "order_lines|order_id|1",
          "orders|order_id|1", "orders|customer_id|2"),
          rows(md.getColumns(null, SCHEMA, "%", "%_id"), "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION"));
      assertEquals(List.of(), rows(md.getColumns(null, SCHEMA, "orders", "%\\_id"), "COLUMN_NAME"));
      assertEquals(List.of("qty|" + Types.SMALLINT + "|SMALLINT|5"),
          rows(md.getColumns(null, SCHEMA, "order\\_lines", "q%"), "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME",
              "COLUMN_SIZE"));
    }
  }

  // --- keys ---------------------------------------------------------------------------------------

  private static final String[] FK_FIELDS = {
    "PKTABLE_CAT", "PKTABLE_SCHEM", "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_CAT", "FKTABLE_SCHEM",
    "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "UPDATE_RULE", "DELETE_RULE",
  };
  // DuckDB foreign keys neither cascade nor set null: NO ACTION (3, as in java.sql.DatabaseMetaData).
  private static final String NO_ACTION = "|" + DatabaseMetaData.importedKeyNoAction + "|"
      + DatabaseMetaData.importedKeyNoAction;

  @Test
  void primaryKeys() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      String pkName = queryString(c, "SELECT constraint_name FROM duckdb_constraints() WHERE schema_name = 'jdbc_meta' "
          + "AND table_name = 'order_lines' AND constraint_type = 'PRIMARY KEY'");
      ResultSet rs = md.getPrimaryKeys(null, SCHEMA, "order_lines");
      assertEquals(List.of("TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME"),
          columnLabels(rs));
      assertEquals(List.of(
          "memory|jdbc_meta|order_lines|order_id|1|" + pkName,
          "memory|jdbc_meta|order_lines|line_no|2|" + pkName),
          rows(rs, "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME"));
      assertEquals(List.of("id|1"), rows(md.getPrimaryKeys(CATALOG, SCHEMA, "customers"), "COLUMN_NAME", "KEY_SEQ"));
      assertEquals(List.of(), rows(md.getPrimaryKeys(null, SCHEMA, "line_notes"), "COLUMN_NAME"));
      assertEquals(List.of(), rows(md.getPrimaryKeys(null, SCHEMA, "big_orders"), "COLUMN_NAME"));
    }
  }

  @Test
  void importedKeys() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      ResultSet rs = md.getImportedKeys(null, SCHEMA, "orders");
      assertEquals(List.of("PKTABLE_CAT", "PKTABLE_SCHEM", "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_CAT",
          "FKTABLE_SCHEM", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ", "FK_NAME", "PK_NAME", "UPDATE_RULE",
          "DELETE_RULE", "DEFERRABILITY"), columnLabels(rs));
      assertEquals(List.of("memory|jdbc_meta|customers|id|memory|jdbc_meta|orders|customer_id|1" + NO_ACTION),
          rows(rs, FK_FIELDS));
      // A two-column key: one row per column, in key order.
      assertEquals(List.of(
          "memory|jdbc_meta|order_lines|order_id|memory|jdbc_meta|line_notes|order_id|1" + NO_ACTION,
          "memory|jdbc_meta|order_lines|line_no|memory|jdbc_meta|line_notes|line_no|2" + NO_ACTION),
          rows(md.getImportedKeys(CATALOG, SCHEMA, "line_notes"), FK_FIELDS));
      assertEquals(List.of(), rows(md.getImportedKeys(null, SCHEMA, "customers"), FK_FIELDS));
      List<String> names = rows(md.getImportedKeys(null, SCHEMA, "line_notes"), "FK_NAME");
      assertEquals(2, names.size());
      assertEquals(names.get(0), names.get(1), "both columns belong to one constraint");
      assertFalse(names.get(0).equals("null"), "the foreign key has DuckDB's constraint name");
    }
  }

  @Test
  void exportedKeys() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      assertEquals(List.of("memory|jdbc_meta|orders|order_id|memory|jdbc_meta|order_lines|order_id|1" + NO_ACTION),
          rows(md.getExportedKeys(null, SCHEMA, "orders"), FK_FIELDS));
      assertEquals(List.of("memory|jdbc_meta|customers|id|memory|jdbc_meta|orders|customer_id|1" + NO_ACTION),
          rows(md.getExportedKeys(CATALOG, SCHEMA, "customers"), FK_FIELDS));
      assertEquals(List.of(), rows(md.getExportedKeys(null, SCHEMA, "line_notes"), FK_FIELDS));
    }
  }

  @Test
  void crossReference() throws Exception {
    try (Connection c = TestEnv.connect()) {
      DatabaseMetaData md = c.getMetaData();
      assertEquals(List.of("memory|jdbc_meta|customers|id|memory|jdbc_meta|orders|customer_id|1" + NO_ACTION),
          rows(md.getCrossReference(null, SCHEMA, "customers", null, SCHEMA, "orders"), FK_FIELDS));
      assertEquals(List.of("order_id|order_id|1", "line_no|line_no|2"),
          rows(md.getCrossReference(CATALOG, SCHEMA, "order_lines", CATALOG, SCHEMA, "line_notes"), "PKCOLUMN_NAME",
              "FKCOLUMN_NAME", "KEY_SEQ"));
      assertEquals(List.of(), rows(md.getCrossReference(null, SCHEMA, "orders", null, SCHEMA, "customers"),
          FK_FIELDS));
      assertEquals(List.of(), rows(md.getCrossReference(null, SCHEMA, "customers", null, SCHEMA, "order_lines"),
          FK_FIELDS));
    }
  }

  @Test
  void typeInfoIsNotAskedOfTheServer() throws Exception {
    try (Connection c = TestEnv.connect()) {
      // 18.3.0 does not map getTypeInfo to CommandGetXdbcTypeInfo (the Python and Go suites check that
      // command); Avatica answers with an empty result of the JDBC shape.
      ResultSet rs = c.getMetaData().getTypeInfo();
      List<String> labels = columnLabels(rs);
      assertTrue(labels.containsAll(List.of("TYPE_NAME", "DATA_TYPE", "PRECISION", "NULLABLE")), labels.toString());
      assertEquals(List.of(), rows(rs, "TYPE_NAME"));
    }
  }
}
