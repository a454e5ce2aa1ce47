package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

/** PreparedStatement with bound parameters of several types. */
class PreparedStatementTest {

  private static final String ROUND_TRIP =
      "SELECT CAST(? AS INTEGER) AS i, CAST(? AS BIGINT) AS l, CAST(? AS DOUBLE) AS d, CAST(? AS VARCHAR) AS s,"
          + " CAST(? AS DECIMAL(12,3)) AS dec, CAST(? AS DATE) AS dt, CAST(? AS BOOLEAN) AS b";

  @Test
  void parametersOfSeveralTypesRoundTrip() throws Exception {
    try (Connection c = TestEnv.connect(); PreparedStatement ps = c.prepareStatement(ROUND_TRIP)) {
      assertEquals(7, ps.getParameterMetaData().getParameterCount(), "parameter count");

      // Executed twice: the second answer must follow the second binding.
      bindAndCheck(ps, 42, 9_000_000_000L, 2.5, "skein", new BigDecimal("-12.345"), LocalDate.of(2024, 2, 29), true);
      bindAndCheck(ps, -7, Long.MIN_VALUE, -0.125, "ünïcode ✓ 🦆", new BigDecimal("999999999.999"),
          LocalDate.of(1969, 12, 31), false);
    }
  }

  private static void bindAndCheck(PreparedStatement ps, int i, long l, double d, String s, BigDecimal dec,
      LocalDate dt, boolean b) throws Exception {
    ps.setInt(1, i);
    ps.setLong(2, l);
    ps.setDouble(3, d);
    ps.setString(4, s);
    ps.setBigDecimal(5, dec);
    ps.setDate(6, Date.valueOf(dt));
    ps.setBoolean(7, b);
    try (ResultSet rs = ps.executeQuery()) {
      assertTrue(rs.next(), "one row");
      assertEquals(i, rs.getInt("i"));
      assertEquals(l, rs.getLong("l"));
      assertEquals(d, rs.getDouble("d"));
      assertEquals(s, rs.getString("s"));
      assertEquals(dec, rs.getBigDecimal("dec"));
      assertEquals(dt.toString(), rs.getString("dt"));
      assertEquals(b, rs.getBoolean("b"));
      assertFalse(rs.next(), "only one row");
    }
  }

  /**
   * setTimestamp. Avatica hands the driver a Timestamp as epoch milliseconds, so the test uses
   * whole milliseconds. Driver 18.3.0 writes those milliseconds unscaled into whatever timestamp
   * unit the server's parameter_schema names (apache/arrow-java#838): the answer is right only if
   * the server declares timestamp parameters in milliseconds (or converts them).
   */
  @Test
  void timestampParameter() throws Exception {
    try (Connection c = TestEnv.connect();
        PreparedStatement ps = c.prepareStatement("SELECT CAST(? AS TIMESTAMP) AS ts, CAST(? AS TIMESTAMP) + INTERVAL 1 DAY AS next_day")) {
      LocalDateTime ts = LocalDateTime.of(2024, 2, 29, 12, 34, 56, 123_000_000);
      ps.setTimestamp(1, Timestamp.valueOf(ts));
      ps.setTimestamp(2, Timestamp.valueOf(ts));
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "one row");
        assertEquals(ts, rs.getObject("ts", LocalDateTime.class));
        assertEquals(ts.plusDays(1), rs.getObject("next_day", LocalDateTime.class));
      }
    }
  }

  @Test
  void nullParameters() throws Exception {
    try (Connection c = TestEnv.connect();
        PreparedStatement ps = c.prepareStatement("SELECT CAST(? AS INTEGER) IS NULL AS isnull, CAST(? AS VARCHAR) AS s")) {
      ps.setNull(1, Types.INTEGER);
      ps.setNull(2, Types.VARCHAR);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertTrue(rs.getBoolean("isnull"));
        assertNull(rs.getString("s"));
      }
    }
  }

  @Test
  void parameterInWhereClause() throws Exception {
    try (Connection c = TestEnv.connect()) {
      TestEnv.update(c, "CREATE OR REPLACE TABLE java_e2e_items (id INTEGER, name VARCHAR, price DECIMAL(10,2), added DATE)");
      TestEnv.update(c, "INSERT INTO java_e2e_items VALUES (1, 'one', 1.10, DATE '2024-01-01'),"
          + " (2, 'two', 2.20, DATE '2024-02-01'), (3, 'three', 3.30, DATE '2024-03-01'), (4, 'four', NULL, NULL)");
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, name FROM java_e2e_items WHERE price > ? AND added >= ? ORDER BY id")) {
        ps.setBigDecimal(1, new BigDecimal("1.50"));
        ps.setDate(2, Date.valueOf("2024-02-01"));
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(2, rs.getInt(1));
          assertEquals("two", rs.getString(2));
          assertTrue(rs.next());
          assertEquals(3, rs.getInt(1));
          assertFalse(rs.next());
        }
        // Arrow's DecimalVector takes only BigDecimals of the column's exact scale.
        ps.setBigDecimal(1, new BigDecimal("0.00"));
        ps.setDate(2, Date.valueOf("2000-01-01"));
        try (ResultSet rs = ps.executeQuery()) {
          int n = 0;
          while (rs.next()) {
            n++;
          }
          assertEquals(3, n, "rows with a price after re-binding");
        }
      }
    }
  }

  @Test
  void preparedInsertReturnsRowCount() throws Exception {
    try (Connection c = TestEnv.connect()) {
      TestEnv.update(c, "CREATE OR REPLACE TABLE java_e2e_prepared_insert (i INTEGER, s VARCHAR, b BLOB)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO java_e2e_prepared_insert VALUES (?, ?, ?)")) {
        for (int i = 1; i <= 3; i++) {
          ps.setInt(1, i);
          ps.setString(2, "v" + i);
          ps.setBytes(3, new byte[] {(byte) i, (byte) 0xFF});
          assertEquals(1, ps.executeUpdate(), "row count of prepared INSERT #" + i);
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*), string_agg(s, ',' ORDER BY i), max(b) FROM java_e2e_prepared_insert");
          ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals(3, rs.getLong(1));
        assertEquals("v1,v2,v3", rs.getString(2));
        assertArrayEquals(new byte[] {3, (byte) 0xFF}, rs.getBytes(3));
      }
    }
  }
}
