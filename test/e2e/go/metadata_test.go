package e2e

// Metadata through the ADBC Flight SQL driver: GetObjects at every depth with catalog, schema,
// table, type and column filters; GetTableSchema; GetTableTypes; GetInfo. The objects live in
// schemas go_meta and go_meta2 of the in-memory catalog "memory".

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

const metaCatalog = "memory"

var metaSetup = []string{
	"DROP SCHEMA IF EXISTS go_meta CASCADE",
	"DROP SCHEMA IF EXISTS go_meta2 CASCADE",
	"CREATE SCHEMA go_meta",
	"CREATE SCHEMA go_meta2",
	"CREATE TABLE go_meta.authors (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, born DATE)",
	"CREATE TABLE go_meta.books (isbn VARCHAR PRIMARY KEY, author_id INTEGER REFERENCES go_meta.authors (id), " +
		"title VARCHAR, price DECIMAL(8,2), published TIMESTAMP)",
	"CREATE VIEW go_meta.book_view AS SELECT isbn, title FROM go_meta.books",
	"CREATE TABLE go_meta2.authors (x DOUBLE)",
}

var (
	metaOnce sync.Once
	metaErr  error
)

// metaFixture creates the objects once per run (through ExecuteUpdate).
func metaFixture(t *testing.T) adbc.Connection {
	t.Helper()
	cnxn := connect(t)
	metaOnce.Do(func() {
		for _, sql := range metaSetup {
			stmt, err := cnxn.NewStatement()
			if err == nil {
				err = stmt.SetSqlQuery(sql)
				if err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					_, err = stmt.ExecuteUpdate(ctx)
					cancel()
				}
				stmt.Close()
			}
			if err != nil {
				metaErr = err
				return
			}
		}
	})
	if metaErr != nil {
		t.Fatalf("creating the metadata fixture: %v", metaErr)
	}
	return cnxn
}

// The GetObjects result as Go values (decoded from the driver's Arrow result via JSON). A nil
// slice is a null list (below the requested depth); an empty one is a list with no entries.
type objCatalog struct {
	Name    *string     `json:"catalog_name"`
	Schemas []objSchema `json:"catalog_db_schemas"`
}

type objSchema struct {
	Name   *string    `json:"db_schema_name"`
	Tables []objTable `json:"db_schema_tables"`
}

type objTable struct {
	Name        string          `json:"table_name"`
	Type        string          `json:"table_type"`
	Columns     []objColumn     `json:"table_columns"`
	Constraints []objConstraint `json:"table_constraints"`
}

type objColumn struct {
	Name            string  `json:"column_name"`
	Ordinal         *int32  `json:"ordinal_position"`
	Remarks         *string `json:"remarks"`
	XdbcDataType    *int16  `json:"xdbc_data_type"`
	XdbcTypeName    *string `json:"xdbc_type_name"`
	XdbcNullable    *int16  `json:"xdbc_nullable"`
	XdbcSqlDataType *int16  `json:"xdbc_sql_data_type"`
	ScopeCatalog    *string `json:"xdbc_scope_catalog"`
	ScopeSchema     *string `json:"xdbc_scope_schema"`
	ScopeTable      *string `json:"xdbc_scope_table"`
	IsAutoincrement *bool   `json:"xdbc_is_autoincrement"`
}

type objConstraint struct {
	Name        *string  `json:"constraint_name"`
	Type        string   `json:"constraint_type"`
	ColumnNames []string `json:"constraint_column_names"`
}

func strp(s string) *string { return &s }

func getObjects(t *testing.T, cnxn adbc.Connection, depth adbc.ObjectDepth, catalog, schema, table, column *string,
	types []string) []objCatalog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rdr, err := cnxn.GetObjects(ctx, depth, catalog, schema, table, column, types)
	if err != nil {
		t.Fatalf("GetObjects: %v", err)
	}
	defer rdr.Release()
	if !rdr.Schema().Equal(adbc.GetObjectsSchema) {
		t.Fatalf("GetObjects schema:\n%s\nwant\n%s", rdr.Schema(), adbc.GetObjectsSchema)
	}
	var out []objCatalog
	for rdr.Next() {
		var buf bytes.Buffer
		if err := array.RecordToJSON(rdr.RecordBatch(), &buf); err != nil {
			t.Fatalf("GetObjects as JSON: %v", err)
		}
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var c objCatalog
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("decoding GetObjects row: %v", err)
			}
			out = append(out, c)
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("reading GetObjects: %v", err)
	}
	return out
}

