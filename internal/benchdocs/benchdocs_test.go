// docs/ is generated from the runs committed under testdata/bench. These
// tests fail when docs/ differs from what those runs render to, when a
// claim the docs state no longer holds on them, and when a page could not
// be rendered once its run is committed.
//
//	go test ./internal/benchdocs
//	go generate ./...   # when TestDocsUpToDate fails: renders docs/ again
package benchdocs_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/benchdocs"
)

// Rendering and claims run go tool benchstat, whose output is copied by
// goroutines of os/exec: none may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// root is the module's root, where testdata/ and docs/ are.
const root = "../.."

func TestDocsUpToDate(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err, "Render")

	assert.Empty(t, stale(t, root, out), "these files differ from what testdata/ renders to: run go generate ./...")
}

// TestClaimsHold: every sentence the docs state about results is borne
// out by the committed runs, in direction, size and significance.
func TestClaimsHold(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err, "Render")

	for _, err := range out.Broken {
		t.Error(err)
	}
	for _, note := range out.Notes {
		t.Log(note)
	}
}

// dropFirst drops the first line that starts with prefix.
func dropFirst(prefix string) func(string) string {
	dropped := false
	return func(line string) string {
		if !dropped && strings.HasPrefix(line, prefix) {
			dropped = true
			return ""
		}
		return line
	}
}

// firstRounds keeps the first n rounds of a file of rounds, each of which
// starts with its date line, and edits their lines.
func firstRounds(n int, edit func(string) string) func(string) string {
	rounds := 0
	return func(line string) string {
		if strings.HasPrefix(line, "date: ") {
			rounds++
		}
		if rounds > n {
			return ""
		}
		return edit(line)
	}
}

// TestClaimsBreakOnChangedRuns: the committed runs, changed in a copy as
// a rerun on another machine might change them, either fail the tests
// (a claim the page depends on, or a comparison of fewer than 10 results
// a side that the runs asked for more of) or make the page say what the
// new data say.
func TestClaimsBreakOnChangedRuns(t *testing.T) {
	// transRate scales the trans/s of server's rows by factor.
	transRate := func(server string, factor float64) func(string) string {
		return func(line string) string {
			name, rest, ok := strings.Cut(line, "\t")
			if !ok || !strings.Contains(name, "/server="+server+"-") {
				return line
			}
			fields := strings.Split(rest, "\t")
			for i, f := range fields {
				if v, ok := strings.CutSuffix(f, " trans/s"); ok {
					var x float64
					fmt.Sscan(v, &x)
					fields[i] = fmt.Sprintf("%.0f trans/s", x*factor)
				}
			}
			return name + "\t" + strings.Join(fields, "\t")
		}
	}
	tests := []struct {
		name       string
		file       string
		edit       func(line string) string // "" drops the line
		wantBroken string                   // in an error of Broken; empty for none
		wantNote   string                   // in a note, when set
		wantPage   string                   // in the page, when set
	}{
		{
			// In order and spawned swap places: the page's first claim flips.
			name: "sleep_flipped", file: "sleep.txt",
			edit: func(line string) string {
				if !strings.HasPrefix(line, "BenchmarkSleep/tasks=3/") {
					return line
				}
				return strings.NewReplacer("variant=sequential", "variant=goroutines", "variant=goroutines", "variant=sequential").Replace(line)
			},
			wantBroken: "x more), want 0.286 to 0.4\n\tits sentence would say: \"Three 10 ms sleeps take ",
			wantPage:   "**Claim three does not hold on this run",
		},
		{
			// A rerun in which gevent falls well below app.run(): the
			// page says so, with the U-test's verdict.
			name: "headline_flipped", file: "gevent-vs-go.txt", edit: transRate("gevent", 0.25),
			wantPage: "x lower (p=0.000 n=10); the article measured 2.7x more.",
		},
		{
			// A rerun in which gevent's runs are app.run()'s: the
			// U-test cannot tell them apart, and no ratio is stated.
			name: "headline_not_significant", file: "gevent-vs-go.txt",
			edit: func(line string) string {
				switch name, _, _ := strings.Cut(line, "\t"); {
				case strings.Contains(name, "/work=hello/") && strings.Contains(name, "/server=gevent-"):
					return ""
				case strings.Contains(name, "/work=hello/") && strings.Contains(name, "/server=flask-"):
					return line + "\n" + strings.Replace(line, "/server=flask-", "/server=gevent-", 1)
				}
				return line
			},
			wantPage: "for `app.run()`: the U-test cannot tell them apart at n=10 (p=1.000)",
		},
		{
			// One fan-out result lost: the page would compare 9 with 10.
			name: "fanout_short", file: "gevent-vs-go.txt", edit: dropFirst("BenchmarkFanout/tasks=100000/runtime=go-"),
			wantBroken: "gevent-vs-go: claim fanout-time rests on n=9, fewer than 10 results a side",
		},
		{
			// Five rounds of one, as committed before the rule: noted.
			name: "asked_for_five", file: "instrument.txt", edit: firstRounds(5, func(line string) string { return line }),
			wantNote: "instrument: claim cpu-wrk rests on n=5, fewer than 10 results a side: its runs asked for fewer; measure them again",
		},
		{
			// Five rounds that each asked for two: results were lost.
			name: "asked_for_ten", file: "instrument.txt", edit: firstRounds(5, strings.NewReplacer("count: 1", "count: 2").Replace),
			wantBroken: "instrument: claim cpu-wrk rests on n=5, fewer than 10 results a side",
		},
		{
			// siege was not installed: its claims say nothing, and the
			// page says how to add it.
			name: "tool_missing", file: "instrument.txt",
			edit: func(line string) string {
				if strings.HasPrefix(line, "BenchmarkInstrument/tool=siege-") {
					return ""
				}
				return line
			},
			wantPage: "- siege was not measured here: `apt-get install siege`.",
		},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			dir := t.TempDir()
			committed, err := os.ReadDir(filepath.Join(root, benchdocs.BenchDir))
			require.NoError(t, err)
			for _, f := range committed {
				data, err := os.ReadFile(filepath.Join(root, benchdocs.BenchDir, f.Name()))
				require.NoError(t, err)
				if f.Name() == tt.file {
					var lines []string
					for _, line := range strings.Split(string(data), "\n") {
						if line = tt.edit(line); line != "" {
							lines = append(lines, line)
						}
					}
					data = []byte(strings.Join(lines, "\n"))
				}
				write(t, filepath.Join(dir, benchdocs.BenchDir, f.Name()), string(data))
			}
			copySources(t, dir)

			i := slices.IndexFunc(benchdocs.Experiments, func(e benchdocs.Experiment) bool { return e.Name+".txt" == tt.file })

			out, err := benchdocs.Render(dir, benchdocs.Experiments[i:i+1])

			require.NoError(t, err, "Render")
			var broken []string
			for _, err := range out.Broken {
				broken = append(broken, err.Error())
			}
			if tt.wantBroken == "" {
				assert.Empty(t, broken, "Broken")
			} else {
				assert.Condition(t, func() bool {
					return slices.ContainsFunc(broken, func(s string) bool { return strings.Contains(s, tt.wantBroken) })
				}, "Broken %q contains %q", broken, tt.wantBroken)
			}
			if tt.wantNote != "" {
				assert.Contains(t, out.Notes, tt.wantNote, "Notes")
			}
			if tt.wantPage != "" {
				page := "docs/" + strings.TrimSuffix(tt.file, ".txt") + ".md"
				assert.Contains(t, string(out.Files[page]), tt.wantPage, page)
			}
		})
	}
}

