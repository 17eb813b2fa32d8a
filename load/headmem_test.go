// What a hostile server's headers can make the driver hold: within a small
// multiple of Config.MaxHeaderBytes, whatever the number of header lines
// and however long each, measured as the bytes allocated per transaction.
//
//	go test -run HeaderMemory -v ./load
package load_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/joinall/joinall/load"
)

// rawURL serves response, as it is, to every request on every connection,
// from a loopback server that allocates next to nothing itself, and
// returns its URL.
func rawURL(tb testing.TB, response []byte) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err, "listen on a free port")
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					// A request of the driver's is a head without a body.
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(response); err != nil {
						return
					}
				}
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/"
}

// head is a response whose head has n header lines that line makes, and
// an empty body.
func head(n int, line func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	for i := range n {
		b.WriteString(line(i))
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// TestRunHeaderMemory: one user, a few transactions, against servers whose
// heads are within the bound or beyond it, in many small lines, in lines
// of distinct names, or in one long line. The bytes the process
// allocates per transaction stay within 3 x MaxHeaderBytes, the bound that
// gosiege -h states. Not parallel: the allocations counted are the
// process's.
func TestRunHeaderMemory(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name         string
		giveMax      int64
		giveResponse []byte
		wantTooLarge bool // whether the head is refused as too large
	}{
		{name: "few", giveMax: mib, giveResponse: head(10, func(int) string { return "X-N: 1\r\n" })},
		// 1,000 lines of 40 bytes: 40 KB and 1,000 x 128 charged, well
		// within 1 MB.
		{name: "thousand", giveMax: mib, giveResponse: head(1000, func(i int) string { return fmt.Sprintf("X-Header-%04d: %022d\r\n", i, i) })},
		// One line of 300 KB: its bytes past 4 KB count 3 times, 892 KB
		// in all.
		{name: "one_300KB", giveMax: mib, giveResponse: head(1, func(int) string { return "X-Big: " + strings.Repeat("a", 300_000) + "\r\n" })},
		// 800 KB of 8-byte lines: within 1 MB as bytes.
		{name: "many_small", giveMax: mib, wantTooLarge: true, giveResponse: head(100_000, func(int) string { return "X-N: 1\r\n" })},
		{name: "many_names", giveMax: mib, wantTooLarge: true, giveResponse: head(100_000, func(i int) string { return fmt.Sprintf("%x:\r\n", i) })},
		{name: "one_long", giveMax: mib, wantTooLarge: true, giveResponse: head(1, func(int) string { return "X-Big: " + strings.Repeat("a", 1_000_000) + "\r\n" })},
		{name: "many_small_10MiB", giveMax: 10 * mib, wantTooLarge: true, giveResponse: head(1_200_000, func(int) string { return "X-N: 1\r\n" })},
		{name: "one_long_10MiB", giveMax: 10 * mib, wantTooLarge: true, giveResponse: head(1, func(int) string { return "X-Big: " + strings.Repeat("a", 10_000_000) + "\r\n" })},
	}
	for _, tt := range tests {
		t.Run("headers="+tt.name, func(t *testing.T) {
			const reps = 3
			cfg := load.Config{URL: rawURL(t, tt.giveResponse), Users: 1, Reps: reps, KeepAlive: true, MaxHeaderBytes: tt.giveMax}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)

			got, err := load.Run(t.Context(), cfg)

			runtime.ReadMemStats(&after)
			require.NoError(t, err, "Run(%s)", tt.name)
			perTransaction := float64(after.TotalAlloc-before.TotalAlloc) / reps
			t.Logf("%s: %d bytes a response, %.0f bytes allocated a transaction (%.2f x the bound), failures %+v",
				tt.name, len(tt.giveResponse), perTransaction, perTransaction/float64(tt.giveMax), got.Failures)
			assert.Equal(t, reps, got.Transactions+got.Failed, "Run(%s): attempts", tt.name)
			assert.Equal(t, tt.wantTooLarge, got.Failures.HeaderTooLarge == reps, "Run(%s): refused as too large: %+v", tt.name, got.Failures)
			assert.LessOrEqual(t, perTransaction, 3*float64(tt.giveMax), "Run(%s): bytes allocated a transaction, against a bound of %d", tt.name, tt.giveMax)
		})
	}
}