func catalogNames(cats []objCatalog) []string {
	names := []string{}
	for _, c := range cats {
		names = append(names, *c.Name)
	}
	return names
}

// schemaNames maps each catalog to its schema names (nil when the list is null).
func schemaNames(cats []objCatalog) map[string][]string {
	out := map[string][]string{}
	for _, c := range cats {
		var names []string
		if c.Schemas != nil {
			names = []string{}
			for _, s := range c.Schemas {
				names = append(names, *s.Name)
			}
		}
		out[*c.Name] = names
	}
	return out
}

// tablesOf returns "name:type" of every table in catalog.schema.
func tablesOf(t *testing.T, cats []objCatalog, catalog, schema string) []objTable {
	t.Helper()
	for _, c := range cats {
		if *c.Name != catalog {
			continue
		}
		for _, s := range c.Schemas {
			if *s.Name == schema {
				return s.Tables
			}
		}
	}
	t.Fatalf("schema %s.%s not in GetObjects result", catalog, schema)
	return nil
}

func tableNames(tables []objTable) []string {
	out := []string{}
	for _, tb := range tables {
		out = append(out, tb.Name+":"+tb.Type)
	}
	return out
}

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

func TestGetObjectsCatalogs(t *testing.T) {
	cnxn := metaFixture(t)
	cats := getObjects(t, cnxn, adbc.ObjectDepthCatalogs, nil, nil, nil, nil, nil)
	checkEqual(t, "catalogs", catalogNames(cats), []string{metaCatalog})
	checkEqual(t, "schemas below catalog depth", schemaNames(cats), map[string][]string{metaCatalog: nil})
	checkEqual(t, "catalog filter", catalogNames(getObjects(t, cnxn, adbc.ObjectDepthCatalogs, strp("mem%"), nil, nil,
		nil, nil)), []string{metaCatalog})
	checkEqual(t, "catalog filter without match", catalogNames(getObjects(t, cnxn, adbc.ObjectDepthCatalogs,
		strp("no_such_catalog"), nil, nil, nil, nil)), []string{})
}

func TestGetObjectsDbSchemas(t *testing.T) {
	cnxn := metaFixture(t)
	all := schemaNames(getObjects(t, cnxn, adbc.ObjectDepthDBSchemas, nil, nil, nil, nil, nil))
	names := all[metaCatalog]
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, want := range []string{"main", "go_meta", "go_meta2"} {
		if !seen[want] {
			t.Errorf("schema %s missing from %v", want, names)
		}
	}
	for _, hidden := range []string{"information_schema", "pg_catalog"} {
		if seen[hidden] {
			t.Errorf("internal schema %s listed: %v", hidden, names)
		}
	}
	checkEqual(t, "schema pattern", schemaNames(getObjects(t, cnxn, adbc.ObjectDepthDBSchemas, nil, strp("go_meta%"),
		nil, nil, nil)), map[string][]string{metaCatalog: {"go_meta", "go_meta2"}})
	checkEqual(t, "escaped schema pattern", schemaNames(getObjects(t, cnxn, adbc.ObjectDepthDBSchemas, nil,
		strp(`go\_meta`), nil, nil, nil)), map[string][]string{metaCatalog: {"go_meta"}})
	checkEqual(t, "schema pattern without match", schemaNames(getObjects(t, cnxn, adbc.ObjectDepthDBSchemas,
		strp(metaCatalog), strp("no_such_schema"), nil, nil, nil)), map[string][]string{metaCatalog: {}})
	for _, s := range getObjects(t, cnxn, adbc.ObjectDepthDBSchemas, nil, strp("go_meta"), nil, nil, nil)[0].Schemas {
		if s.Tables != nil {
			t.Errorf("schema %s has tables at db_schemas depth: %v", *s.Name, s.Tables)
		}
	}
}

