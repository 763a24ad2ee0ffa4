package redact

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
	"github.com/fxamacker/cbor/v2"
)

// cborOracle checks well-formedness with fxamacker/cbor, limits raised to
// what the walker allows.
var cborOracle = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxNestedLevels: maxCBORDepth, MaxArrayElements: math.MaxInt32, MaxMapPairs: math.MaxInt32}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

func diag(b []byte) string {
	s, err := cbor.Diagnose(b)
	if err != nil {
		return "undiagnosable: " + err.Error()
	}
	return s
}

// TestBodyGoldenCBOR masks smithy rpc-v2-cbor answers and compares the
// result with reviewed golden files; each .golden has a .golden.diag beside
// it (CBOR diagnostic notation) for reading in review.
func TestBodyGoldenCBOR(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name, file, service, operation string
		fields                         []string
		secrets                        []string
		keep                           []string // in diagnostic notation
	}{
		{
			name: "gamelift GetInstanceAccess", file: "gamelift_get_instance_access.cbor",
			service: "gamelift", operation: "GetInstanceAccess",
			fields:  []string{"InstanceAccess.Credentials.Secret"},
			secrets: []string{"BEGIN RSA PRIVATE KEY", "gamelift3xample"},
			keep:    []string{`"UserName": "gl-user-remote"`, `"IpAddress": "192.0.2.10"`},
		},
		{
			name: "every CBOR feature", file: "secretsmanager_cbor_features.cbor",
			service: "secretsmanager", operation: "GetSecretValue",
			fields:  []string{"SecretString", "SecretBinary", "Nested[][].secretstring", "Password"},
			secrets: []string{"hunter", "EXAMPLE", "raw-secret", "inner-secret", "pw-secret"},
			keep: []string{`"CreatedDate": 1(1523477145.713)`, `"VersionStages": ["AWSCURRENT", "AWSPREVIOUS"]`,
				`"N": 5`, `"Big": 511`, `"F": 1.5`, `"Count": 7`, `"Neg": -3`, `"Ok": true`, `"Nil": null`,
				`"Unmatched": "visible"`, `"Key": "team"`, `"SecretBinary": h'`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := readTestdata(t, tt.file)
			orig := bytes.Clone(in)
			res, err := e.Body("application/cbor", tt.service, tt.operation, in)
			if err != nil {
				t.Fatalf("Body: %v", err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Body modified its input")
			}
			if !res.Changed || !slices.Equal(res.Fields, tt.fields) {
				t.Errorf("Changed %v, Fields = %q, want %q", res.Changed, res.Fields, tt.fields)
			}
			if err := cborOracle.Wellformed(res.Body); err != nil {
				t.Fatalf("masked body is not well-formed CBOR: %v\n%x", err, res.Body)
			}
			if _, err := smithycbor.Decode(res.Body); err != nil {
				t.Fatalf("smithy's decoder rejects the masked body: %v", err)
			}
			d := diag(res.Body)
			for _, s := range tt.secrets {
				if bytes.Contains(res.Body, []byte(s)) {
					t.Errorf("secret %q survived: %s", s, d)
				}
			}
			for _, s := range tt.keep {
				if !strings.Contains(d, s) {
					t.Errorf("%q lost: %s", s, d)
				}
			}
			golden := filepath.Join("testdata", tt.file+".golden")
			if *update {
				if err := os.WriteFile(golden, res.Body, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden+".diag", []byte(d+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readTestdata(t, tt.file+".golden")
			if !bytes.Equal(res.Body, want) {
				t.Errorf("output differs from %s:\ngot  %s\nwant %s", golden, d, diag(want))
			}
			if wantDiag := strings.TrimSpace(string(readTestdata(t, tt.file+".golden.diag"))); wantDiag != diag(want) {
				t.Errorf("%s.diag does not describe %s; run go test -update", golden, golden)
			}
		})
	}
}

// TestCBORMaskTypes: a text string stays a text string and a byte string a
// byte string, each item masked on its own.
func TestCBORMaskTypes(t *testing.T) {
	e := newTestEngine(t)
	in, err := cbor.Marshal(map[string]any{"SessionToken": []any{"a", []byte("b"), "c", uint64(3)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Body("application/cbor", "sts", "GetSessionToken", in)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string][]any
	if err := cbor.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("%v: %s", err, diag(res.Body))
	}
	want := []any{Mask, []byte(Mask), Mask, uint64(3)}
	if len(got["SessionToken"]) != len(want) {
		t.Fatalf("got %s", diag(res.Body))
	}
	for i, v := range got["SessionToken"] {
		if b, ok := v.([]byte); ok {
			if wb, _ := want[i].([]byte); !bytes.Equal(b, wb) {
				t.Errorf("item %d = %q, want %q", i, v, want[i])
			}
		} else if v != want[i] {
			t.Errorf("item %d = %#v, want %#v", i, v, want[i])
		}
	}
}

// TestBodyInvalidCBOR: a body that claims CBOR and is not is an error, so
// the masker withholds it.
func TestBodyInvalidCBOR(t *testing.T) {
	e := newTestEngine(t)
	deep := append(bytes.Repeat([]byte{0x81}, maxCBORDepth+1), 0x00)
	tests := []struct {
		name string
		body []byte
	}{
		{"truncated map", []byte{0xa1, 0x63, 'a', 'b', 'c'}},
		{"truncated string", []byte{0xa1, 0x61, 'a', 0x78, 0x10, 'x'}},
		{"trailing item", []byte{0xa0, 0xa0}},
		{"integer map key", []byte{0xa1, 0x01, 0x02}},
		{"byte string map key", []byte{0xa1, 0x41, 'k', 0x02}},
		{"reserved additional information", []byte{0xa1, 0x61, 'a', 0x1c}},
		{"break outside indefinite item", []byte{0xa1, 0x61, 'a', 0xff}},
		{"indefinite integer", []byte{0xa1, 0x61, 'a', 0x1f}},
		{"indefinite tag", []byte{0xa1, 0x61, 'a', 0xdf}},
		{"chunk of another type", []byte{0xa1, 0x61, 'a', 0x7f, 0x41, 'x', 0xff}},
		{"nested indefinite chunk", []byte{0xa1, 0x61, 'a', 0x7f, 0x7f, 0xff, 0xff}},
		{"unterminated indefinite map", []byte{0xbf, 0x61, 'a', 0x01}},
		{"odd indefinite map", []byte{0xbf, 0x61, 'a', 0xff}},
		{"two-byte simple value below 32", []byte{0xa1, 0x61, 'a', 0xf8, 0x10}},
		{"length beyond the body", []byte{0xa1, 0x61, 'a', 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"count beyond the body", []byte{0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"nesting bomb", deep},
		{"not cbor at all", []byte(`{"SecretAccessKey":"x"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body("application/cbor", "svc", "Op", tt.body)
			if !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("err = %v (body %x), want ErrInvalidBody", err, res.Body)
			}
			var be *BodyError
			if !errors.As(err, &be) || be.Format != "cbor" {
				t.Fatalf("err = %#v, want a cbor BodyError", err)
			}
		})
	}
}

// FuzzBodyCBOR: whatever the walker accepts is well-formed CBOR by
// fxamacker's reading, masking keeps it so and is idempotent, and nothing
// panics.
func FuzzBodyCBOR(f *testing.F) {
	addSeeds(f, ".cbor", "\xa1\x68Password\x82\x61a\x41b", "\xbf\x7f\x62Pa\x66ssword\xff\x9f\x61x\xff\xff", "\xa0")
	e, err := New(fuzzRules)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := e.Body("application/cbor", "svc", "Op", in)
		if err != nil {
			if !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("error %v does not wrap ErrInvalidBody", err)
			}
			return
		}
		if len(bytes.TrimSpace(in)) == 0 {
			return
		}
		if err := cborOracle.Wellformed(in); err != nil {
			t.Fatalf("accepted CBOR that is not well-formed (%v): %x", err, in)
		}
		if err := cborOracle.Wellformed(res.Body); err != nil {
			t.Fatalf("masked body is not well-formed (%v): %x -> %x", err, in, res.Body)
		}
		again, err := e.Body("application/cbor", "svc", "Op", res.Body)
		if err != nil || !bytes.Equal(again.Body, res.Body) {
			t.Fatalf("masking is not idempotent: %x -> %x -> %x (%v)", in, res.Body, again.Body, err)
		}
	})
}
