package e2e

// Comparison of an Arrow result with DuckDB's own answer: schemas without field metadata,
// then values row by row (rows sorted by their rendering unless the query is ordered).

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// table is a result held as the batches it arrived in; rows are addressed by (batch, row).
type table struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	rows    []rowRef
}

type rowRef struct{ batch, row int }

func newTable(schema *arrow.Schema, batches []arrow.RecordBatch) *table {
	t := &table{schema: schema, batches: batches}
	for b, rec := range batches {
		for r := 0; r < int(rec.NumRows()); r++ {
			t.rows = append(t.rows, rowRef{b, r})
		}
	}
	return t
}

func (t *table) release() {
	for _, b := range t.batches {
		b.Release()
	}
	t.batches = nil
}

func (t *table) cell(ref rowRef, col int) (arrow.Array, int) {
	return t.batches[ref.batch].Column(col), ref.row
}

// renderRow is the row's sort key and its human-readable form in failure messages.
func (t *table) renderRow(ref rowRef) string {
	parts := make([]string, t.schema.NumFields())
	for c := range parts {
		arr, i := t.cell(ref, c)
		parts[c] = renderCell(arr, i)
	}
	return strings.Join(parts, " | ")
}

func renderCell(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return "NULL"
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		return renderCell(a.Dictionary(), a.GetValueIndex(i))
	case *array.Float64:
		// Rounded, so that two answers differing in the last bits still sort alike.
		return strconv.FormatFloat(a.Value(i), 'g', 10, 64)
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', 6, 32)
	case *array.Decimal128:
		// ValueStr drops trailing zeros; keep the column's scale ("2.20").
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)
	}
	return arr.ValueStr(i)
}

// schemaDiff describes how got differs from want, ignoring field metadata; "" if they agree.
func schemaDiff(want, got *arrow.Schema) string {
	if want.NumFields() != got.NumFields() {
		return fmt.Sprintf("column count: want %d (%s), got %d (%s)", want.NumFields(), want, got.NumFields(), got)
	}
	var diffs []string
	for i := 0; i < want.NumFields(); i++ {
		w, g := want.Field(i), got.Field(i)
		if w.Name != g.Name {
			diffs = append(diffs, fmt.Sprintf("column %d name: want %q, got %q", i, w.Name, g.Name))
		}
		if !arrow.TypeEqual(w.Type, g.Type) {
			diffs = append(diffs, fmt.Sprintf("column %d (%s) type: want %s, got %s", i, w.Name, w.Type, g.Type))
		}
		if w.Nullable != g.Nullable {
			diffs = append(diffs, fmt.Sprintf("column %d (%s) nullable: want %v, got %v", i, w.Name, w.Nullable, g.Nullable))
		}
	}
	return strings.Join(diffs, "; ")
}

// cellEqual compares one cell of each side: exact for everything but floating point,
// dictionary cells by the value they stand for (the dictionaries themselves may differ).
func cellEqual(a arrow.Array, i int, b arrow.Array, j int) bool {
	if a.IsNull(i) || b.IsNull(j) {
		return a.IsNull(i) && b.IsNull(j)
	}
	if da, ok := a.(*array.Dictionary); ok {
		db, ok := b.(*array.Dictionary)
		if !ok {
			return false
		}
		return cellEqual(da.Dictionary(), da.GetValueIndex(i), db.Dictionary(), db.GetValueIndex(j))
	}
	switch fa := a.(type) {
	case *array.Float64:
		fb, ok := b.(*array.Float64)
		return ok && floatEqual(fa.Value(i), fb.Value(j), 1e-12)
	case *array.Float32:
		fb, ok := b.(*array.Float32)
		return ok && floatEqual(float64(fa.Value(i)), float64(fb.Value(j)), 1e-6)
	}
	if !arrow.TypeEqual(a.DataType(), b.DataType()) {
		return false
	}
	sa := array.NewSlice(a, int64(i), int64(i+1))
	defer sa.Release()
	sb := array.NewSlice(b, int64(j), int64(j+1))
	defer sb.Release()
	return array.ApproxEqual(sa, sb, array.WithNaNsEqual(true), array.WithAbsTolerance(1e-9))
}

func floatEqual(x, y, rel float64) bool {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return math.IsNaN(x) && math.IsNaN(y)
	case math.IsInf(x, 0) || math.IsInf(y, 0):
		return x == y
	case x == y:
		return true
	}
	return math.Abs(x-y) <= rel*math.Max(math.Abs(x), math.Abs(y))
}

// sortedRows returns the table's rows, sorted by rendering unless ordered.
func sortedRows(t *table, ordered bool) []rowRef {
	rows := append([]rowRef(nil), t.rows...)
	if ordered {
		return rows
	}
	keys := make(map[rowRef]string, len(rows))
	for _, r := range rows {
		keys[r] = t.renderRow(r)
	}
	sort.SliceStable(rows, func(x, y int) bool { return keys[rows[x]] < keys[rows[y]] })
	return rows
}

// compareTables returns a list of differences (empty when got matches want).
func compareTables(want, got *table, ordered bool) []string {
	if d := schemaDiff(want.schema, got.schema); d != "" {
		return []string{"schema differs: " + d}
	}
	var diffs []string
	if len(want.rows) != len(got.rows) {
		diffs = append(diffs, fmt.Sprintf("row count: want %d, got %d", len(want.rows), len(got.rows)))
	}
	wr, gr := sortedRows(want, ordered), sortedRows(got, ordered)
	n := len(wr)
	if len(gr) < n {
		n = len(gr)
	}
	const maxReported = 5
	bad := 0
	for r := 0; r < n; r++ {
		var cols []string
		for c := 0; c < want.schema.NumFields(); c++ {
			wa, wi := want.cell(wr[r], c)
			ga, gi := got.cell(gr[r], c)
			if !cellEqual(wa, wi, ga, gi) {
				cols = append(cols, want.schema.Field(c).Name)
			}
		}
		if len(cols) == 0 {
			continue
		}
		bad++
		if bad <= maxReported {
			diffs = append(diffs, fmt.Sprintf("row %d differs in %v:\n    want: %s\n    got:  %s",
				r, cols, want.renderRow(wr[r]), got.renderRow(gr[r])))
		}
	}
	if bad > maxReported {
		diffs = append(diffs, fmt.Sprintf("... %d differing rows in all", bad))
	}
	return diffs
}
