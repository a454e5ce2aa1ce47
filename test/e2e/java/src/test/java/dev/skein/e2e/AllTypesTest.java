package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One row holding a value of every common DuckDB type: getObject works on each column and gives the value. */
class AllTypesTest {

  private static final String SQL = "SELECT true AS b, CAST(-5 AS TINYINT) AS i8, CAST(-300 AS SMALLINT) AS i16,"
      + " CAST(70000 AS INTEGER) AS i32, CAST(5000000000 AS BIGINT) AS i64, CAST(200 AS UTINYINT) AS u8,"
      + " CAST(60000 AS USMALLINT) AS u16, CAST(4000000000 AS UINTEGER) AS u32,"
      + " CAST('18446744073709551615' AS UBIGINT) AS u64, CAST('12345678901234567890123' AS HUGEINT) AS i128,"
      + " CAST(1.5 AS FLOAT) AS f32, CAST(2.25 AS DOUBLE) AS f64, CAST('-12.345' AS DECIMAL(10,3)) AS dec,"
      + " 'text ✓' AS s, '\\x01\\xFF'::BLOB AS bl, DATE '2024-02-29' AS d, TIME '12:34:56.789' AS t,"
      + " TIMESTAMP '2024-02-29 12:34:56.123456' AS ts, TIMESTAMPTZ '2024-02-29 12:34:56.123456+00' AS tstz,"
      + " INTERVAL '14 months 3 days 4 seconds' AS iv, [1, 2, NULL] AS li, {'a': 1, 'b': 'x'} AS st,"
      + " MAP {'k': 7} AS m, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS u, NULL AS n";

  @Test
  void getObjectOnEveryColumn() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SQL)) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(25, md.getColumnCount());
      assertEquals(Types.BOOLEAN, md.getColumnType(1), "b");
      assertEquals(Types.INTEGER, md.getColumnType(4), "i32");
      assertEquals(Types.BIGINT, md.getColumnType(5), "i64");
      assertEquals(Types.DOUBLE, md.getColumnType(12), "f64");
      assertEquals(Types.DECIMAL, md.getColumnType(13), "dec");
      assertEquals(Types.VARCHAR, md.getColumnType(14), "s");
      assertEquals(Types.DATE, md.getColumnType(16), "d");
      assertEquals(Types.TIMESTAMP, md.getColumnType(18), "ts");
      assertEquals(Types.TIMESTAMP_WITH_TIMEZONE, md.getColumnType(19), "tstz");
      assertEquals(Types.ARRAY, md.getColumnType(21), "li");

      assertTrue(rs.next(), "one row");
      assertEquals(Boolean.TRUE, rs.getObject("b"));
      assertEquals((byte) -5, rs.getObject("i8"));
      assertEquals((short) -300, rs.getObject("i16"));
      assertEquals(70000, rs.getObject("i32"));
      assertEquals(5_000_000_000L, rs.getObject("i64"));
      // Unsigned columns: getObject hands out the same bits in the signed Java type; getString is unsigned.
      assertEquals(200L, ((Number) rs.getObject("u8")).longValue() & 0xFFL);
      assertEquals(60000L, ((Number) rs.getObject("u16")).longValue() & 0xFFFFL);
      assertEquals(4_000_000_000L, ((Number) rs.getObject("u32")).longValue() & 0xFFFFFFFFL);
      assertEquals(-1L, ((Number) rs.getObject("u64")).longValue());
      assertEquals("18446744073709551615", rs.getString("u64"));
      assertEquals(new BigDecimal("12345678901234567890123"), rs.getObject("i128"));
      assertEquals(1.5f, rs.getObject("f32"));
      assertEquals(2.25, rs.getObject("f64"));
      assertEquals(new BigDecimal("-12.345"), rs.getObject("dec"));
      assertEquals("text ✓", rs.getObject("s"));
      assertArrayEquals(new byte[] {1, (byte) 0xFF}, (byte[]) rs.getObject("bl"));
      assertEquals(Date.valueOf("2024-02-29"), rs.getObject("d"));
      assertEquals(LocalDate.of(2024, 2, 29), rs.getObject("d", LocalDate.class));
      Time t = (Time) rs.getObject("t");
      assertEquals((12 * 3600 + 34 * 60 + 56) * 1000L + 789, t.getTime(), "TIME as milliseconds of the day");
      assertEquals(Timestamp.valueOf("2024-02-29 12:34:56.123456"), rs.getObject("ts"));
      assertEquals(LocalDateTime.of(2024, 2, 29, 12, 34, 56, 123_456_000), rs.getObject("ts", LocalDateTime.class));
      assertInstanceOf(Timestamp.class, rs.getObject("tstz"));
      assertEquals(Instant.parse("2024-02-29T12:34:56.123456Z"), rs.getObject("tstz", Instant.class));
      assertEquals(Map.of("months", 14L, "days", 3L, "nanos", "4000000000"), Canonical.interval(rs.getObject("iv")));

      // getObject on a LIST column gives a java.sql.Array or a java.util.List, depending on the path.
      Object li = rs.getObject("li");
      Object[] elems = li instanceof Array ? (Object[]) ((Array) li).getArray() : ((List<?>) li).toArray();
      assertArrayEquals(new Object[] {1, 2, null}, elems);
      assertArrayEquals(new Object[] {1, 2, null}, (Object[]) rs.getArray("li").getArray());

      Object stv = rs.getObject("st");
      assertInstanceOf(Map.class, stv);
      Map<?, ?> struct = (Map<?, ?>) stv;
      assertEquals(2, struct.size());
      assertEquals(1, struct.get("a"));
      assertEquals("x", String.valueOf(struct.get("b")));

      Object mv = rs.getObject("m");
      assertInstanceOf(Map.class, mv);
      Map<?, ?> map = (Map<?, ?>) mv;
      assertEquals(1, map.size());
      Map.Entry<?, ?> entry = map.entrySet().iterator().next();
      assertEquals("k", String.valueOf(entry.getKey()));
      assertEquals(7, entry.getValue());

      assertEquals("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", rs.getObject("u"));
      assertNull(rs.getObject("n"));
      assertTrue(rs.wasNull());
      assertFalse(rs.next(), "only one row");
    }
  }

  /** DuckDB's ARRAY type travels as an Arrow fixed-size list. */
  @Test
  void fixedSizeArrayColumn() throws Exception {
    try (Connection c = TestEnv.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT [1, 2, 3]::INTEGER[3] AS arr, ['x', NULL]::VARCHAR[2] AS sarr")) {
      assertTrue(rs.next(), "one row");
      assertArrayEquals(new Object[] {1, 2, 3}, (Object[]) rs.getArray("arr").getArray());
      Object[] sarr = (Object[]) rs.getArray("sarr").getArray();
      assertEquals(2, sarr.length);
      assertEquals("x", String.valueOf(sarr[0]));
      assertNull(sarr[1]);
      assertFalse(rs.next(), "only one row");
    }
  }

  /** An ENUM column reaches JDBC as a dictionary-encoded column (see Canonical.enumValue). */
  @Test
  void enumColumn() throws Exception {
    try (Connection c = TestEnv.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT CAST(v AS ENUM('sad', 'ok', 'happy')) AS e FROM (VALUES ('happy'), (NULL), ('sad')) t(v)")) {
      DuckType t = DuckType.parse("ENUM('sad', 'ok', 'happy')");
      List<String> got = new java.util.ArrayList<>();
      while (rs.next()) {
        got.add(Canonical.enumValue(rs.getString("e"), t));
      }
      assertEquals(Arrays.asList("happy", null, "sad"), got);
    }
  }
}
