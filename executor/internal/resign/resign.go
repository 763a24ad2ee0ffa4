// Package resign turns an agent's verified request into the upstream request
// the executor sends: the destination comes only from the executor's target,
// the agent's signature material is dropped, and the request is signed again
// with the gateway's credentials over exactly the headers the agent signed.
package resign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/jitgate/jitgate/internal/sigv4"
	"github.com/jitgate/jitgate/schemas"
)

// UnsignedPayload is the payload hash S3 accepts for bodies that are not
// hashed before sending.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// ErrBadRequest reports a request that cannot be rebuilt (bad method or
// path) or a body whose hash is needed but unknown.
var ErrBadRequest = errors.New("resign: request cannot be re-signed")

// Target is where a request goes and how it is signed. It comes from the
// executor's endpoint table or its configured emulator, never from the
// agent's request.
type Target struct {
	// Base is the scheme and host (and optional base path) of the upstream.
	Base *url.URL
	// SigningName is the SigV4 service name; it is lower-cased.
	SigningName string
	// SigningRegion is the SigV4 region ("us-east-1" for global services).
	SigningRegion string
}

// Input is one request to rebuild.
type Input struct {
	HTTP   *schemas.HTTPRequest
	Target Target
	// Body is the decoded payload of HTTP.BodySize bytes. Nil means the
	// inline HTTP.Body.
	Body io.Reader
	// PayloadHash is the hex SHA-256 of the body. "" means unknown (a
	// streamed body): S3 then signs UNSIGNED-PAYLOAD, other services fail.
	// For inline bodies it is computed when empty.
	PayloadHash string
}

// S3Family reports whether a signing name uses S3's signing rules (no double
// path escaping, X-Amz-Content-Sha256 required, UNSIGNED-PAYLOAD allowed).
func S3Family(signingName string) bool {
	switch strings.ToLower(signingName) {
	case "s3", "s3-object-lambda", "s3-outposts", "s3express":
		return true
	}
	return false
}

// Request builds in's upstream request and signs it with creds at now.
func Request(ctx context.Context, in Input, creds aws.Credentials, now time.Time) (*http.Request, error) {
	h := in.HTTP
	name := strings.ToLower(in.Target.SigningName)
	s3 := S3Family(name)
	if in.Target.Base == nil || in.Target.Base.Host == "" || name == "" || in.Target.SigningRegion == "" {
		return nil, fmt.Errorf("%w: incomplete target", ErrBadRequest)
	}
	u, err := upstreamURL(in.Target.Base, h.Path, h.RawQuery)
	if err != nil {
		return nil, err
	}
	body, hash, err := payload(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	req.URL = u // keep the escaped path exactly
	req.Host = ""
	req.ContentLength = h.BodySize
	if h.BodySize == 0 {
		req.Body = http.NoBody
	}

	signed, unsigned, awsChunked := splitHeaders(h)
	req.Header = signed
	if s3 && awsChunked {
		// The agent streamed signed or unsigned chunks; the ingress decoded
		// them. Chunk signatures cannot be re-made by re-signing headers.
		hash = UnsignedPayload
	}
	if hash == "" {
		if !s3 {
			return nil, fmt.Errorf("%w: %s needs the payload hash of a streamed body", ErrBadRequest, name)
		}
		hash = UnsignedPayload
	}
	if s3 || slices.Contains(h.SignedHeaders, "x-amz-content-sha256") {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3 })
	query := req.URL.RawQuery
	if err := signer.SignHTTP(ctx, creds, req, hash, name, in.Target.SigningRegion, now); err != nil {
		return nil, fmt.Errorf("resign: sign: %w", err)
	}
	// The signer rewrites the query sorted; the signature covers the
	// sorted form whatever the order on the wire, and repeated values
	// (list members) must reach AWS in the order the identifier read.
	req.URL.RawQuery = query
	// Unsigned headers go on only now, after signing.
	for k, vs := range unsigned {
		req.Header[k] = vs
	}
	if req.Header.Get("Accept-Encoding") == "" {
		// The masker must read the answer: ask for it uncompressed. The
		// agent's own Accept-Encoding survives only when it signed it
		// (AWS would reject the signature otherwise), and the masker then
		// decodes gzip and deflate and withholds anything else. Setting
		// the header also stops Go's transport from asking for gzip and
		// decoding it behind our back (that would drop Content-Length).
		req.Header.Set("Accept-Encoding", "identity")
	}
	return req, nil
}

// upstreamURL joins the target base with the agent's escaped path and its
// query minus presign parameters. Scheme and host are the base's alone.
func upstreamURL(base *url.URL, escapedPath, rawQuery string) (*url.URL, error) {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, fmt.Errorf("%w: path %q does not start with /", ErrBadRequest, escapedPath)
	}
	full := strings.TrimSuffix(base.EscapedPath(), "/") + escapedPath
	p, err := url.PathUnescape(full)
	if err != nil {
		return nil, fmt.Errorf("%w: path: %v", ErrBadRequest, err)
	}
	u := &url.URL{Scheme: base.Scheme, Host: base.Host, Path: p, RawPath: full, RawQuery: sigv4.StripPresign(rawQuery)}
	if u.EscapedPath() != full {
		// RawPath is used only when it is a valid encoding of Path.
		return nil, fmt.Errorf("%w: path %q is not a canonical escaping", ErrBadRequest, escapedPath)
	}
	return u, nil
}

// payload returns the body reader and its hash ("" when unknown).
func payload(in Input) (io.Reader, string, error) {
	h := in.HTTP
	if in.Body != nil {
		return in.Body, in.PayloadHash, nil
	}
	if h.BodyChunks > 0 {
		return nil, "", fmt.Errorf("%w: chunked body not supplied", ErrBadRequest)
	}
	if int64(len(h.Body)) != h.BodySize {
		return nil, "", fmt.Errorf("%w: inline body is %d bytes, body_size says %d", ErrBadRequest, len(h.Body), h.BodySize)
	}
	hash := in.PayloadHash
	if hash == "" {
		sum := sha256.Sum256(h.Body)
		hash = hex.EncodeToString(sum[:])
	}
	return bytes.NewReader(h.Body), hash, nil
}

// splitHeaders sorts the agent's headers into those to sign (the ones it
// signed), those to add back unsigned, and drops the rest. awsChunked
// reports that the body arrived aws-chunked.
func splitHeaders(h *schemas.HTTPRequest) (signed, unsigned http.Header, awsChunked bool) {
	signed, unsigned = http.Header{}, http.Header{}
	all := http.Header{}
	for _, hd := range h.Headers {
		all.Add(hd.Name, hd.Value)
	}
	hop := connectionTokens(all)
	want := map[string]bool{}
	for _, n := range h.SignedHeaders {
		want[strings.ToLower(n)] = true
	}
	for _, hd := range h.Headers {
		name := strings.ToLower(hd.Name)
		value := hd.Value
		switch name {
		case "x-amz-decoded-content-length", "x-amz-trailer":
			awsChunked = true
		case "x-amz-content-sha256":
			awsChunked = awsChunked || strings.HasPrefix(value, "STREAMING-")
		case "content-encoding":
			rest, had := stripAWSChunked(value)
			awsChunked = awsChunked || had
			if rest == "" {
				continue
			}
			value = rest
		}
		if drop(name) || hop[name] || (name == "accept-encoding" && !want[name]) {
			// An unsigned Accept-Encoding is replaced by identity.
			continue
		}
		if want[name] {
			signed.Add(hd.Name, value)
		} else {
			unsigned.Add(hd.Name, value)
		}
	}
	return signed, unsigned, awsChunked
}
