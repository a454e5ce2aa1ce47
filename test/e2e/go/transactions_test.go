package e2e

// Transactions (autocommit off: Flight SQL BeginTransaction/EndTransaction) and the current
// catalog/schema session options, through the Go ADBC driver.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func uniqueName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// rowsOf runs sql and renders every row ("a | b"), in result order.
func rowsOf(t *testing.T, cnxn adbc.Connection, sql string) []string {
	t.Helper()
	tbl := queryTable(t, cnxn, sql)
	out := make([]string, 0, len(tbl.rows))
	for _, r := range tbl.rows {
		out = append(out, tbl.renderRow(r))
	}
	return out
}

func expectRows(t *testing.T, cnxn adbc.Connection, sql string, want ...string) {
	t.Helper()
	got := rowsOf(t, cnxn, sql)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got  %q\n want %q", sql, got, want)
	}
}

// int64Param is a one-row, one-column parameter batch.
func int64Param(v int64) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "0", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int64Builder).Append(v)
	return bld.NewRecordBatch()
}

func setAutocommit(t *testing.T, cnxn adbc.Connection, on bool) {
	t.Helper()
	value := adbc.OptionValueDisabled
	if on {
		value = adbc.OptionValueEnabled
	}
	if err := cnxn.(adbc.PostInitOptions).SetOption(adbc.OptionKeyAutoCommit, value); err != nil {
		t.Fatalf("SetOption(autocommit=%s): %v", value, err)
	}
}

