// A claim's sentence says what the data say, and its check fails when the
// data stop bearing out what it asserts: in direction, in size, or in
// significance.
//
//	go test -run 'Claim|Quantity' ./internal/benchdocs
package benchdocs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sleepRun makes a benchmark file: six results for each name, spread by ±0.5 %
// around its ns/op (so that six against six is significant, p=0.002).
// Each key of perOp is a name after "BenchmarkSleep/".
func sleepRun(perOp map[string]float64, order ...string) Input {
	var b strings.Builder
	b.WriteString("goos: linux\n")
	for _, name := range order {
		for i := range 6 {
			ns := perOp[name] * (1 + float64(2*i-5)*0.001)
			fmt.Fprintf(&b, "BenchmarkSleep/%s-2\t10\t%.0f ns/op\n", name, ns)
		}
	}
	return Input{Name: "run.txt", Data: []byte(b.String())}
}

var threeSleeps = Claim{
	ID: "three", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
	Base: "sequential", Other: "goroutines", Want: TimesLess(2.5, 3.5),
	Say: `{{.Base}} in order, {{.Other}} spawned: {{.Times}} {{if .Lower}}faster{{else}}slower{{end}} ({{.P}}).`,
}

func TestClaimHolds(t *testing.T) {
	in := sleepRun(map[string]float64{
		"tasks=3/variant=sequential": 30e6,
		"tasks=3/variant=goroutines": 10e6,
	}, "tasks=3/variant=sequential", "tasks=3/variant=goroutines")

	got, err := threeSleeps.Eval(in)

	require.NoError(t, err)
	assert.NoError(t, got.Err, "30 ms against 10 ms is 3x, inside 2.5x to 3.5x")
	assert.Equal(t, "30.0 ms in order, 10.0 ms spawned: 3.0x faster (p=0.002 n=6).", got.Text)
	assert.Equal(t, "3.0x", got.Times)
}

// TestClaimAgreesWithBenchstat: a claim's medians and U-test are the
// ones go tool benchstat prints for the claim's filter and columns, in
// full in its CSV form.
func TestClaimAgreesWithBenchstat(t *testing.T) {
	order := []string{
		"tasks=3/variant=sequential", "tasks=3/variant=goroutines",
		"tasks=100/variant=sequential", "tasks=100/variant=goroutines",
	}
	in := sleepRun(map[string]float64{order[0]: 30.3e6, order[1]: 10.1e6, order[2]: 1.01e9, order[3]: 10.7e6}, order...)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, in.Name), in.Data, 0o644))
	claim := Claim{
		ID: "all", Filter: ".name:Sleep", Col: "/variant", Unit: "sec/op",
		Base: "sequential", Other: "goroutines", Want: TimesLess(2, 100), Say: `{{.Times}}`,
	}
	args := Args{Filter: claim.Filter, Col: claim.Col}

	got, err := claim.Eval(in)
	require.NoError(t, err)
	out := goToolBenchstat(t, "csv", args, filepath.Join(dir, in.Name))

	require.Len(t, got.Rows, 2)
	for _, row := range got.Rows {
		want := csvCells(t, out, claim.Unit, row.Name)
		assert.Equal(t, want[claim.Base][0], fmt.Sprint(row.BaseValue), "%s: %s's median, against %s -format csv", row.Name, claim.Base, args.command(in.Name))
		assert.Equal(t, want[claim.Other][0], fmt.Sprint(row.OtherValue), "%s: %s's median", row.Name, claim.Other)
		assert.Equal(t, want[claim.Other][3], row.P, "%s: %s against %s", row.Name, claim.Other, claim.Base)
	}
}

// csvCells finds the row labelled row in the table of unit of benchstat
// -format csv's output, and returns its fields by column: the median, the
// interval, and after the first column, the change and the U-test.
func csvCells(tb testing.TB, out, unit, row string) map[string][]string {
	tb.Helper()
	lines := strings.Split(out, "\n")
	for i := 1; i < len(lines); i++ {
		head := strings.Split(lines[i], ",")
		if len(head) < 3 || head[1] != unit || head[2] != "CI" {
			continue
		}
		cols := strings.Split(lines[i-1], ",")
		for _, line := range lines[i+1:] {
			fields := strings.Split(line, ",")
			if fields[0] != row {
				continue
			}
			cells := map[string][]string{}
			for j, name := range cols {
				if name != "" {
					cells[name] = fields[j:min(j+4, len(fields))]
				}
			}
			return cells
		}
	}
	require.Failf(tb, "no such row", "no row %q in the %s table of:\n%s", row, unit, out)
	return nil
}

