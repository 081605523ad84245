// A stock gRPC server on net.Listen, serving the standard health service,
// with the usual graceful stop on SIGTERM. Each version reports its own
// service name as SERVING, so a client can tell which version answered.
package main

import (
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const version = "v1"

func main() {
	lis, err := net.Listen("tcp", "ADDR")
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	h := health.NewServer()
	h.SetServingStatus(version, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		s.GracefulStop()
	}()
	if err := s.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
