package executor

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/awsemu"
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/schemas"
)

// modelRouter is the endpoint table cmd/jitgate builds: awsmodel's
// endpoints, and its identification as a single upstream host reads a
// request (by signing name, no per-service path).
type modelRouter struct{ ix *awsmodel.Index }

func (m modelRouter) Endpoint(service, region string) (Endpoint, error) {
	ep, err := m.ix.Endpoint(service, region)
	return Endpoint{URL: ep.URL, SigningName: ep.SigningName, SigningRegion: ep.SigningRegion}, err
}

func (m modelRouter) UpstreamService(r *schemas.RequestReceived) (string, string, error) {
	h := r.HTTP
	u := &url.URL{Path: h.Path, RawQuery: h.RawQuery}
	if p, err := url.PathUnescape(h.Path); err == nil {
		u.Path, u.RawPath = p, h.Path
	}
	req := &http.Request{Method: h.Method, URL: u, Header: schemas.HTTPHeader(h.Headers)}
	op, err := m.ix.Identify(req, h.Body, awsmodel.Hint{SigningName: r.SigningName})
	if err != nil {
		return "", "", err
	}
	return op.Service, op.Name, nil
}

func judged(service, op, signing, method, path, body string, hs ...string) schemas.RequestReceived {
	var headers []schemas.Header
	for i := 0; i+1 < len(hs); i += 2 {
		headers = append(headers, schemas.Header{Name: hs[i], Value: hs[i+1]})
	}
	return schemas.RequestReceived{Service: service, Operation: op, SigningName: signing, Region: "us-east-1",
		HTTP: schemas.HTTPRequest{Method: method, Path: path, Headers: headers, Body: []byte(body), BodySize: int64(len(body))}}
}

// TestUpstreamReroute: with one upstream host for every service, a call is
// sent only when that host, routing by signing name and then by reading
// the request, runs it as the service and operation policy judged, and
// only to services the upstream implements.
func TestUpstreamReroute(t *testing.T) {
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	router := modelRouter{ix}
	form := "Content-Type"
	tests := []struct {
		name     string
		services []string
		table    Endpoints
		req      schemas.RequestReceived
		refused  bool
	}{
		{"s3 object by signing name", awsemu.Services(), router,
			judged("s3", "GetObject", "s3", "GET", "/bkt/key.txt", ""), false},
		{"s3 judged through /svc/s3, read upstream as s3control", awsemu.Services(), router,
			judged("s3", "DeleteObject", "s3", "DELETE", "/v20180820/accesspoint/ap1", "", "X-Amz-Account-Id", "123456789012"), true},
		{"neptune judged through /svc/neptune, upstream cannot tell rds from docdb", awsemu.Services(), router,
			judged("neptune", "DeleteDBCluster", "rds", "POST", "/", "Action=DeleteDBCluster&Version=2014-10-31&DBClusterIdentifier=c1",
				form, "application/x-www-form-urlencoded"), true},
		{"dynamodb shares its signing name with streams, the target settles it", awsemu.Services(), router,
			judged("dynamodb", "ListTables", "dynamodb", "POST", "/", "{}",
				"X-Amz-Target", "DynamoDB_20120810.ListTables", form, "application/x-amz-json-1.0"), false},
		{"judged operation differs from the upstream's reading", awsemu.Services(), router,
			judged("dynamodb", "ListTables", "dynamodb", "POST", "/", "{}",
				"X-Amz-Target", "DynamoDB_20120810.DeleteTable", form, "application/x-amz-json-1.0"), true},
		{"service the upstream does not implement", awsemu.Services(), router,
			judged("codecommit", "ListRepositories", "codecommit", "POST", "/", "{}",
				"X-Amz-Target", "CodeCommit_20150413.ListRepositories", form, "application/x-amz-json-1.1"), true},
		{"no list: any service, still read as the upstream reads it", nil, router,
			judged("codecommit", "ListRepositories", "codecommit", "POST", "/", "{}",
				"X-Amz-Target", "CodeCommit_20150413.ListRepositories", form, "application/x-amz-json-1.1"), false},
		{"no list, no router: the upstream is trusted to route", nil, table,
			judged("s3", "DeleteObject", "s3", "DELETE", "/v20180820/accesspoint/ap1", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := unitConfig()
			cfg.Upstream = "http://127.0.0.1:4566"
			cfg.UpstreamServices = tt.services
			e, _, logs := newUnit(t, cfg, Deps{Endpoints: tt.table})
			_, err := e.target(&tt.req)
			if tt.refused {
				if !errors.Is(err, ErrReroute) {
					t.Fatalf("target = %v, want ErrReroute", err)
				}
				t.Log(err)
				if !strings.Contains(logs.String(), "security.upstream_reroute") {
					t.Errorf("refusal not logged as a security event: %s", logs.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("target: %v", err)
			}
		})
	}
}
