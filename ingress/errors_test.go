package ingress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
	"github.com/fxamacker/cbor/v2"

	"github.com/jitgate/jitgate/schemas"
)

// sdkCall makes one call with a client of e configured with creds.
type sdkCall func(ctx context.Context, e *env, creds aws.CredentialsProvider) error

var (
	callS3 sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.s3(c).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("logs")})
		return err
	}
	callDynamoDB sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.dynamodb(c).ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	}
	callSTS sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.sts(c).GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
		return err
	}
	callIAM sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.iam(c).ListUsers(ctx, &iam.ListUsersInput{})
		return err
	}
	callEC2 sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.ec2(c).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
		return err
	}
	callLambda sdkCall = func(ctx context.Context, e *env, c aws.CredentialsProvider) error {
		_, err := e.lambda(c).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		return err
	}
)

// families are the protocol families the SDK clients above speak.
var families = []struct {
	name string
	id   string // botocore service id, for the /svc/<id> endpoint path
	call sdkCall
	// headersTell: an unsigned request at the bare endpoint shows its
	// protocol by its headers alone. EC2 (a query-like form) and REST-JSON
	// need the /svc/<id> path or a credential scope to be told apart.
	headersTell bool
}{
	{"s3 rest-xml", "s3", callS3, true},
	{"dynamodb json", "dynamodb", callDynamoDB, true},
	{"sts query", "sts", callSTS, true},
	{"iam query", "iam", callIAM, true},
	{"ec2", "ec2", callEC2, false},
	{"lambda rest-json", "lambda", callLambda, false},
}

// checkAPIError asserts that err is the SDK's view of an AWS error with
// code and a message containing msg, and that the request id the SDK saw
// is the gateway's.
func checkAPIError(t *testing.T, e *env, err error, status int, code, msg string) string {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("code %q, want %q (message %q)", apiErr.ErrorCode(), code, apiErr.ErrorMessage())
	}
	if !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Errorf("message %q does not contain %q", apiErr.ErrorMessage(), msg)
	}
	_, gotStatus, hdr := e.rec.last()
	if gotStatus != status {
		t.Errorf("HTTP status %d, want %d", gotStatus, status)
	}
	id := hdr.Get("X-Amzn-Requestid")
	if s3id := hdr.Get("X-Amz-Request-Id"); len(id) != 36 || (s3id != "" && s3id != id) {
		t.Errorf("request id headers x-amzn-RequestId %q, x-amz-request-id %q", id, s3id)
	}
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) || re.ServiceRequestID() != id {
		t.Errorf("the SDK did not see request id %q (error %v)", id, err)
	}
	return id
}

func TestErrorShapesGatewayDenials(t *testing.T) {
	e := newEnv(t, envOpts{})
	good := e.agentCreds("agent-1")
	bad := good
	bad.SecretAccessKey = strings.Repeat("x", 40)
	at := func(path string) *env {
		c := *e
		c.url = e.url + path
		return &c
	}
	ctx := context.Background()
	for _, f := range families {
		cases := []struct {
			name   string
			env    *env
			creds  aws.CredentialsProvider
			status int
			code   string
			msg    string
		}{
			{"unsigned", e, aws.AnonymousCredentials{}, http.StatusForbidden, "MissingAuthenticationToken", "not signed"},
			{"unsigned at service path", at("/svc/" + f.id), aws.AnonymousCredentials{}, http.StatusForbidden, "MissingAuthenticationToken", "not signed"},
			{"bad signature", e, static(bad), http.StatusForbidden, "SignatureDoesNotMatch", "signature does not match"},
			{"bad signature at service path", at("/svc/" + f.id), static(bad), http.StatusForbidden, "SignatureDoesNotMatch", "signature does not match"},
			// The path names a service that does not exist, so nothing the
			// request carries can be judged.
			{"unidentifiable", at("/svc/nosuchservice"), static(good), http.StatusForbidden, "AccessDenied", "could not identify"},
		}
		for _, c := range cases {
			if c.name == "unsigned" && !f.headersTell {
				continue // known gap, see headersTell
			}
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				e.pub.reset()
				err := f.call(ctx, c.env, c.creds)
				checkAPIError(t, e, err, c.status, c.code, c.msg)
				if n := len(e.pub.published()); n != 0 {
					t.Errorf("%d events published for a denied request", n)
				}
			})
		}
	}
}

