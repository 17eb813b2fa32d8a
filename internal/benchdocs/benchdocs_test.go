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
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
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

	stale, err := benchdocs.Stale(root, out)

	require.NoError(t, err)
	assert.Empty(t, stale, "these files differ from what testdata/ renders to: run go generate ./...")
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

// TestClaimsBreakOnChangedRuns: the committed runs, changed in a copy as
// a rerun on another machine might change them, either fail the tests
// (a claim the page depends on, or a benchmark with fewer results than
// the page says) or make the page say what the new data say.
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
			wantBroken: "sleep: claim three no longer holds", wantPage: "**Claim three does not hold on this run",
		},
		{
			// A rerun in which gevent falls well below app.run(): the
			// page says so, with the U-test's verdict.
			name: "headline_flipped", file: "gevent-vs-go.txt", edit: transRate("gevent", 0.5),
			wantPage: "x lower (p=0.000 n=10); the article measured 2.7x more.",
		},
		{
			// A rerun in which gevent's runs are app.run()'s: no
			// difference, and no ratio.
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
			wantPage: "for `app.run()`: no significant difference (p=1.000",
		},
		{
			// One fan-out result lost: fewer than the runs the page says.
			name: "fanout_short", file: "gevent-vs-go.txt", edit: dropFirst("BenchmarkFanout/tasks=100000/runtime=go-"),
			wantBroken: "BenchmarkFanout/tasks=100000/runtime=go-2 has 9 results, want 10",
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

			out, err := benchdocs.Render(dir, benchdocs.Experiments)

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
			if tt.wantPage != "" {
				page := "docs/" + strings.TrimSuffix(tt.file, ".txt") + ".md"
				assert.Contains(t, string(out.Files[page]), tt.wantPage, page)
			}
		})
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
// their first line, and every SVG is well-formed XML with an <svg> root.
func TestEveryFileIsMarkedAndEveryPlotParses(t *testing.T) {
	out, err := benchdocs.Render(root, benchdocs.Experiments)
	require.NoError(t, err)
	for name, content := range out.Files {
		if name == benchdocs.Readme {
			continue // the README is written by hand, but for its marked blocks
		}
		assert.True(t, bytes.HasPrefix(content, []byte(benchdocs.Marker+"\n")), "%s: first line", name)
		if strings.HasSuffix(name, ".svg") {
			assert.Equal(t, "svg", rootElement(t, content), "%s: root element", name)
		}
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

// TestRenderWithoutRuns: with nothing measured, every page is left out
// with a note that says how to measure it, the index says so, and
// nothing fails.
func TestRenderWithoutRuns(t *testing.T) {
	dir := t.TempDir()

	out, err := benchdocs.Render(dir, benchdocs.Experiments)

	require.NoError(t, err)
	assert.Len(t, out.Notes, len(benchdocs.Experiments), "a note per experiment")
	assert.Equal(t, []string{"docs/README.md"}, slices.Collect(maps.Keys(out.Files)), "the index alone")
	for _, e := range benchdocs.Experiments {
		assert.Contains(t, string(out.Files["docs/README.md"]), "| "+e.Title+" | not yet |", "the index on %s", e.Name)
	}
	assert.Contains(t, out.Notes, "gevent-vs-go: testdata/bench/gevent-vs-go.txt is not committed yet; "+
		"run go run ./cmd/benchdocs -write -bench '^(BenchmarkArticle|BenchmarkFanout)$' to measure it")
}

// TestRenderEveryPage renders every experiment's page from made-up runs
// with the benchmark names of its spec, so that a page whose run is not
// committed yet is known to render once it is: its template, tables,
// plots and claims, and the README's block for the GOMAXPROCS pair.
func TestRenderEveryPage(t *testing.T) {
	dir := t.TempDir()
	for name, content := range syntheticRuns() {
		write(t, filepath.Join(dir, "testdata", "bench", name), content)
	}
	readme := "# x\n\n<!-- benchdocs serving/gomaxprocs -->\nold\n<!-- /benchdocs -->\n"
	write(t, filepath.Join(dir, "README.md"), readme)

	out, err := benchdocs.Render(dir, benchdocs.Experiments)

	require.NoError(t, err, "Render")
	assert.Empty(t, out.Notes)
	assert.Empty(t, out.Broken, "the made-up runs bear out every claim")
	for _, e := range benchdocs.Experiments {
		page := string(out.Files["docs/"+e.Name+".md"])
		require.NotEmpty(t, page, "docs/%s.md", e.Name)
		assert.NotContains(t, page, "Not measured yet", "docs/%s.md", e.Name)
		for _, p := range e.Plots {
			assert.Contains(t, out.Files, "docs/img/"+e.Name+"-"+p.ID+".svg", "%s's plot %s", e.Name, p.ID)
			assert.Contains(t, page, "(img/"+e.Name+"-"+p.ID+".svg)", "docs/%s.md shows plot %s", e.Name, p.ID)
		}
	}
	gotReadme := string(out.Files["README.md"])
	assert.Contains(t, gotReadme, "$ go tool benchstat -filter '.name:Server /server:goroutine .unit:(trans/s OR p99-ms)' -ignore gomaxprocs,/gomaxprocs testdata/bench/serving-cpu1.txt testdata/bench/serving.txt\n")
	assert.Contains(t, gotReadme, "vs base", "the README's block compares the pair")
	assert.NotContains(t, gotReadme, "old", "the block is replaced")

	require.NoError(t, benchdocs.Write(dir, out))
	stale, err := benchdocs.Stale(dir, out)
	require.NoError(t, err)
	assert.Empty(t, stale, "after Write")
}

func TestWriteRemovesWhatItNoLongerMakes(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "docs", "img", "gone.svg")
	mine := filepath.Join(dir, "docs", "notes.md")
	write(t, gone, benchdocs.Marker+"\n<svg/>\n")
	write(t, mine, "# written by hand\n")
	out, err := benchdocs.Render(dir, benchdocs.Experiments)
	require.NoError(t, err)

	stale, err := benchdocs.Stale(dir, out)
	require.NoError(t, err)
	assert.Equal(t, []string{"docs/README.md", "docs/img/gone.svg"}, stale, "Stale before Write")
	require.NoError(t, benchdocs.Write(dir, out))

	assert.NoFileExists(t, gone, "a generated file that Render no longer makes")
	assert.FileExists(t, mine, "a file written by hand")
}

// syntheticRuns are made-up runs, by file name, with the names and units
// the experiments expect. Each benchmark has six results spread ±0.5 %
// around a value of the shape the claims assert.
func syntheticRuns() map[string]string {
	header := func(gomaxprocs int) string {
		return fmt.Sprintf("date: 2026-01-02T03:04Z\ngo: go1.25.0\ncores: 2\ngomaxprocs: %d\ncount: 6\nbenchtime: 1s\ngoos: linux\ngoarch: amd64\npkg: github.com/joinall/joinall\ncpu: Made Up\n", gomaxprocs)
	}
	line := func(b *strings.Builder, name string, values ...any) {
		for i := range 6 {
			f := 1 + float64(2*i-5)*0.001
			fmt.Fprintf(b, "%s\t10", name)
			for j := 0; j < len(values); j += 2 {
				fmt.Fprintf(b, "\t%.4f %s", values[j].(float64)*f, values[j+1])
			}
			b.WriteString("\n")
		}
	}
	runs := map[string]string{}

	var sleep strings.Builder
	sleep.WriteString(header(2))
	for _, r := range []struct {
		tasks, workers int
		seq            bool
	}{{3, 2, true}, {100, 10, true}, {10_000, 100, false}, {1_000_000, 10_000, false}} {
		t := float64(r.tasks)
		rounds := float64((r.tasks + r.workers - 1) / r.workers)
		if r.seq {
			line(&sleep, fmt.Sprintf("BenchmarkSleep/tasks=%d/workers=%d/variant=sequential-2", r.tasks, r.workers),
				t*10.5e6, "ns/op", 0.5, "peak-MB", 13.0, "peak-goroutines")
		}
		line(&sleep, fmt.Sprintf("BenchmarkSleep/tasks=%d/workers=%d/variant=goroutines-2", r.tasks, r.workers),
			10.8e6+t*1000, "ns/op", 0.5+t*3e-3, "peak-MB", min(13+t, 40_000), "peak-goroutines")
		line(&sleep, fmt.Sprintf("BenchmarkSleep/tasks=%d/workers=%d/variant=pool-2", r.tasks, r.workers),
			rounds*10.7e6, "ns/op", 0.5+float64(r.workers)*0.08, "peak-MB", 13+float64(r.workers), "peak-goroutines")
	}
	for _, tasks := range []int{1000, 1_000_000} {
		for _, v := range []struct {
			name string
			ns   float64
		}{{"bare", 400}, {"sequential", 13}, {"goroutines", 500}, {"pool", 600}} {
			line(&sleep, fmt.Sprintf("BenchmarkSpawn/tasks=%d/workers=10/variant=%s-2", tasks, v.name),
				v.ns*float64(tasks), "ns/op", v.ns, "ns/task", float64(tasks), "allocs/op")
		}
	}
	runs["sleep.txt"] = sleep.String()

	var fetch strings.Builder
	fetch.WriteString(header(2))
	for _, urls := range []int{3, 100} {
		for _, latency := range []float64{10, 50} {
			for _, v := range []struct {
				name  string
				times float64 // latencies per batch
			}{{"sequential", float64(urls)}, {"goroutines", 1.05}, {"pool", float64(urls) / 10}} {
				ns := v.times * latency * 1e6
				line(&fetch, fmt.Sprintf("BenchmarkFetch/urls=%d/latency=%.0fms/workers=10/variant=%s-2", urls, latency, v.name),
					ns, "ns/op", float64(urls)/(ns/1e9), "pages/s")
			}
		}
	}
	runs["fetch.txt"] = fetch.String()

	// Serving: trans/s by server at 100 users and more, fewer below;
	// at -cpu 1, only the goroutine server's rows.
	servingTrans := map[string]map[string]float64{
		"hello": {"serial": 2500, "pool": 3000, "goroutine": 3500},
		"io":    {"serial": 93, "pool": 920, "goroutine": 3000},
		"cpu":   {"serial": 60, "pool": 110, "goroutine": 115},
	}
	// What one thread completes of what two do.
	oneThread := map[string]float64{"hello": 0.6, "io": 0.8, "cpu": 0.5}
	for _, procs := range []int{2, 1} {
		var serving strings.Builder
		serving.WriteString(header(procs))
		suffix, file := "-2", "serving.txt"
		if procs == 1 {
			suffix, file = "", "serving-cpu1.txt"
		}
		for _, work := range []string{"hello", "io", "cpu"} {
			users := []float64{1, 10, 100}
			if work == "hello" {
				users = append(users, 200)
			}
			for _, u := range users {
				for _, server := range []string{"serial", "pool", "goroutine"} {
					if procs == 1 && server != "goroutine" {
						continue
					}
					trans := servingTrans[work][server] * min(u, 100) / 100
					if procs == 1 {
						trans *= oneThread[work]
					}
					avail, failed := 100.0, 0.0
					if server == "serial" && work == "hello" && u == 200 {
						avail, failed = 99.5, 70
					}
					line(&serving, fmt.Sprintf("BenchmarkServer/server=%s/work=%s/users=%.0f%s", server, work, u, suffix),
						1e9/trans, "ns/op", trans, "trans/s", avail, "avail-%", u*1000/trans, "resp-ms", u-failed, "concurrency",
						5+2*u*1000/trans, "longest-ms", 5+u*1000/trans, "p99-ms", failed, "failed")
				}
			}
		}
		if procs == 2 {
			for _, d := range []struct {
				name  string
				trans float64
			}{{"load", 20000}, {"wrk", 90000}} {
				line(&serving, "BenchmarkDriver/users=50/driver="+d.name+"-2", 1e9/d.trans, "ns/op", d.trans, "trans/s")
			}
		}
		runs[file] = serving.String()
	}

	// gevent-vs-go: the six servers on hello world and on waiting work,
	// two of them with siege's timeout, and the fan-outs.
	var versus strings.Builder
	versus.WriteString(strings.Replace(header(2), "cpu: Made Up\n",
		"python: 3.11.2\nflask: 2.2.2\ngevent: 22.10.2\nusers: 200\nconnections: a new one per transaction, as siege's\ncpu: Made Up\n", 1))
	for _, s := range []struct {
		work, timeout, run, name                     string
		trans, avail, failed, timeouts, cpu, longest float64
	}{
		{"hello", "900ms", "1s", "flask", 900, 99, 70, 70, 99, 800},
		{"hello", "900ms", "1s", "flask-threaded", 800, 99.5, 70, 70, 99, 800},
		{"hello", "900ms", "1s", "gevent", 1200, 100, 0, 0, 99, 120},
		{"hello", "900ms", "1s", "serial", 2500, 99.5, 70, 70, 80, 800},
		{"hello", "900ms", "1s", "pool", 3000, 100, 0, 0, 90, 100},
		{"hello", "900ms", "1s", "goroutine", 3500, 100, 0, 0, 90, 100},
		{"io", "900ms", "1s", "flask", 80, 40, 300, 300, 7, 900},
		{"io", "900ms", "1s", "flask-threaded", 1000, 95, 50, 50, 100, 300},
		{"io", "900ms", "1s", "gevent", 2200, 99, 20, 20, 98, 200},
		{"io", "900ms", "1s", "serial", 90, 45, 110, 110, 4, 900},
		{"io", "900ms", "1s", "pool", 900, 6, 14000, 0, 90, 200},
		{"io", "900ms", "1s", "goroutine", 12000, 100, 0, 0, 85, 60},
		{"hello", "30s", "5s", "flask", 600, 100, 0, 0, 75, 7000},
		{"hello", "30s", "5s", "gevent", 1150, 100, 0, 0, 99, 1100},
	} {
		line(&versus, fmt.Sprintf("BenchmarkArticle/work=%s/users=200/timeout=%s/run=%s/server=%s", s.work, s.timeout, s.run, s.name),
			1e9/s.trans, "ns/op", s.trans, "trans/s", s.avail, "avail-%", 200e3/s.trans, "resp-ms", 200.0, "concurrency",
			s.longest, "longest-ms", 400e3/s.trans, "p99-ms", s.failed, "failed", s.timeouts, "timeouts", s.cpu, "srv-cpu-%")
	}
	line(&versus, "BenchmarkFanout/tasks=100000/runtime=gevent", 4.4e9, "ns/op", 543.0, "peak-RSS-MB")
	line(&versus, "BenchmarkFanout/tasks=100000/runtime=go", 1.4e9, "ns/op", 283.0, "peak-RSS-MB")
	runs["gevent-vs-go.txt"] = versus.String()
	var offered strings.Builder
	offered.WriteString(header(2))
	for _, r := range []struct {
		server string
		rates  []float64
		cap    float64
	}{{"serial", []float64{50, 100, 200}, 100}, {"pool", []float64{500, 1000, 2000}, 1000}, {"goroutine", []float64{1000, 3000, 10000}, 8000}} {
		for _, rate := range r.rates {
			// Past capacity, the serial server queues and the pool
			// answers the excess 503.
			p99, avail := 11.0, 100.0
			if rate > r.cap {
				p99 = 1000
			}
			if rate > r.cap && r.server == "pool" {
				avail = 55
			}
			line(&offered, fmt.Sprintf("BenchmarkOffered/server=%s/work=io/rate=%.0f-2", r.server, rate),
				1e9/rate, "ns/op", min(rate, r.cap), "trans/s", avail, "avail-%", 10.5, "p50-ms", p99, "p99-ms", p99*0.9, "svc-p99-ms", 0.0, "unsent")
		}
	}
	line(&offered, "BenchmarkStall/work=stall/model=closed-2", 1.2e6, "ns/op", 800.0, "trans/s", 6.4, "p99-ms", 106.0, "longest-ms")
	line(&offered, "BenchmarkStall/work=stall/model=open-2", 1.2e6, "ns/op", 800.0, "trans/s", 98.0, "p99-ms", 97.0, "svc-p99-ms", 108.0, "longest-ms", 0.0, "unsent")
	runs["offered.txt"] = offered.String()

	// Five rounds of one run each, as the experiment runs them.
	var instrument strings.Builder
	for round := range 5 {
		instrument.WriteString(strings.NewReplacer("count: 6", "count: 1",
			"pkg: github.com/joinall/joinall\n", "pkg: github.com/joinall/joinall/cmd/gosiege\n").Replace(header(2)))
		f := 1 + float64(round-2)*0.002
		for _, t := range []struct {
			name      string
			rate, cpu float64
		}{{"gosiege", 60000, 7}, {"wrk", 70000, 6}, {"bombardier", 65000, 8}, {"hey", 25000, 25}, {"vegeta", 22000, 30}, {"siege", 17000, 48}} {
			fmt.Fprintf(&instrument, "BenchmarkInstrument/tool=%s-2\t1\t%.1f trans/s\t%.3f cpu-us/trans\n", t.name, t.rate*f, t.cpu*f)
		}
		fmt.Fprintf(&instrument, "BenchmarkInstrument/memory/secs=1-2\t1\t%.2f peak-RSS-MiB\n", 12*f)
		fmt.Fprintf(&instrument, "BenchmarkInstrument/memory/secs=10-2\t1\t%.2f peak-RSS-MiB\n", 13*f)
		for _, rate := range []int{1000, 5000} {
			fmt.Fprintf(&instrument, "BenchmarkInstrument/schedule/rate=%d-2\t1\t100.0 achieved-%%\t%.3f p99-ms\t%.3f svc-p99-ms\n", rate, 0.5*f, 0.45*f)
		}
	}
	runs["instrument.txt"] = instrument.String()

	return runs
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
}
