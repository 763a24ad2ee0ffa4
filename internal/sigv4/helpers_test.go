package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// testCreds is one set of credentials known to testLookup.
type testCreds struct{ akid, secret, token string }

var (
	longTerm = testCreds{"AKIDLONGTERMEXAMPLE1", "long/term+secret=key0123456789abcdefghij", ""}
	session  = testCreds{"ASIASESSIONEXAMPLE01", "session/secret+key=0123456789abcdefghijk", "jg1.sealed/token+with=odd~chars"}
)

// errNoSuchKey is what testLookup returns for unknown keys or tokens.
var errNoSuchKey = errors.New("no such key")

// lookupFor returns a Lookup that knows the given credentials and insists on
// the token issued with each.
func lookupFor(creds ...testCreds) Lookup {
	return func(akid, token string) (string, error) {
		for _, c := range creds {
			if c.akid == akid && c.token == token {
				return c.secret, nil
			}
		}
		return "", errNoSuchKey
	}
}

var testLookup = lookupFor(longTerm, session)

// toServer writes a client-side request to the wire and parses it back as
// net/http's server would, returning the server-side request and its body.
func toServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return parseWire(t, wire.Bytes())
}

// parseWire parses raw HTTP/1.1 request bytes as the server would.
func parseWire(t testing.TB, wire []byte) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatalf("read request: %v\n%s", err, wire)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return r, body
}
