// grpcload sends gRPC health List calls to the address in its argument
// from 4 clients, half of them on a new connection per call, until its
// stdin closes. It prints "seen VERSION" the first time a version answers
// and, at the end, "result ok=N failed=M" and one "error ..." line per
// distinct failure.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	addr := os.Args[1]
	var mu sync.Mutex
	ok, failed := 0, 0
	seen, errs := map[string]bool{}, map[string]int{}
	out := bufio.NewWriter(os.Stdout)
	record := func(resp *healthpb.HealthListResponse, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed++
			errs[err.Error()]++
			return
		}
		ok++
		for name := range resp.GetStatuses() {
			if name != "" && !seen[name] {
				seen[name] = true
				fmt.Fprintf(out, "seen %s\n", name)
				out.Flush()
			}
		}
	}
	dial := func() *grpc.ClientConn {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return c
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fresh := i%2 == 0
			c := dial()
			defer func() { c.Close() }()
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				if fresh {
					c.Close()
					c = dial()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				resp, err := healthpb.NewHealthClient(c).List(ctx, &healthpb.HealthListRequest{})
				cancel()
				record(resp, err)
			}
		}()
	}
	io.Copy(io.Discard, os.Stdin)
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(out, "result ok=%d failed=%d\n", ok, failed)
	for e, n := range errs {
		fmt.Fprintf(out, "error %dx %s\n", n, e)
	}
	out.Flush()
}
