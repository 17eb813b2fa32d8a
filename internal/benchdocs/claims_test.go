// A claim holds on the committed runs, and stops holding on copies of them
// changed as a rerun might change them: flipped, halved, thinned out,
// made insignificant. A page that depends on a claim then fails with the
// sentence it would have said; a page that can do without it says the
// verdict instead.
//
//	go test -run 'Claim|Block|Quantity' ./internal/benchdocs
package benchdocs

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// root is the module's root, where testdata/ and docs/ are.
const root = "../.."

var threeSleeps = Claim{
	ID: "three", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op",
	Base: "sequential", Other: "goroutines", Want: Want{Min: 1 / 3.5, Max: 1 / 2.5},
}

// sleepClaims declare threeSleeps and a range claim, as the head of a page.
const sleepClaims = `{{/* claims
three filter:".name:Sleep /tasks:3" col:"/variant" unit:"sec/op" base:"sequential" other:"goroutines" want:"less 2.5 3.5"
one filter:".name:Sleep /tasks:3" col:"/variant" unit:"sec/op" other:"goroutines" want:"between 10ms 15ms"
*/}}
`

// committedRun is a committed file, as Render reads it.
func committedRun(tb testing.TB, path string) Input {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	require.NoError(tb, err)
	return Input{Name: path, Data: data}
}

// edited is a copy of in in which edit changes each result, or drops it
// where it returns false. The reader tidies values into base units
// ("sec/op"), which are what edit sees and what the copy says.
func edited(tb testing.TB, in Input, edit func(res *benchfmt.Result) bool) Input {
	tb.Helper()
	var b bytes.Buffer
	w := benchfmt.NewWriter(&b)
	rd := benchfmt.NewReader(bytes.NewReader(in.Data), in.Name)
	for rd.Scan() {
		rec := rd.Result()
		if res, ok := rec.(*benchfmt.Result); ok {
			if !edit(res) {
				continue
			}
			for i := range res.Values {
				res.Values[i].OrigUnit = "" // the writer writes Value, tidied
			}
		}
		require.NoError(tb, w.Write(rec))
	}
	require.NoError(tb, rd.Err())
	return Input{Name: in.Name, Data: b.Bytes()}
}

// scaled multiplies the values of unit (tidied: "sec/op") of the results
// whose name contains each of parts by f.
func scaled(unit string, f float64, parts ...string) func(*benchfmt.Result) bool {
	return func(res *benchfmt.Result) bool {
		for _, p := range parts {
			if !strings.Contains(string(res.Name), p) {
				return true
			}
		}
		for i := range res.Values {
			if res.Values[i].Unit == unit {
				res.Values[i].Value *= f
			}
		}
		return true
	}
}

func TestClaimEval(t *testing.T) {
	sleep := committedRun(t, "testdata/bench/sleep.txt")
	spawned := "/tasks=3/workers=2/variant=goroutines-"
	committed, err := threeSleeps.Eval(sleep)
	require.NoError(t, err, "Eval on the committed run")
	require.True(t, committed.Held, "on the committed run: %s", committed.Why)
	require.Regexp(t, `^\d+\.\dx$`, committed.Factor, "on the committed run: a significant factor")
	kept := 0
	tests := []struct {
		name        string
		give        Input
		wantHeld    bool
		wantRatio   float64 // goroutines/sequential
		wantVerdict string  // a regular expression
		wantWhy     string  // a regular expression
	}{
		{
			name: "committed", give: sleep, wantHeld: true, wantRatio: committed.Ratio,
			wantVerdict: `^` + regexp.QuoteMeta(committed.Factor) + ` lower \(p=0\.000 n=10\)$`,
		},
		{
			// In order and spawned trade places.
			name: "flipped",
			give: edited(t, sleep, func(res *benchfmt.Result) bool {
				res.Name = benchfmt.Name(strings.NewReplacer("variant=sequential", "variant=goroutines", "variant=goroutines", "variant=sequential").Replace(string(res.Name)))
				return true
			}),
			wantRatio:   1 / committed.Ratio,
			wantVerdict: `^` + regexp.QuoteMeta(committed.Factor) + ` higher \(p=0\.000 n=10\)$`,
			wantWhy:     `goroutines/sequential is [\d.]+ \(` + regexp.QuoteMeta(committed.Factor) + ` more\), want 0\.286 to 0\.4$`,
		},
		{
			// Spawned takes twice as long: half the speedup.
			name: "halved", give: edited(t, sleep, scaled("sec/op", 2, spawned)),
			wantRatio:   2 * committed.Ratio,
			wantVerdict: `^\d+\.\dx lower \(p=0\.000 n=10\)$`,
			wantWhy:     `goroutines/sequential is [\d.]+ \(\d+\.\dx less\), want 0\.286 to 0\.4$`,
		},
		{
			// One result of ten left spawned, the fastest of all: no
			// U-test can find a difference, and no ratio is stated.
			name: "thinned_out",
			give: edited(t, sleep, func(res *benchfmt.Result) bool {
				if strings.Contains(string(res.Name), spawned) {
					kept++
					return kept == 1
				}
				return true
			}),
			wantVerdict: `^the U-test cannot tell them apart at n=10\+1 \(p=0\.182\)$`,
			wantWhy:     `the difference is not significant \(p=0\.182 n=10\+1\)$`,
		},
		{
			// Spawned as long as in order: the same median.
			name: "insignificant", give: edited(t, sleep, scaled("sec/op", 1/committed.Ratio, spawned)),
			wantRatio:   1,
			wantVerdict: `^the U-test cannot tell them apart at n=10 \(p=0\.(0[5-9]|[1-9])\d*\)$`,
			wantWhy:     `goroutines/sequential is 1 \(1\.0x more\), want 0\.286 to 0\.4, the difference is not significant \(p=0\.\d+ n=10\)$`,
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := threeSleeps.Eval(tt.give)

			require.NoError(t, err, "Eval")
			assert.Equal(t, tt.wantHeld, got.Held, "Held")
			if tt.wantRatio != 0 {
				assert.InEpsilon(t, tt.wantRatio, got.Ratio, 1e-9, "Ratio")
			}
			assert.Equal(t, got.Factor != "", strings.Contains(tt.wantVerdict, "x "), "Factor %q: stated only where significant", got.Factor)
			assert.Len(t, got.Rows, 1, "Rows")
			assert.Regexp(t, tt.wantVerdict, got.Verdict, "Verdict")
			assert.Regexp(t, tt.wantWhy, got.Why, "Why")
		})
	}
}

