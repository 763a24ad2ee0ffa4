// Package faulttest holds jitgate's process-level fault tests: every role
// as its own OS process (internal/cluster/clustertest), a steady mixed load
// from aws-sdk-go-v2 clients (allowed, denied, held then approved through
// `jitgate approve`, held then expired; testdata/policy.yaml), and faults
// injected while it runs (kill -9
// and restart of each role, a broker restart, ClickHouse stopped and
// started). The checks read the event log in ClickHouse and the upstream
// emulator's own record of the calls it executed. See docs/reliability.md,
// "Fault matrix", for what is injected and checked, and the last results.
//
// `make test` runs the bounded runs: TestKillEachRole, TestOutages (one
// broker restart, on a broker of the test's own, and ClickHouse stopped)
// and TestOverload (ten times the sustainable rate for 30 s). With
// JITGATE_SOAK=1 (`make soak`) TestOutages restarts the broker twice and
// TestSoak, the long run, runs too.
package faulttest
