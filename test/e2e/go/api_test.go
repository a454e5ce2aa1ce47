package e2e

// Driver-level behaviour: prepared statements with bound parameters, update counts,
// GetInfo, error codes, authentication and cancellation.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// paramRecord builds a one-row parameter batch: int64, utf8, float64, bool.
func paramRecord(i int64, s string, f float64, b bool) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "0", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "2", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "3", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int64Builder).Append(i)
	bld.Field(1).(*array.StringBuilder).Append(s)
	bld.Field(2).(*array.Float64Builder).Append(f)
	bld.Field(3).(*array.BooleanBuilder).Append(b)
	return bld.NewRecordBatch()
}

// oneRow checks that tbl has exactly one row and the given column types, and returns that row's batch.
func oneRow(t *testing.T, tbl *table, names []string, types []arrow.DataType) arrow.RecordBatch {
	t.Helper()
	if len(tbl.rows) != 1 {
		t.Fatalf("want 1 row, got %d", len(tbl.rows))
	}
	if tbl.schema.NumFields() != len(names) {
		t.Fatalf("want %d columns, got schema %s", len(names), tbl.schema)
	}
	for i, n := range names {
		f := tbl.schema.Field(i)
		if f.Name != n || !arrow.TypeEqual(f.Type, types[i]) {
			t.Fatalf("column %d: want %s %s, got %s %s", i, n, types[i], f.Name, f.Type)
		}
	}
	return tbl.batches[tbl.rows[0].batch]
}

func TestPreparedStatementWithBoundParameters(t *testing.T) {
	cnxn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stmt := newStatement(t, cnxn,
		"SELECT CAST(? AS BIGINT) + 1 AS a, CAST(? AS VARCHAR) || '!' AS b, CAST(? AS DOUBLE) * 2 AS c, NOT CAST(? AS BOOLEAN) AS d")
	if err := stmt.Prepare(ctx); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	names := []string{"a", "b", "c", "d"}
	types := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Boolean}

	// Execute twice with different parameters: the second answer must follow the second binding.
	cases := []struct {
		i    int64
		s    string
		f    float64
		b    bool
		want [4]string
	}{
		{41, "skein", 2.5, true, [4]string{"42", "skein!", "5", "false"}},
		{-8, "ünïcode ✓", -0.25, false, [4]string{"-7", "ünïcode ✓!", "-0.5", "true"}},
	}
	for n, c := range cases {
		rec := paramRecord(c.i, c.s, c.f, c.b)
		err := stmt.Bind(ctx, rec)
		rec.Release()
		if err != nil {
			t.Fatalf("Bind #%d: %v", n, err)
		}
		tbl, err := runQuery(ctx, stmt)
		if err != nil {
			t.Fatalf("ExecuteQuery #%d: %v", n, err)
		}
		row := oneRow(t, tbl, names, types)
		got := [4]string{
			row.Column(0).ValueStr(0),
			row.Column(1).(*array.String).Value(0),
			row.Column(2).ValueStr(0),
			row.Column(3).ValueStr(0),
		}
		tbl.release()
		if got != c.want {
			t.Errorf("execution #%d: want %q, got %q", n, c.want, got)
		}
	}
}