// TestClaimAgreesWithBenchstat: a claim's medians and U-tests are the
// ones go tool benchstat prints for its filter and columns, in full in
// its CSV form.
func TestClaimAgreesWithBenchstat(t *testing.T) {
	file := "testdata/bench/sleep.txt"
	for _, tasks := range []string{"3", "100"} {
		claim := Claim{
			ID: "tasks-" + tasks, Filter: ".name:Sleep /tasks:" + tasks, Col: "/variant", Unit: "sec/op",
			Base: "sequential", Other: "goroutines", Want: Want{Min: 0.01, Max: 0.5},
		}
		args := Args{Filter: claim.Filter, Col: claim.Col}

		got, err := claim.Eval(committedRun(t, file))
		require.NoError(t, err)
		out := goToolBenchstat(t, "csv", args, filepath.Join(root, file))

		want := csvCells(t, out, claim.Unit, got.Name)
		assert.Equal(t, want[claim.Base][0], fmt.Sprint(got.BaseValue), "%s: %s's median, against %s -format csv", got.Name, claim.Base, args.command(file))
		assert.Equal(t, want[claim.Other][0], fmt.Sprint(got.OtherValue), "%s: %s's median", got.Name, claim.Other)
		assert.Equal(t, want[claim.Other][3], got.P, "%s: %s against %s", got.Name, claim.Other, claim.Base)
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

func TestClaimCannotEval(t *testing.T) {
	sleep := committedRun(t, "testdata/bench/sleep.txt")
	tests := []struct {
		name   string
		change func(c *Claim)
		want   string
	}{
		{name: "no_direction", change: func(c *Claim) { c.Want = Want{Min: 0.5, Max: 3} }, want: "want 0.5 to 3 includes 1: a comparison wants a direction"},
		{name: "no_such_unit", change: func(c *Claim) { c.Unit = "trans/s" }, want: "no trans/s results"},
		{name: "no_such_column", change: func(c *Claim) { c.Other = "threads" }, want: `not measured: /variant has no column "sequential" or "threads"`},
		{name: "no_rows", change: func(c *Claim) { c.Filter = ".name:Fetch" }, want: "no sec/op results"},
		{name: "bad_filter", change: func(c *Claim) { c.Filter = "(" }, want: "parsing -filter"},
		{name: "more_than_one_row", change: func(c *Claim) { c.Filter = ".name:Sleep /tasks:(3 OR 100)" }, want: "2 rows: a comparison is of one row; narrow the filter"},
	}
	for _, tt := range tests {
		c := threeSleeps
		tt.change(&c)

		_, err := c.Eval(sleep)

		assert.ErrorContains(t, err, tt.want, "case %s", tt.name)
	}
}

// claimsOf returns a page's {{claim}} actions, wherever they are in it,
// in its order, and whether each gives a second sentence, for where the
// claim does not hold.
func claimsOf(tb testing.TB, src string) (actions []string, optional map[string]bool) {
	tb.Helper()
	tree := parse.New("page")
	tree.Mode = parse.SkipFuncCheck
	_, err := tree.Parse(src, "", "", map[string]*parse.Tree{})
	require.NoError(tb, err)
	optional = map[string]bool{}
	add := func(p *parse.PipeNode) {
		if args := p.Cmds[0].Args; args[0].String() == "claim" {
			actions = append(actions, "{{"+p.String()+"}}")
			optional[args[1].(*parse.StringNode).Text] = len(args) == 4
		}
	}
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		for _, n := range l.Nodes {
			var branch *parse.BranchNode
			switch n := n.(type) {
			case *parse.IfNode:
				branch = &n.BranchNode
			case *parse.RangeNode:
				branch = &n.BranchNode
			case *parse.WithNode:
				branch = &n.BranchNode
				add(n.Pipe)
			case *parse.ActionNode:
				add(n.Pipe)
			}
			if branch != nil {
				walk(branch.List)
				if branch.ElseList != nil {
					walk(branch.ElseList)
				}
			}
		}
	}
	walk(tree.Root)
	return actions, optional
}

func TestClaimsOf(t *testing.T) {
	got, optional := claimsOf(t, `{{claim "a" "A."}} {{if true}}{{claim "b" "B." "{{.Verdict}}."}}{{end}} {{with 1}}{{claim "c" "C."}}{{end}}
{{with claim "d" "D." "{{.Verdict}}."}}{{.}}{{else}}not measured{{end}}`)

	assert.Equal(t, []string{`{{claim "a" "A."}}`, `{{claim "b" "B." "{{.Verdict}}."}}`, `{{claim "c" "C."}}`, `{{claim "d" "D." "{{.Verdict}}."}}`}, got)
	assert.Equal(t, map[string]bool{"a": false, "b": true, "c": false, "d": true}, optional)
}

// TestClaimMistakes: a page that states a claim the experiment lacks, or
// without a sentence, an experiment whose claim no page states, and a
// second sentence that hides the verdict are refused, whatever the data.
func TestClaimMistakes(t *testing.T) {
	tests := []struct {
		name string
		page string
		want string
	}{
		{name: "no_such_claim", page: `{{claim "four" "."}}`, want: `claim "four": want a claim the page declares`},
		{name: "no_sentence", page: `{{claim "one"}}`, want: `claim "one": want a claim the page declares, its sentence`},
		{name: "claim_said_nowhere", page: `{{claim "one" "{{.Other}}"}}`, want: `claim three is said nowhere: write {{claim "three" ...}} where it is said`},
		{
			name: "otherwise_without_verdict", page: `{{claim "one" "{{.Other}}"}} {{claim "three" "{{.Factor}} faster." "{{.Factor}} faster, or not."}}`,
			want: `claim three: its second sentence must state {{.Verdict}} ("FACTOR lower (p=0.000 n=10)"): "FACTOR faster, or not."`,
		},
		{name: "bad_sentence", page: `{{claim "one" "{{.Nope}}"}} {{claim "three" "."}}`, want: `claim one: template: one:1:2: executing "one" at <.Nope>`},
	}
	committed, err := threeSleeps.Eval(committedRun(t, "testdata/bench/sleep.txt"))
	require.NoError(t, err, "Eval on the committed run")
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			e := Experiments[slices.IndexFunc(Experiments, func(e Experiment) bool { return e.Name == "sleep" })]
			e.Page = sleepClaims + tt.page

			_, err := Render(root, []Experiment{e})

			assert.ErrorContains(t, err, strings.ReplaceAll(tt.want, "FACTOR", committed.Factor))
		})
	}
}