func TestGetObjectsTables(t *testing.T) {
	cnxn := metaFixture(t)
	cats := getObjects(t, cnxn, adbc.ObjectDepthTables, nil, strp(`go\_meta`), nil, nil, nil)
	tables := tablesOf(t, cats, metaCatalog, "go_meta")
	checkEqual(t, "tables", tableNames(tables), []string{"authors:BASE TABLE", "book_view:VIEW", "books:BASE TABLE"})
	for _, tb := range tables {
		if tb.Columns != nil {
			t.Errorf("%s has columns at tables depth", tb.Name)
		}
	}
	checkEqual(t, "type filter", tableNames(tablesOf(t, getObjects(t, cnxn, adbc.ObjectDepthTables, nil,
		strp(`go\_meta`), nil, nil, []string{"VIEW"}), metaCatalog, "go_meta")), []string{"book_view:VIEW"})
	checkEqual(t, "name pattern", tableNames(tablesOf(t, getObjects(t, cnxn, adbc.ObjectDepthTables, nil,
		strp(`go\_meta`), strp("book%"), nil, nil), metaCatalog, "go_meta")),
		[]string{"book_view:VIEW", "books:BASE TABLE"})
	// The same table name in two schemas.
	both := getObjects(t, cnxn, adbc.ObjectDepthTables, strp(metaCatalog), strp("go_meta%"), strp("authors"), nil,
		[]string{"BASE TABLE"})
	checkEqual(t, "go_meta.authors", tableNames(tablesOf(t, both, metaCatalog, "go_meta")),
		[]string{"authors:BASE TABLE"})
	checkEqual(t, "go_meta2.authors", tableNames(tablesOf(t, both, metaCatalog, "go_meta2")),
		[]string{"authors:BASE TABLE"})
	checkEqual(t, "no temporary tables", tableNames(tablesOf(t, getObjects(t, cnxn, adbc.ObjectDepthTables, nil,
		strp(`go\_meta`), nil, nil, []string{"LOCAL TEMPORARY"}), metaCatalog, "go_meta")), []string{})
}

type columnRow struct {
	Name     string
	Ordinal  int32
	TypeName string
	DataType int16
	SqlType  int16
}

func TestGetObjectsAll(t *testing.T) {
	cnxn := metaFixture(t)
	cats := getObjects(t, cnxn, adbc.ObjectDepthAll, nil, strp(`go\_meta`), strp("books"), nil, nil)
	tables := tablesOf(t, cats, metaCatalog, "go_meta")
	checkEqual(t, "tables", tableNames(tables), []string{"books:BASE TABLE"})
	var got []columnRow
	for _, c := range tables[0].Columns {
		got = append(got, columnRow{c.Name, *c.Ordinal, *c.XdbcTypeName, *c.XdbcDataType, *c.XdbcSqlDataType})
		if *c.ScopeCatalog != metaCatalog || *c.ScopeSchema != "go_meta" || *c.ScopeTable != "books" {
			t.Errorf("%s: scope %s.%s.%s", c.Name, *c.ScopeCatalog, *c.ScopeSchema, *c.ScopeTable)
		}
		if c.IsAutoincrement == nil || *c.IsAutoincrement {
			t.Errorf("%s: xdbc_is_autoincrement %v, want false", c.Name, c.IsAutoincrement)
		}
		// Flight SQL carries nullability in the Arrow field, which this driver does not turn into
		// xdbc_nullable (GetTableSchema shows it); remarks are not sent.
		if c.XdbcNullable != nil || c.Remarks != nil {
			t.Errorf("%s: xdbc_nullable %v, remarks %v: want null", c.Name, c.XdbcNullable, c.Remarks)
		}
	}
	// XDBC codes: VARCHAR 12, INTEGER 4, DECIMAL 3, TIMESTAMP 93.
	checkEqual(t, "columns", got, []columnRow{
		{"isbn", 1, "VARCHAR", 12, 12},
		{"author_id", 2, "INTEGER", 4, 4},
		{"title", 3, "VARCHAR", 12, 12},
		{"price", 4, "DECIMAL(8,2)", 3, 3},
		{"published", 5, "TIMESTAMP", 93, 93},
	})
	// The driver does not ask for keys: no constraints, an empty list.
	checkEqual(t, "constraints", tables[0].Constraints, []objConstraint{})

	// Column filter (ordinal positions stay those of the table).
	filtered := tablesOf(t, getObjects(t, cnxn, adbc.ObjectDepthColumns, strp(metaCatalog), strp("go_meta"),
		strp("b%"), strp("%t%"), nil), metaCatalog, "go_meta")
	var picked []string
	for _, tb := range filtered {
		for _, c := range tb.Columns {
			picked = append(picked, fmt.Sprintf("%s.%s#%d", tb.Name, c.Name, *c.Ordinal))
		}
	}
	checkEqual(t, "column filter", picked, []string{"book_view.title#2", "books.author_id#2", "books.title#3"})
}

