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

// TestClaimBreaks: each row changes the data under a claim the page
// depends on in one way, and says how the check must fail. A flipped
// direction and a difference that is not significant both fail it, and
// the page then says that the claim does not hold, never the sentence.
func TestClaimBreaks(t *testing.T) {
	seq := "tasks=3/variant=sequential"
	gor := "tasks=3/variant=goroutines"
	tests := []struct {
		name    string
		give    map[string]float64
		claim   Claim
		wantErr string
	}{
		{
			// 30/20 = 1.5x: faster, significant, but not the 2.5x to 3.5x claimed.
			name:    "too_small",
			give:    map[string]float64{seq: 30e6, gor: 20e6},
			claim:   threeSleeps,
			wantErr: "goroutines/sequential is 0.667 (1.5x less), want 0.286 to 0.4",
		},
		{
			// Spawned is slower: the direction has flipped.
			name:    "flipped",
			give:    map[string]float64{seq: 10e6, gor: 30e6},
			claim:   threeSleeps,
			wantErr: "goroutines/sequential is 3 (3.0x more)",
		},
		{
			// 2 % apart, but the samples overlap: no significant
			// difference, though the ratio is inside the band claimed.
			name: "not_significant",
			give: map[string]float64{seq: 10.2e6, gor: 10e6},
			claim: func() Claim {
				c := threeSleeps
				c.Want = TimesLess(1.01, 2)
				return c
			}(),
			wantErr: "the difference is not significant (p=0.589 n=6)",
		},
		{
			name: "out_of_range",
			give: map[string]float64{seq: 30e6, gor: 16e6},
			claim: Claim{
				ID: "one", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
				Other: "goroutines", Want: Between(10e-3, 15e-3),
				Say: `{{.Other}} for a 10 ms sleep.`,
			},
			wantErr: "goroutines sec/op is 16.0 ms, want 10.0 ms to 15.0 ms",
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := tt.claim.Eval(overlapping(sleepRun(tt.give, seq, gor), tt.name == "not_significant"))

			require.NoError(t, err, "Eval: the claim can be evaluated")
			assert.False(t, got.Held, "Held")
			assert.ErrorContains(t, got.Err, tt.wantErr, "the check fails")
			assert.Equal(t, "**Claim "+tt.claim.ID+" does not hold on this run: ", got.Text[:len("**Claim "+tt.claim.ID+" does not hold on this run: ")],
				"the page says so, in place of the sentence")
		})
	}
}

// overlapping spreads the results of a run made by sleepRun by ±5 %
// instead of ±0.5 %, when spread is set, so that medians 2 % apart are
// not significantly different.
func overlapping(in Input, spread bool) Input {
	if !spread {
		return in
	}
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(string(in.Data), "\n"), "\n") {
		name, ns, ok := strings.Cut(line, "\t10\t")
		if !ok {
			b.WriteString(line + "\n")
			continue
		}
		var v float64
		fmt.Sscanf(ns, "%g ns/op", &v)
		fmt.Fprintf(&b, "%s\t10\t%.0f ns/op\n", name, v*(1+float64(i%6-2)*0.02))
	}
	return Input{Name: in.Name, Data: []byte(b.String())}
}

// TestClaimElse: a claim the page can do without says its Else where the
// data do not bear it out, with the U-test's verdict and no ratio when
// the difference is not significant, and nothing fails. The article's
// headline is the model: gevent's server completes more transactions
// than app.run(), until a run in which it does not.
func TestClaimElse(t *testing.T) {
	headline := Claim{
		ID: "gevent-flask", Filter: ".name:Hello", Col: "/server", Unit: "trans/s",
		Base: "flask", Other: "gevent", Want: Times(1, 5),
		Say:  "gevent {{.Other}} against {{.Base}}, {{.Times}} more ({{.P}}).",
		Else: "gevent {{.Other}} against {{.Base}}: {{.Verdict}}.",
	}
	tests := []struct {
		name          string
		flask, gevent float64
		spread        float64 // each result's distance from the median, a share of it
		wantHeld      bool
		wantText      string
		wantTimes     string // the ratio, which only a significant difference states
	}{
		{name: "holds", flask: 4404, gevent: 4780, spread: 0.005, wantHeld: true,
			wantText: "gevent 4780 trans/s against 4404 trans/s, 1.1x more (p=0.002 n=6).", wantTimes: "1.1x"},
		{name: "flipped", flask: 4780, gevent: 4404, spread: 0.005,
			wantText: "gevent 4404 trans/s against 4780 trans/s: 1.1x lower (p=0.002 n=6).", wantTimes: "1.1x"},
		{name: "not_significant", flask: 2631, gevent: 2578, spread: 0.05,
			wantText: "gevent 2578 trans/s against 2631 trans/s: no significant difference (p=0.394 n=6).", wantTimes: ""},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			var b strings.Builder
			for _, s := range []struct {
				name  string
				trans float64
			}{{"flask", tt.flask}, {"gevent", tt.gevent}} {
				for i := range 6 {
					fmt.Fprintf(&b, "BenchmarkHello/server=%s 1 %.1f trans/s\n", s.name, s.trans*(1+float64(2*i-5)/5*tt.spread))
				}
			}

			got, err := headline.Eval(Input{Name: "hello.txt", Data: []byte(b.String())})

			require.NoError(t, err, "Eval")
			assert.Equal(t, tt.wantHeld, got.Held, "Held")
			assert.NoError(t, got.Err, "a claim with an Else fails nothing")
			assert.Equal(t, tt.wantText, got.Text)
			assert.Equal(t, tt.wantTimes, got.Times, "Times")
		})
	}
}

