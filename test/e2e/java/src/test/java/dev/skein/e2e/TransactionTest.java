package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * What the Flight SQL JDBC driver (18.3.0) does with JDBC transactions against Skein. The driver
 * never sends BeginTransaction/EndTransaction: setAutoCommit(false) is only recorded, commit() and
 * rollback() are empty methods (ArrowFlightMetaImpl), so every statement still auto-commits and a
 * rollback undoes nothing. Savepoints are refused by the driver. Transactions work with ADBC
 * (Python, Go) instead. If a driver upgrade makes these tests fail, it has learned transactions:
 * turn them into commit/rollback assertions.
 */
class TransactionTest {

  private static long count(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
      assertTrue(rs.next());
      return rs.getLong(1);
    }
  }

  @Test
  void autoCommitOffStillCommitsEachStatement() throws Exception {
    try (Connection admin = TestEnv.connect(); Connection c = TestEnv.connect()) {
      TestEnv.update(admin, "CREATE OR REPLACE TABLE java_e2e_txn (i INTEGER)");
      try {
        assertTrue(c.getAutoCommit(), "autocommit is on by default");
        c.setAutoCommit(false);
        assertFalse(c.getAutoCommit(), "the driver records autocommit off");

        assertEquals(2, TestEnv.update(c, "INSERT INTO java_e2e_txn VALUES (1), (2)"));
        assertEquals(2, count(admin, "java_e2e_txn"), "another connection sees the rows at once: they were committed");

        c.rollback(); // a no-op in the driver
        assertEquals(2, count(admin, "java_e2e_txn"), "rollback() undid nothing");
        assertEquals(2, count(c, "java_e2e_txn"));

        assertEquals(1, TestEnv.update(c, "DELETE FROM java_e2e_txn WHERE i = 1"));
        assertEquals(1, count(admin, "java_e2e_txn"), "the DELETE is visible before any commit()");
        c.commit(); // also a no-op, and does not fail
        assertEquals(1, count(admin, "java_e2e_txn"));
      } finally {
        TestEnv.update(admin, "DROP TABLE IF EXISTS java_e2e_txn");
      }
    }
  }

  @Test
  void transactionMetadataAndSavepoints() throws Exception {
    try (Connection c = TestEnv.connect()) {
      // from SqlInfo SQL_TRANSACTIONS_SUPPORTED (572), which Skein reports true
      assertTrue(c.getMetaData().supportsTransactions());
      assertEquals(Connection.TRANSACTION_NONE, c.getTransactionIsolation());
      c.setAutoCommit(false);
      assertThrows(SQLFeatureNotSupportedException.class, c::setSavepoint);
    }
  }
}
