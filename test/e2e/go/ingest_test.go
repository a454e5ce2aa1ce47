package e2e

// Bulk ingest through the Go ADBC driver: a statement with adbc.OptionKeyIngestTargetTable and a
// bound record becomes DoPut(CommandStatementIngest) plus the Arrow stream.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func ingestRecord(ids []int64, names []string, valid []bool) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	bld.Field(1).(*array.StringBuilder).AppendValues(names, valid)
	ts := bld.Field(2).(*array.TimestampBuilder)
	tags := bld.Field(3).(*array.ListBuilder)
	tagValues := tags.ValueBuilder().(*array.StringBuilder)
	for i, id := range ids {
		ts.Append(arrow.Timestamp(id*1_000_000_001 + 7))
		if i%2 == 1 {
			tags.AppendNull()
			continue
		}
		tags.Append(true)
		for k := int64(0); k < (id+1)%3; k++ {
			tagValues.Append(fmt.Sprintf("t%d", k))
		}
	}
	return bld.NewRecordBatch()
}

// ingest binds rec and runs the statement as an ingest into table with the given mode.
func ingest(t *testing.T, cnxn adbc.Connection, table, mode string, rec arrow.RecordBatch) (int64, error) {
	t.Helper()
	stmt := newStatement(t, cnxn, "")
	if err := stmt.SetOption(adbc.OptionKeyIngestTargetTable, table); err != nil {
		t.Fatalf("SetOption(target table): %v", err)
	}
	if err := stmt.SetOption(adbc.OptionKeyIngestMode, mode); err != nil {
		t.Fatalf("SetOption(mode): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := stmt.Bind(ctx, rec); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return stmt.ExecuteUpdate(ctx)
}

func TestIngestCreateAppendReplace(t *testing.T) {
	cnxn := connect(t)
	table := fmt.Sprintf("go_e2e_ingest_%d", time.Now().UnixNano())
	rec := ingestRecord([]int64{1, 2, 3}, []string{"a", "", "c"}, []bool{true, false, true})
	defer rec.Release()

	if n, err := ingest(t, cnxn, table, adbc.OptionValueIngestModeCreate, rec); err != nil || n != 3 {
		t.Fatalf("create: want 3 rows, got %d, %v", n, err)
	}
	if n, err := ingest(t, cnxn, table, adbc.OptionValueIngestModeAppend, rec); err != nil || n != 3 {
		t.Fatalf("append: want 3 rows, got %d, %v", n, err)
	}
	got := queryTable(t, cnxn, fmt.Sprintf(
		`SELECT id, name, epoch_ns(ts)::VARCHAR, array_to_string(tags, ','), typeof(ts) FROM "%s" ORDER BY id`, table))
	var rows []string
	for _, r := range got.rows {
		rows = append(rows, got.renderRow(r))
	}
	want := []string{
		"1 | a | 1000000008 | t0,t1 | TIMESTAMP_NS", "1 | a | 1000000008 | t0,t1 | TIMESTAMP_NS",
		"2 | NULL | 2000000009 | NULL | TIMESTAMP_NS", "2 | NULL | 2000000009 | NULL | TIMESTAMP_NS",
		"3 | c | 3000000010 | t0 | TIMESTAMP_NS", "3 | c | 3000000010 | t0 | TIMESTAMP_NS",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("after create + append:\nwant %q\ngot  %q", want, rows)
	}

	one := ingestRecord([]int64{9}, []string{"z"}, nil)
	defer one.Release()
	if n, err := ingest(t, cnxn, table, adbc.OptionValueIngestModeReplace, one); err != nil || n != 1 {
		t.Fatalf("replace: want 1 row, got %d, %v", n, err)
	}
	count := queryTable(t, cnxn, fmt.Sprintf(`SELECT count(*), min(id) FROM "%s"`, table))
	if s := count.renderRow(count.rows[0]); s != "1 | 9" {
		t.Errorf("after replace: want 1 | 9, got %q", s)
	}
}

func TestIngestErrorsLeaveTheTableAlone(t *testing.T) {
	cnxn := connect(t)
	table := fmt.Sprintf("go_e2e_ingest_err_%d", time.Now().UnixNano())
	rec := ingestRecord([]int64{1, 2}, []string{"a", "b"}, nil)
	defer rec.Release()

	_, err := ingest(t, cnxn, table, adbc.OptionValueIngestModeAppend, rec)
	if ae := asADBCError(t, err); ae.Code != adbc.StatusNotFound {
		t.Errorf("append to a missing table: want NotFound, got %s (%s)", ae.Code, ae.Msg)
	}
	if _, err := ingest(t, cnxn, table, adbc.OptionValueIngestModeCreate, rec); err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = ingest(t, cnxn, table, adbc.OptionValueIngestModeCreate, rec)
	if ae := asADBCError(t, err); ae.Code != adbc.StatusAlreadyExists {
		t.Errorf("create over an existing table: want AlreadyExists, got %s (%s)", ae.Code, ae.Msg)
	}

	other := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, other)
	bld.Field(0).(*array.StringBuilder).Append("x")
	bad := bld.NewRecordBatch()
	bld.Release()
	defer bad.Release()
	_, err = ingest(t, cnxn, table, adbc.OptionValueIngestModeAppend, bad)
	if ae := asADBCError(t, err); ae.Code != adbc.StatusAlreadyExists || !strings.Contains(ae.Msg, "different schema") {
		t.Errorf("append with another schema: want AlreadyExists (different schema), got %s (%s)", ae.Code, ae.Msg)
	}
	count := queryTable(t, cnxn, fmt.Sprintf(`SELECT count(*) FROM "%s"`, table))
	if s := count.renderRow(count.rows[0]); s != "2" {
		t.Errorf("rows after the failed ingests: want 2, got %s", s)
	}
}
