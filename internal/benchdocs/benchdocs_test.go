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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/internal/benchdocs"
)

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
// with a note, and the index says so; nothing fails.
func TestRenderWithoutRuns(t *testing.T) {
	dir := t.TempDir()

	out, err := benchdocs.Render(dir, benchdocs.Experiments)

	require.NoError(t, err)
	assert.Len(t, out.Notes, len(benchdocs.Experiments), "a note per experiment")
	assert.Equal(t, []string{"docs/README.md"}, keys(out.Files), "only the index")
	for _, e := range benchdocs.Experiments {
		assert.Contains(t, string(out.Files["docs/README.md"]), "| "+e.Title+" | not yet |", "the index on %s", e.Name)
	}
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
	assert.Contains(t, gotReadme, "$ go tool benchstat -filter '.name:Server /work:io .unit:trans/s' -ignore gomaxprocs,/gomaxprocs testdata/bench/serving-cpu1.txt testdata/bench/serving.txt\n")
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

	for _, procs := range []int{2, 1} {
		var serving strings.Builder
		serving.WriteString(header(procs))
		suffix, file := "-2", "serving.txt"
		if procs == 1 {
			suffix, file = "", "serving-cpu1.txt"
		}
		for _, server := range []struct {
			name  string
			trans float64
		}{{"serial", 95}, {"pool", 780}, {"goroutine", 4800}} {
			for _, work := range []string{"hello", "io", "cpu"} {
				for _, users := range []float64{1, 10, 100, 200} {
					trans := min(server.trans, users*95) * (1 + float64(procs)/10)
					line(&serving, fmt.Sprintf("BenchmarkServer/server=%s/work=%s/users=%.0f%s", server.name, work, users, suffix),
						1e9, "ns/op", trans, "trans/s", 100.0, "avail-%", users*1000/trans, "resp-ms", 5+users*1000/trans, "p99-ms")
				}
			}
		}
		runs[file] = serving.String()
	}
	return runs
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
