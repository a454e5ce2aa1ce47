package dev.skein.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * A DuckDB type as DuckDB prints it (the "type" of each column in the expected JSON), parsed into
 * a tree: INTEGER, DECIMAL(10,2), TIMESTAMP WITH TIME ZONE, INTEGER[], INTEGER[3],
 * STRUCT(a INTEGER, "b c" VARCHAR), MAP(VARCHAR, INTEGER[]), UNION(n INTEGER, s VARCHAR),
 * ENUM('a', 'b'). JDBC hands nested values over as plain Java objects without their Arrow type,
 * so this tells the converter how to read them.
 */
final class DuckType {
  final String name; // upper-case base name; LIST and ARRAY for the [] and [N] suffixes
  final List<String> fieldNames = new ArrayList<>(); // STRUCT and UNION members
  final List<DuckType> children = new ArrayList<>(); // element, members, or key and value
  final List<String> args = new ArrayList<>(); // DECIMAL precision and scale, ENUM values
  int arraySize = -1;

  private DuckType(String name) {
    this.name = name;
  }

  DuckType child(int i) {
    return children.get(i);
  }

  int decimalScale() {
    return "DECIMAL".equals(name) && args.size() == 2 ? Integer.parseInt(args.get(1)) : 0;
  }

  @Override
  public String toString() {
    switch (name) {
      case "LIST":
        return children.get(0) + "[]";
      case "ARRAY":
        return children.get(0) + "[" + arraySize + "]";
      case "STRUCT":
      case "UNION": {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
          parts.add(fieldNames.get(i) + " " + children.get(i));
        }
        return name + "(" + String.join(", ", parts) + ")";
      }
      case "MAP":
        return "MAP(" + children.get(0) + ", " + children.get(1) + ")";
      default:
        return args.isEmpty() ? name : name + "(" + String.join(",", args) + ")";
    }
  }

  static DuckType parse(String text) {
    Parser p = new Parser(text);
    DuckType t = p.type();
    p.skipSpace();
    if (p.pos != text.length()) {
      throw new IllegalArgumentException("trailing text in DuckDB type '" + text + "' at " + p.pos);
    }
    return t;
  }

  private static final class Parser {
    final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    void skipSpace() {
      while (pos < s.length() && s.charAt(pos) == ' ') {
        pos++;
      }
    }

    boolean peek(char c) {
      skipSpace();
      return pos < s.length() && s.charAt(pos) == c;
    }

    void expect(char c) {
      if (!peek(c)) {
        throw new IllegalArgumentException("expected '" + c + "' at " + pos + " in DuckDB type '" + s + "'");
      }
      pos++;
    }

    DuckType type() {
      skipSpace();
      DuckType t = base();
      while (peek('[')) {
        pos++;
        int start = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        String digits = s.substring(start, pos);
        expect(']');
        DuckType wrap = new DuckType(digits.isEmpty() ? "LIST" : "ARRAY");
        wrap.children.add(t);
        if (!digits.isEmpty()) {
          wrap.arraySize = Integer.parseInt(digits);
        }
        t = wrap;
      }
      return t;
    }

    /** Words up to a delimiter: "TIMESTAMP WITH TIME ZONE", or a quoted "NULL". */
    DuckType base() {
      String words;
      if (peek('"')) {
        words = quoted('"');
      } else {
        int start = pos;
        while (pos < s.length() && "([,)]".indexOf(s.charAt(pos)) < 0) {
          pos++;
        }
        words = s.substring(start, pos).trim();
      }
      DuckType t = new DuckType(words.toUpperCase());
      if (!peek('(')) {
        return t;
      }
      pos++;
      switch (t.name) {
        case "STRUCT":
        case "UNION":
          do {
            skipSpace();
            t.fieldNames.add(peek('"') ? quoted('"') : word());
            t.children.add(type());
          } while (comma());
          break;
        case "MAP":
          t.children.add(type());
          expect(',');
          t.children.add(type());
          break;
        case "ENUM":
          do {
            skipSpace();
            t.args.add(quoted('\''));
          } while (comma());
          break;
        default:
          do {
            skipSpace();
            int start = pos;
            while (pos < s.length() && ",)".indexOf(s.charAt(pos)) < 0) {
              pos++;
            }
            t.args.add(s.substring(start, pos).trim());
          } while (comma());
      }
      expect(')');
      return t;
    }

    boolean comma() {
      if (peek(',')) {
        pos++;
        return true;
      }
      return false;
    }

    String word() {
      int start = pos;
      while (pos < s.length() && s.charAt(pos) != ' ') {
        pos++;
      }
      return s.substring(start, pos);
    }

    /** A quoted name or literal; the quote doubled inside stands for itself. */
    String quoted(char q) {
      expect(q);
      StringBuilder b = new StringBuilder();
      while (pos < s.length()) {
        char c = s.charAt(pos++);
        if (c == q) {
          if (pos < s.length() && s.charAt(pos) == q) {
            b.append(q);
            pos++;
            continue;
          }
          return b.toString();
        }
        b.append(c);
      }
      throw new IllegalArgumentException("unterminated quote in DuckDB type '" + s + "'");
    }
  }
}