func TestTransactionRollbackAndCommit(t *testing.T) {
	admin := connect(t)
	table := uniqueName("go_txn")
	execUpdate(t, admin, "CREATE TABLE "+table+" (id INTEGER, v VARCHAR)")
	t.Cleanup(func() { execUpdate(t, admin, "DROP TABLE IF EXISTS "+table) })

	cnxn := connect(t)
	setAutocommit(t, cnxn, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if n := execUpdate(t, cnxn, "INSERT INTO "+table+" VALUES (1, 'rolled back'), (2, 'rolled back')"); n != 2 {
		t.Fatalf("INSERT: %d rows, want 2", n)
	}
	expectRows(t, cnxn, "SELECT count(*) FROM "+table, "2")
	expectRows(t, admin, "SELECT count(*) FROM "+table, "0")
	if err := cnxn.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	expectRows(t, cnxn, "SELECT count(*) FROM "+table, "0")

	execUpdate(t, cnxn, "INSERT INTO "+table+" VALUES (3, 'committed')")
	execUpdate(t, cnxn, "CREATE TABLE "+table+"_ddl AS SELECT 1 AS x")
	expectRows(t, admin, "SELECT count(*) FROM "+table, "0")
	if err := cnxn.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	expectRows(t, admin, "SELECT id, v FROM "+table, "3 | committed")
	expectRows(t, admin, "SELECT x FROM "+table+"_ddl", "1")
	execUpdate(t, admin, "DROP TABLE "+table+"_ddl")

	// a prepared statement with parameters, reused across commit and rollback
	stmt := newStatement(t, cnxn, "INSERT INTO "+table+" VALUES (?, 'prepared')")
	if err := stmt.Prepare(ctx); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for i, which := range []string{"commit", "rollback", "commit"} {
		bound := int64Param(int64(10 + i))
		if err := stmt.Bind(ctx, bound); err != nil {
			t.Fatalf("Bind: %v", err)
		}
		bound.Release()
		if _, err := stmt.ExecuteUpdate(ctx); err != nil {
			t.Fatalf("ExecuteUpdate #%d (after %d transactions ended): %v", i, i, err)
		}
		end := cnxn.Commit
		if which == "rollback" {
			end = cnxn.Rollback
		}
		if err := end(ctx); err != nil {
			t.Fatalf("%s: %v", which, err)
		}
	}
	expectRows(t, admin, "SELECT id, v FROM "+table+" ORDER BY id", "3 | committed", "10 | prepared", "12 | prepared")

	// autocommit back on: statements commit at once again
	setAutocommit(t, cnxn, true)
	execUpdate(t, cnxn, "DELETE FROM "+table+" WHERE id >= 10")
	expectRows(t, admin, "SELECT count(*) FROM "+table, "1")
}

func TestTransactionIsolationAndConflict(t *testing.T) {
	admin := connect(t)
	table := uniqueName("go_txn_conflict")
	execUpdate(t, admin, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY, v VARCHAR)")
	t.Cleanup(func() { execUpdate(t, admin, "DROP TABLE IF EXISTS "+table) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	first, second := connect(t), connect(t)
	setAutocommit(t, first, false)
	setAutocommit(t, second, false)
	execUpdate(t, first, "INSERT INTO "+table+" VALUES (1, 'first')")
	expectRows(t, second, "SELECT count(*) FROM "+table, "0")
	execUpdate(t, second, "INSERT INTO "+table+" VALUES (1, 'second')")
	if err := first.Commit(ctx); err != nil {
		t.Fatalf("first Commit: %v", err)
	}
	err := second.Commit(ctx)
	ae := asADBCError(t, err)
	if !strings.Contains(ae.Msg, "Failed to commit") || !strings.Contains(ae.Msg, "duplicate key") {
		t.Fatalf("second Commit: want a duplicate key failure, got %v", err)
	}
	expectRows(t, admin, "SELECT id, v FROM "+table, "1 | first")
}

func TestCurrentCatalogAndSchema(t *testing.T) {
	admin := connect(t)
	schema := uniqueName("go_sess")
	execUpdate(t, admin, "CREATE SCHEMA "+schema)
	execUpdate(t, admin, "CREATE TABLE "+schema+".t AS SELECT 'in "+schema+"' AS origin")
	t.Cleanup(func() { execUpdate(t, admin, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })

	cnxn := connect(t)
	opts, ok := cnxn.(adbc.GetSetOptions)
	if !ok {
		t.Fatalf("the connection does not implement adbc.GetSetOptions")
	}
	get := func(key string) string {
		t.Helper()
		v, err := opts.GetOption(key)
		if err != nil {
			t.Fatalf("GetOption(%s): %v", key, err)
		}
		return v
	}
	if c, s := get(adbc.OptionKeyCurrentCatalog), get(adbc.OptionKeyCurrentDbSchema); c != "memory" || s != "main" {
		t.Fatalf("current catalog/schema: got %s.%s, want memory.main", c, s)
	}
	if err := opts.SetOption(adbc.OptionKeyCurrentDbSchema, schema); err != nil {
		t.Fatalf("SetOption(db_schema): %v", err)
	}
	if s := get(adbc.OptionKeyCurrentDbSchema); s != schema {
		t.Fatalf("current schema: got %s, want %s", s, schema)
	}
	expectRows(t, cnxn, "SELECT origin FROM t", "in "+schema)
	expectRows(t, admin, "SELECT current_schema()", "main")

	err := opts.SetOption(adbc.OptionKeyCurrentDbSchema, uniqueName("go_missing"))
	if err == nil || !strings.Contains(err.Error(), "invalid value") {
		t.Fatalf("SetOption(unknown schema): want an invalid value error, got %v", err)
	}
	if s := get(adbc.OptionKeyCurrentDbSchema); s != schema {
		t.Fatalf("a refused schema changed the current one to %s", s)
	}

	// inside a transaction the switch applies at once
	setAutocommit(t, cnxn, false)
	if err := opts.SetOption(adbc.OptionKeyCurrentDbSchema, "main"); err != nil {
		t.Fatalf("SetOption(db_schema=main): %v", err)
	}
	expectRows(t, cnxn, "SELECT current_schema()", "main")
	if err := opts.SetOption(adbc.OptionKeyCurrentCatalog, "memory"); err != nil {
		t.Fatalf("SetOption(catalog): %v", err)
	}
	expectRows(t, cnxn, "SELECT current_database(), current_schema()", "memory | main")
}
