// The three ways docs/distributed.md runs gosiege in shards, each checked
// against the page itself, so that the page and the code cannot drift: the
// local command is read from the page and run, as separate processes,
// against a loopback server; the commands for several hosts and the
// Kubernetes Indexed Job (deploy/gosiege-job.yaml) cannot run here, and
// are parsed as gosiege would parse them, for every shard.
//
//	go test -run 'Distributed|Deploy' -v ./cmd/gosiege
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/joinall/joinall/load"
)

// The page and the manifest, from this package's directory.
const (
	distributedPage = "../../docs/distributed.md"
	jobManifest     = "../../deploy/gosiege-job.yaml"
)

// shBlocks returns the page's ```sh blocks, in order, each with the line
// before it.
func shBlocks(tb testing.TB) (blocks, before []string) {
	tb.Helper()
	b, err := os.ReadFile(distributedPage)
	require.NoError(tb, err, "read %s", distributedPage)
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```sh" {
			continue
		}
		end := i + 1
		for end < len(lines) && lines[end] != "```" {
			end++
		}
		require.Less(tb, end, len(lines), "%s:%d: a block that does not end", distributedPage, i+1)
		blocks = append(blocks, strings.Join(lines[i+1:end], "\n")+"\n")
		before = append(before, lines[max(i-1, 0)])
		i = end
	}
	return blocks, before
}

// pageBlock returns the page's ```sh block that follows the line marker,
// or the first that contains word.
func pageBlock(tb testing.TB, marker, word string) string {
	tb.Helper()
	blocks, before := shBlocks(tb)
	for i, b := range blocks {
		if marker != "" && before[i] == marker || marker == "" && strings.Contains(b, word) {
			return b
		}
	}
	require.FailNow(tb, "no block", "%s has no sh block after %q or with %q", distributedPage, marker, word)
	return ""
}

// gosiegeOnPath returns a directory that holds a gosiege, which runs this
// test binary as gosiege, for a PATH.
func gosiegeOnPath(tb testing.TB) string {
	tb.Helper()
	self, err := os.Executable()
	require.NoError(tb, err, "the test binary")
	dir := filepath.Join(tb.TempDir(), "bin")
	require.NoError(tb, os.Mkdir(dir, 0o755), "mkdir %s", dir)
	script := fmt.Sprintf("#!/bin/sh\nGOSIEGE_MAIN=1 exec '%s' \"$@\"\n", self)
	require.NoError(tb, os.WriteFile(filepath.Join(dir, "gosiege"), []byte(script), 0o755), "write gosiege")
	return dir
}

