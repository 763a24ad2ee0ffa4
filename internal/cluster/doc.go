// Package cluster runs jitgate the way production lays it out: each role
// (ingress, decider, executor, masker, recorder) as its own OS process of a
// built jitgate binary, on a Kafka broker the caller names, with stable
// --instance names, an OIDC issuer of its own (internal/devissuer) and fresh
// keys. It can kill -9, stop and restart any process by name, and mints
// agent credentials (through the ingress's AssumeRoleWithWebIdentity, as an
// agent does), approver tokens and approver API clients, and runs `jitgate
// approve` as an approver would.
//
// It imports no stage and no testing code, so the load harness
// (internal/bench) and tests share it; internal/cluster/clustertest adds
// what tests need around it (the broker, ClickHouse, the AWS emulator with
// its counting shim, the binary, clean-up).
//
// Processes are stopped by PID (internal/proc), never by name.
package cluster
