//go:build !unix

package peak

import (
	"errors"
	"fmt"
)

// MaxRSS is the process's peak resident memory: getrusage's, which only
// Unix has.
func MaxRSS() (uint64, error) {
	return 0, fmt.Errorf("peak resident memory: %w", errors.ErrUnsupported)
}
