package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Self-checks of the type parser, the converter and the comparator; no server needed. */
class CanonicalSelfTest {

  @Test
  void parsesDuckdbTypes() {
    assertEquals("INTEGER", DuckType.parse("INTEGER").name);
    assertEquals("TIMESTAMP WITH TIME ZONE", DuckType.parse("TIMESTAMP WITH TIME ZONE").name);
    assertEquals(2, DuckType.parse("DECIMAL(18,2)").decimalScale());
    DuckType la = DuckType.parse("DOUBLE[2][]");
    assertEquals("LIST", la.name);
    assertEquals("ARRAY", la.child(0).name);
    assertEquals(2, la.child(0).arraySize);
    DuckType st = DuckType.parse("STRUCT(a INTEGER, \"b c\" VARCHAR, c STRUCT(d DOUBLE, e INTEGER[]))");
    assertEquals(List.of("a", "b c", "c"), st.fieldNames);
    assertEquals("LIST", st.child(2).child(1).name);
    DuckType m = DuckType.parse("MAP(INTEGER, VARCHAR[])");
    assertEquals("INTEGER", m.child(0).name);
    assertEquals("LIST", m.child(1).name);
    assertEquals(List.of("sad", "it's"), DuckType.parse("ENUM('sad', 'it''s')").args);
    assertEquals("NULL", DuckType.parse("\"NULL\"").name);
  }

  @Test
  void convertsNestedArrowObjects() {
    DuckType t = DuckType.parse("STRUCT(u UBIGINT, d DECIMAL(4,2), ts TIMESTAMP_NS, l DATE[])");
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("u", -1L);
    raw.put("d", new BigDecimal("-0.10"));
    raw.put("ts", LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_999));
    raw.put("l", Arrays.asList(0, null, -1));
    Map<String, Object> want = new LinkedHashMap<>();
    want.put("u", "18446744073709551615");
    want.put("d", "-0.10");
    want.put("ts", "1969-12-31T23:59:59.999999999");
    want.put("l", Arrays.asList("1970-01-01", null, "1969-12-31"));
    assertTrue(Canonical.same(want, Canonical.nested(raw, t)), Canonical.render(Canonical.nested(raw, t)));
    assertEquals("24:00:00.000000", Canonical.timeOfDayMillis(86_400_000L, 6));
    assertEquals("00:00:00.000001", Canonical.nested(1L, DuckType.parse("TIME")));
  }

  @Test
  void comparatorIsStrictWhereItMatters() {
    assertTrue(Canonical.same(1.5, 1.5));
    assertTrue(Canonical.same(0.1 + 0.2, 0.30000000000000004));
    assertFalse(Canonical.same(1.5, 1.5000001));
    assertFalse(Canonical.same("1", 1L));
    assertFalse(Canonical.same(Arrays.asList("a", null), Arrays.asList("a", "")));
    Map<String, Object> ab = new LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, Object> ba = new LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    assertFalse(Canonical.same(ab, ba), "struct fields are compared in order");

    List<List<Object>> want = List.of(Arrays.asList("1", 2.0), Arrays.asList("2", null));
    List<List<Object>> permuted = List.of(Arrays.asList("2", null), Arrays.asList("1", 2.0));
    assertTrue(SharedScriptTest.compareRows(want, permuted, false).isEmpty());
    assertFalse(SharedScriptTest.compareRows(want, permuted, true).isEmpty());
    assertFalse(SharedScriptTest.compareRows(want, List.of(Arrays.asList("1", 2.0)), false).isEmpty());
  }

  @Test
  void timeIsCutToMilliseconds() {
    assertEquals("23:59:59.999000", SharedScriptTest.Expected.toJdbcPrecision("23:59:59.999999", DuckType.parse("TIME")));
    assertEquals("12:34:56.123000000",
        SharedScriptTest.Expected.toJdbcPrecision("12:34:56.123456789", DuckType.parse("TIME_NS")));
  }
}