// copySources copies into dir the code that pages show: the Go files at
// the module's root and testdata/python.
func copySources(tb testing.TB, dir string) {
	tb.Helper()
	require.NoError(tb, os.CopyFS(filepath.Join(dir, "testdata", "python"), os.DirFS(filepath.Join(root, "testdata", "python"))))
	sources, err := filepath.Glob(filepath.Join(root, "*.go"))
	require.NoError(tb, err)
	for _, src := range sources {
		write(tb, filepath.Join(dir, filepath.Base(src)), read(tb, src))
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	first, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)
	second, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)

	assert.Equal(t, first.Files, second.Files, "two renderings of the same testdata/")
}

// TestEveryFileIsMarkedAndEveryPlotParses: generated files say so on
// their first line, every SVG is well-formed XML with an <svg> root, and
// every plot is on its page.
func TestEveryFileIsMarkedAndEveryPlotParses(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)
	for name, content := range out.Files {
		assert.True(t, bytes.HasPrefix(content, []byte(benchdocs.Marker+"\n")), "%s: first line", name)
		if strings.HasSuffix(name, ".svg") {
			assert.Equal(t, "svg", rootElement(t, content), "%s: root element", name)
		}
	}
	for _, e := range benchdocs.Experiments {
		for _, p := range e.Plots {
			assert.Contains(t, string(out.Files["docs/"+e.Name+".md"]), "(img/"+e.Name+"-"+p.ID+".svg)", "docs/%s.md shows plot %s", e.Name, p.ID)
		}
	}
}

// TestReadersPath: each page ends with links to the pages before and
// after it, in the order of Experiments, the article's; a page whose run
// is not committed yet is left out of the path.
func TestReadersPath(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)
	es := slices.DeleteFunc(slices.Clone(benchdocs.Experiments), func(e benchdocs.Experiment) bool {
		_, made := out.Files["docs/"+e.Name+".md"]
		return !made
	})
	for i := 1; i < len(es); i++ {
		prev, next := string(out.Files["docs/"+es[i-1].Name+".md"]), string(out.Files["docs/"+es[i].Name+".md"])
		assert.Contains(t, prev, "Next: ["+es[i].Title+"]("+es[i].Name+".md)", "%s links on to %s", es[i-1].Name, es[i].Name)
		assert.Contains(t, next, "Back: ["+es[i-1].Title+"]("+es[i-1].Name+".md)", "%s links back to %s", es[i].Name, es[i-1].Name)
	}
	assert.NotContains(t, string(out.Files["docs/"+es[0].Name+".md"]), "Back: ", "the first page")
	assert.NotContains(t, string(out.Files["docs/"+es[len(es)-1].Name+".md"]), "Next: ", "the last page")
}

