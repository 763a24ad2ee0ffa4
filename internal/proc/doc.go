// Package proc starts and supervises the child processes of jitgate's test
// and load harnesses: servers (Kafka, ClickHouse) and jitgate roles.
//
// A Process writes its output to a log file, is stopped by its own PID
// (SIGTERM, then SIGKILL after a grace period) or killed at once (the
// `kill -9` of a fault test), and on Linux gets SIGKILL from the kernel if
// the harness dies first (Pdeathsig), so an interrupted run leaves nothing
// running. It never signals by name or process group.
//
// internal/testenv (servers for tests), internal/cluster (jitgate's roles
// as processes) and internal/bench (the load harness) share it.
package proc
