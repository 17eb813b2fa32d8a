// stat's figures must be the ones the pinned benchstat prints, and
// benchstat must print what go tool benchstat prints. These tests run go
// tool benchstat (the tool in go.mod) on the same files with the same
// flags: its CSV form prints each median in full, each interval and each
// U-test, so stat's can be compared with it exactly.
//
//	go test -run 'Stat|Benchstat|Command' ./internal/benchdocs
package benchdocs

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statCases are benchstat invocations over committed runs.
var statCases = []struct {
	name  string
	give  Args
	files []string
}{
	{name: "defaults", give: Args{Filter: ".name:Sleep /tasks:(3 OR 100)"}, files: []string{sleepRun}},
	{name: "variants_as_columns", give: Args{Filter: ".name:Sleep", Col: "/variant"}, files: []string{sleepRun}},
	{name: "filter_by_name_and_unit", give: Args{Filter: ".name:Sleep /tasks:3 .unit:(ns/op OR peak-MB)", Col: "/variant"}, files: []string{sleepRun}},
	{name: "row_and_col", give: Args{Filter: ".name:Spawn", Row: "/tasks", Col: "/variant"}, files: []string{sleepRun}},
	{
		// The pair of files that differ in GOMAXPROCS alone: a column per file.
		name:  "pair_ignoring_gomaxprocs",
		give:  Args{Filter: ".name:Server /work:io .unit:trans/s", Ignore: "gomaxprocs,/gomaxprocs"},
		files: []string{"../../testdata/bench/serving-cpu1.txt", "../../testdata/bench/serving.txt"},
	},
}

const sleepRun = "../../testdata/bench/sleep.txt"

// TestStatAgreesWithBenchstat: every median, interval and U-test of
// stat's tables, laid out as benchstat -format csv lays out its rows, is
// what benchstat prints, table by table.
func TestStatAgreesWithBenchstat(t *testing.T) {
	for _, tt := range statCases {
		t.Run("case="+tt.name, func(t *testing.T) {
			tables, err := stat(tt.give, inputs(t, tt.files...)...)
			require.NoError(t, err, "stat(%+v)", tt.give)

			want := csvTables(t, goToolBenchstat(t, "csv", tt.give, tt.files...))

			require.NotEmpty(t, want, "benchstat's tables")
			require.Len(t, tables, len(want), "stat(%+v): tables, against %s -format csv", tt.give, tt.give.command(tt.files...))
			for i, table := range tables {
				assert.Equal(t, want[i].unit, table.unit, "table %d's unit", i)
				assert.Equal(t, want[i].rows, records(table), "table %d (%s) of %s -format csv", i, table.unit, tt.give.command(tt.files...))
			}
		})
	}
}

// goToolBenchstat runs go tool benchstat as a reader would, in the
// format given.
func goToolBenchstat(tb testing.TB, format string, a Args, files ...string) string {
	tb.Helper()
	args := append([]string{"tool", "benchstat", "-format", format}, a.flags()...)
	out, err := exec.Command("go", append(args, files...)...).Output()
	require.NoError(tb, err, "go %q", args)
	return string(out)
}

// TestBenchstat: a page's {{benchstat}} is go tool benchstat's text, under
// its command line, with the names of the files as given.
func TestBenchstat(t *testing.T) {
	for _, tt := range statCases {
		t.Run("case="+tt.name, func(t *testing.T) {
			want := "```\n$ " + tt.give.command(tt.files...) + "\n" + goToolBenchstat(t, "text", tt.give, tt.files...) + "```"

			got, err := (&committed{root: "."}).benchstat(append(tt.give.flags(), tt.files...)...)

			require.NoError(t, err)
			assert.Equal(t, want, got, "benchstat against %s", tt.give.command(tt.files...))
		})
	}
}

func TestBenchstatErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("BenchmarkX 1 abc ns/op\n"), 0o644))
	tests := []struct {
		name string
		give []string
		want string
	}{
		{name: "bad_filter", give: []string{"-filter", ".name:(", sleepRun}, want: "parsing -filter"},
		{name: "bad_flag", give: []string{"-columns", "/variant", sleepRun}, want: "flag provided but not defined: -columns"},
		{name: "no_results", give: []string{"-filter", ".name:Nope", sleepRun}, want: `no results match ".name:Nope"`},
	}
	for _, tt := range tests {
		_, err := (&committed{root: "."}).benchstat(tt.give...)
		assert.ErrorContains(t, err, tt.want, "case %s: benchstat(%q)", tt.name, tt.give)
	}
	_, err := (&committed{root: dir}).benchstat("bad.txt")
	assert.ErrorContains(t, err, "bad.txt:1: parsing measurement", "a malformed result line")
	got, err := (&committed{root: "."}).benchstat("nope.txt")
	require.NoError(t, err)
	assert.Equal(t, "*Not measured yet: nope.txt is not committed.*", got, "a file not committed yet")
}

