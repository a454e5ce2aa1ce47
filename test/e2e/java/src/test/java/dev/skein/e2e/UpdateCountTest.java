package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Statement.executeUpdate: DML returns the row count, DDL returns 0. */
class UpdateCountTest {

  @Test
  void dmlReturnsRowCountAndDdlReturnsZero() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement()) {
      assertEquals(0, st.executeUpdate("CREATE OR REPLACE TABLE java_e2e_counts (id INTEGER, v VARCHAR)"), "CREATE TABLE");
      assertEquals(3, st.executeUpdate("INSERT INTO java_e2e_counts VALUES (1, 'a'), (2, 'b'), (3, 'c')"), "INSERT 3 rows");
      assertEquals(5, st.executeUpdate("INSERT INTO java_e2e_counts SELECT range + 10, 'x' FROM range(5)"), "INSERT ... SELECT 5 rows");
      assertEquals(2, st.executeUpdate("UPDATE java_e2e_counts SET v = 'z' WHERE id IN (2, 3)"), "UPDATE 2 rows");
      assertEquals(5, st.executeUpdate("DELETE FROM java_e2e_counts WHERE id >= 10"), "DELETE 5 rows");
      assertEquals(0, st.executeUpdate("CREATE OR REPLACE VIEW java_e2e_counts_v AS SELECT * FROM java_e2e_counts"), "CREATE VIEW");
      try (ResultSet rs = st.executeQuery("SELECT string_agg(v, ',' ORDER BY id) FROM java_e2e_counts_v")) {
        assertTrue(rs.next());
        assertEquals("a,z,z", rs.getString(1));
      }
      assertEquals(0, st.executeUpdate("DROP VIEW java_e2e_counts_v"), "DROP VIEW");
      assertEquals(0, st.executeUpdate("DROP TABLE java_e2e_counts"), "DROP TABLE");
    }
  }

  @Test
  void executeReportsQueryOrUpdate() throws Exception {
    try (Connection c = TestEnv.connect(); Statement st = c.createStatement()) {
      TestEnv.update(c, "CREATE OR REPLACE TABLE java_e2e_exec (i INTEGER)");
      assertEquals(false, st.execute("INSERT INTO java_e2e_exec VALUES (1), (2)"), "execute(INSERT) is an update");
      assertEquals(2, st.getUpdateCount());
      assertEquals(true, st.execute("SELECT sum(i) AS s FROM java_e2e_exec"), "execute(SELECT) is a query");
      try (ResultSet rs = st.getResultSet()) {
        assertTrue(rs.next());
        assertEquals(3, rs.getLong(1));
      }
    }
  }
}
