package awsmodel

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTemplateMatchPath(t *testing.T) {
	tests := []struct {
		name   string
		uri    string
		path   string
		ok     bool
		labels map[string]string
	}{
		{"root", "/", "/", true, map[string]string{}},
		{"root rejects segment", "/", "/b", false, nil},
		{"label", "/{Bucket}", "/my-bucket", true, map[string]string{"Bucket": "my-bucket"}},
		{"label trailing slash", "/{Bucket}", "/my-bucket/", true, map[string]string{"Bucket": "my-bucket"}},
		{"label empty", "/{Bucket}", "//", false, nil},
		{"greedy", "/{Bucket}/{Key+}", "/b/a/b/c", true, map[string]string{"Bucket": "b", "Key": "a/b/c"}},
		{"greedy keeps trailing slash", "/{Bucket}/{Key+}", "/b/dir/", true, map[string]string{"Bucket": "b", "Key": "dir/"}},
		{"greedy not empty", "/{Bucket}/{Key+}", "/b/", false, nil},
		{"greedy unescapes", "/{Bucket}/{Key+}", "/b/a%2Fb%20c", true, map[string]string{"Bucket": "b", "Key": "a/b c"}},
		{"greedy in the middle", "/v1/{Path+}/meta", "/v1/a/b/meta", true, map[string]string{"Path": "a/b"}},
		{"greedy in the middle needs tail", "/v1/{Path+}/meta", "/v1/meta", false, nil},
		{"literal", "/2015-03-31/functions/{FunctionName}/invocations", "/2015-03-31/functions/fn/invocations", true, map[string]string{"FunctionName": "fn"}},
		{"literal mismatch", "/2015-03-31/functions/{FunctionName}/invocations", "/2015-03-31/functions/fn/invoke", false, nil},
		{"bad escape", "/{Bucket}", "/a%zz", false, nil},
		{"template trailing slash", "/2015-03-31/functions/", "/2015-03-31/functions", true, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := parseTemplate(tt.uri)
			labels := map[string]string{}
			_, ok := tpl.matchPath(splitPath(tt.path), labels)
			if ok != tt.ok {
				t.Fatalf("match(%q, %q) = %v, want %v", tt.uri, tt.path, ok, tt.ok)
			}
			if ok && !maps.Equal(labels, tt.labels) {
				t.Errorf("labels = %v, want %v", labels, tt.labels)
			}
			// Matching without collecting labels must agree.
			if _, ok2 := tpl.matchPath(splitPath(tt.path), nil); ok2 != ok {
				t.Errorf("match without labels = %v, with labels = %v", ok2, ok)
			}
		})
	}
}

func TestTemplateSpecificity(t *testing.T) {
	segs := splitPath("/b/k")
	score := func(uri string) int {
		tpl := parseTemplate(uri)
		s, ok := tpl.matchPath(segs, nil)
		if !ok {
			t.Fatalf("%s does not match", uri)
		}
		return s
	}
	lit, label, greedy := score("/b/{Key}"), score("/{Bucket}/{Key}"), score("/{Bucket}/{Key+}")
	if !(lit > label && label > greedy) {
		t.Errorf("scores literal %d, label %d, greedy %d: want strictly decreasing", lit, label, greedy)
	}
}