func TestPreparedStatementParameterInWhere(t *testing.T) {
	cnxn := connect(t)
	execUpdate(t, cnxn, "CREATE OR REPLACE TABLE go_e2e_items (id INTEGER, name VARCHAR, price DECIMAL(10,2))")
	execUpdate(t, cnxn, "INSERT INTO go_e2e_items VALUES (1, 'one', 1.10), (2, 'two', 2.20), (3, 'three', NULL)")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stmt := newStatement(t, cnxn, "SELECT name, price FROM go_e2e_items WHERE id = ?")
	if err := stmt.Prepare(ctx); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if ps, err := stmt.GetParameterSchema(); err != nil {
		t.Errorf("GetParameterSchema: %v", err)
	} else if ps.NumFields() != 1 {
		t.Errorf("parameter schema: want 1 field, got %s", ps)
	}
	for _, c := range []struct {
		id         int64
		name, cost string
	}{{2, "two", "2.20"}, {3, "three", "NULL"}} {
		schema := arrow.NewSchema([]arrow.Field{{Name: "0", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		bld.Field(0).(*array.Int64Builder).Append(c.id)
		rec := bld.NewRecordBatch()
		bld.Release()
		err := stmt.Bind(ctx, rec)
		rec.Release()
		if err != nil {
			t.Fatalf("Bind: %v", err)
		}
		tbl, err := runQuery(ctx, stmt)
		if err != nil {
			t.Fatalf("ExecuteQuery: %v", err)
		}
		row := oneRow(t, tbl, []string{"name", "price"},
			[]arrow.DataType{arrow.BinaryTypes.String, &arrow.Decimal128Type{Precision: 10, Scale: 2}})
		gotName, gotCost := row.Column(0).ValueStr(0), renderCell(row.Column(1), 0)
		tbl.release()
		if gotName != c.name || gotCost != c.cost {
			t.Errorf("id=%d: want (%s, %s), got (%s, %s)", c.id, c.name, c.cost, gotName, gotCost)
		}
	}
}

func TestPreparedInsertWithManyRows(t *testing.T) {
	cnxn := connect(t)
	execUpdate(t, cnxn, "CREATE OR REPLACE TABLE go_e2e_bulk (i BIGINT, s VARCHAR, f DOUBLE, b BOOLEAN)")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stmt := newStatement(t, cnxn, "INSERT INTO go_e2e_bulk VALUES (?, ?, ?, ?)")
	if err := stmt.Prepare(ctx); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "0", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "2", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "3", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	bld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	bld.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "", "c"}, []bool{true, true, false})
	bld.Field(2).(*array.Float64Builder).AppendValues([]float64{0.5, 1.5, 2.5}, nil)
	bld.Field(3).(*array.BooleanBuilder).AppendValues([]bool{true, false, true}, nil)
	rec := bld.NewRecordBatch()
	bld.Release()
	err := stmt.Bind(ctx, rec)
	rec.Release()
	if err != nil {
		t.Fatalf("Bind: %v", err)
	}
	n, err := stmt.ExecuteUpdate(ctx)
	if err != nil {
		t.Fatalf("ExecuteUpdate of a 3-row binding: %v", err)
	}
	if n != 3 {
		t.Errorf("ExecuteUpdate row count: want 3, got %d", n)
	}
	tbl := queryTable(t, cnxn, "SELECT i, s, f, b FROM go_e2e_bulk ORDER BY i")
	var got []string
	for _, r := range tbl.rows {
		got = append(got, tbl.renderRow(r))
	}
	want := []string{"1 | a | 0.5 | true", "2 |  | 1.5 | false", "3 | NULL | 2.5 | true"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table after prepared insert:\nwant %q\ngot  %q", want, got)
	}
}

func TestExecuteUpdateReturnsRowCounts(t *testing.T) {
	cnxn := connect(t)
	execUpdate(t, cnxn, "CREATE OR REPLACE TABLE go_e2e_rowcount (id INTEGER, v VARCHAR)")
	if n := execUpdate(t, cnxn, "INSERT INTO go_e2e_rowcount VALUES (1, 'a'), (2, 'b'), (3, 'c')"); n != 3 {
		t.Errorf("INSERT of 3 rows: want 3, got %d", n)
	}
	if n := execUpdate(t, cnxn, "INSERT INTO go_e2e_rowcount SELECT range + 10, 'x' FROM range(5)"); n != 5 {
		t.Errorf("INSERT ... SELECT of 5 rows: want 5, got %d", n)
	}
	if n := execUpdate(t, cnxn, "UPDATE go_e2e_rowcount SET v = 'z' WHERE id >= 2 AND id < 10"); n != 2 {
		t.Errorf("UPDATE of 2 rows: want 2, got %d", n)
	}
	if n := execUpdate(t, cnxn, "DELETE FROM go_e2e_rowcount WHERE id >= 10"); n != 5 {
		t.Errorf("DELETE of 5 rows: want 5, got %d", n)
	}
	tbl := queryTable(t, cnxn, "SELECT count(*) AS n, string_agg(v, ',' ORDER BY id) AS vs FROM go_e2e_rowcount")
	if len(tbl.rows) != 1 {
		t.Fatalf("want 1 row, got %d", len(tbl.rows))
	}
	if got := tbl.renderRow(tbl.rows[0]); got != "3 | a,z,z" {
		t.Errorf("table after updates: want %q, got %q", "3 | a,z,z", got)
	}
}

func TestGetInfoVendorName(t *testing.T) {
	cnxn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdr, err := cnxn.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName})
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	defer rdr.Release()
	var names []string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		codes := rec.Column(0).(*array.Uint32)
		values := rec.Column(1).(*array.DenseUnion)
		for i := 0; i < int(rec.NumRows()); i++ {
			if adbc.InfoCode(codes.Value(i)) != adbc.InfoVendorName {
				continue
			}
			child, ok := values.Field(values.ChildID(i)).(*array.String)
			if !ok {
				t.Fatalf("vendor name is not a string: %T", values.Field(values.ChildID(i)))
			}
			names = append(names, child.Value(int(values.ValueOffset(i))))
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("reading GetInfo: %v", err)
	}
	if len(names) != 1 || names[0] != "Skein" {
		t.Errorf("vendor name: want [Skein], got %q", names)
	}
}

