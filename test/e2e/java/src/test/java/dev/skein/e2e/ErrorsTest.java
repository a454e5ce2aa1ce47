package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Errors reach the JDBC user as SQLException carrying DuckDB's own message. */
class ErrorsTest {

  @Test
  void badSqlCarriesDuckdbMessage() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> st.executeQuery("SELEC 1"));
      assertContains(e, "syntax error at or near \"SELEC\"");
      SQLException u = assertThrows(SQLException.class, () -> st.executeUpdate("CREAT TABLE x (i INTEGER)"));
      assertContains(u, "syntax error at or near \"CREAT\"");
      SQLException p = assertThrows(SQLException.class, () -> c.prepareStatement("SELEC ?"));
      assertContains(p, "syntax error at or near \"SELEC\"");
      // The connection still works afterwards.
      try (ResultSet rs = st.executeQuery("SELECT 1 AS one")) {
        assertTrue(rs.next());
      }
    }
  }

  @Test
  void unknownTableAndColumnCarryDuckdbMessage() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM java_e2e_no_such_table"));
      assertContains(e, "Table with name java_e2e_no_such_table does not exist");
      SQLException col = assertThrows(SQLException.class, () -> st.executeQuery("SELECT no_such_column FROM range(1)"));
      assertContains(col, "Referenced column \"no_such_column\" not found");
    }
  }

  @Test
  void runtimeErrorCarriesDuckdbMessage() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement()) {
      SQLException e = assertThrows(SQLException.class, () -> {
        try (ResultSet rs = st.executeQuery("SELECT CAST('not a number' AS INTEGER) AS i")) {
          while (rs.next()) {
            rs.getInt(1);
          }
        }
      });
      assertContains(e, "Could not convert string 'not a number' to INT32");
    }
  }

  @Test
  void wrongPasswordIsRejected() {
    SQLException e = assertThrows(SQLException.class, () -> {
      try (Connection c = TestEnv.connect(TestEnv.user(), TestEnv.password() + "-wrong");
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT 1")) {
        rs.next();
      }
    });
    String chain = TestEnv.causeChain(e);
    assertTrue(chain.contains("UNAUTHENTICATED"), "want an UNAUTHENTICATED status, got: " + chain);
  }

  static void assertContains(SQLException e, String text) {
    String chain = TestEnv.causeChain(e);
    assertTrue(chain.contains(text), "error should contain DuckDB's \"" + text + "\", got: " + chain);
  }
}
