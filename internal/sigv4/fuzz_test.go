package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	sig := strings.Repeat("ab", 32)
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256\tSignature=" + sig + " Credential=a/20260101/r/s/aws4_request SignedHeaders=host",
		"AWS AKID:sig", "", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 Credential==,,=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthorization(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedAuth) {
				t.Fatalf("error %v does not wrap ErrMalformedAuth", err)
			}
			return
		}
		again := fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			Algorithm, a.AccessKeyID, a.scope(), strings.Join(a.SignedHeaders, ";"), a.Signature)
		b, err := ParseAuthorization(again)
		if err != nil {
			t.Fatalf("re-rendered %q does not parse: %v", again, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed %+v to %+v", a, b)
		}
	})
}

func FuzzDecodeAWSChunked(f *testing.F) {
	for _, s := range []string{
		"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n",
		"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
		"1;chunk-signature=" + emptySHA256 + "\r\na\r\n0;chunk-signature=" + emptySHA256 + "\r\nx-amz-trailer-signature:" + emptySHA256 + "\r\n\r\n",
		"0\r\n", "", "ffffffffffffffff\r\n", "1\r\n\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, trailers, err := DecodeAWSChunked(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedChunkedBody) {
				t.Fatalf("error %v does not wrap ErrMalformedChunkedBody", err)
			}
			return
		}
		if len(payload) > len(body) {
			t.Fatalf("payload %d bytes from a %d-byte body", len(payload), len(body))
		}
		// Re-encode as one chunk with the same trailers and decode again.
		var b bytes.Buffer
		if len(payload) > 0 {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(payload), payload)
		}
		b.WriteString("0\r\n")
		for name, vs := range trailers {
			for _, v := range vs {
				fmt.Fprintf(&b, "%s:%s\r\n", name, v)
			}
		}
		b.WriteString("\r\n")
		p2, t2, err := DecodeAWSChunked(b.Bytes())
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		if !bytes.Equal(payload, p2) || len(trailers) != len(t2) {
			t.Fatalf("round trip changed the payload or trailers")
		}
	})
}

func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "acl", "x=a+b&x=%2B", "%7E=~&Z=", "&&=&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, err := parseQuery(raw)
		if err != nil {
			return
		}
		c := canonicalQuery(pairs, "")
		again, err := parseQuery(c)
		if err != nil {
			t.Fatalf("canonical query %q does not parse: %v", c, err)
		}
		if c2 := canonicalQuery(again, ""); c2 != c {
			t.Fatalf("canonicalisation is not idempotent: %q then %q", c, c2)
		}
	})
}
