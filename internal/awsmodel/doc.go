// Package awsmodel identifies which AWS service and operation an HTTP request
// is, extracts its input parameters, and knows each service's real endpoint.
//
// Everything comes from one generated file, index.json.gz, built from
// botocore's service models and endpoints.json by ./gen and embedded in the
// binary. Load parses it; the caller keeps the *Index (there is no package
// state). An *Index is safe for concurrent use.
//
// # Identification
//
// Identify looks at the request's protocol family, in this order:
//
//   - X-Amz-Target: "Prefix.Operation" (JSON 1.0 / 1.1) is matched against
//     each candidate service's targetPrefix.
//   - Smithy-Protocol: rpc-v2-cbor with path /service/S/operation/O.
//   - Action= in a form-encoded POST body or in the URL query (query and EC2
//     protocols).
//   - Otherwise REST (rest-json, rest-xml): method + requestUri template
//     (labels, greedy {Key+} labels, literal query parts such as ?uploads),
//     required query and header members (UploadPart needs partNumber and
//     uploadId, CopyObject needs x-amz-copy-source), and the x-id query
//     parameter the Go SDK adds. The most specific match wins.
//
// Candidate services come from the Hint: Hint.Service (settled by a
// per-service endpoint path such as /svc/dynamodb) wins; otherwise every
// service whose signing name is Hint.SigningName (the SigV4 credential scope)
// is tried, because about 40 signing names are shared (rds for rds, docdb and
// neptune; s3 for s3 and s3control). When two services match equally well,
// Identify fails with ErrAmbiguousOperation and tells the caller to use a
// per-service endpoint path. A service accepts every protocol its model lists
// (SQS: query or JSON; CloudWatch: query, JSON or CBOR).
//
// # Per-service endpoint paths
//
// Clients may be pointed at http://gateway/svc/<service-id> (for example
// AWS_ENDPOINT_URL_DYNAMODB=http://gw/svc/dynamodb). The caller splits the
// prefix off with SplitServicePath and passes the service id in
// Hint.Service; Identify then strips "/svc/<id>" from the request path
// itself (it never strips it otherwise, since "/svc/x" is also a valid S3
// bucket and key) and reports the remaining path in Operation.Path.
//
// # Endpoints
//
// Endpoint resolves a service id and region to the real AWS URL, signing
// name and signing region, including global services (iam, route53,
// cloudfront sign for us-east-1 at a partition endpoint). Regions are
// checked against the partitions so that a client-chosen region can never
// steer the host.
//
// # Effects and sensitive members
//
// Every operation has one or more effect classes (EffectRead, EffectList,
// EffectWrite, EffectDelete, EffectPermissions, EffectCredentials,
// EffectExecute): Index.Effects, OperationInfo.Effects and
// Operation.Effects. The generator derives them from the operation's verb,
// HTTP method and sensitive outputs, then applies the curated table
// gen/effects.txt (effects the model cannot show, such as dynamodb
// BatchWriteItem deleting or ssm StartSession handing out a session; one
// line per operation with its reason). Policy rules see them as
// call.effects.
//
// Index.SensitiveInput and Index.SensitiveOutput name the members, at any
// depth, whose shape botocore marks "sensitive": true; HandSensitiveInput
// adds what the trait misses (MFA codes) and SSE-C keys. The masker
// redacts SensitiveOutput fields; approver views mask SensitiveInput and
// HandSensitiveInput parameters.
//
// # Files
//
//   - index.go: Load, Index, ServiceInfo, OperationInfo; lazy per-service decoding.
//   - identify.go: Hint, Operation, Identify, candidate services, host prefixes.
//   - jsonrpc.go, cbor.go, query.go, rest.go: one protocol family each.
//   - template.go: requestUri templates and their matching.
//   - endpoint.go: Endpoint resolution from the partitions table.
//   - effects.go, sensitive.go: effect classes and sensitive members.
//   - svcpath.go: SplitServicePath.
//   - gen/: the generator (effects.go, effects.txt, sensitive.go for the
//     above); internal/modelfile: the index file format.
//   - testdata/botocore: capture.py and the requests it captured.
package awsmodel

//go:generate go run ./gen -out index.json.gz