func TestErrorShapesFromResponseReady(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := static(e.agentCreds("agent-1"))
	ctx := context.Background()
	cases := []struct {
		status int
		code   string
		msg    string
	}{
		{http.StatusForbidden, "AccessDenied", "denied by rule no-prod: production is off limits"},
		{http.StatusBadRequest, "ValidationException", "bucket names <must> be \"lowercase\" & short"},
		{http.StatusServiceUnavailable, "ServiceUnavailable", "the upstream is down"},
	}
	for _, f := range families {
		for _, c := range cases {
			t.Run(f.name+"/"+c.code, func(t *testing.T) {
				e.pub.reset()
				e.pub.setRespond(refuse(c.status, c.code, c.msg))
				err := f.call(ctx, e, creds)
				id := checkAPIError(t, e, err, c.status, c.code, c.msg)
				env, _ := e.pub.lastRequest(t)
				if env.RequestID != id {
					t.Errorf("answered request id %q, published %q", id, env.RequestID)
				}
			})
		}
	}
}

// cborError is the rpc-v2-cbor error body.
type cborError struct {
	Type    string `cbor:"__type"`
	Message string `cbor:"message"`
}

func TestErrorShapeCBOR(t *testing.T) {
	e := newEnv(t, envOpts{})
	creds := e.agentCreds("agent-1")
	body, err := cbor.Marshal(map[string]any{"Namespace": "app"})
	if err != nil {
		t.Fatal(err)
	}
	newReq := func(t *testing.T) *http.Request {
		r, err := http.NewRequest(http.MethodPost, e.url+"/service/GraniteServiceVersion20100801/operation/ListMetrics", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		r.Header.Set("Accept", "application/cbor")
		return r
	}
	sign := func(t *testing.T, r *http.Request, c aws.Credentials) {
		sum := sha256Hex(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), c, r, sum, "monitoring", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	wrong := creds
	wrong.SecretAccessKey = strings.Repeat("y", 40)
	cases := []struct {
		name    string
		prepare func(t *testing.T, r *http.Request)
		respond func(*schemas.RequestReceived) []schemas.Payload
		status  int
		code    string
		msg     string
	}{
		{"unsigned", func(*testing.T, *http.Request) {}, nil, http.StatusForbidden, "MissingAuthenticationToken", "not signed"},
		{"bad signature", func(t *testing.T, r *http.Request) { sign(t, r, wrong) }, nil, http.StatusForbidden, "SignatureDoesNotMatch", "signature"},
		{"response.ready error", func(t *testing.T, r *http.Request) { sign(t, r, creds) },
			refuse(http.StatusForbidden, "AccessDenied", strings.Repeat("a long reason ", 30)), // > 255 bytes: two-byte length
			http.StatusForbidden, "AccessDenied", "a long reason a long reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.pub.setRespond(c.respond)
			r := newReq(t)
			c.prepare(t, r)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/cbor" || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
				t.Errorf("Content-Type %q, Smithy-Protocol %q", ct, resp.Header.Get("Smithy-Protocol"))
			}
			var got cborError
			if err := cbor.Unmarshal(raw, &got); err != nil {
				t.Fatalf("body %x does not decode: %v", raw, err)
			}
			if got.Type != c.code || !strings.Contains(got.Message, c.msg) {
				t.Errorf("decoded %+v, want code %q and message containing %q", got, c.code, c.msg)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId")
			}
		})
	}
}
