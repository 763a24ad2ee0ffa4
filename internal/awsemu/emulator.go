package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sivchari/kumo"
)

// MaxBody bounds the request body the proxy reads (it must hash it).
const MaxBody = 1 << 30

// Seen is one request that passed the signature check.
type Seen struct {
	Method      string
	Path        string // escaped path as received
	RawQuery    string
	Host        string // the Host the request was sent to
	AccessKeyID string
	SigningName string
	Region      string
	// SignedHeaders are the lowercase header names the signature covers.
	SignedHeaders []string
	// Header is a copy of the request's headers (Authorization included).
	Header        http.Header
	ContentLength int64
	BodySize      int
	// Body is the request body up to SeenBodyMax bytes (tests read the
	// keys of DynamoDB calls from it).
	Body []byte
}

// SeenBodyMax bounds Seen.Body.
const SeenBodyMax = 64 << 10

// Emulator is a running kumo behind the signature-checking proxy.
type Emulator struct {
	// URL is the proxy's base URL ("http://127.0.0.1:port"); point SDK
	// clients and the executor's Upstream at it.
	URL string

	creds aws.Credentials
	kumo  *kumo.Server
	srv   *http.Server
	ln    net.Listener
	proxy *httputil.ReverseProxy
	now   func() time.Time

	mu      sync.Mutex
	seen    []Seen
	latency time.Duration
	done    chan struct{}
}

// SetLatency makes the proxy hold every verified request for d before it
// forwards it, as a slow upstream would: fault tests use it to have calls
// in flight when they kill an executor. A request is recorded (Requests)
// before the wait and forwarded even if its client gives up meanwhile, as
// AWS may run a call whose caller has gone.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	e.latency = d
	e.mu.Unlock()
}

// Start runs kumo and the proxy on 127.0.0.1:port (0 = a free port). Only
// requests signed with creds get through.
func Start(creds aws.Credentials, port int) (*Emulator, error) {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, errors.New("awsemu: credentials need an access key id and a secret")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("awsemu: listen on 127.0.0.1:%d: %w", port, err)
	}
	k := kumo.NewServer()
	target, err := url.Parse(k.URL)
	if err != nil {
		k.Close()
		ln.Close()
		return nil, fmt.Errorf("awsemu: kumo URL: %w", err)
	}
	e := &Emulator{
		URL:   "http://" + ln.Addr().String(),
		creds: creds,
		kumo:  k,
		ln:    ln,
		now:   time.Now,
		done:  make(chan struct{}),
		proxy: &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Header.Del("X-Forwarded-For")
			},
		},
	}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(e.done)
		_ = e.srv.Serve(ln)
	}()
	return e, nil
}

// Requests returns a copy of every verified request so far, in order.
func (e *Emulator) Requests() []Seen {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.seen)
}

// Reset forgets the recorded requests (kumo's state stays).
func (e *Emulator) Reset() {
	e.mu.Lock()
	e.seen = nil
	e.mu.Unlock()
}

// Close stops the proxy and kumo.
func (e *Emulator) Close() {
	_ = e.srv.Close()
	<-e.done
	e.kumo.Close()
}

// ServeHTTP verifies the signature, records the request and forwards it.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeError(w, r, "", http.StatusBadRequest, "IncompleteBody", "could not read the request body")
		return
	}
	if len(body) > MaxBody {
		writeError(w, r, "", http.StatusRequestEntityTooLarge, "EntityTooLarge", "request body exceeds the emulator's limit")
		return
	}
	a, err := verify(r, body, e.creds, e.now())
	if err != nil {
		writeError(w, r, a.SigningName, http.StatusForbidden, code(err), err.Error())
		return
	}
	e.mu.Lock()
	e.seen = append(e.seen, Seen{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Host: r.Host,
		AccessKeyID: a.AccessKeyID, SigningName: a.SigningName, Region: a.Region,
		SignedHeaders: a.SignedHeaders, Header: r.Header.Clone(),
		ContentLength: r.ContentLength, BodySize: len(body), Body: bytes.Clone(body[:min(len(body), SeenBodyMax)]),
	})
	latency := e.latency
	e.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	e.proxy.ServeHTTP(w, r)
}

// writeError answers in roughly the request's protocol: JSON for JSON
// protocols, S3's XML for s3, query XML otherwise.
func writeError(w http.ResponseWriter, r *http.Request, signingName string, status int, code, msg string) {
	w.Header().Set("X-Amzn-Errortype", code)
	ct := r.Header.Get("Content-Type")
	switch {
	case r.Header.Get("X-Amz-Target") != "" || strings.Contains(ct, "json"):
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	case strings.HasPrefix(signingName, "s3"):
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"Error"`
			Code    string   `xml:"Code"`
			Message string   `xml:"Message"`
		}{Code: code, Message: msg})
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		type errBody struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Error     errBody  `xml:"Error"`
			RequestID string   `xml:"RequestId"`
		}{Error: errBody{Type: "Sender", Code: code, Message: msg}, RequestID: "awsemu"})
	}
}