func TestBadSQLIsInvalidArgument(t *testing.T) {
	cnxn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const duckdbText = `syntax error at or near "SELEC"`

	stmt := newStatement(t, cnxn, "SELEC 1")
	_, _, err := stmt.ExecuteQuery(ctx)
	checkError(t, "ExecuteQuery", err, adbc.StatusInvalidArgument, duckdbText)

	stmt = newStatement(t, cnxn, "SELEC 1")
	_, err = stmt.ExecuteUpdate(ctx)
	checkError(t, "ExecuteUpdate", err, adbc.StatusInvalidArgument, duckdbText)

	stmt = newStatement(t, cnxn, "SELEC 1")
	err = stmt.Prepare(ctx)
	checkError(t, "Prepare", err, adbc.StatusInvalidArgument, duckdbText)

	// The connection is still usable after the errors.
	tbl := queryTable(t, cnxn, "SELECT 1 AS one")
	if len(tbl.rows) != 1 {
		t.Errorf("query after errors: want 1 row, got %d", len(tbl.rows))
	}
}

func TestUnknownTableIsNotFound(t *testing.T) {
	cnxn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stmt := newStatement(t, cnxn, "SELECT * FROM go_e2e_no_such_table")
	_, _, err := stmt.ExecuteQuery(ctx)
	checkError(t, "ExecuteQuery", err, adbc.StatusNotFound, "Table with name go_e2e_no_such_table does not exist")
}

func checkError(t *testing.T, what string, err error, code adbc.Status, text string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: want %s error, got success", what, code)
		return
	}
	ae := asADBCError(t, err)
	if ae.Code != code {
		t.Errorf("%s: want code %s, got %s (%s)", what, code, ae.Code, ae.Msg)
	}
	if !strings.Contains(ae.Msg, text) {
		t.Errorf("%s: message %q does not contain DuckDB's %q", what, ae.Msg, text)
	}
}

func TestWrongPasswordIsUnauthenticated(t *testing.T) {
	db := openDB(t, env.user, env.password+"-wrong")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cnxn, err := db.Open(ctx)
	if err == nil {
		// Should the driver defer the handshake, the first call must fail instead.
		defer cnxn.Close()
		stmt := newStatement(t, cnxn, "SELECT 1")
		_, _, err = stmt.ExecuteQuery(ctx)
	}
	ae := asADBCError(t, err)
	if ae.Code != adbc.StatusUnauthenticated {
		t.Errorf("wrong password: want %s, got %s (%s)", adbc.StatusUnauthenticated, ae.Code, ae.Msg)
	}
}

func TestMissingCredentialsAreUnauthenticated(t *testing.T) {
	db := openDB(t, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cnxn, err := db.Open(ctx)
	if err == nil {
		defer cnxn.Close()
		stmt := newStatement(t, cnxn, "SELECT 1")
		_, _, err = stmt.ExecuteQuery(ctx)
	}
	ae := asADBCError(t, err)
	if ae.Code != adbc.StatusUnauthenticated {
		t.Errorf("no credentials: want %s, got %s (%s)", adbc.StatusUnauthenticated, ae.Code, ae.Msg)
	}
}

func TestContextCancelStopsLongQuery(t *testing.T) {
	cnxn := connect(t)
	// About 10^10 joined rows: far longer than the test waits.
	stmt := newStatement(t, cnxn, "SELECT sum(a.range * b.range) AS s FROM range(100000) a, range(100000) b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	done := make(chan error, 1)
	go func() {
		tbl, err := runQuery(ctx, stmt)
		if tbl != nil {
			tbl.release()
		}
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("the long query finished successfully despite the cancel")
		}
		if waited := time.Since(cancelled); waited > 5*time.Second {
			t.Errorf("cancel took %s to return", waited)
		}
		var ae adbc.Error
		switch {
		case errorsAs(err, &ae):
			if ae.Code != adbc.StatusCancelled {
				t.Errorf("cancelled query: want %s, got %s (%s)", adbc.StatusCancelled, ae.Code, ae.Msg)
			}
		case !errorsIs(err, context.Canceled):
			t.Errorf("cancelled query: want a cancellation error, got %T: %v", err, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("ExecuteQuery did not return within 10s of the context being cancelled")
	}

	// The server is still responsive afterwards: a fresh query answers quickly.
	start := time.Now()
	tbl := queryTable(t, connect(t), "SELECT 42 AS answer")
	if got := tbl.renderRow(tbl.rows[0]); got != "42" {
		t.Errorf("query after cancel: want 42, got %s", got)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("query after cancel took %s", took)
	}
}
