// Package difftest is the differential test of awsmodel's identification
// against the AWS SDKs' own serialisers: a corpus of requests serialised
// and signed by botocore (gen_corpus.py, committed output in
// testdata/corpus.json.gz), the check that each is identified as exactly the
// operation and parameters botocore put in, and the same check for requests
// built by aws-sdk-go-v2 clients (sdk_test.go).
//
// The mutation half of the test (every mutation of a corpus request is
// either refused or identified exactly as the executor's upstream request)
// lives in executor/internal/difftest, beside the code that builds the
// upstream request; it loads this corpus.
//
// The package is for tests only: nothing in a binary imports it.
package difftest

//go:generate python3 gen_corpus.py

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

//go:embed testdata/corpus.json.gz
var corpusGz []byte

// Corpus is the generated corpus.
type Corpus struct {
	Botocore string  `json:"botocore"` // version that serialised the requests
	Seed     int     `json:"seed"`
	Entries  []Entry `json:"entries"`
}

// Entry is one request as botocore sent it, and what it means.
type Entry struct {
	Service   string            `json:"service"`   // botocore service id
	Operation string            `json:"operation"` // e.g. "PutObject"
	Protocol  string            `json:"protocol"`  // the protocol botocore serialised with
	Method    string            `json:"method"`
	Target    string            `json:"target"` // escaped path and query, as sent
	Headers   map[string]string `json:"headers"`
	Body      []byte            `json:"body"`
	// Expect are the parameters botocore put in, in awsmodel's form (see
	// gen_corpus.py). A nil value means present, value not compared.
	Expect map[string]any `json:"expect"`
}

// Load decodes the embedded corpus.
func Load() (*Corpus, error) {
	zr, err := gzip.NewReader(bytes.NewReader(corpusGz))
	if err != nil {
		return nil, fmt.Errorf("difftest: corpus: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("difftest: corpus: %w", err)
	}
	var c Corpus
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("difftest: corpus: %w", err)
	}
	return &c, nil
}

// Name is a test name for the entry.
func (e *Entry) Name() string {
	return e.Service + "/" + e.Protocol + "/" + e.Operation
}

// Request rebuilds the request on the gateway's address. Each call returns
// a fresh request the caller may change.
func (e *Entry) Request() *http.Request {
	r := httptest.NewRequest(e.Method, "http://127.0.0.1:8443"+e.Target, bytes.NewReader(e.Body))
	for k, v := range e.Headers {
		r.Header.Set(k, v)
	}
	return r
}

// HintFor is the hint the ingress passes to Identify: the service of a
// /svc/<id> path prefix and the signing name and region of the SigV4
// credential scope (Authorization header or X-Amz-Credential query).
func HintFor(r *http.Request) awsmodel.Hint {
	var h awsmodel.Hint
	h.Service, _, _ = awsmodel.SplitServicePath(r.URL.Path)
	cred := r.URL.Query().Get("X-Amz-Credential")
	if _, c, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred, _, _ = strings.Cut(c, ",")
	}
	if parts := strings.Split(strings.TrimSpace(cred), "/"); len(parts) == 5 {
		h.Region, h.SigningName = parts[2], parts[3]
	}
	return h
}
