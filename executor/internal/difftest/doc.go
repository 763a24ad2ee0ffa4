// Package difftest is the differential test between what the gateway judges
// and what the upstream executes: every request of the botocore corpus
// (internal/awsmodel/difftest) and of the Go SDK sample, and every mutation
// of them (path, query, headers, body; duplicated, re-cased, re-encoded
// members; protocol signals that disagree), must be either refused or read
// identically on both sides of the gateway.
//
// The invariant, for one agent request R:
//
//   - the ingress identifies R (awsmodel.Index.Identify with the hint the
//     ingress uses: /svc/<id> path prefix, SigV4 credential scope). An
//     error is a refusal, and the invariant holds;
//   - otherwise the upstream request U is built exactly as the pipeline
//     builds it: the ingress's request.received fields (method, path without
//     the /svc prefix, raw query minus presign parameters, headers minus the
//     ones the ingress strips, signed header names, body), then
//     resign.Request with the endpoint table's target. A resign error is a
//     refusal;
//   - U is read twice, as the upstream host would (its service settled by
//     the host, its path literal): once literally, and once with every
//     ambiguity resolved the other way from awsmodel (see otherReading:
//     dot segments removed, the last of duplicated query keys and headers,
//     form body over URL query, Action over X-Amz-Target, the first of
//     duplicated JSON keys, JSON member names matched without case, x-id
//     ignored). Both readings must give exactly R's service, operation,
//     protocol, path and parameters.
//
// A request with two plausible readings that the gateway accepts is
// therefore a failure, whichever reading the real service takes.
//
// The package holds tests only (and this documentation); FuzzDifferential
// runs the same invariant under go test -fuzz, seeded from the corpus.
package difftest
