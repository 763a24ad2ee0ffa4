package difftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/jitgate/jitgate/executor/internal/resign"
	"github.com/jitgate/jitgate/internal/awsmodel"
	corpus "github.com/jitgate/jitgate/internal/awsmodel/difftest"
	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// ingressStrips are the headers the ingress never publishes (mirrors
// stripHeaders in ingress/aws.go).
var ingressStrips = map[string]bool{
	"authorization": true, "x-amz-date": true, "x-amz-security-token": true,
	"connection": true, "keep-alive": true, "proxy-authorization": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "expect": true,
}

var gatewayCreds = aws.Credentials{AccessKeyID: "AKIDGATEWAY", SecretAccessKey: "gateway-secret"}

// errDifferential marks a request the gateway accepts but the upstream
// may read as something else.
var errDifferential = errors.New("differential")

// outcome of one request under the invariant.
type outcome struct {
	refused error               // why the gateway refused it, or nil
	op      *awsmodel.Operation // what the gateway judged, when accepted
}

// check applies the invariant to one agent request. It returns an error
// wrapping errDifferential when the request is accepted and a reading of
// its upstream request differs from what the gateway judged.
func check(ix *awsmodel.Index, r *http.Request, body []byte) (outcome, error) {
	hint := corpus.HintFor(r)
	op, err := ix.Identify(r, body, hint)
	if err != nil {
		return outcome{refused: err}, nil
	}
	up, upBody, err := upstream(ix, r, body, op, hint.Region)
	if err != nil {
		return outcome{refused: err}, nil
	}
	readings := []struct {
		name string
		read func(*awsmodel.Index, *awsmodel.Operation, *http.Request, []byte) (*http.Request, []byte)
	}{
		{"literal", func(_ *awsmodel.Index, _ *awsmodel.Operation, r *http.Request, b []byte) (*http.Request, []byte) {
			return r, b
		}},
		{"other", otherReading},
	}
	for _, rd := range readings {
		ur, ub := rd.read(ix, op, up.Clone(context.Background()), upBody)
		got, err := identifyUpstream(ix, op.Service, ur, ub)
		if err != nil {
			return outcome{op: op}, fmt.Errorf("%w: judged %s, but the %s reading of the upstream request fails: %v",
				errDifferential, describe(op), rd.name, err)
		}
		if d := diffOps(op, got); d != "" {
			return outcome{op: op}, fmt.Errorf("%w: judged %s, the %s reading of the upstream request is %s: %s",
				errDifferential, describe(op), rd.name, describe(got), d)
		}
	}
	return outcome{op: op}, nil
}

func describe(op *awsmodel.Operation) string {
	return fmt.Sprintf("%s:%s (%s) path %q", op.Service, op.Name, op.Protocol, op.Path)
}

// upstream builds the request the executor sends for r: the ingress's
// request.received fields, then resign.Request against the endpoint table.
func upstream(ix *awsmodel.Index, r *http.Request, body []byte, op *awsmodel.Operation, region string) (*http.Request, []byte, error) {
	ep, err := ix.Endpoint(op.Service, region)
	if err != nil {
		return nil, nil, err
	}
	base, err := url.Parse(ep.URL)
	if err != nil {
		return nil, nil, err
	}
	var signed []string
	for _, h := range signedHeaders(r) {
		if !ingressStrips[h] {
			signed = append(signed, h)
		}
	}
	in := resign.Input{
		HTTP: &schemas.HTTPRequest{
			Method:        r.Method,
			Path:          op.Path,
			RawQuery:      sigv4.StripPresign(r.URL.RawQuery),
			Headers:       schemas.HeadersFrom(r.Header, func(n string) bool { return ingressStrips[strings.ToLower(n)] }),
			SignedHeaders: signed,
			Body:          body,
			BodySize:      int64(len(body)),
		},
		Target: resign.Target{Base: base, SigningName: ep.SigningName, SigningRegion: ep.SigningRegion},
	}
	up, err := resign.Request(context.Background(), in, gatewayCreds, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, nil, err
	}
	upBody, err := io.ReadAll(up.Body)
	if err != nil {
		return nil, nil, err
	}
	return up, upBody, nil
}

// signedHeaders are the lowercase names in the Authorization header's
// SignedHeaders.
func signedHeaders(r *http.Request) []string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	if !ok {
		return nil
	}
	rest, _, _ = strings.Cut(rest, ",")
	return strings.Split(strings.TrimSpace(rest), ";")
}

// identifyUpstream reads r as the upstream host does: the host settles the
// service and the path is literal. Identify strips one /svc/<service>
// prefix when the hint names the service, so one is added first: a path
// that itself starts with /svc/<service> stays as the upstream sees it.
func identifyUpstream(ix *awsmodel.Index, service string, r *http.Request, body []byte) (*awsmodel.Operation, error) {
	u := *r.URL
	prefix := "/svc/" + service
	u.RawPath = prefix + r.URL.EscapedPath()
	u.Path = prefix + r.URL.Path
	r.URL = &u
	return ix.Identify(r, body, awsmodel.Hint{Service: service})
}

// diffOps says how two identifications differ ("" when they do not): in
// service, operation, protocol or parameters. Paths are not compared: a
// path that changes the meaning changes labels or the operation, and RPC
// protocols other than CBOR ignore it.
func diffOps(a, b *awsmodel.Operation) string {
	switch {
	case a.Service != b.Service || a.Name != b.Name || a.Protocol != b.Protocol:
		return "another operation"
	}
	pa, errA := normal(a.Params)
	pb, errB := normal(b.Params)
	if errA != nil || errB != nil {
		return fmt.Sprintf("parameters not comparable: %v %v", errA, errB)
	}
	if !reflect.DeepEqual(pa, pb) {
		return fmt.Sprintf("parameters %v, judged %v", pb, pa)
	}
	return ""
}
