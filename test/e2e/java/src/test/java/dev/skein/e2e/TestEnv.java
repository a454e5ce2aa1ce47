package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** The server under test and the reference answers, as the e2e contract hands them over (../README.md). */
final class TestEnv {
  private TestEnv() {}

  static String uri() {
    return require("SKEIN_TEST_URI");
  }

  static String user() {
    return require("SKEIN_TEST_USER");
  }

  static String password() {
    return require("SKEIN_TEST_PASSWORD");
  }

  static Path expectedDir() {
    return Paths.get(require("SKEIN_EXPECTED_DIR"));
  }

  static Path scriptPath() {
    String p = System.getenv("SKEIN_SCRIPT");
    if (p != null && !p.isEmpty()) {
      return Paths.get(p);
    }
    // Surefire runs with the Maven project folder (test/e2e/java) as working directory.
    return Paths.get("..", "script", "script.json");
  }

  /** A missing variable fails the test: a silently skipped e2e suite would look green. */
  private static String require(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) {
      fail(name + " is not set (see test/e2e/README.md)");
    }
    return v;
  }

  /** grpc://host:port → jdbc:arrow-flight-sql://host:port?useEncryption=false */
  static String jdbcUrl() {
    URI u = URI.create(uri());
    if (!"grpc".equals(u.getScheme()) && !"grpc+tcp".equals(u.getScheme())) {
      fail("SKEIN_TEST_URI must be grpc://host:port (plaintext), got " + uri());
    }
    return "jdbc:arrow-flight-sql://" + u.getHost() + ":" + u.getPort() + "?useEncryption=false";
  }

  static Connection connect() throws SQLException {
    return connect(user(), password());
  }

  static Connection connect(String user, String password) throws SQLException {
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    return DriverManager.getConnection(jdbcUrl(), props);
  }

  static int update(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      return st.executeUpdate(sql);
    }
  }

  /** The chain of causes, outermost first, as one string (for asserting on wrapped errors). */
  static String causeChain(Throwable t) {
    List<String> parts = new ArrayList<>();
    for (Throwable c = t; c != null && parts.size() < 20; c = c.getCause()) {
      parts.add(c.toString());
    }
    return String.join(" <- ", parts);
  }
}