// TestClaimBreaks: each row changes the data under a claim in one way
// and says how the check must fail.
func TestClaimBreaks(t *testing.T) {
	seq := "tasks=3/variant=sequential"
	gor := "tasks=3/variant=goroutines"
	tests := []struct {
		name     string
		give     map[string]float64
		claim    Claim
		wantText string
		wantErr  string
	}{
		{
			// 30/20 = 1.5x: faster, significant, but not the 2.5x to 3.5x claimed.
			name:     "too_small",
			give:     map[string]float64{seq: 30e6, gor: 20e6},
			claim:    threeSleeps,
			wantText: "30.0 ms in order, 20.0 ms spawned: 1.5x faster (p=0.002 n=6).",
			wantErr:  "goroutines/sequential is 0.667 (1.5x less), want 0.286 to 0.4",
		},
		{
			// Spawned is slower: the sentence says so, and the check fails.
			name:     "wrong_direction",
			give:     map[string]float64{seq: 10e6, gor: 30e6},
			claim:    threeSleeps,
			wantText: "10.0 ms in order, 30.0 ms spawned: 3.0x slower (p=0.002 n=6).",
			wantErr:  "goroutines/sequential is 3 (3.0x more)",
		},
		{
			// The same medians: within a claim of "about the same", but a
			// comparison claim must also be significant.
			name: "not_significant",
			give: map[string]float64{seq: 10e6, gor: 10e6},
			claim: func() Claim {
				c := threeSleeps
				c.Want = Times(0.5, 2)
				return c
			}(),
			wantText: "10.0 ms in order, 10.0 ms spawned: 1.0x slower (p=1.000 n=6).",
			wantErr:  "not significant (p=1.000 n=6)",
		},
		{
			name: "out_of_range",
			give: map[string]float64{seq: 30e6, gor: 16e6},
			claim: Claim{
				ID: "one", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
				Other: "goroutines", Want: Between(10e-3, 15e-3),
				Say: `{{.Other}} for a 10 ms sleep.`,
			},
			wantText: "16.0 ms for a 10 ms sleep.",
			wantErr:  "goroutines sec/op is 16.0 ms, want 10.0 ms to 15.0 ms",
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := tt.claim.Eval(sleepRun(tt.give, seq, gor))

			require.NoError(t, err, "Eval: the claim can be evaluated")
			assert.Equal(t, tt.wantText, got.Text, "the sentence says what the data say")
			assert.ErrorContains(t, got.Err, tt.wantErr, "the check fails")
		})
	}
}

// TestClaimWithoutUTest: three runs against three cannot be significant;
// a claim that says so asserts the ratio alone.
func TestClaimWithoutUTest(t *testing.T) {
	var b strings.Builder
	for _, r := range []struct {
		runtime string
		ns      float64
	}{{"gevent", 42e9}, {"gevent", 43e9}, {"gevent", 44e9}, {"go", 3.5e9}, {"go", 3.6e9}, {"go", 3.7e9}} {
		fmt.Fprintf(&b, "BenchmarkFanout/tasks=1000000/runtime=%s 1 %.0f ns/op\n", r.runtime, r.ns)
	}
	in := Input{Name: "fanout.txt", Data: []byte(b.String())}
	claim := Claim{
		ID: "fanout", Filter: ".name:Fanout", Col: "/runtime", Unit: "sec/op",
		Base: "gevent", Other: "go", Want: TimesLess(5, 20),
		Say: `{{.Base}} against {{.Other}}: {{.Times}} ({{.P}}).`,
	}
	tests := []struct {
		name    string
		noUTest bool
		wantErr string
	}{
		{name: "u_test", noUTest: false, wantErr: "the difference is not significant (p=0.100 n=3)"},
		{name: "no_u_test", noUTest: true},
	}
	for _, tt := range tests {
		c := claim
		c.NoUTest = tt.noUTest

		got, err := c.Eval(in)

		require.NoError(t, err, "case %s", tt.name)
		assert.Equal(t, "43.0 s against 3.60 s: 12x (p=0.100 n=3).", got.Text, "case %s", tt.name)
		if tt.wantErr != "" {
			assert.ErrorContains(t, got.Err, tt.wantErr, "case %s", tt.name)
			continue
		}
		assert.NoError(t, got.Err, "case %s: 12x is inside 5x to 20x", tt.name)
	}
}

