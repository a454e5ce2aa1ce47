package dev.skein.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDBC driver over TLS (tlsRootCerts) and mutual TLS (clientCertificate/clientKey), against a
 * private server of our own started with throwaway certificates from test/e2e/tls/make-certs.sh.
 */
class TlsTest {
  private static final Path ROOT = Paths.get("..", "..", "..").toAbsolutePath().normalize();
  private static final Pattern LISTENING = Pattern.compile("listening on grpc\\+tls://127\\.0\\.0\\.1:(\\d+)");

  private static Path dir;
  private static Process server;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("skein-jdbc-tls-");
    Process certs = new ProcessBuilder("bash", ROOT.resolve("test/e2e/tls/make-certs.sh").toString(), dir.toString())
        .redirectErrorStream(true).start();
    String certLog = new String(certs.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, certs.waitFor(), "make-certs.sh failed: " + certLog);
    String config = "{\"users\": [{\"username\": \"jdbc\", \"password\": \"jdbc-pw\"}], \"tls\": {"
        + "\"certFile\": \"" + dir.resolve("server.pem") + "\", \"keyFile\": \"" + dir.resolve("server.key")
        + "\", \"clientCaFile\": \"" + dir.resolve("ca.pem") + "\"}}";
    Files.writeString(dir.resolve("config.json"), config);
    server = new ProcessBuilder("node", ROOT.resolve("dist/src/cli/main.js").toString(), "serve",
        "--host", "127.0.0.1", "--port", "0", "--config", dir.resolve("config.json").toString())
        .redirectError(dir.resolve("server.log").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
        return;
      }
    }
    fail("the TLS server did not start: " + Files.readString(dir.resolve("server.log")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.destroy();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor();
      }
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Connection connect(String params) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "jdbc");
    props.setProperty("password", "jdbc-pw");
    String url = "jdbc:arrow-flight-sql://127.0.0.1:" + port + "?useEncryption=true&useSystemTrustStore=false" + params;
    return DriverManager.getConnection(url, props);
  }

  private static String file(String name) {
    return dir.resolve(name).toString();
  }

  private static long answer(String params) throws SQLException {
    try (Connection c = connect(params); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT 6 * 7 AS answer")) {
      assertTrue(rs.next());
      return rs.getLong(1);
    }
  }

  @Test
  void mutualTlsWithTrustedCaAndClientCertificate() throws Exception {
    assertEquals(42, answer("&tlsRootCerts=" + file("ca.pem") + "&clientCertificate=" + file("client.pem")
        + "&clientKey=" + file("client.key")));
  }

  @Test
  void withoutClientCertificateIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> answer("&tlsRootCerts=" + file("ca.pem")));
    String chain = TestEnv.causeChain(e);
    assertTrue(chain.contains("UNAVAILABLE") && chain.contains("CERTIFICATE_REQUIRED"), chain);
  }

  @Test
  void serverCertificateFromUntrustedCaIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> answer("&tlsRootCerts=" + file("rogue-ca.pem")
        + "&clientCertificate=" + file("client.pem") + "&clientKey=" + file("client.key")));
    // the driver reports the failed verification only as "UNAVAILABLE: io exception"
    String chain = TestEnv.causeChain(e);
    assertTrue(chain.contains("UNAVAILABLE"), chain);
  }
}
