// Command goside is the Go side of the gevent-vs-go step of
// cmd/benchdocs, each part in a process of its own, as the Python side's
// are (testdata/python):
//
//	goside serve serial|pool|goroutine   # hello world from one of package server's shapes
//	goside fanout 1000000                # a million goroutines that sleep 1 s, joined
//
// serve binds 127.0.0.1 on a free port, prints the port alone on its
// first line of standard output, and serves until SIGTERM or SIGINT,
// as testdata/python/servers.py does. fanout prints one line of JSON, as
// testdata/python/greenlets.py does: the tasks, the wall time from the
// first spawn to the end of the join, and the process's peak resident
// memory (ru_maxrss, in KiB on Linux).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/joinall/joinall/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goside:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: goside serve serial|pool|goroutine | goside fanout TASKS")
	}
	switch args[0] {
	case "serve":
		return serve(args[1])
	case "fanout":
		tasks, err := strconv.Atoi(args[1])
		if err != nil || tasks < 0 {
			return fmt.Errorf("fanout %q: not a number of tasks", args[1])
		}
		return fanout(tasks)
	}
	return fmt.Errorf("%q: neither serve nor fanout", args[0])
}

func serve(shape string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.New(server.Shape(shape), server.Hello())
	if err != nil {
		return err
	}
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok {
		srv.Close()
		return fmt.Errorf("serve %s: listening on %v, not TCP", shape, srv.Addr())
	}
	fmt.Println(addr.Port)
	<-ctx.Done()
	return srv.Close()
}

// fanout spawns tasks goroutines that each sleep a second, joins them,
// and prints what greenlets.py prints.
func fanout(tasks int) error {
	start := time.Now()
	var wg sync.WaitGroup
	for range tasks {
		wg.Go(func() { time.Sleep(time.Second) })
	}
	wg.Wait()
	wall := time.Since(start)
	rss, err := maxRSSKiB()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"tasks": tasks, "wall_s": wall.Seconds(), "max_rss_kib": rss,
	})
}