// TestClaimEveryRow: a claim over several rows must hold in each.
func TestClaimEveryRow(t *testing.T) {
	claim := Claim{
		ID: "all", Filter: ".name:Sleep", Col: "/variant", Unit: "sec/op",
		Base: "sequential", Other: "goroutines", Want: TimesLess(2, 100),
		Say: `{{.Times}} faster in {{len .Rows}} rows.`,
	}
	order := []string{"tasks=3/variant=sequential", "tasks=3/variant=goroutines", "tasks=100/variant=sequential", "tasks=100/variant=goroutines"}
	tests := []struct {
		name     string
		give     float64 // goroutines at tasks=100
		wantText string
		wantErr  bool
	}{
		{name: "both", give: 11e6, wantText: "3.0x to 91x faster in 2 rows.", wantErr: false},
		{name: "one_fails", give: 900e6, wantText: "1.1x to 3.0x faster in 2 rows.", wantErr: true},
	}
	for _, tt := range tests {
		in := sleepRun(map[string]float64{order[0]: 30e6, order[1]: 10e6, order[2]: 1e9, order[3]: tt.give}, order...)

		got, err := claim.Eval(in)

		require.NoError(t, err, "case %s", tt.name)
		assert.Equal(t, tt.wantText, got.Text, "case %s", tt.name)
		assert.Equal(t, tt.wantErr, got.Err != nil, "case %s: Err = %v", tt.name, got.Err)
	}
}

func TestClaimCannotEval(t *testing.T) {
	in := sleepRun(map[string]float64{"tasks=3/variant=sequential": 30e6, "tasks=3/variant=goroutines": 10e6},
		"tasks=3/variant=sequential", "tasks=3/variant=goroutines")
	edit := func(f func(c *Claim)) Claim {
		c := threeSleeps
		f(&c)
		return c
	}
	tests := []struct {
		name string
		give Claim
		want string
	}{
		{name: "no_such_unit", give: edit(func(c *Claim) { c.Unit = "peak-B" }), want: "no peak-B results"},
		{name: "no_such_column", give: edit(func(c *Claim) { c.Other = "pool" }), want: `no column "sequential" or "pool"`},
		{name: "no_rows", give: edit(func(c *Claim) { c.Filter = ".name:Fetch" }), want: "no sec/op results"},
		{name: "bad_filter", give: edit(func(c *Claim) { c.Filter = "(" }), want: "parsing -filter"},
		{name: "bad_template", give: edit(func(c *Claim) { c.Say = "{{.Nope}}" }), want: "can't evaluate field Nope"},
	}
	for _, tt := range tests {
		_, err := tt.give.Eval(in)
		assert.ErrorContains(t, err, tt.want, "case %s", tt.name)
	}
}

func TestQuantity(t *testing.T) {
	tests := []struct {
		give float64
		unit string
		want string
	}{
		{give: 0.0109, unit: "sec/op", want: "10.9 ms"},
		{give: 1.0871, unit: "sec/op", want: "1.09 s"},
		{give: 654e-9, unit: "sec/task", want: "654 ns/task"},
		{give: 12.5e-9, unit: "sec/op", want: "12.5 ns"},
		{give: 8.97e6, unit: "peak-B", want: "8.97 MB"},
		{give: 155.7e6, unit: "peak-B", want: "156 MB"},
		{give: 2009, unit: "trans/s", want: "2009 trans/s"},
		{give: 99.5, unit: "avail-%", want: "99.5 avail-%"},
		{give: 0, unit: "failed", want: "0 failed"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quantity(tt.give, tt.unit), "quantity(%g, %q)", tt.give, tt.unit)
	}
}