func TestStatErrors(t *testing.T) {
	in := inputs(t, sleepRun)
	tests := []struct {
		name string
		give Args
		want string
	}{
		{name: "bad_filter", give: Args{Filter: ".name:("}, want: "parsing -filter"},
		{name: "bad_col", give: Args{Col: "@"}, want: "parsing {Filter: Row: Col:@ Ignore:}: syntax error"},
		{name: "bad_ignore", give: Args{Ignore: "@"}, want: "parsing {Filter: Row: Col: Ignore:@}: syntax error"},
	}
	for _, tt := range tests {
		_, err := stat(tt.give, in...)
		assert.ErrorContains(t, err, tt.want, "stat(%+v)", tt.give)
	}
	_, err := stat(Args{})
	assert.Error(t, err, "stat with no input")
	_, err = stat(Args{}, Input{Name: "bad.txt", Data: []byte("BenchmarkX 1 abc ns/op\n")})
	assert.ErrorContains(t, err, "bad.txt:1", "stat of a malformed result line")
}

func TestStatUnit(t *testing.T) {
	one := inputs(t, sleepRun)
	pair := inputs(t, "../../testdata/bench/serving-cpu1.txt", "../../testdata/bench/serving.txt")

	got, err := statUnit(Args{Col: "/variant"}, "sec/op", one...)
	require.NoError(t, err)
	assert.Equal(t, "sec/op", got.unit)
	_, err = statUnit(Args{Col: "/variant"}, "trans/s", one...)
	assert.ErrorContains(t, err, "no trans/s results")
	_, err = statUnit(Args{Filter: ".name:Server"}, "sec/op", pair...)
	assert.ErrorContains(t, err, "more than one sec/op table", "two files whose gomaxprocs differ")
}

func TestCommand(t *testing.T) {
	tests := []struct {
		give  Args
		files []string
		want  string
	}{
		{files: []string{"a.txt"}, want: "go tool benchstat a.txt"},
		{
			give:  Args{Filter: ".name:Sleep .unit:(ns/op OR peak-MB)", Col: "/variant"},
			files: []string{"testdata/bench/sleep.txt"},
			want:  "go tool benchstat -filter '.name:Sleep .unit:(ns/op OR peak-MB)' -col /variant testdata/bench/sleep.txt",
		},
		{
			give:  Args{Ignore: "gomaxprocs,/gomaxprocs", Filter: "it's"},
			files: []string{"a.txt", "b.txt"},
			want:  `go tool benchstat -filter 'it'\''s' -ignore gomaxprocs,/gomaxprocs a.txt b.txt`,
		},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.give.command(tt.files...), "%+v.command(%q)", tt.give, tt.files)
	}
}

func inputs(tb testing.TB, files ...string) []Input {
	tb.Helper()
	var in []Input
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(tb, err)
		in = append(in, Input{Name: f, Data: data})
	}
	return in
}

// records lays out a table's rows as benchstat -format csv does: the
// row's label, then for each column the median in full and the interval,
// and beside every column but the first, the change from the first and
// the U-test.
func records(t *statTable) [][]string {
	// Where column i starts: after the label, the first column's two
	// fields, and four for each column after it.
	start := func(i int) int {
		if i == 0 {
			return 1
		}
		return 3 + (i-1)*4
	}
	var out [][]string
	for _, row := range t.rows {
		rec := []string{row.StringValues()}
		for i, col := range t.cols {
			c, ok := t.cells[cellKey{row, col}]
			if !ok {
				continue
			}
			for len(rec) < start(i) {
				rec = append(rec, "")
			}
			rec = append(rec, fmt.Sprint(c.summary.Center), c.summary.PctRangeString())
			if base, ok := t.cells[cellKey{row, t.cols[0]}]; ok && i > 0 {
				cmp := t.assumption.Compare(base.sample, c.sample)
				rec = append(rec, cmp.FormatDelta(base.summary.Center, c.summary.Center), cmp.String())
			}
		}
		out = append(out, rec)
	}
	return out
}

type csvTable struct {
	unit string
	rows [][]string // the rows of results, without the geomean
}

// csvTables reads benchstat -format csv's output: the configuration
// lines, then tables separated by blank lines, each a header line per
// column field, a line of units, its rows, and a geomean row.
func csvTables(tb testing.TB, out string) []csvTable {
	tb.Helper()
	var tables []csvTable
	for _, block := range strings.Split(out, "\n\n") {
		r := csv.NewReader(strings.NewReader(block))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		require.NoError(tb, err, "reading benchstat's CSV:\n%s", block)
		for i, rec := range recs {
			// The line of units is the first with "CI" third.
			if len(rec) >= 3 && rec[0] == "" && rec[2] == "CI" {
				require.Equal(tb, "geomean", recs[len(recs)-1][0], "a table ends with its geomean:\n%s", block)
				tables = append(tables, csvTable{unit: rec[1], rows: recs[i+1 : len(recs)-1]})
				break
			}
		}
	}
	return tables
}
