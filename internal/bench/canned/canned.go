// Package canned is a fast AWS upstream for benchmarks: it answers a few
// DynamoDB, S3 and STS operations with fixed bodies and the headers the
// SDKs check (X-Amz-Crc32, x-amz-checksum-crc32, Content-Length, ETag),
// and nothing else. It keeps no state and checks no signature: it stands
// for the cheapest possible AWS, so what a gateway adds in front of it is
// what shows. It is not an emulator; use internal/awsemu for behaviour.
package canned

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// ObjectSize is the size in bytes of every object GetObject returns.
const ObjectSize = 1024

// Server is the canned upstream's handler.
type Server struct {
	getItem, putItem, notFound []byte
	object                     []byte
	objectETag, objectCRC      string
	callerIdentity             []byte
	calls                      atomic.Int64
}

// New returns a Server with its answers computed once.
func New() *Server {
	obj := make([]byte, ObjectSize)
	for i := range obj {
		obj[i] = byte('a' + i%26)
	}
	sum := md5.Sum(obj)
	return &Server{
		getItem:    []byte(`{"Item":{"pk":{"S":"bench"},"n":{"N":"42"},"v":{"S":"a small canned item"}}}`),
		putItem:    []byte(`{}`),
		notFound:   []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#UnknownOperationException","message":"the canned upstream answers GetItem and PutItem only"}`),
		object:     obj,
		objectETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		objectCRC:  crc32Base64(obj),
		callerIdentity: []byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<Arn>arn:aws:iam::000000000000:user/bench</Arn><UserId>AIDABENCH</UserId><Account>000000000000</Account>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`),
	}
}

// Calls returns how many requests the server has answered.
func (s *Server) Calls() int64 { return s.calls.Load() }

// ServeHTTP routes by protocol signal: X-Amz-Target (DynamoDB JSON), a
// form body (STS query), else S3 by method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	// Every request body is read to its end, as AWS does, so a client
	// (or a gateway) streaming one pays for sending it.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := w.Header()
	h.Set("X-Amzn-Requestid", "canned")
	switch target := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		s.dynamo(w, strings.TrimPrefix(target, "DynamoDB_20120810."))
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		s.query(w, string(body))
	default:
		s.s3(w, r, body)
	}
}

func (s *Server) dynamo(w http.ResponseWriter, op string) {
	body, status := s.notFound, http.StatusBadRequest
	switch op {
	case "GetItem":
		body, status = s.getItem, http.StatusOK
	case "PutItem":
		body, status = s.putItem, http.StatusOK
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	// The DynamoDB SDKs reject a body whose CRC32 differs from this header.
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) query(w http.ResponseWriter, form string) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	if !strings.Contains(form, "Action=GetCallerIdentity") {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the canned upstream answers GetCallerIdentity only</Message></Error></ErrorResponse>`)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(s.callerIdentity)))
	w.Write(s.callerIdentity)
}

func (s *Server) s3(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.Itoa(len(s.object)))
		h.Set("ETag", s.objectETag)
		h.Set("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")
		// The SDKs validate a full-object checksum when one is sent.
		h.Set("X-Amz-Checksum-Crc32", s.objectCRC)
		h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		if r.Method == http.MethodGet {
			w.Write(s.object)
		}
	case http.MethodPut:
		sum := md5.Sum(body)
		h.Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		// S3 echoes the checksum the client sent in a header.
		if c := r.Header.Get("X-Amz-Checksum-Crc32"); c != "" {
			h.Set("X-Amz-Checksum-Crc32", c)
		}
		h.Set("Content-Length", "0")
	default:
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusMethodNotAllowed)
		io.WriteString(w, `<Error><Code>MethodNotAllowed</Code><Message>the canned upstream answers GetObject, HeadObject and PutObject only</Message></Error>`)
	}
}

// crc32Base64 is the form of S3's x-amz-checksum-crc32: the big-endian
// CRC32 (IEEE) in base64.
func crc32Base64(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(sum[:])
}
