package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/internal/bus"
)

// pprofFlag is --pprof, an opt-in profiling listener for the roles and
// `jitgate dev`. Off by default: profiles reveal request data in memory.
func pprofFlag() cli.Flag {
	return &cli.StringFlag{Name: "pprof", Usage: "serve Go profiles (net/http/pprof) and Kafka request counts (/debug/kafka-requests) on this address, e.g. 127.0.0.1:6060; loopback only, empty disables", EnvVars: []string{"JITGATE_PPROF"}}
}

// startPprof serves /debug/pprof/ on --pprof, if set. It refuses addresses
// that are not loopback: a heap profile holds request bodies and keys.
func startPprof(c *cli.Context) error {
	addr := c.String("pprof")
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--pprof %q: %w", addr, errPprofNotLoopback)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/kafka-requests", serveKafkaRequests)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-c.Context.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger(c).Error("pprof listener stopped", "err", err)
		}
	}()
	logger(c).Info("serving Go profiles", "addr", lis.Addr().String())
	return nil
}

// serveKafkaRequests answers with the Kafka requests this process's
// clients wrote since it started, by kind ({"Produce": 12, ...}): jitbench
// reads it before and after each run to report requests per call.
func serveKafkaRequests(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(bus.KafkaRequests())
}

var errPprofNotLoopback = errors.New("profiles hold request data and keys; listen on a loopback address (127.0.0.1:PORT)")
