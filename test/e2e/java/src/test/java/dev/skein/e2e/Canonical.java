package dev.skein.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Time;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The canonical JSON cell form of test/e2e/README.md, built from what the JDBC driver returns,
 * and a comparison of such cells with the expected ones.
 *
 * <p>Cells are modelled as null, Boolean, String, Double (floating point), Long (interval parts),
 * List and LinkedHashMap (struct fields in order).
 */
final class Canonical {
  private Canonical() {}

  // ---------------------------------------------------------------- from a JDBC ResultSet

  /** One top-level cell, read through the JDBC getter that suits the column's DuckDB type. */
  static Object cell(ResultSet rs, int col, DuckType t) throws SQLException {
    switch (t.name) {
      case "\"NULL\"":
      case "NULL": {
        Object o = rs.getObject(col);
        if (o != null) {
          throw new IllegalStateException("NULL column returned " + describe(o));
        }
        return null;
      }
      case "BOOLEAN":
        return rs.getObject(col);
      case "TINYINT":
      case "SMALLINT":
      case "INTEGER":
      case "BIGINT":
        return rs.getString(col);
      case "UTINYINT":
      case "USMALLINT":
      case "UINTEGER":
      case "UBIGINT":
        // getObject hands out the unsigned bits in the signed Java type of the same width; they are
        // read back as unsigned here. (getString is wrong for UTINYINT and UINTEGER in driver
        // 18.3.0: it sign-extends to 64 bits before printing unsigned, so 200 becomes
        // 18446744073709551560.)
        return nested(rs.getObject(col), t);
      case "HUGEINT":
      case "UHUGEINT":
      case "DECIMAL": {
        BigDecimal d = rs.getBigDecimal(col);
        return d == null ? null : d.toPlainString();
      }
      case "FLOAT":
      case "DOUBLE":
        return floating(rs.getObject(col));
      case "VARCHAR":
      case "UUID":
        return rs.getString(col);
      case "ENUM":
        return enumValue(rs.getString(col), t);
      case "BLOB":
      case "BIT":
      case "BIGNUM":
        return hex(rs.getBytes(col));
      case "DATE":
        // getString, not getObject(LocalDate): the latter goes through java.sql.Date and its
        // Julian calendar, which moves dates before 1582.
        return rs.getString(col);
      case "TIME":
      case "TIME WITH TIME ZONE":
      case "TIME_NS": {
        // The driver reads TIME as java.sql.Time: milliseconds only (see TIME_PRECISION_NOTE).
        Time tm = (Time) rs.getObject(col);
        return tm == null ? null : timeOfDayMillis(tm.getTime(), "TIME_NS".equals(t.name) ? 9 : 6);
      }
      case "TIMESTAMP":
      case "TIMESTAMP_S":
      case "TIMESTAMP_MS":
      case "TIMESTAMP_NS": {
        LocalDateTime ldt = rs.getObject(col, LocalDateTime.class);
        return ldt == null ? null : timestamp(ldt, "TIMESTAMP_NS".equals(t.name) ? 9 : 6, false);
      }
      case "TIMESTAMP WITH TIME ZONE": {
        Instant i = rs.getObject(col, Instant.class);
        return i == null ? null : timestamp(LocalDateTime.ofInstant(i, ZoneOffset.UTC), 6, true);
      }
      case "LIST":
      case "ARRAY": {
        Array a = rs.getArray(col);
        if (a == null) {
          return null;
        }
        List<Object> out = new ArrayList<>();
        for (Object e : (Object[]) a.getArray()) {
          out.add(nested(e, t.child(0)));
        }
        return out;
      }
      default:
        // STRUCT, MAP, UNION, INTERVAL: getObject gives plain Java objects.
        return nested(rs.getObject(col), t);
    }
  }