// threeSleepsWith is threeSleeps as change changes it.
func threeSleepsWith(change func(c *Claim)) Claim {
	c := threeSleeps
	change(&c)
	return c
}

// TestClaimMalformed: a comparison without a direction, and an Else that
// hides the verdict, are refused whatever the data.
func TestClaimMalformed(t *testing.T) {
	in := sleepRun(map[string]float64{"tasks=3/variant=sequential": 10e6, "tasks=3/variant=goroutines": 30e6},
		"tasks=3/variant=sequential", "tasks=3/variant=goroutines")
	tests := []struct {
		name string
		give Claim
		want string
	}{
		{name: "no_direction", give: threeSleepsWith(func(c *Claim) { c.Want = Times(0.5, 3) }), want: "want 0.5 to 3 includes 1: a comparison asserts a direction"},
		{name: "else_without_verdict", give: threeSleepsWith(func(c *Claim) { c.Else = "{{.Times}} faster" }), want: "its Else must state .Verdict"},
	}
	for _, tt := range tests {
		_, err := tt.give.Eval(in)
		assert.ErrorContains(t, err, tt.want, "case %s", tt.name)
	}
}

// TestClaimUnsaid: a claim the page can do without says nothing when a
// column it compares was not measured, and says why; one the page
// depends on cannot be evaluated, nor can a claim with a mistake in it.
func TestClaimUnsaid(t *testing.T) {
	in := sleepRun(map[string]float64{"tasks=3/variant=sequential": 30e6, "tasks=3/variant=goroutines": 10e6},
		"tasks=3/variant=sequential", "tasks=3/variant=goroutines")
	optional := threeSleeps
	optional.Other, optional.Else = "pool", "{{.Verdict}}"

	got, err := optional.Eval(in)

	require.NoError(t, err)
	assert.Empty(t, got.Text)
	assert.Contains(t, got.Unsaid, `no column "sequential" or "pool"`)
	required := optional
	required.Else = ""
	_, err = required.Eval(in)
	assert.ErrorContains(t, err, `no column "sequential" or "pool"`)
	malformed := optional
	malformed.Filter = ".name:/Sleep/tasks/"
	_, err = malformed.Eval(in)
	assert.ErrorContains(t, err, "parsing -filter", "a mistake in the claim is no missing tool")
}

// TestClaimBaseUnit: a claim may set two units of one column side by
// side: the open loop's corrected p99 against its service p99.
func TestClaimBaseUnit(t *testing.T) {
	var b strings.Builder
	for i := range 6 {
		f := 1 + float64(2*i-5)*0.001
		fmt.Fprintf(&b, "BenchmarkOffered/rate=10000 1 %.3f p99-ms %.3f svc-p99-ms\n", 36*f, 28*f)
	}
	claim := Claim{
		ID: "slots", Filter: ".name:Offered", Col: ".name", Unit: "p99-ms",
		Base: "Offered", BaseUnit: "svc-p99-ms", Other: "Offered", Want: Times(1.05, 10),
		Say: "{{.Other}} corrected against {{.Base}} service: {{.Times}} more ({{.P}}).",
	}

	got, err := claim.Eval(Input{Name: "offered.txt", Data: []byte(b.String())})

	require.NoError(t, err)
	assert.NoError(t, got.Err)
	assert.Equal(t, "36.0 ms corrected against 28.0 ms service: 1.3x more (p=0.002 n=6).", got.Text)
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
		{name: "one_fails", give: 900e6, wantText: "**Claim all does not hold on this run: Sleep/tasks=100-2: goroutines/sequential is 0.9 (1.1x less), want 0.01 to 0.5.**", wantErr: true},
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
	tests := []struct {
		name string
		give Claim
		want string
	}{
		{name: "no_such_unit", give: threeSleepsWith(func(c *Claim) { c.Unit = "peak-B" }), want: "no peak-B results"},
		{name: "no_such_column", give: threeSleepsWith(func(c *Claim) { c.Other = "pool" }), want: `no column "sequential" or "pool"`},
		{name: "no_rows", give: threeSleepsWith(func(c *Claim) { c.Filter = ".name:Fetch" }), want: "no sec/op results"},
		{name: "bad_filter", give: threeSleepsWith(func(c *Claim) { c.Filter = "(" }), want: "parsing -filter"},
		{name: "bad_template", give: threeSleepsWith(func(c *Claim) { c.Say = "{{.Nope}}" }), want: "can't evaluate field Nope"},
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
		// What benchstat prints as 8.616Mi and 161.4Mi peak-B.
		{give: 9.0345e6, unit: "peak-B", want: "8.62 MiB"},
		{give: 169.24e6, unit: "peak-B", want: "161 MiB"},
		{give: 2.29e9, unit: "peak-RSS-B", want: "2.13 GiB"},
		{give: 13.43, unit: "peak-RSS-MiB", want: "13.4 MiB"},
		// What benchstat prints as 192.7m p99-ms.
		{give: 0.1927, unit: "p99-ms", want: "0.193 ms"},
		{give: 1131, unit: "p99-ms", want: "1131 ms"},
		{give: 9.425, unit: "cpu-us/trans", want: "9.43 µs/trans"},
		{give: 2009, unit: "trans/s", want: "2009 trans/s"},
		{give: 99.5, unit: "avail-%", want: "99.5 %"},
		{give: 0, unit: "failed", want: "0 failed"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quantity(tt.give, tt.unit), "quantity(%g, %q)", tt.give, tt.unit)
	}
}
