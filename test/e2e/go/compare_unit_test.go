package e2e

// Self-checks of the comparator, so a lenient comparison cannot hide a wrong answer.
// These need no server.

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func buildTable(t *testing.T, ints []int64, strs []string, floats []float64, valid []bool) *table {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	bld.Field(0).(*array.Int64Builder).AppendValues(ints, valid)
	bld.Field(1).(*array.StringBuilder).AppendValues(strs, nil)
	bld.Field(2).(*array.Float64Builder).AppendValues(floats, nil)
	return newTable(schema, []arrow.RecordBatch{bld.NewRecordBatch()})
}

func TestComparatorUnorderedAcceptsPermutation(t *testing.T) {
	a := buildTable(t, []int64{1, 2, 3}, []string{"a", "b", "c"}, []float64{0.1, math.NaN(), 3}, nil)
	b := buildTable(t, []int64{3, 1, 2}, []string{"c", "a", "b"}, []float64{3, 0.1 + 1e-15, math.NaN()}, nil)
	defer a.release()
	defer b.release()
	if d := compareTables(a, b, false); len(d) != 0 {
		t.Errorf("permuted rows should match when unordered: %v", d)
	}
	if d := compareTables(a, b, true); len(d) == 0 {
		t.Errorf("permuted rows must not match when ordered")
	}
}

func TestComparatorRejectsDifferences(t *testing.T) {
	base := buildTable(t, []int64{1, 2}, []string{"a", "b"}, []float64{1, 2}, nil)
	defer base.release()
	for name, other := range map[string]*table{
		"value":     buildTable(t, []int64{1, 2}, []string{"a", "B"}, []float64{1, 2}, nil),
		"null":      buildTable(t, []int64{1, 2}, []string{"a", "b"}, []float64{1, 2}, []bool{true, false}),
		"float":     buildTable(t, []int64{1, 2}, []string{"a", "b"}, []float64{1, 2.0001}, nil),
		"row count": buildTable(t, []int64{1}, []string{"a"}, []float64{1}, nil),
	} {
		if d := compareTables(base, other, false); len(d) == 0 {
			t.Errorf("%s difference not detected", name)
		}
		other.release()
	}
}

func TestComparatorChecksSchema(t *testing.T) {
	a := buildTable(t, []int64{1}, []string{"a"}, []float64{1}, nil)
	defer a.release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	if d := schemaDiff(a.schema, schema); d == "" {
		t.Errorf("int64 vs int32 not detected")
	}
	withMeta := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: arrow.NewMetadata([]string{"k"}, []string{"v"})},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	if d := schemaDiff(a.schema, withMeta); d != "" {
		t.Errorf("field metadata must be ignored: %s", d)
	}
}

func TestComparatorDictionaryByValue(t *testing.T) {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint8, ValueType: arrow.BinaryTypes.String}
	mk := func(dict []string, idx []uint8) arrow.Array {
		d := array.NewDictionaryBuilder(memory.DefaultAllocator, dt).(*array.BinaryDictionaryBuilder)
		defer d.Release()
		vals := array.NewStringBuilder(memory.DefaultAllocator)
		vals.AppendValues(dict, nil)
		va := vals.NewArray()
		defer va.Release()
		vals.Release()
		ib := array.NewUint8Builder(memory.DefaultAllocator)
		ib.AppendValues(idx, nil)
		ia := ib.NewArray()
		defer ia.Release()
		ib.Release()
		return array.NewDictionaryArray(dt, ia, va)
	}
	a := mk([]string{"x", "y"}, []uint8{0, 1})
	b := mk([]string{"y", "x"}, []uint8{1, 0})
	c := mk([]string{"x", "y"}, []uint8{1, 1})
	defer a.Release()
	defer b.Release()
	defer c.Release()
	if !cellEqual(a, 0, b, 0) || !cellEqual(a, 1, b, 1) {
		t.Errorf("dictionary cells with equal values but different dictionaries must match")
	}
	if cellEqual(a, 0, c, 0) {
		t.Errorf("dictionary cells x and y must differ")
	}
}