func TestGetTableSchema(t *testing.T) {
	cnxn := metaFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	schema, err := cnxn.GetTableSchema(ctx, strp(metaCatalog), strp("go_meta"), "books")
	if err != nil {
		t.Fatalf("GetTableSchema: %v", err)
	}
	type fieldRow struct {
		Name     string
		Type     string
		Nullable bool
		TypeName string
	}
	var got []fieldRow
	for _, f := range schema.Fields() {
		typeName, _ := f.Metadata.GetValue("ARROW:FLIGHT:SQL:TYPE_NAME")
		got = append(got, fieldRow{f.Name, f.Type.String(), f.Nullable, typeName})
	}
	checkEqual(t, "books", got, []fieldRow{
		{"isbn", "utf8", false, "VARCHAR"}, // PRIMARY KEY: NOT NULL
		{"author_id", "int32", true, "INTEGER"},
		{"title", "utf8", true, "VARCHAR"},
		{"price", "decimal(8, 2)", true, "DECIMAL(8,2)"},
		{"published", "timestamp[us]", true, "TIMESTAMP"},
	})

	authors, err := cnxn.GetTableSchema(ctx, nil, strp("go_meta"), "authors")
	if err != nil {
		t.Fatalf("GetTableSchema(authors): %v", err)
	}
	want := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: false},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: false},
		{Name: "born", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	if !stripMetadata(authors).Equal(want) {
		t.Errorf("go_meta.authors:\n%s\nwant\n%s", authors, want)
	}
	other, err := cnxn.GetTableSchema(ctx, nil, strp("go_meta2"), "authors")
	if err != nil {
		t.Fatalf("GetTableSchema(go_meta2.authors): %v", err)
	}
	if !stripMetadata(other).Equal(arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)) {
		t.Errorf("go_meta2.authors: %s", other)
	}

	_, err = cnxn.GetTableSchema(ctx, nil, strp("go_meta"), "no_such_table")
	if ae := asADBCError(t, err); ae.Code != adbc.StatusNotFound {
		t.Errorf("missing table: status %v, want NotFound (%v)", ae.Code, ae)
	}
}

func stripMetadata(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, 0, s.NumFields())
	for _, f := range s.Fields() {
		fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable})
	}
	return arrow.NewSchema(fields, nil)
}

func TestGetTableTypes(t *testing.T) {
	cnxn := metaFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdr, err := cnxn.GetTableTypes(ctx)
	if err != nil {
		t.Fatalf("GetTableTypes: %v", err)
	}
	defer rdr.Release()
	if !rdr.Schema().Equal(adbc.TableTypesSchema) {
		t.Errorf("GetTableTypes schema %s, want %s", rdr.Schema(), adbc.TableTypesSchema)
	}
	var types []string
	for rdr.Next() {
		col := rdr.RecordBatch().Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			types = append(types, col.Value(i))
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("reading GetTableTypes: %v", err)
	}
	checkEqual(t, "table types", types, []string{"BASE TABLE", "LOCAL TEMPORARY", "VIEW"})
}

// packageVersion reads "version" from a package.json under the repository root.
func packageVersion(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", dir, "package.json"))
	if err != nil {
		t.Fatalf("reading package.json: %v", err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatalf("parsing package.json: %v", err)
	}
	return pkg.Version
}

func TestGetInfo(t *testing.T) {
	cnxn := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	codes := []adbc.InfoCode{adbc.InfoVendorName, adbc.InfoVendorVersion, adbc.InfoVendorArrowVersion,
		adbc.InfoVendorSql, adbc.InfoVendorSubstrait, adbc.InfoDriverName}
	rdr, err := cnxn.GetInfo(ctx, codes)
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	defer rdr.Release()
	if !rdr.Schema().Equal(adbc.GetInfoSchema) {
		t.Errorf("GetInfo schema %s", rdr.Schema())
	}
	got := map[adbc.InfoCode]any{}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		names := rec.Column(0).(*array.Uint32)
		values := rec.Column(1).(*array.DenseUnion)
		for i := 0; i < int(rec.NumRows()); i++ {
			code := adbc.InfoCode(names.Value(i))
			off := int(values.ValueOffset(i))
			switch child := values.Field(values.ChildID(i)).(type) {
			case *array.String:
				got[code] = child.Value(off)
			case *array.Boolean:
				got[code] = child.Value(off)
			default:
				t.Errorf("info %v in a %T", code, child)
			}
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatalf("reading GetInfo: %v", err)
	}
	checkEqual(t, "GetInfo", got, map[adbc.InfoCode]any{
		adbc.InfoVendorName:         "Skein",
		adbc.InfoVendorVersion:      packageVersion(t, "."),
		adbc.InfoVendorArrowVersion: packageVersion(t, filepath.Join("node_modules", "apache-arrow")),
		adbc.InfoVendorSql:          true,
		adbc.InfoVendorSubstrait:    false,
		adbc.InfoDriverName:         "ADBC Flight SQL Driver - Go",
	})
}