// TestGlossaryLinks: every link to a term of the glossary, from any page
// or from the glossary itself, lands on an anchor it has.
func TestGlossaryLinks(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)
	glossary := string(out.Files["docs/glossary.md"])
	links := regexp.MustCompile(`\(glossary\.md#([^)]+)\)`)
	for name, content := range out.Files {
		for _, m := range links.FindAllStringSubmatch(string(content), -1) {
			assert.Contains(t, glossary, `<a id="`+m[1]+`"></a>`, "%s links to glossary.md#%s", name, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(glossary, -1) {
		assert.Contains(t, glossary, `<a id="`+m[1]+`"></a>`, "the glossary links to #%s", m[1])
	}
	for _, term := range []string{"gomaxprocs", "backlog", "syn", "syn-retry", "accept-queue", "littles-law", "closed-loop", "open-loop",
		"coordinated-omission", "p99", "u-test", "p-value", "n", "interval", "tilde", "name-suffix", "goroutine", "greenlet",
		"preemption", "data-race", "context"} {
		assert.Contains(t, glossary, `<a id="`+term+`"></a>`, "the glossary defines %s", term)
	}
}

func rootElement(tb testing.TB, content []byte) string {
	tb.Helper()
	d := xml.NewDecoder(bytes.NewReader(content))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root
		}
		require.NoError(tb, err, "parsing the SVG")
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}

// TestRenderWithoutRuns: with the code but nothing measured, every
// experiment's page is left out with a note that says how to measure it,
// the index says so, the recipes say what they lack, and nothing fails.
func TestRenderWithoutRuns(t *testing.T) {
	dir := t.TempDir()
	copySources(t, dir)

	out, err := benchdocs.Render(dir, benchdocs.Experiments)

	require.NoError(t, err)
	assert.Equal(t, []string{"docs/README.md", "docs/from-gevent.md", "docs/glossary.md", "docs/recipes.md"}, slices.Sorted(maps.Keys(out.Files)), "the pages without runs alone")
	measured := 0
	for _, e := range benchdocs.Experiments {
		if len(e.Runs) > 0 {
			measured++
			assert.Contains(t, string(out.Files["docs/README.md"]), "| "+e.Title+" | not yet |", "the index on %s", e.Name)
		}
	}
	assert.Len(t, out.Notes, measured, "a note per experiment with runs")
	assert.Contains(t, out.Notes, "gevent-vs-go: testdata/bench/gevent-vs-go.txt is not committed yet; "+
		"run go run ./cmd/benchdocs -write -bench '^(BenchmarkArticle|BenchmarkFanout)$' to measure it")
	assert.Contains(t, string(out.Files["docs/recipes.md"]), "*Not measured yet: testdata/recipes/serial.txt is not committed.*")
}

func TestWriteRemovesWhatItNoLongerMakes(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "docs", "img", "gone.svg")
	mine := filepath.Join(dir, "docs", "notes.md")
	write(t, gone, benchdocs.Marker+"\n<svg/>\n")
	write(t, mine, "# written by hand\n")
	copySources(t, dir)
	out, err := benchdocs.Render(dir, benchdocs.Experiments)
	require.NoError(t, err)

	assert.Equal(t, []string{"docs/README.md", "docs/from-gevent.md", "docs/glossary.md", "docs/img/gone.svg", "docs/recipes.md"}, stale(t, dir, out), "stale before Write")
	require.NoError(t, benchdocs.Write(dir, out))

	assert.Empty(t, stale(t, dir, out), "stale after Write")

	assert.NoFileExists(t, gone, "a generated file that Render no longer makes")
	assert.FileExists(t, mine, "a file written by hand")
}

func read(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	return string(b)
}

// stale returns the files under root that differ from out's: changed,
// missing, or generated earlier and no longer made.
func stale(tb testing.TB, root string, out *benchdocs.Output) []string {
	tb.Helper()
	var names []string
	for name, data := range out.Files {
		if b, err := os.ReadFile(filepath.Join(root, name)); err != nil || !bytes.Equal(b, data) {
			names = append(names, name)
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		name, _ := filepath.Rel(root, path)
		if _, made := out.Files[filepath.ToSlash(name)]; err == nil && !d.IsDir() && !made && strings.HasPrefix(read(tb, path), benchdocs.Marker) {
			names = append(names, filepath.ToSlash(name))
		}
		return err
	})
	if !errors.Is(err, fs.ErrNotExist) {
		require.NoError(tb, err)
	}
	slices.Sort(names)
	return names
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
}
