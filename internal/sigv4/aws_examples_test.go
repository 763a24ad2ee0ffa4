package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The examples below are AWS's own published test vectors from the S3
// SigV4 documentation ("Signature Calculations for the Authorization
// Header", "Transferring Payload in Multiple Chunks" and "Signature
// calculations for trailing headers"): signatures no code here produced.

var (
	docCreds = testCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}
	docTime  = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
)

func docAuthorization(signedHeaders, signature string) string {
	return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=" +
		signedHeaders + ",Signature=" + signature
}

// docChunkedWire builds the documented 64 KiB + 1 KiB upload of 'a's.
func docChunkedWire(trailer bool, tamper func(body []byte)) []byte {
	mode, signed, seed := StreamingSignedPayload,
		"content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	sigs := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	trailers := ""
	if trailer {
		mode, signed, seed = StreamingSignedPayloadTrailer,
			"content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
			"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
		sigs = []string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		}
		trailers = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
	}
	var body bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", n, sigs[i])
		body.WriteString(strings.Repeat("a", n))
		if n > 0 {
			body.WriteString("\r\n")
		}
	}
	body.WriteString(trailers + "\r\n")
	b := body.Bytes()
	if tamper != nil {
		tamper(b)
	}
	var w bytes.Buffer
	w.WriteString("PUT /examplebucket/chunkObject.txt HTTP/1.1\r\nHost: s3.amazonaws.com\r\n")
	w.WriteString("x-amz-date: 20130524T000000Z\r\nx-amz-storage-class: REDUCED_REDUNDANCY\r\n")
	w.WriteString("Authorization: " + docAuthorization(signed, seed) + "\r\n")
	w.WriteString("x-amz-content-sha256: " + mode + "\r\nContent-Encoding: aws-chunked\r\n")
	w.WriteString("x-amz-decoded-content-length: 66560\r\n")
	if trailer {
		w.WriteString("x-amz-trailer: x-amz-checksum-crc32c\r\n")
	}
	fmt.Fprintf(&w, "Content-Length: %d\r\n\r\n", len(b))
	w.Write(b)
	return w.Bytes()
}

func TestVerifyAWSDocExamples(t *testing.T) {
	lookup := lookupFor(docCreds)
	getObject := "GET /test.txt HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\nRange: bytes=0-9\r\n" +
		"x-amz-content-sha256: " + emptySHA256 + "\r\nx-amz-date: 20130524T000000Z\r\n" +
		"Authorization: " + docAuthorization("host;range;x-amz-content-sha256;x-amz-date",
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") + "\r\n\r\n"
	payload := bytes.Repeat([]byte("a"), 66560)
	tests := []struct {
		name        string
		wire        []byte
		wantPayload []byte
		wantErr     error
	}{
		{name: "get object", wire: []byte(getObject), wantPayload: []byte{}},
		{name: "signed chunks", wire: docChunkedWire(false, nil), wantPayload: payload},
		{name: "signed chunks with signed trailer", wire: docChunkedWire(true, nil), wantPayload: payload},
		{name: "tampered second chunk", wire: docChunkedWire(false, func(b []byte) { b[len(b)-200] = 'b' }), wantErr: ErrSignatureMismatch},
		{name: "tampered trailer value", wire: docChunkedWire(true, func(b []byte) {
			i := bytes.Index(b, []byte("sOO8"))
			b[i] = 'X'
		}), wantErr: ErrSignatureMismatch},
		{name: "tampered chunk signature", wire: docChunkedWire(false, func(b []byte) {
			i := bytes.Index(b, []byte("0055627c"))
			b[i] = '1'
		}), wantErr: ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := parseWire(t, tt.wire)
			res, err := Verify(r, body, lookup, docTime.Add(time.Minute))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(res.Payload, tt.wantPayload) {
				t.Errorf("payload has %d bytes, want %d", len(res.Payload), len(tt.wantPayload))
			}
		})
	}
}

// TestVerifyAWSDocTrailerChecksum checks the documented trailer's CRC32C is
// carried through.
func TestVerifyAWSDocTrailerChecksum(t *testing.T) {
	r, body := parseWire(t, docChunkedWire(true, nil))
	res, err := Verify(r, body, lookupFor(docCreds), docTime)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Trailers.Get("X-Amz-Checksum-Crc32c"); got != "sOO8/Q==" {
		t.Errorf("trailer = %q", got)
	}
	if res.Trailers.Get(trailerSigName) != "" {
		t.Error("trailer signature leaked into Trailers")
	}
}