  /** A value nested in a list, struct or map: the plain Java object of the Arrow vector. */
  static Object nested(Object v, DuckType t) {
    if (v == null) {
      return null;
    }
    switch (t.name) {
      case "BOOLEAN":
        return (Boolean) v;
      case "TINYINT":
      case "SMALLINT":
      case "INTEGER":
      case "BIGINT":
        return Long.toString(((Number) v).longValue());
      case "UTINYINT":
        return Long.toString(((Number) v).longValue() & 0xFFL);
      case "USMALLINT":
        return Long.toString(v instanceof Character ? (long) (Character) v : ((Number) v).longValue() & 0xFFFFL);
      case "UINTEGER":
        return Long.toString(((Number) v).longValue() & 0xFFFFFFFFL);
      case "UBIGINT":
        return Long.toUnsignedString(((Number) v).longValue());
      case "HUGEINT":
      case "UHUGEINT":
      case "DECIMAL":
        return ((BigDecimal) v).toPlainString();
      case "FLOAT":
      case "DOUBLE":
        return floating(v);
      case "VARCHAR":
      case "UUID":
        return v.toString(); // Arrow's Text or a String
      case "ENUM":
        return enumValue(v.toString(), t);
      case "BLOB":
      case "BIT":
      case "BIGNUM":
        return hex((byte[]) v);
      case "DATE":
        if (v instanceof LocalDateTime) {
          return ((LocalDateTime) v).toLocalDate().toString();
        }
        return LocalDate.ofEpochDay(((Number) v).longValue()).toString();
      case "TIME":
      case "TIME WITH TIME ZONE":
        return v instanceof LocalDateTime
            ? timeOfDayNanos(((LocalDateTime) v).toLocalTime().toNanoOfDay(), 6)
            : timeOfDayNanos(((Number) v).longValue() * 1000L, 6);
      case "TIME_NS":
        return timeOfDayNanos(((Number) v).longValue(), 9);
      case "TIMESTAMP":
      case "TIMESTAMP_S":
      case "TIMESTAMP_MS":
      case "TIMESTAMP_NS":
        return timestamp((LocalDateTime) v, "TIMESTAMP_NS".equals(t.name) ? 9 : 6, false);
      case "TIMESTAMP WITH TIME ZONE": {
        // Zoned timestamp vectors hand out the raw count (microseconds for DuckDB's TIMESTAMPTZ).
        long micros = ((Number) v).longValue();
        Instant i = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
        return timestamp(LocalDateTime.ofInstant(i, ZoneOffset.UTC), 6, true);
      }
      case "INTERVAL":
        return interval(v);
      case "LIST":
      case "ARRAY": {
        List<Object> out = new ArrayList<>();
        for (Object e : asList(v)) {
          out.add(nested(e, t.child(0)));
        }
        return out;
      }
      case "STRUCT": {
        Map<?, ?> m = (Map<?, ?>) v;
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < t.children.size(); i++) {
          String f = t.fieldNames.get(i);
          out.put(f, nested(m.get(f), t.child(i)));
        }
        if (m.size() > t.children.size()) {
          throw new IllegalStateException("struct has unexpected fields: " + m.keySet() + " for " + t);
        }
        return out;
      }
      case "MAP": {
        List<Object> pairs = new ArrayList<>();
        if (v instanceof Map) { // a top-level MAP column: key → value in entry order
          for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            pairs.add(pair(nested(e.getKey(), t.child(0)), nested(e.getValue(), t.child(1))));
          }
        } else { // a nested MAP: the list of {key, value} entry structs
          for (Object e : asList(v)) {
            Map<?, ?> entry = (Map<?, ?>) e;
            pairs.add(pair(nested(entry.get("key"), t.child(0)), nested(entry.get("value"), t.child(1))));
          }
        }
        return pairs;
      }
      case "UNION": {
        // The driver hands out the active member's value; pick the member its Java type fits.
        for (DuckType member : t.children) {
          try {
            return nested(v, member);
          } catch (ClassCastException | IllegalStateException e) {
            // try the next member
          }
        }
        throw new IllegalStateException("no member of " + t + " fits " + describe(v));
      }
      default:
        throw new IllegalStateException("no canonical form for DuckDB type " + t + " (value " + describe(v) + ")");
    }
  }

  /**
   * DuckDB sends ENUM as a dictionary-encoded column whose dictionary is the ENUM's values in
   * declared order. Driver 18.3.0 does not decode dictionaries: it hands out the index (as text),
   * so the index is mapped back through the declared values. (The Go suite checks the
   * dictionary itself.) Should a later driver decode, the value arrives as is and is kept.
   */
  static String enumValue(String got, DuckType t) {
    if (got == null || t.args.contains(got)) {
      return got;
    }
    int index;
    try {
      index = Integer.parseInt(got);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("ENUM value '" + got + "' is neither a member of " + t + " nor an index");
    }
    if (index < 0 || index >= t.args.size()) {
      throw new IllegalStateException("ENUM index " + index + " out of range for " + t);
    }
    return t.args.get(index);
  }

  private static List<?> asList(Object v) {
    if (v instanceof List) {
      return (List<?>) v;
    }
    if (v instanceof Object[]) {
      return java.util.Arrays.asList((Object[]) v);
    }
    throw new ClassCastException("expected a list, got " + describe(v));
  }

  private static List<Object> pair(Object k, Object v) {
    List<Object> p = new ArrayList<>(2);
    p.add(k);
    p.add(v);
    return p;
  }

  static Object floating(Object v) {
    if (v == null) {
      return null;
    }
    double d = ((Number) v).doubleValue();
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return d;
  }

  /** Arrow's PeriodDuration (relocated inside the driver jar), read by its accessors. */
  static Object interval(Object v) {
    try {
      Period p = (Period) v.getClass().getMethod("getPeriod").invoke(v);
      Duration d = (Duration) v.getClass().getMethod("getDuration").invoke(v);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("months", p.toTotalMonths());
      out.put("days", (long) p.getDays());
      out.put("nanos", Long.toString(d.toNanos()));
      return out;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("INTERVAL value is not a PeriodDuration: " + describe(v), e);
    }
  }

  static String hex(byte[] b) {
    if (b == null) {
      return null;
    }
    StringBuilder s = new StringBuilder(b.length * 2);
    for (byte x : b) {
      s.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
    }
    return s.toString();
  }

  static String timeOfDayMillis(long millis, int digits) {
    return timeOfDayNanos(millis * 1_000_000L, digits);
  }

  /** HH:MM:SS.fraction; hours may reach 24 (DuckDB allows TIME '24:00:00'). */
  static String timeOfDayNanos(long nanos, int digits) {
    long secs = Math.floorDiv(nanos, 1_000_000_000L);
    long frac = Math.floorMod(nanos, 1_000_000_000L);
    String f = String.format(Locale.ROOT, "%09d", frac).substring(0, digits);
    return String.format(Locale.ROOT, "%02d:%02d:%02d.%s", secs / 3600, (secs / 60) % 60, secs % 60, f);
  }

  static String timestamp(LocalDateTime t, int digits, boolean utc) {
    String f = String.format(Locale.ROOT, "%09d", t.getNano()).substring(0, digits);
    return String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d.%s%s",
        t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), f,
        utc ? "Z" : "");
  }

  static String describe(Object o) {
    return o == null ? "null" : o.getClass().getName() + " " + o;
  }

  // ---------------------------------------------------------------- from the expected JSON

  static Object fromJson(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isIntegralNumber()) {
      return n.longValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isArray()) {
      List<Object> out = new ArrayList<>();
      for (JsonNode e : n) {
        out.add(fromJson(e));
      }
      return out;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), fromJson(e.getValue()));
    }
    return out;
  }

  // ---------------------------------------------------------------- comparison

  static boolean same(Object want, Object got) {
    if (want == null || got == null) {
      return want == null && got == null;
    }
    if (want instanceof Number && got instanceof Number) {
      if (want instanceof Double || got instanceof Double) {
        double a = ((Number) want).doubleValue();
        double b = ((Number) got).doubleValue();
        return a == b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
      }
      return ((Number) want).longValue() == ((Number) got).longValue();
    }
    if (want instanceof List && got instanceof List) {
      List<?> a = (List<?>) want;
      List<?> b = (List<?>) got;
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (want instanceof Map && got instanceof Map) {
      List<? extends Map.Entry<?, ?>> a = new ArrayList<>(((Map<?, ?>) want).entrySet());
      List<? extends Map.Entry<?, ?>> b = new ArrayList<>(((Map<?, ?>) got).entrySet());
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!a.get(i).getKey().equals(b.get(i).getKey()) || !same(a.get(i).getValue(), b.get(i).getValue())) {
          return false;
        }
      }
      return true;
    }
    return want.equals(got);
  }

  /** A stable rendering for sorting rows and for messages; doubles rounded so near-equal ones sort alike. */
  static String render(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Double) {
      return String.format(Locale.ROOT, "%.9e", (Double) v);
    }
    if (v instanceof String) {
      return '"' + ((String) v).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
    if (v instanceof List) {
      List<String> parts = new ArrayList<>();
      for (Object e : (List<?>) v) {
        parts.add(render(e));
      }
      return "[" + String.join(",", parts) + "]";
    }
    if (v instanceof Map) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        parts.add(render(e.getKey()) + ":" + render(e.getValue()));
      }
      return "{" + String.join(",", parts) + "}";
    }
    return v.toString();
  }
}
