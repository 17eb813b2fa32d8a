// The copy of benchstat's table code must print what the pinned benchstat
// prints. These tests run go tool benchstat (the tool in go.mod) on the
// same files with the same flags and compare the bytes.
//
//	go test ./internal/benchtab
package benchtab_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/benchtab"
)

func TestStatMatchesBenchstat(t *testing.T) {
	tests := []struct {
		name  string
		give  benchtab.Args
		files []string
	}{
		{name: "defaults", files: []string{"testdata/run.txt"}},
		{name: "variants_as_columns", give: benchtab.Args{Col: "/variant"}, files: []string{"testdata/run.txt"}},
		{
			name:  "filter_by_name_and_unit",
			give:  benchtab.Args{Filter: ".name:Sleep /tasks:3 .unit:(ns/op OR peak-MB)", Col: "/variant"},
			files: []string{"testdata/run.txt"},
		},
		{name: "row_and_col", give: benchtab.Args{Row: "/tasks", Col: "/variant"}, files: []string{"testdata/run.txt"}},
		{
			// The pair of files that differ in GOMAXPROCS alone, as the
			// README compares them.
			name:  "pair_ignoring_gomaxprocs",
			give:  benchtab.Args{Filter: ".unit:ns/op", Ignore: "gomaxprocs,/gomaxprocs"},
			files: []string{"testdata/run-cpu1.txt", "testdata/run.txt"},
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			var inputs []benchtab.Input
			for _, f := range tt.files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				inputs = append(inputs, benchtab.Input{Name: f, Data: data})
			}
			tables, err := benchtab.Stat(tt.give, inputs...)
			require.NoError(t, err, "Stat(%+v)", tt.give)
			got, err := tables.Text()
			require.NoError(t, err)

			want := benchstat(t, tt.give, tt.files)

			assert.Equal(t, want, got, "Stat(%+v) against %s", tt.give, tt.give.Command(tt.files...))
		})
	}
}

// benchstat runs the pinned go tool benchstat with args' flags.
func benchstat(tb testing.TB, a benchtab.Args, files []string) string {
	tb.Helper()
	args := []string{"tool", "benchstat"}
	for _, f := range []struct{ flag, value string }{
		{"-filter", a.Filter}, {"-table", a.Table}, {"-row", a.Row}, {"-col", a.Col}, {"-ignore", a.Ignore},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	cmd := exec.Command("go", append(args, files...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(tb, err, "go %v: %s", args, out)
	return string(out)
}

func TestStatErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "run.txt"))
	require.NoError(t, err)
	in := benchtab.Input{Name: "run.txt", Data: data}
	tests := []struct {
		name string
		give benchtab.Args
		want string
	}{
		{name: "bad_filter", give: benchtab.Args{Filter: ".name:("}, want: "parsing -filter"},
		{name: "bad_col", give: benchtab.Args{Col: "@"}, want: "parsing -col"},
	}
	for _, tt := range tests {
		_, err := benchtab.Stat(tt.give, in)
		assert.ErrorContains(t, err, tt.want, "Stat(%+v)", tt.give)
	}
	_, err = benchtab.Stat(benchtab.Args{})
	assert.Error(t, err, "Stat with no input")
	_, err = benchtab.Stat(benchtab.Args{}, benchtab.Input{Name: "bad.txt", Data: []byte("BenchmarkX 1 abc ns/op\n")})
	assert.ErrorContains(t, err, "bad.txt:1", "Stat of a malformed result line")
}

func TestCommand(t *testing.T) {
	tests := []struct {
		give  benchtab.Args
		files []string
		want  string
	}{
		{files: []string{"a.txt"}, want: "go tool benchstat a.txt"},
		{
			give:  benchtab.Args{Filter: ".name:Sleep .unit:(ns/op OR peak-MB)", Col: "/variant"},
			files: []string{"testdata/bench/sleep.txt"},
			want:  "go tool benchstat -filter '.name:Sleep .unit:(ns/op OR peak-MB)' -col /variant testdata/bench/sleep.txt",
		},
		{
			give:  benchtab.Args{Ignore: "gomaxprocs,/gomaxprocs", Filter: "it's"},
			files: []string{"a.txt", "b.txt"},
			want:  `go tool benchstat -filter 'it'\''s' -ignore gomaxprocs,/gomaxprocs a.txt b.txt`,
		},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.give.Command(tt.files...), "%+v.Command(%q)", tt.give, tt.files)
	}
}
