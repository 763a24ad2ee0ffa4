// Package awsemu is jitgate's development and test upstream: the in-process
// AWS emulator sivchari/kumo behind a reverse proxy that checks SigV4.
//
// kumo routes by the SigV4 credential scope but never checks a signature, so
// on its own it would accept anything the executor sends. The proxy accepts
// only requests signed (in the Authorization header, not presigned) with the
// one set of credentials given to Start — the gateway's own — and answers
// everything else with 403 and an AWS-style error. The check is deliberately
// independent of the executor's signing code: it parses Authorization,
// rebuilds a copy of the request with only the signed headers, signs that
// copy with aws-sdk-go-v2's v4 signer and compares signatures with
// hmac.Equal. Every verified request is recorded for tests (Requests).
//
// It listens on 127.0.0.1 only and keeps state in memory: not for
// production. kumo registers its services when imported and keeps their
// state per process, so every Emulator in one process shares buckets,
// tables and so on: tests should use unique resource names.
package awsemu
