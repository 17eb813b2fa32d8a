package peak

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Memory and goroutines held while the sampler runs must show in the peak
// even after they are released: the peak is a maximum, not a last reading.
func TestSamplerSeesWhatWasReleased(t *testing.T) {
	const (
		size       = 64 << 20
		goroutines = 1000
	)
	runtime.GC()
	before := Now()

	s := Start()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 1 // touch it, so that it is certainly in use
	}
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range goroutines {
		wg.Go(func() { <-release })
	}
	got := s.Stop()
	close(release)
	wg.Wait()
	runtime.KeepAlive(buf)
	runtime.GC()

	assert.GreaterOrEqual(t, got.Bytes, before.Bytes+size, "peak bytes with a %d MiB buffer held (before: %d)", size>>20, before.Bytes)
	assert.GreaterOrEqual(t, got.Goroutines, before.Goroutines+goroutines, "peak goroutines with %d parked (before: %d)", goroutines, before.Goroutines)
	assert.Less(t, Now().Bytes, got.Bytes, "bytes after the buffer is freed should be below the peak")
}

// MaxRSS counts what the process has held at once, even after it is
// released.
func TestMaxRSS(t *testing.T) {
	const size = 64 << 20
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 1 // touch it, so that it is certainly resident
	}
	runtime.KeepAlive(buf)

	got, err := MaxRSS()

	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	require.NoError(t, err, "MaxRSS")
	assert.GreaterOrEqual(t, got, uint64(size), "MaxRSS after touching %d MiB", size>>20)
}
