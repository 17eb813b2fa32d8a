package benchdocs

// benchstat's tables in two forms: their text, which the pinned go tool
// benchstat prints (benchstatTool), and their numbers, which claims and
// plots are made from (stat), grouped with benchproc and summarised with
// benchmath as benchstat does: its tests check that they are the same.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Args are the benchstat flags that shape its tables.
type Args struct{ Filter, Row, Col, Ignore string }

// An Input is one benchmark file: its contents, and the name benchstat
// knows it by (the path on its command line, its .file key).
type Input struct {
	Name string
	Data []byte
}

// A statTable holds the results of one unit that share a -table key.
type statTable struct {
	unit       string // tidied, as benchstat shows it: "sec/op" for ns/op
	assumption benchmath.Assumption
	rows, cols []benchproc.Key // in the order the inputs first show them, as benchstat's
	cells      map[cellKey]*cell
}

type cellKey struct{ row, col benchproc.Key }

// A cell is the values of one row and column, summarised.
type cell struct {
	sample  *benchmath.Sample
	summary benchmath.Summary // Center is the median
}

// col returns the key of the column labelled name ("pool").
func (t *statTable) col(name string) (benchproc.Key, bool) {
	i := slices.IndexFunc(t.cols, func(k benchproc.Key) bool { return k.StringValues() == name })
	if i < 0 {
		return benchproc.Key{}, false
	}
	return t.cols[i], true
}

// stat groups and summarises the inputs' results into tables, as go tool
// benchstat does with args.
func stat(args Args, inputs ...Input) ([]*statTable, error) {
	if len(inputs) == 0 {
		return nil, errors.New("benchstat: no input")
	}
	filter, err := benchproc.NewFilter(cmp.Or(args.Filter, "*"))
	if err != nil {
		return nil, fmt.Errorf("parsing -filter: %w", err)
	}
	// One parser, as benchstat's: .config in -table means the
	// configuration keys that no other projection, -ignore included, names.
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", filter)
	rowBy, errRow := parser.Parse(cmp.Or(args.Row, ".fullname"), filter)
	colBy, errCol := parser.Parse(cmp.Or(args.Col, ".file"), filter)
	_, errIgnore := parser.Parse(args.Ignore, filter)
	if err := errors.Join(err, errRow, errCol, errIgnore); err != nil {
		return nil, fmt.Errorf("parsing %+v: %w", args, err)
	}
	type group struct {
		rows, cols map[benchproc.Key]bool
		values     map[cellKey][]float64
	}
	groups := map[benchproc.Key]*group{}
	var reader benchfmt.Reader
	for _, in := range inputs {
		// Reset as benchfmt.Files does, so that .file is the input's name.
		reader.Reset(bytes.NewReader(in.Data), in.Name, ".file", in.Name)
		for reader.Scan() {
			switch rec := reader.Result().(type) {
			case *benchfmt.SyntaxError:
				return nil, rec
			case *benchfmt.Result:
				if ok, _ := filter.Apply(rec); !ok {
					continue
				}
				k := cellKey{rowBy.Project(rec), colBy.Project(rec)}
				// A table key per value of the result, whose last field is the unit.
				for i, tk := range tableBy.ProjectValues(rec) {
					g := groups[tk]
					if g == nil {
						g = &group{rows: map[benchproc.Key]bool{}, cols: map[benchproc.Key]bool{}, values: map[cellKey][]float64{}}
						groups[tk] = g
					}
					g.rows[k.row], g.cols[k.col] = true, true
					g.values[k] = append(g.values[k], rec.Values[i].Value)
				}
			}
		}
		if err := reader.Err(); err != nil {
			return nil, err
		}
	}
	// The units' metadata ("Unit ns/op assume=exact") of every input.
	units := reader.Units()
	thresholds := benchmath.DefaultThresholds
	var out []*statTable
	for _, tk := range sortedKeys(groups) {
		g := groups[tk]
		t := &statTable{unit: tk.Get(unitField), assumption: units.GetAssumption(tk.Get(unitField)),
			rows: sortedKeys(g.rows), cols: sortedKeys(g.cols), cells: map[cellKey]*cell{}}
		for k, values := range g.values {
			s := benchmath.NewSample(values, &thresholds)
			t.cells[k] = &cell{sample: s, summary: t.assumption.Summary(s, 0.95)}
		}
		out = append(out, t)
	}
	return out, nil
}

// statUnit is stat's table of unit.
func statUnit(args Args, unit string, inputs ...Input) (*statTable, error) {
	tables, err := stat(args, inputs...)
	if err != nil {
		return nil, err
	}
	return pick(tables, unit, args.Filter)
}

// pick is the one table of unit among tables.
func pick(tables []*statTable, unit, filter string) (*statTable, error) {
	var found *statTable
	for _, t := range tables {
		if t.unit == unit && found != nil {
			return nil, fmt.Errorf("the results make more than one %s table; narrow the filter", unit)
		} else if t.unit == unit {
			found = t
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no %s results (-filter %q)", unit, filter)
	}
	return found, nil
}

// sortedKeys returns m's keys in the order they were first observed.
func sortedKeys[V any](m map[benchproc.Key]V) []benchproc.Key {
	keys := slices.Collect(maps.Keys(m))
	benchproc.SortKeys(keys)
	return keys
}

// flags returns the benchstat flags that args stand for.
func (a Args) flags() (flags []string) {
	for _, f := range [][2]string{{"-filter", a.Filter}, {"-row", a.Row}, {"-col", a.Col}, {"-ignore", a.Ignore}} {
		if f[1] != "" {
			flags = append(flags, f[0], f[1])
		}
	}
	return flags
}

// command is the benchstat command line, for a reader's shell.
func (a Args) command(files ...string) string {
	words := []string{"go", "tool", "benchstat"}
	for _, w := range append(a.flags(), files...) {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes s for a POSIX shell unless it is safe bare.
func shellQuote(s string) string {
	if bare.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var bare = regexp.MustCompile(`^[-\w./,=:@%+]+$`)

// benchstatTool is the binary of the benchstat that go.mod pins, which go
// tool -n builds and names: run directly, it saves the go command's
// start-up on each of the dozens of tables a rendering prints.
var benchstatTool = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "tool", "-n", "benchstat").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool -n benchstat: %w: %s", err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
})
