// gosiege's command line: siege's flags and forms, Go's, in any order.
//
//	go test -run 'Parse' -v ./cmd/gosiege
package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// TestParseArgs: command lines that siege users and Go users write, and
// what each means. The defaults are siege's: 25 users, a 30 s timeout, a
// new connection per transaction.
func TestParseArgs(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		want     options // without target
		wantURL  string
	}{
		{
			name:     "defaults",
			giveArgs: []string{"-r", "1", "http://127.0.0.1:8080/"},
			want:     options{users: 25, reps: 1, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "siege's forms",
			giveArgs: []string{"-b", "-c", "50", "-t", "10S", "http://127.0.0.1:8080/"},
			want:     options{users: 50, duration: 10 * time.Second, noDelay: true, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "URL first, as siege takes it too",
			giveArgs: []string{"http://127.0.0.1:8080/", "-c", "5", "-t", "1M", "-j"},
			want:     options{users: 5, duration: time.Minute, json: true, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "siege's long names",
			giveArgs: []string{"-concurrent", "7", "-time", "1H", "-reps", "3", "-benchmark", "-json-output", "http://127.0.0.1:8080/"},
			want:     options{users: 7, duration: time.Hour, reps: 3, noDelay: true, json: true, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "Go's forms",
			giveArgs: []string{"--c=3", "-t=1m30s", "-keepalive", "-timeout", "500ms", "http://127.0.0.1:8080/"},
			want:     options{users: 3, duration: 90 * time.Second, keepAlive: true, timeout: 500 * time.Millisecond, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "no scheme means http, as in siege",
			giveArgs: []string{"-r", "2", "127.0.0.1:8080/index.html"},
			want:     options{users: 25, reps: 2, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/index.html",
		},
		{
			name:     "the open loop",
			giveArgs: []string{"-rate", "2000", "-c", "50", "-t", "10s", "-q", "http://127.0.0.1:8080/"},
			want:     options{users: 50, rate: 2000, rateSet: true, duration: 10 * time.Second, quiet: true, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "benchmark lines",
			giveArgs: []string{"-count", "10", "-bench", "io", "-t", "2s", "-max-header", "2048", "http://127.0.0.1:8080/"},
			want:     options{users: 25, duration: 2 * time.Second, timeout: 30 * time.Second, maxHeader: 2048, count: 10, benchName: "io"},
			wantURL:  "http://127.0.0.1:8080/",
		},
		{
			name:     "a ramp, -t left out",
			giveArgs: []string{"-rate", "100:10S,1000:30s,100:10s", "-c", "50", "http://127.0.0.1:8080/"},
			want: options{
				users: 50, rateSet: true, duration: 50 * time.Second, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1,
				stages: []load.Stage{{Rate: 100, Duration: 10 * time.Second}, {Rate: 1000, Duration: 30 * time.Second}, {Rate: 100, Duration: 10 * time.Second}},
			},
			wantURL: "http://127.0.0.1:8080/",
		},
		{
			name:     "a ramp, -t their sum",
			giveArgs: []string{"-rate", "1:1s,2:2s", "-t", "3s", "http://127.0.0.1:8080/"},
			want: options{
				users: 25, rateSet: true, duration: 3 * time.Second, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1,
				stages: []load.Stage{{Rate: 1, Duration: time.Second}, {Rate: 2, Duration: 2 * time.Second}},
			},
			wantURL: "http://127.0.0.1:8080/",
		},
		{
			name:     "a shard, with its start",
			giveArgs: []string{"-shard", "2/4", "-start-at", "2026-05-01T12:00:00Z", "-c", "40", "-t", "10s", "http://127.0.0.1:8080/"},
			want: options{
				users: 40, duration: 10 * time.Second, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1,
				shard: load.Shard{Number: 2, Count: 4}, startAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
			},
			wantURL: "http://127.0.0.1:8080/",
		},
		{
			name:     "a shard of a Kubernetes Indexed Job",
			giveArgs: []string{"-shard", "auto/4", "-c", "40", "-t", "10s", "http://127.0.0.1:8080/"},
			want: options{
				users: 40, duration: 10 * time.Second, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1,
				shard: load.Shard{Count: 4}, shardAuto: true,
			},
			wantURL: "http://127.0.0.1:8080/",
		},
		{
			name:     "https, IPv6 and -allow-remote",
			giveArgs: []string{"-r", "2", "-allow-remote", "https://[::1]:8443/x?q=1"},
			want:     options{users: 25, reps: 2, allowRemote: true, timeout: 30 * time.Second, maxHeader: 1 << 20, count: 1},
			wantURL:  "https://[::1]:8443/x?q=1",
		},
	}
	for _, tt := range tests {
		t.Run("args="+tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.giveArgs)

			require.NoError(t, err, "parseArgs(%q)", tt.giveArgs)
			require.NotNil(t, got.target, "parseArgs(%q).target", tt.giveArgs)
			assert.Equal(t, tt.wantURL, got.target.String(), "parseArgs(%q).target", tt.giveArgs)
			got.target = nil
			assert.Equal(t, tt.want, got, "parseArgs(%q)", tt.giveArgs)
		})
	}
}

// TestParseDuration: siege's S, M and H in either case, and Go's forms;
// siege's and Go's lower case forms mean the same.
func TestParseDuration(t *testing.T) {
	tests := []struct {
		give string
		want time.Duration
	}{
		{give: "30S", want: 30 * time.Second},
		{give: "30s", want: 30 * time.Second},
		{give: "10M", want: 10 * time.Minute},
		{give: "10m", want: 10 * time.Minute},
		{give: "1H", want: time.Hour},
		{give: "1h", want: time.Hour},
		{give: "1m30s", want: 90 * time.Second},
		{give: "1.5h", want: 90 * time.Minute},
		{give: "500ms", want: 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run("give="+tt.give, func(t *testing.T) {
			got, err := parseDuration(tt.give)

			require.NoError(t, err, "parseDuration(%q)", tt.give)
			assert.Equal(t, tt.want, got, "parseDuration(%q)", tt.give)
		})
	}
}

// TestParseDurationRefuses: what is not a positive duration, and the bare
// number, which siege reads as minutes.
func TestParseDurationRefuses(t *testing.T) {
	tests := []struct {
		give    string
		wantErr string
	}{
		{give: "30", wantErr: "30 has no unit: write 30S, 30M or 30H (siege reads a bare number as minutes)"},
		{give: "", wantErr: "empty duration"},
		{give: "S", wantErr: "not a duration"},
		// siege would read 1 minute and ignore the rest; Go reads neither.
		{give: "1M30S", wantErr: "not a duration"},
		{give: "10x", wantErr: "not a duration"},
		{give: "0S", wantErr: "0s: must be positive"},
		{give: "-5s", wantErr: "-5s: must be positive"},
		{give: "-1S", wantErr: "-1s: must be positive"},
		{give: "-30", wantErr: "-30 has no unit"},
	}
	for _, tt := range tests {
		t.Run("give="+tt.give, func(t *testing.T) {
			_, err := parseDuration(tt.give)

			assert.ErrorContains(t, err, tt.wantErr, "parseDuration(%q)", tt.give)
		})
	}
}
