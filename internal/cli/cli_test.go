// How an error becomes an exit status and one line on standard error.
//
//	go test ./internal/cli
package cli_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/joinall/joinall/internal/cli"
)

// Main starts a goroutine that waits for Ctrl-C.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestReport: no error is status 0 and prints nothing; a usage error,
// wrapped or not, is status 2; any other error is status 1; each prints one
// line after the command's name.
func TestReport(t *testing.T) {
	tests := []struct {
		name       string
		give       error
		wantStatus int
		wantLine   string
	}{
		{name: "none", give: nil, wantStatus: 0},
		{name: "usage", give: cli.Usagef("-c %d: need at least 1", 0), wantStatus: 2, wantLine: "cmd: -c 0: need at least 1\n"},
		{name: "usage_wrapped", give: fmt.Errorf("parse: %w", cli.Usage(errors.New("bad"))), wantStatus: 2, wantLine: "cmd: parse: bad\n"},
		{name: "failure", give: errors.New("cannot reach it"), wantStatus: 1, wantLine: "cmd: cannot reach it\n"},
		{name: "lines_joined", give: errors.Join(errors.New("one"), errors.New("two")), wantStatus: 1, wantLine: "cmd: one; two\n"},
	}
	for _, tt := range tests {
		t.Run("err="+tt.name, func(t *testing.T) {
			var stderr strings.Builder

			got := cli.Report(&stderr, "cmd", tt.give)

			assert.Equal(t, tt.wantStatus, got, "status")
			assert.Equal(t, tt.wantLine, stderr.String(), "stderr")
		})
	}
	assert.Nil(t, cli.Usage(nil), "Usage(nil)")
}
