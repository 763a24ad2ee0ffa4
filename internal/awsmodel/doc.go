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
//   - Action= in a form-encoded POST body or in the URL query, never both
//     (query and EC2 protocols).
//   - Otherwise REST (rest-json, rest-xml): method + requestUri template
//     (labels, greedy {Key+} labels, literal query parts such as ?uploads)
//     and required query and header members (UploadPart needs partNumber and
//     uploadId, CopyObject needs x-amz-copy-source). The most specific match
//     wins. The x-id query parameter the Go SDK adds never picks the route.
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
// # One reading
//
// The executor forwards the agent's path, query, headers and body, and AWS,
// its front ends and emulators parse them with their own code. So Identify
// accepts a request only when it can prove those bytes have one reading; any
// other fails with ErrAmbiguousRequest (or ErrUnsignedInput), whose message
// names what was ambiguous. The rules:
//
//   - Paths: no '.' or '..' segment, raw or percent-encoded (%2E, %2e), also
//     where a segment decodes to several ("x%2F..") or splits on a
//     backslash; S3 keys with such segments are not accepted through the
//     gateway. No empty segment ("//") except inside a greedy label (an S3
//     key may hold "//"); keys are kept literal, never cleaned or re-escaped.
//     JSON and query requests go to "/" only. A /svc/<id> prefix is not
//     percent-encoded; an S3 bucket label holds no encoded '/' or '\'.
//   - URL queries and form bodies are parsed strictly: a bad escape, a raw
//     ';', an empty key or invalid UTF-8 is refused, never skipped.
//   - Query and EC2: with a form body the URL query carries only SigV4
//     presign parameters; no key twice; no two keys equal but for case
//     (Action and action); a body that is not form-encoded is refused; list
//     and map indexes are 1..999999 without sign or leading zero; a
//     query-protocol key's first segment is spelled as the model spells
//     its member (EC2's wire names are not in the index).
//   - REST: every query key is one the chosen operation models (a literal key
//     of its template, a bound querystring member, any key when a map member
//     takes the rest, presign parameters, x-id); a key twice only for a list
//     member; no keys equal but for case; x-id, when present, must name the
//     operation chosen without it; a non-list header member once; a
//     rest-json body member must not name a member bound to the path, query
//     or a header (the body is read even when the operation has no body
//     members).
//   - Protocol signals agree: X-Amz-Target and Smithy-Protocol never
//     together; Smithy-Protocol is exactly rpc-v2-cbor; JSON's Content-Type,
//     when sent, is application/x-amz-json-1.0 or -1.1 matching the service's
//     jsonVersion, CBOR's application/cbor; JSON and CBOR requests carry no
//     URL query keys but presign parameters. Form, JSON and CBOR bodies are
//     UTF-8 (no other charset). No method-override header
//     (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override).
//   - Region: a credential-scope region that is an endpoint name of the
//     service ("aws-global", "fips-us-east-1") is refused; the call would
//     run in another region than the one policy judged.
//   - Bodies: JSON (json, rest-json) objects and CBOR maps have no member
//     twice and no two members equal but for case (Unicode simple folding),
//     at any depth. rest-xml payloads are decoded generically (restxml.go)
//     and refused when two XML readers could disagree (DOCTYPE, entities,
//     comments, an element repeated but not side by side, an element in
//     another namespace than the root's, deep nesting). CBOR carries no tag
//     but 1 (a timestamp, on a value) and 55799 (in front of the body).
//   - Parameter strings are valid UTF-8 (policy sees them JSON-encoded).
//   - Headers: with Hint.SignedHeaders set, every header Identify reads to
//     pick or fill the operation must be signed: X-Amz-Target,
//     Smithy-Protocol, Content-Type of JSON, CBOR and query requests, and
//     every header or header-prefix member bound by any REST route of the
//     same method and path (so an unsigned x-amz-copy-source is refused even
//     on a route that does not model it). Content-Length is framing and
//     exempt. A header spelled with '_' where '-' would name such a header
//     is refused.
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
// # Idempotency tokens
//
// Index.IdempotencyToken names an operation's member botocore marks
// "idempotencyToken": true (ec2 RunInstances ClientToken, dynamodb
// TransactWriteItems ClientRequestToken, the x-amz-client-token header of
// s3 RenameObject), with where it travels and its name on the wire.
// Identify sets Operation.TokenMember and Operation.IdempotencyToken, the
// value the request carries (SDKs fill it when the caller does not): AWS
// runs the same token once, so the executor may send such a request again
// after a crash.
//
// # Files
//
//   - index.go: Load, Index, ServiceInfo, OperationInfo; lazy per-service decoding.
//   - identify.go: Hint, Operation, Identify, candidate services, host prefixes.
//   - oneread.go: the one-reading checks shared by the protocols.
//   - jsonrpc.go, cbor.go, query.go, rest.go: one protocol family each.
//   - restxml.go: generic decoding of rest-xml request bodies.
//   - cbortags.go: the CBOR tags a body may carry.
//   - template.go: requestUri templates and their matching.
//   - endpoint.go: Endpoint resolution from the partitions table.
//   - effects.go, sensitive.go: effect classes and sensitive members.
//   - idempotency.go: idempotency-token members and the request's token.
//   - svcpath.go: SplitServicePath.
//   - gen/: the generator (effects.go, effects.txt, sensitive.go for the
//     above); internal/modelfile: the index file format.
//   - testdata/botocore: capture.py and the requests it captured.
package awsmodel

//go:generate go run ./gen -out index.json.gz
