package e2e

// The shared statement script (../script/script.json), run through the ADBC driver and
// compared with DuckDB's own answers ($SKEIN_EXPECTED_DIR/<name>.arrows).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type scriptQuery struct {
	Name    string `json:"name"`
	SQL     string `json:"sql"`
	Ordered bool   `json:"ordered"`
}

type script struct {
	Setup   []string
	Queries []scriptQuery
}

// goCannotCompare lists exotic_ queries whose result type arrow-go itself cannot compare,
// with the reason. Every query not listed here is compared.
var goCannotCompare = map[string]string{}

func loadScript(t testing.TB) script {
	t.Helper()
	raw, err := os.ReadFile(env.scriptPath)
	if err != nil {
		t.Fatalf("reading the shared script: %v", err)
	}
	var doc struct {
		Setup   []json.RawMessage `json:"setup"`
		Queries []scriptQuery     `json:"queries"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parsing %s: %v", env.scriptPath, err)
	}
	s := script{Queries: doc.Queries}
	for _, item := range doc.Setup {
		// A setup entry is a SQL string, or an object carrying one in "sql".
		var sql string
		if err := json.Unmarshal(item, &sql); err != nil {
			var obj struct {
				SQL string `json:"sql"`
			}
			if err := json.Unmarshal(item, &obj); err != nil || obj.SQL == "" {
				t.Fatalf("setup entry is neither a string nor {\"sql\": ...}: %s", item)
			}
			sql = obj.SQL
		}
		s.Setup = append(s.Setup, sql)
	}
	if len(s.Queries) == 0 {
		t.Fatalf("%s has no queries", env.scriptPath)
	}
	return s
}

func readExpected(t testing.TB, name string) *table {
	t.Helper()
	path := filepath.Join(env.expectedDir, name+".arrows")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("expected answer: %v", err)
	}
	defer f.Close()
	rdr, err := ipc.NewReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	defer rdr.Release()
	var batches []arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		batches = append(batches, rec)
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return newTable(rdr.Schema(), batches)
}

// runQuery executes sql with ExecuteQuery and reads every batch.
func runQuery(ctx context.Context, stmt adbc.Statement) (*table, error) {
	rdr, _, err := stmt.ExecuteQuery(ctx)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	var batches []arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		batches = append(batches, rec)
	}
	if err := rdr.Err(); err != nil {
		for _, b := range batches {
			b.Release()
		}
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	return newTable(rdr.Schema(), batches), nil
}

func queryTable(t testing.TB, cnxn adbc.Connection, sql string) *table {
	t.Helper()
	stmt := newStatement(t, cnxn, sql)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	tbl, err := runQuery(ctx, stmt)
	if err != nil {
		t.Fatalf("ExecuteQuery(%q): %v", sql, err)
	}
	t.Cleanup(tbl.release)
	return tbl
}

func TestSharedScript(t *testing.T) {
	requireEnv(t)
	s := loadScript(t)
	cnxn := connect(t)
	for _, sql := range s.Setup {
		execUpdate(t, cnxn, sql)
	}
	for _, q := range s.Queries {
		q := q
		t.Run(q.Name, func(t *testing.T) {
			if reason, ok := goCannotCompare[q.Name]; ok && strings.HasPrefix(q.Name, "exotic_") {
				t.Skip(reason)
			}
			want := readExpected(t, q.Name)
			defer want.release()
			got := queryTable(t, cnxn, q.SQL)
			if diffs := compareTables(want, got, q.Ordered); len(diffs) > 0 {
				t.Errorf("%s\nSQL: %s\n%s", q.Name, q.SQL, strings.Join(diffs, "\n"))
			}
		})
	}
}