func TestTemplateMatchQuery(t *testing.T) {
	tests := []struct {
		uri, query string
		ok         bool
	}{
		{"/{Bucket}?uploads", "uploads", true},
		{"/{Bucket}?uploads", "uploads=", true},
		{"/{Bucket}?uploads", "", false},
		{"/{Bucket}?list-type=2", "list-type=2&prefix=a", true},
		{"/{Bucket}?list-type=2", "list-type=1", false},
		{"/{Bucket}", "anything=1", true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		tpl := parseTemplate(tt.uri)
		if _, ok := tpl.matchQuery(q); ok != tt.ok {
			t.Errorf("matchQuery(%q, %q) = %v, want %v", tt.uri, tt.query, ok, tt.ok)
		}
	}
}

// FuzzMatchPath checks that template matching never panics and that a
// match's labels re-expand to the request path.
func FuzzMatchPath(f *testing.F) {
	f.Add("/{Bucket}/{Key+}", "/b/a/b")
	f.Add("/{Bucket}?uploads", "/b/")
	f.Add("/v1/{Path+}/x/{Id}", "/v1/a/b/x/1")
	f.Add("/{A}/{B}", "/%zz/b")
	f.Fuzz(func(t *testing.T, uri, path string) {
		tpl := parseTemplate(uri)
		labels := map[string]string{}
		_, ok := tpl.matchPath(splitPath(path), labels)
		if _, ok2 := tpl.matchPath(splitPath(path), nil); ok2 != ok {
			t.Fatalf("match with labels %v, without %v", ok, ok2)
		}
		if !ok {
			return
		}
		for _, s := range tpl.segs {
			if s.label != "" && labels[s.label] == "" {
				t.Fatalf("label %s matched empty", s.label)
			}
		}
	})
}

// FuzzIdentify feeds arbitrary requests to Identify: it must not panic, it
// must either name an operation of a known service or fail with one of the
// package's errors, and what it accepts has one reading: identifying the
// bytes the executor forwards (op.Path, the same query, headers and body)
// again, without the /svc hint and with the same signing name, yields the
// same service, operation and parameters (or, for a service that only the
// /svc path settled, ErrAmbiguousOperation among services sharing the
// signing name); with the service named instead, always the same.
func FuzzIdentify(f *testing.F) {
	ix := mustLoad(f)
	const formCT = "application/x-www-form-urlencoded"
	f.Add("PUT", "/b/k?partNumber=1&uploadId=u", "", "", "", "", "s3", []byte("x"))
	f.Add("POST", "/", "DynamoDB_20120810.PutItem", "", "application/x-amz-json-1.0", "", "dynamodb", []byte(`{"TableName":"t"}`))
	f.Add("POST", "/", "", "", formCT, "", "iam", []byte("Action=ListUsers&Version=2010-05-08"))
	f.Add("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", "", "rpc-v2-cbor", "application/cbor", "", "monitoring", []byte{0xa0})
	f.Add("GET", "/svc/s3/b?list-type=2", "", "", "", "", "", []byte(nil))
	f.Add("GET", "/v20180820/accesspoint", "", "", "", "X-Amz-Account-Id: 123456789012", "s3", []byte(nil))
	f.Add("POST", "/svc/docdb/", "", "", formCT, "", "rds", []byte("Action=DescribeDBClusters&Version=2014-10-31"))
	// Attacks seen: each must be refused or read one way.
	f.Add("GET", "/bucket/x/..?policy", "", "", "", "", "s3", []byte(nil))
	f.Add("DELETE", "/bucket/x/%2e%2E", "", "", "", "", "s3", []byte(nil))
	f.Add("POST", "/?Action=DeleteTopic", "", "", formCT, "", "sns", []byte("Action=ListTopics"))
	f.Add("POST", "/", "", "", formCT, "", "iam", []byte("Action=ListUsers&action=CreateAccessKey"))
	f.Add("PUT", "/b/k?x-id=GetObject", "", "", "", "X-Amz-Copy-Source: s/k", "s3", []byte(nil))
	f.Add("PUT", "/b/k?uploads&x-id=PutObject", "", "", "", "", "s3", []byte(nil))
	f.Add("POST", "/", "DynamoDB_20120810.DeleteTable", "", formCT, "", "dynamodb", []byte("Action=DeleteTable&TableName=t"))
	f.Add("POST", "/", "DynamoDB_20120810.DeleteTable", "", "", "", "dynamodb", []byte(`{"TableName":"a","tablename":"b"}`))
	f.Add("POST", "/b?delete", "", "", "", "", "s3", []byte(`<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>`))
	f.Add("PUT", "/b/k", "", "", "", "X_Amz_Copy_Source: s/k", "s3", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, amzTarget, smithy, contentType, header, signing string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !validMethod(method) {
			return
		}
		build := func(u *url.URL) *http.Request {
			r := &http.Request{Method: method, URL: u, Header: http.Header{}}
			for name, v := range map[string]string{"X-Amz-Target": amzTarget, "Smithy-Protocol": smithy, "Content-Type": contentType} {
				if v != "" {
					r.Header.Set(name, v)
				}
			}
			if k, v, ok := strings.Cut(header, ":"); ok && k != "" {
				r.Header.Add(k, strings.TrimSpace(v))
			}
			return r
		}
		hint := Hint{SigningName: signing}
		if id, _, ok := SplitServicePath(u.EscapedPath()); ok {
			hint.Service = id
		}
		op, err := ix.Identify(build(u), body, hint)
		if err != nil {
			return
		}
		if _, ok := ix.Operation(op.Service, op.Name); !ok {
			t.Fatalf("Identify returned %s %s, which the index does not have", op.Service, op.Name)
		}
		// The bytes the executor forwards: op.Path with the same query.
		fwd, err := url.ParseRequestURI(op.Path)
		if err != nil {
			t.Fatalf("op.Path %q does not parse: %v", op.Path, err)
		}
		fwd.RawQuery = u.RawQuery
		same := func(how string, again *Operation) {
			t.Helper()
			if again.Service != op.Service || again.Name != op.Name || again.Path != op.Path ||
				fmt.Sprintf("%#v", again.Params) != fmt.Sprintf("%#v", op.Params) {
				t.Fatalf("%s reads %s %s %s %#v, first read %s %s %s %#v", how,
					again.Service, again.Name, again.Path, again.Params, op.Service, op.Name, op.Path, op.Params)
			}
		}
		again, err := ix.Identify(build(fwd), body, Hint{SigningName: signing})
		switch {
		case err == nil && (hint.Service == "" || again.Service == op.Service):
			same("again without the /svc hint", again)
		case hint.Service != "" && (err != nil && errors.Is(err, ErrAmbiguousOperation) || err == nil):
			// Only the /svc path settled the service among several sharing
			// the signing name; the executor sends it to that service.
		default:
			t.Fatalf("accepted as %s %s, but the forwarded bytes without the /svc hint: %v", op.Service, op.Name, err)
		}
		if hint.Service != "" {
			again, err := ix.Identify(build(fwd), body, Hint{Service: op.Service, SigningName: signing})
			if err != nil {
				t.Fatalf("accepted as %s %s, but the forwarded bytes for that service: %v", op.Service, op.Name, err)
			}
			same("again for the identified service", again)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "PUT", "POST", "DELETE", "PATCH":
		return true
	}
	return false
}
