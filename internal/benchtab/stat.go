package benchtab

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Args are the benchstat flags that shape its tables. An empty field
// means benchstat's default.
type Args struct {
	Filter string // -filter, default "*"
	Table  string // -table, default ".config"
	Row    string // -row, default ".fullname"
	Col    string // -col, default ".file"
	Ignore string // -ignore, default ""
}

// An Input is one benchmark file: its contents, and the name benchstat
// knows it by (the path given on its command line, its .file key).
type Input struct {
	Name string
	Data []byte
}

// Stat does what benchstat's main function does with args and inputs, at
// the default confidence (0.95) and α (0.05), and returns the tables
// that benchstat would print.
func Stat(args Args, inputs ...Input) (*Tables, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("benchstat: no input")
	}
	filter, err := benchproc.NewFilter(or(args.Filter, "*"))
	if err != nil {
		return nil, fmt.Errorf("parsing -filter: %w", err)
	}
	var parser benchproc.ProjectionParser
	tableBy, _, err := parser.ParseWithUnit(or(args.Table, ".config"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -table: %w", err)
	}
	rowBy, err := parser.Parse(or(args.Row, ".fullname"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -row: %w", err)
	}
	colBy, err := parser.Parse(or(args.Col, ".file"), filter)
	if err != nil {
		return nil, fmt.Errorf("parsing -col: %w", err)
	}
	if _, err := parser.Parse(args.Ignore, filter); err != nil {
		return nil, fmt.Errorf("parsing -ignore: %w", err)
	}
	residue := parser.Residue()

	stat := NewBuilder(tableBy, rowBy, colBy, residue)
	var reader benchfmt.Reader
	for _, in := range inputs {
		// Reset as benchfmt.Files does, so that .file is the input's name.
		reader.Reset(bytes.NewReader(in.Data), in.Name, ".file", in.Name)
		for reader.Scan() {
			switch rec := reader.Result().(type) {
			case *benchfmt.SyntaxError:
				return nil, rec
			case *benchfmt.Result:
				if ok, _ := filter.Apply(rec); ok {
					stat.Add(rec)
				}
			}
		}
		if err := reader.Err(); err != nil {
			return nil, err
		}
	}
	thresholds := benchmath.DefaultThresholds
	return stat.ToTables(TableOpts{
		Confidence: 0.95,
		Thresholds: &thresholds,
		Units:      reader.Units(),
	}), nil
}

// Text returns the tables as benchstat prints them.
func (t *Tables) Text() (string, error) {
	var b strings.Builder
	if err := t.ToText(&b, false); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Command returns the benchstat command line that prints what Stat(args,
// inputs named names) returns, for a reader to paste into a shell.
func (a Args) Command(names ...string) string {
	words := []string{"go", "tool", "benchstat"}
	for _, f := range []struct{ flag, value string }{
		{"-filter", a.Filter}, {"-table", a.Table}, {"-row", a.Row}, {"-col", a.Col}, {"-ignore", a.Ignore},
	} {
		if f.value != "" {
			words = append(words, f.flag, shellQuote(f.value))
		}
	}
	for _, n := range names {
		words = append(words, shellQuote(n))
	}
	return strings.Join(words, " ")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that are safe bare.
func shellQuote(s string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,=:@%+", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