// TestEveryClaimBreaks changes a copy of the committed runs under each
// claim of each page until it no longer holds: a comparison's ratio to the
// other side of 1, a range claim's median past its bounds. A claim that
// its page depends on then fails the rendering with the sentence it would
// have said, and the page says so in its place; a claim that the page can
// do without leaves the page saying what the data say instead. The page
// rendered is the real page's claims alone, without its tables and plots,
// which take longer and say nothing of claims.
func TestEveryClaimBreaks(t *testing.T) {
	for _, e := range Experiments {
		if len(e.Runs) == 0 {
			continue
		}
		src, err := pages.ReadFile("pages/" + e.Name + ".md")
		require.NoError(t, err)
		claims, err := ParseClaims(src)
		require.NoError(t, err)
		if len(claims) == 0 {
			continue
		}
		actions, optional := claimsOf(t, string(src))
		e.Page = string(claimsBlock.Find(src)) + strings.Join(actions, "\n")
		c, err := readCommitted(root, &e)
		require.NoError(t, err)
		for _, cl := range claims {
			inputs, err := c.inputs(cl.Inputs)
			require.NoError(t, err)
			committed, err := cl.Eval(inputs...)
			require.NoError(t, err, "on the committed runs")
			t.Run("page="+e.Name+"/claim="+cl.ID, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				copyTree(t, filepath.Join(root, BenchDir), filepath.Join(dir, BenchDir))
				var changed []Input
				for _, in := range inputs {
					in = edited(t, in, breaks(t, cl, committed, in.Name))
					changed = append(changed, in)
					require.NoError(t, os.WriteFile(filepath.Join(dir, in.Name), in.Data, 0o644))
				}
				broken, err := cl.Eval(changed...)
				require.NoError(t, err)
				require.False(t, broken.Held, "the change breaks the claim")

				out, err := Render(dir, []Experiment{e})

				require.NoError(t, err, "Render")
				page := string(out.Files["docs/"+e.Name+".md"])
				errs := fmt.Sprint(out.Broken)
				if optional[cl.ID] {
					assert.NotContains(t, errs, "claim "+cl.ID+" ", "Broken")
					assert.Contains(t, page, broken.Verdict, "the page states the verdict")
					return
				}
				assert.Contains(t, errs, e.Name+": claim "+cl.ID+" no longer holds: "+broken.Why+"\n\tits sentence would say: \"", "Broken")
				assert.Contains(t, page, "**Claim "+cl.ID+" does not hold on this run: "+broken.Why+".**", "the page says so")
			})
		}
	}
}

