// End-to-end tests for Skein through the Go ADBC Flight SQL driver.
// The server and the expected answers are provided by the caller (see ../README.md).
package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type testEnv struct {
	uri, user, password string
	expectedDir         string
	scriptPath          string
}

var env testEnv

func TestMain(m *testing.M) {
	env = testEnv{
		uri:         os.Getenv("SKEIN_TEST_URI"),
		user:        os.Getenv("SKEIN_TEST_USER"),
		password:    os.Getenv("SKEIN_TEST_PASSWORD"),
		expectedDir: os.Getenv("SKEIN_EXPECTED_DIR"),
		scriptPath:  os.Getenv("SKEIN_SCRIPT"),
	}
	if env.scriptPath == "" {
		env.scriptPath = filepath.Join("..", "script", "script.json")
	}
	os.Exit(m.Run())
}

// requireEnv fails (never skips) a test that needs the server when the wiring is missing:
// a silently skipped e2e suite would look green.
func requireEnv(t testing.TB) {
	t.Helper()
	var missing []string
	for _, kv := range [][2]string{
		{"SKEIN_TEST_URI", env.uri}, {"SKEIN_TEST_USER", env.user},
		{"SKEIN_TEST_PASSWORD", env.password}, {"SKEIN_EXPECTED_DIR", env.expectedDir},
	} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		t.Fatalf("environment variables not set: %v (see test/e2e/README.md)", missing)
	}
}

// openDB creates an ADBC database handle with the given credentials ("" leaves an option out).
func openDB(t testing.TB, user, password string) adbc.Database {
	t.Helper()
	requireEnv(t)
	opts := map[string]string{adbc.OptionKeyURI: env.uri}
	if user != "" {
		opts[adbc.OptionKeyUsername] = user
	}
	if password != "" {
		opts[adbc.OptionKeyPassword] = password
	}
	db, err := flightsql.NewDriver(memory.DefaultAllocator).NewDatabase(opts)
	if err != nil {
		t.Fatalf("NewDatabase: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// connect opens an authenticated connection, closed when the test ends.
func connect(t testing.TB) adbc.Connection {
	t.Helper()
	db := openDB(t, env.user, env.password)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cnxn, err := db.Open(ctx)
	if err != nil {
		t.Fatalf("Open connection to %s: %v", env.uri, err)
	}
	t.Cleanup(func() {
		if err := cnxn.Close(); err != nil {
			t.Errorf("closing connection: %v", err)
		}
	})
	return cnxn
}

func newStatement(t testing.TB, cnxn adbc.Connection, sql string) adbc.Statement {
	t.Helper()
	stmt, err := cnxn.NewStatement()
	if err != nil {
		t.Fatalf("NewStatement: %v", err)
	}
	t.Cleanup(func() { _ = stmt.Close() })
	if sql != "" {
		if err := stmt.SetSqlQuery(sql); err != nil {
			t.Fatalf("SetSqlQuery(%q): %v", sql, err)
		}
	}
	return stmt
}

// execUpdate runs one statement through ExecuteUpdate (DoPut CommandStatementUpdate).
func execUpdate(t testing.TB, cnxn adbc.Connection, sql string) int64 {
	t.Helper()
	stmt, err := cnxn.NewStatement()
	if err != nil {
		t.Fatalf("NewStatement: %v", err)
	}
	defer stmt.Close()
	if err := stmt.SetSqlQuery(sql); err != nil {
		t.Fatalf("SetSqlQuery(%q): %v", sql, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := stmt.ExecuteUpdate(ctx)
	if err != nil {
		t.Fatalf("ExecuteUpdate(%q): %v", sql, err)
	}
	return n
}

// asADBCError unwraps err into an adbc.Error or fails the test.
func asADBCError(t testing.TB, err error) adbc.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error, got none")
	}
	var ae adbc.Error
	if !errors.As(err, &ae) {
		t.Fatalf("expected adbc.Error, got %T: %v", err, err)
	}
	return ae
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
