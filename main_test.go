// The test binary's entry: it runs the tests and benchmarks under goleak,
// or, started by a benchmark as a child process with JOINALL_CHILD set,
// becomes one of the Go processes the benchmarks measure from outside, as
// testdata/python's scripts are the Python ones.
//
//	go test .
package joinall_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/joinall/joinall/server"
)

func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(childEnv); ok {
		os.Exit(child(mode))
	}
	goleak.VerifyTestMain(m)
}

// childEnv, when set, makes this test binary a process of the Go side
// instead of running tests:
//
//	serve SHAPE WORK   serves hello or io from one of server.Shapes
//	bufio SIZE         serves hello by hand, through buffers of SIZE bytes
//	fanout TASKS       sleeps a second on each of TASKS goroutines, joined
//
// A server prints the port it listens on alone on its first line, as
// servers.py does, serves 127.0.0.1 until SIGTERM, and answers a line
// "memstats" on its standard input with one line of JSON (see memStats).
// fanout prints what greenlets.py prints.
const childEnv = "JOINALL_CHILD"

// child runs as the mode of childEnv says and returns the exit status.
func child(mode string) int {
	what, arg, _ := strings.Cut(mode, " ")
	var err error
	switch what {
	case "serve":
		shape, work, _ := strings.Cut(arg, " ")
		err = serveChild(server.Shape(shape), work)
	case "bufio":
		var size int
		if size, err = strconv.Atoi(arg); err == nil {
			err = bufioChild(size)
		}
	case "fanout":
		var tasks int
		if tasks, err = strconv.Atoi(arg); err == nil {
			err = fanoutChild(tasks)
		}
	default:
		err = fmt.Errorf("%s=%q: want serve SHAPE WORK, bufio SIZE or fanout TASKS", childEnv, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