// breaks returns an edit of the results of the claim's column Other in
// file that breaks the claim: a comparison's ratios, which committed
// gives, go to the other side of 1; a range claim's median goes past its
// largest bound.
func breaks(tb testing.TB, cl Claim, committed *Outcome, file string) func(*benchfmt.Result) bool {
	tb.Helper()
	filter, err := benchproc.NewFilter(cl.Filter)
	require.NoError(tb, err)
	var parser benchproc.ProjectionParser
	col, err := parser.Parse(cl.Col, filter)
	require.NoError(tb, err)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range committed.Rows {
		lo, hi = min(lo, r.Ratio), max(hi, r.Ratio)
	}
	return func(res *benchfmt.Result) bool {
		if ok, _ := filter.Apply(res.Clone()); !ok {
			return true
		}
		column := col.Project(res).StringValues()
		if cl.Col == ".file" {
			column = file // benchstat's name for an input, which the reader here does not know
		}
		if column != cl.Other {
			return true
		}
		for i, v := range res.Values {
			switch {
			case v.Unit != cl.Unit:
			case cl.Base == "":
				res.Values[i].Value = 2*cl.Want.Max + 1
			case cl.Want.Max <= 1:
				res.Values[i].Value *= 2 / lo
			default:
				res.Values[i].Value *= 0.5 / hi
			}
		}
		return true
	}
}

func copyTree(tb testing.TB, from, to string) {
	tb.Helper()
	require.NoError(tb, os.CopyFS(to, os.DirFS(from)))
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
		{give: 71, unit: "failed", want: "71 failed"},
		{give: 20.5, unit: "failed", want: "20.5 failed"},
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

// TestParseClaims: a page's claims, as it declares them, and the lines it
// gets wrong, each refused with the line.
func TestParseClaims(t *testing.T) {
	claims, err := ParseClaims([]byte(sleepClaims + "# A page\n"))
	require.NoError(t, err)
	assert.Equal(t, []Claim{threeSleeps, {ID: "one", Filter: ".name:Sleep /tasks:3", Col: "/variant", Unit: "sec/op", Other: "goroutines", Want: Want{Min: 0.01, Max: 0.015}}}, claims)

	tests := []struct {
		name, line, want string
	}{
		{name: "unknown_key", line: `x filter:"f" unti:"sec/op" other:"a" want:"between 1 2"`, want: `no key "unti"`},
		{name: "no_unit", line: `x filter:"f" other:"a" want:"between 1 2"`, want: `want ID filter:"..." unit:"..."`},
		{name: "no_such_want", line: `x filter:"f" unit:"u" other:"a" want:"around 1 2"`, want: `want:"more|less|between LO HI"`},
		{name: "bad_bound", line: `x filter:"f" unit:"u" other:"a" want:"between 1 soon"`, want: `time: invalid duration "soon"`},
	}
	for _, tt := range tests {
		_, err := ParseClaims([]byte("{{/* claims\n" + tt.line + "\n*/}}\n"))
		assert.ErrorContains(t, err, tt.want, "case %s", tt.name)
	}
}
