package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/joinall/joinall/server"
)

// The article's gevent server, in Go: serve hello world, ask it once, shut
// it down.
func Example() {
	s, err := server.New(server.Goroutine, server.Hello())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	// A new connection per request, as siege makes them, so that no idle
	// connection is left behind.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(s.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK hello world
}

// A pool whose one worker is busy and which keeps no queue turns the next
// request away at once, and says when to come back.
func ExamplePool() {
	started, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	s, err := server.New(server.Pool, slow, server.Workers(1), server.Queue(0))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	status := func() string {
		resp, err := client.Get(s.URL())
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		return fmt.Sprintf("%s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}

	first := make(chan string)
	go func() { first <- status() }()
	<-started
	fmt.Println("second:", status())
	close(release)
	fmt.Println("first:", <-first)
	// Output:
	// second: 503 Service Unavailable, Retry-After "1"
	// first: 200 OK, Retry-After ""
}