// TestDistributedLocal: the page's command for one machine, as written
// there but for the server's address, runs 4 shards as separate gosiege
// processes against a loopback server and merges them: a row per shard,
// then the merged report, whose transactions are the shards' sum; and the
// shards' hits, failures and unsent add up to the schedule of the one run
// they are, 2000 a second for 5 s.
func TestDistributedLocal(t *testing.T) {
	const pageURL = "http://127.0.0.1:8080/"
	block := pageBlock(t, "<!-- TestDistributedLocal runs the block below. -->", "")
	require.Contains(t, block, "url="+pageURL+"\n", "the page's block sets the URL that the test replaces")
	url, _ := serveCounting(t, hello())
	script := strings.Replace(block, "url="+pageURL+"\n", "url="+url+"\n", 1)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+gosiegeOnPath(t)+":"+os.Getenv("PATH"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second

	err := cmd.Run()

	require.NoError(t, err, "the page's command:\n%s\nstderr:\n%s", script, stderr.String())
	var hits, intended int
	for i := 1; i <= 4; i++ {
		r := readFile(t, filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
		assert.Equal(t, i, r.Parts[0].Shard, "shard-%d.json: its shard", i)
		assert.Equal(t, 10, r.Users, "shard-%d.json: its users, 40 over 4", i)
		hits += r.Transactions
		intended += r.Transactions + r.Failed + r.Unsent
	}
	assert.Equal(t, 2000*5, intended, "the shards' hits, failures and unsent: the one run's schedule")
	out := stdout.String()
	assert.Contains(t, out, "Per shard:\t", "the merge's rows")
	for i := 1; i <= 4; i++ {
		assert.Regexp(t, fmt.Sprintf(`\n\t\t\t +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ +[-+][0-9.]+  %d/4 `, i), out, "the merge's row of shard %d", i)
	}
	assert.Contains(t, out, fmt.Sprintf("\nTransactions:\t\t%12d hits\n", hits), "the merged report: the shards' sum")
	assert.Contains(t, out, "\nModel:\t\t\topen loop, 2000/s for 5s, at most 40 in flight; 4 shards;", "the merged report's model")
}

// gosiegeArgs returns the arguments of the one gosiege command line inside
// double quotes in block, with the shell's words for the shard's number
// (subst's keys) replaced, and its redirections left out.
func gosiegeArgs(tb testing.TB, block string, subst map[string]string) []string {
	tb.Helper()
	m := regexp.MustCompile(`"gosiege ([^"]*)"`).FindStringSubmatch(block)
	require.NotNil(tb, m, "a gosiege command line in:\n%s", block)
	line := m[1]
	for k, v := range subst {
		line = strings.ReplaceAll(line, k, v)
	}
	line, _, _ = strings.Cut(line, " >")
	return strings.Fields(line)
}

// TestDistributedRemote: the page's commands for several hosts cannot run
// here; their gosiege command line parses, for every shard, into shard I
// of 4 that starts at the page's time, reports as JSON and may load a
// remote target.
func TestDistributedRemote(t *testing.T) {
	at := time.Now().Add(30 * time.Second).UTC().Format(time.RFC3339)
	tests := []struct {
		name   string
		word   string // in the page's block
		number string // the shell's word for the shard's number
	}{
		{name: "pdsh", word: "pdsh ", number: `\$(hostname | tr -dc 0-9)`},
		{name: "parallel", word: "parallel ", number: "{}"},
	}
	for _, tt := range tests {
		t.Run("runner="+tt.name, func(t *testing.T) {
			block := pageBlock(t, "", tt.word)
			url := regexp.MustCompile(`(?m)^url=(\S+)$`).FindStringSubmatch(block)
			require.NotNil(t, url, "the block sets url:\n%s", block)
			for i := 1; i <= 4; i++ {
				args := gosiegeArgs(t, block, map[string]string{tt.number: fmt.Sprint(i), "$at": at, "$url": url[1]})

				opts, err := parseArgs(args)

				require.NoError(t, err, "gosiege %q", args)
				assert.Equal(t, load.Shard{Number: i, Count: 4}, opts.shard, "gosiege %q: the shard", args)
				assert.True(t, opts.json && opts.allowRemote && !opts.startAt.IsZero(), "gosiege %q: -j, -allow-remote and -start-at", args)
				assert.NoError(t, opts.checkStartAt(time.Now()), "gosiege %q: the start", args)
			}
		})
	}
}

// job is what TestDeployIndexedJob reads of a Kubernetes Job.
type job struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    *int   `yaml:"completions"`
		Parallelism    *int   `yaml:"parallelism"`
		BackoffLimit   *int   `yaml:"backoffLimit"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Env []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestDeployIndexedJob: the manifest is an Indexed Job of as many
// completions as pods at once as -shard auto/N's N, never restarted; its
// one container's command line, with its variables set as the page sets
// them and as the shell expands them, parses, and each index from 0 to
// N-1 runs shard index+1, starting at the time the page gives it.
func TestDeployIndexedJob(t *testing.T) {
	b, err := os.ReadFile(jobManifest)
	require.NoError(t, err, "read %s", jobManifest)
	var j job
	require.NoError(t, yaml.Unmarshal(b, &j), "decode %s", jobManifest)

	assert.Equal(t, []string{"batch/v1", "Job", "Indexed"}, []string{j.APIVersion, j.Kind, j.Spec.CompletionMode}, "an Indexed Job")
	require.NotNil(t, j.Spec.Completions, "completions")
	require.NotNil(t, j.Spec.Parallelism, "parallelism")
	n := *j.Spec.Completions
	assert.Equal(t, n, *j.Spec.Parallelism, "parallelism: every shard at once")
	if assert.NotNil(t, j.Spec.BackoffLimit, "backoffLimit") {
		assert.Zero(t, *j.Spec.BackoffLimit, "backoffLimit: no shard twice")
	}
	assert.Equal(t, "Never", j.Spec.Template.Spec.RestartPolicy, "restartPolicy: no shard twice")
	require.Len(t, j.Spec.Template.Spec.Containers, 1, "containers")
	c := j.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"/bin/sh", "-c"}, c.Command, "the container's command")
	require.Len(t, c.Args, 1, "the shell's script")

	// The page's kubectl command sets the start, as sed does; the shell
	// expands the variables.
	usage := pageBlock(t, "", "kubectl apply")
	require.Contains(t, usage, `sed "s/START_AT_TIME/$at/" deploy/gosiege-job.yaml`, "the page sets the start in the manifest")
	at := time.Now().Add(90 * time.Second).UTC().Format(time.RFC3339)
	script := c.Args[0]
	for _, e := range c.Env {
		script = strings.ReplaceAll(script, `"$`+e.Name+`"`, strings.ReplaceAll(e.Value, "START_AT_TIME", at))
	}
	script, ok := strings.CutPrefix(script, "exec gosiege ")
	require.True(t, ok, "the script execs gosiege: %q", c.Args[0])
	script, _, _ = strings.Cut(script, " 2>")
	args := strings.Fields(script)

	opts, err := parseArgs(args)

	require.NoError(t, err, "gosiege %q", args)
	assert.Equal(t, load.Shard{Count: n}, opts.shard, "gosiege %q: -shard auto/N, N the completions", args)
	assert.True(t, opts.shardAuto, "gosiege %q: -shard auto", args)
	assert.True(t, opts.json && opts.quiet && opts.allowRemote, "gosiege %q: -j, -q and -allow-remote", args)
	assert.NoError(t, opts.checkStartAt(time.Now()), "gosiege %q: the start", args)
	for i := range n {
		o := opts
		err := o.resolveShard(func(name string) (string, bool) { return fmt.Sprint(i), name == jobIndex })
		require.NoError(t, err, "gosiege %q, index %d", args, i)
		assert.Equal(t, load.Shard{Number: i + 1, Count: n}, o.shard, "gosiege %q, index %d: the shard", args, i)
	}
}
