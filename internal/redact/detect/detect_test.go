package detect

import (
	"errors"
	"slices"
	"testing"
)

// found returns the substrings kind k matches in s.
func found(k Kind, s string, ctx Context) []string {
	var out []string
	for _, m := range Find(k, []byte(s), ctx, nil) {
		if m.Kind != k {
			out = append(out, "wrong kind "+m.Kind.String())
		}
		out = append(out, s[m.Start:m.End])
	}
	return out
}

// detectCase is one table row: in s, kind finds exactly want (nil: none).
type detectCase struct {
	name string
	s    string
	want []string
	ctx  Context
}

func runCases(t *testing.T, k Kind, cases []detectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := found(k, tc.s, tc.ctx)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s in %q: got %q, want %q", k, tc.s, got, tc.want)
			}
			// The profile prefilter must never hide a match.
			if len(tc.want) > 0 && !ProfileOf([]byte(tc.s)).Possible(k) {
				t.Fatalf("profile of %q rules out %s", tc.s, k)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, k := range Kinds() {
		got, err := Parse(k.String())
		if err != nil || got != k {
			t.Errorf("Parse(%q) = %v, %v", k.String(), got, err)
		}
		if p := k.Placeholder(); len(p) < 3 || p[0] != '[' {
			t.Errorf("%s placeholder %q", k, p)
		}
	}
	for name, want := range map[string]Kind{"EMAIL": Email, "aws_secret": AWSSecretKey, "ipv6": IP, "pem": PrivateKey} {
		if got, err := Parse(name); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := Parse("passport"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("Parse(passport) err = %v", err)
	}
}

func TestEmail(t *testing.T) {
	runCases(t, Email, []detectCase{
		{name: "alone", s: "bob@example.com", want: []string{"bob@example.com"}},
		{name: "inside text", s: "contact bob@x.com today", want: []string{"bob@x.com"}},
		{name: "plus and subdomain", s: "<first.last+tag@mail.example.co.uk>", want: []string{"first.last+tag@mail.example.co.uk"}},
		{name: "two", s: "a@b.io,c@d.io", want: []string{"a@b.io", "c@d.io"}},
		{name: "sentence end", s: "write to ops@corp.example.", want: []string{"ops@corp.example"}},
		{name: "no tld", s: "user@localhost"},
		{name: "numeric tld (package version)", s: "lodash@4.17.21"},
		{name: "handle", s: "ping @alice please"},
		{name: "single label", s: "a@b"},
		{name: "one-letter tld", s: "x@y.z"},
		{name: "retina image name", s: "images/icon@2x.png"},
		{name: "hyphen label edge", s: "a@-x.com"},
		{name: "double dot local", s: "a..b@x.com"},
		{name: "arn", s: "arn:aws:iam::123456789012:user/alice"},
	})
}

func TestPhone(t *testing.T) {
	runCases(t, Phone, []detectCase{
		{name: "e164 compact", s: "+14155550100", want: []string{"+14155550100"}},
		{name: "e164 grouped uk", s: "call +44 20 7946 0958 now", want: []string{"+44 20 7946 0958"}},
		{name: "e164 parens", s: "+1 (415) 555-0100", want: []string{"+1 (415) 555-0100"}},
		{name: "e164 trunk zero", s: "+49 (0)30 1234567", want: []string{"+49 (0)30 1234567"}},
		{name: "nanp parens", s: "tel: (415) 555-0100.", want: []string{"(415) 555-0100"}},
		{name: "nanp dashes", s: "415-555-0100", want: []string{"415-555-0100"}},
		{name: "nanp dots", s: "415.555.0100", want: []string{"415.555.0100"}},
		{name: "nanp with 1", s: "1-415-555-0100", want: []string{"1-415-555-0100"}},
		{name: "bare ten digits (order number)", s: "order 4155550100"},
		{name: "epoch seconds", s: "1700000000"},
		{name: "date", s: "2024-01-15"},
		{name: "timestamp", s: "2024-01-15T10:30:00Z"},
		{name: "ssn shape", s: "123-45-6789"},
		{name: "area code starting with 1", s: "123-456-7890"},
		{name: "ipv4", s: "192.168.100.200"},
		{name: "mixed separators", s: "415-555.0100"},
		{name: "glued to id", s: "ORD-415-555-0100"},
		{name: "longer run", s: "415-555-01009"},
		{name: "e164 too short", s: "+1 555 01"},
		{name: "e164 too long", s: "+1234567890123456"},
		{name: "plus in expression", s: "x+14155550100"},
		{name: "uuid", s: "550e8400-e29b-41d4-a716-446655440000"},
	})
}

func TestCard(t *testing.T) {
	runCases(t, Card, []detectCase{
		{name: "visa", s: "4111111111111111", want: []string{"4111111111111111"}},
		{name: "visa spaced in text", s: "card 4111 1111 1111 1111 on file", want: []string{"4111 1111 1111 1111"}},
		{name: "mastercard dashed", s: "5555-5555-5555-4444", want: []string{"5555-5555-5555-4444"}},
		{name: "mastercard 2-series", s: "2223003122003222", want: []string{"2223003122003222"}},
		{name: "amex grouped", s: "3782 822463 10005", want: []string{"3782 822463 10005"}},
		{name: "discover", s: "6011111111111117", want: []string{"6011111111111117"}},
		{name: "jcb", s: "3530111333300000", want: []string{"3530111333300000"}},
		{name: "diners 14", s: "30569309025904", want: []string{"30569309025904"}},
		{name: "visa 13", s: "4222222222222", want: []string{"4222222222222"}},
		{name: "followed by expiry", s: "4111 1111 1111 1111 1225", want: []string{"4111 1111 1111 1111"}},
		{name: "after a short number", s: "ref 12 4111 1111 1111 1111", want: []string{"4111 1111 1111 1111"}},
		{name: "short group after", s: "4111-1111-1111-1111-12", want: []string{"4111-1111-1111-1111"}},
		{name: "single-digit groups", s: "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"},
		{name: "csv field", s: "alice,4111111111111111,2025", want: []string{"4111111111111111"}},
		{name: "luhn invalid", s: "4111111111111112"},
		{name: "luhn valid, unknown prefix (order number)", s: "1234567812345670"},
		{name: "millisecond timestamp", s: "1700000000000"},
		{name: "visa prefix wrong length", s: "411111111111116"},
		{name: "amex length 16", s: "3782822463100052"},
		{name: "twenty digits", s: "41111111111111111111"},
		{name: "mixed separators", s: "4111-1111 1111-1111"},
		{name: "decimal", s: "4111111111111111.5"},
		{name: "glued to id", s: "INV-4111111111111111"},
		{name: "uuid", s: "550e8400-e29b-41d4-a716-446655440000"},
	})
}

func TestIBAN(t *testing.T) {
	runCases(t, IBAN, []detectCase{
		{name: "gb electronic", s: "GB82WEST12345698765432", want: []string{"GB82WEST12345698765432"}},
		{name: "gb printed", s: "iban: GB82 WEST 1234 5698 7654 32.", want: []string{"GB82 WEST 1234 5698 7654 32"}},
		{name: "de", s: "DE89370400440532013000", want: []string{"DE89370400440532013000"}},
		{name: "nl", s: "(NL91ABNA0417164300)", want: []string{"NL91ABNA0417164300"}},
		{name: "fr with letter", s: "FR1420041010050500013M02606", want: []string{"FR1420041010050500013M02606"}},
		{name: "bad checksum", s: "GB83WEST12345698765432"},
		{name: "too short for country", s: "GB82WEST1234569876543"},
		{name: "too long for country", s: "GB82WEST123456987654321"},
		{name: "unknown country", s: "QQ82WEST12345698765432"},
		{name: "lowercase", s: "gb82west12345698765432"},
		{name: "glued", s: "XGB82WEST12345698765432"},
		{name: "aws key id", s: "AKIAIOSFODNN7EXAMPLE"},
	})
}

func TestSSN(t *testing.T) {
	runCases(t, SSN, []detectCase{
		{name: "dashed", s: "123-45-6789", want: []string{"123-45-6789"}},
		{name: "spaced in text", s: "ssn 078 05 1120 on file", want: []string{"078 05 1120"}},
		{name: "area 000", s: "000-12-3456"},
		{name: "area 666", s: "666-12-3456"},
		{name: "area 9xx", s: "900-12-3456"},
		{name: "group 00", s: "123-00-4567"},
		{name: "serial 0000", s: "123-45-0000"},
		{name: "bare nine digits", s: "123456789"},
		{name: "mixed separators", s: "123-45 6789"},
		{name: "order number", s: "ORD-123-45-6789"},
		{name: "longer serial", s: "123-45-67890"},
		{name: "phone", s: "415-555-0100"},
		{name: "date", s: "2024-01-15"},
	})
}

func TestAccessKeyID(t *testing.T) {
	runCases(t, AWSAccessKeyID, []detectCase{
		{name: "long-term", s: "AKIAIOSFODNN7EXAMPLE", want: []string{"AKIAIOSFODNN7EXAMPLE"}},
		{name: "temporary in text", s: "key=ASIAJEXAMPLEXEG2JICE;", want: []string{"ASIAJEXAMPLEXEG2JICE"}},
		{name: "too long", s: "AKIAIOSFODNN7EXAMPLEX"},
		{name: "too short", s: "AKIAIOSFODNN7EXAMPL"},
		{name: "lowercase", s: "AKIAiosfodnn7example"},
		{name: "non-base32 digit", s: "AKIAIOSFODNN8EXAMPLE"},
		{name: "user unique id", s: "AIDAJQABLZS4A3QDU576Q"},
		{name: "role unique id", s: "AROAJQABLZS4A3QDU576"},
		{name: "glued", s: "XAKIAIOSFODNN7EXAMPLE"},
		{name: "arn without key", s: "arn:aws:iam::123456789012:role/AKIA-admins"},
	})
}

const exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func TestSecretKey(t *testing.T) {
	runCases(t, AWSSecretKey, []detectCase{
		{name: "secret member name", s: exampleSecret, ctx: Context{SecretName: true}, want: []string{exampleSecret}},
		{name: "next to a key id", s: "AKIAIOSFODNN7EXAMPLE:" + exampleSecret, want: []string{exampleSecret}},
		{name: "credentials file", s: "[default]\naws_secret_access_key = " + exampleSecret + "\n", want: []string{exampleSecret}},
		{name: "env var", s: "AWS_SECRET_ACCESS_KEY=" + exampleSecret, want: []string{exampleSecret}},
		{name: "no evidence", s: exampleSecret},
		{name: "git sha1", s: "da39a3ee5e6b4b0d3255bfef95601890afd80709", ctx: Context{SecretName: true}},
		{name: "longer base64 blob", s: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG", ctx: Context{SecretName: true}},
		{name: "padded base64 of 29 bytes", s: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY=", ctx: Context{SecretName: true}},
		{name: "all caps", s: "AWS_SECRET=ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN"},
		{name: "39 chars", s: "secret " + exampleSecret[:39]},
	})
}

func TestJWT(t *testing.T) {
	tok := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	runCases(t, JWT, []detectCase{
		{name: "alone", s: tok, want: []string{tok}},
		{name: "bearer header in text", s: "Authorization: Bearer " + tok + ".", want: []string{tok}},
		{name: "unsecured", s: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", want: []string{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}},
		{name: "header only", s: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"},
		{name: "two segments", s: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0"},
		{name: "header without alg", s: "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"},
		{name: "header not json", s: "eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2ln"},
		{name: "dotted name", s: "com.example.app"},
		{name: "four segments", s: tok + ".more"},
	})
}

func TestPrivateKey(t *testing.T) {
	block := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
	runCases(t, PrivateKey, []detectCase{
		{name: "rsa block in text", s: "key:\n" + block + "\nthanks", want: []string{block}},
		{name: "pkcs8 escaped newlines", s: `-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----`, want: []string{`-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----`}},
		{name: "openssh truncated", s: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r", want: []string{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r"}},
		{name: "certificate", s: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
		{name: "public key", s: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----"},
		{name: "prose", s: "rotate the RSA PRIVATE KEY monthly"},
	})
}

func TestIP(t *testing.T) {
	runCases(t, IP, []detectCase{
		{name: "v4", s: "10.0.0.1", want: []string{"10.0.0.1"}},
		{name: "v4 in text with full stop", s: "from 192.168.1.20.", want: []string{"192.168.1.20"}},
		{name: "v4 cidr", s: "allow 10.0.0.0/8", want: []string{"10.0.0.0/8"}},
		{name: "v4 with port", s: "10.1.2.3:443", want: []string{"10.1.2.3"}},
		{name: "v6", s: "addr 2001:db8::1 up", want: []string{"2001:db8::1"}},
		{name: "v6 link local", s: "fe80::1ff:fe23:4567:890a", want: []string{"fe80::1ff:fe23:4567:890a"}},
		{name: "v6 mapped", s: "::ffff:10.0.0.1", want: []string{"::ffff:10.0.0.1"}},
		{name: "v6 sentence colon", s: "fe80::1: failed", want: []string{"fe80::1"}},
		{name: "five parts", s: "1.2.3.4.5"},
		{name: "octet over 255", s: "256.1.1.1"},
		{name: "leading zero", s: "1.02.3.4"},
		{name: "version prefix", s: "v1.2.3.4"},
		{name: "three parts", s: "1.2.3"},
		{name: "hostname", s: "host.10.0.0.1.example"},
		{name: "mac", s: "00:1a:2b:3c:4d:5e"},
		{name: "time", s: "12:34:56"},
		{name: "arn", s: "arn:aws:iam::123456789012:role/x"},
		{name: "cpp scope", s: "std::string"},
		{name: "uuid", s: "550e8400-e29b-41d4-a716-446655440000"},
		{name: "double colon alone", s: "a :: b"},
	})
}

func TestCustomAndAllow(t *testing.T) {
	c, err := CompileCustom("employee_id", `EMP-[0-9]{6}`)
	if err != nil {
		t.Fatal(err)
	}
	ms := c.Find([]byte("by EMP-123456 and EMP-654321, not EMP-12"), nil)
	if len(ms) != 2 || ms[0].Start != 3 || ms[1].End != 28 {
		t.Fatalf("custom matches %+v", ms)
	}
	if c.Placeholder() != "[EMPLOYEE_ID]" {
		t.Fatalf("placeholder %q", c.Placeholder())
	}
	for _, bad := range []string{`(`, `a*`} {
		if _, err := CompileCustom("x", bad); !errors.Is(err, ErrBadPattern) {
			t.Errorf("CompileCustom(%q) err = %v", bad, err)
		}
	}
	a, err := CompileAllow([]string{"noreply@example.com", `/.*@example\.org/`})
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{"noreply@example.com": true, "bob@example.org": true, "bob@example.org.evil": false, "bob@example.com": false} {
		if got := a.Allowed([]byte(v)); got != want {
			t.Errorf("Allowed(%q) = %v", v, got)
		}
	}
	if _, err := CompileAllow([]string{"ok", "/(/"}); !errors.Is(err, ErrBadPattern) {
		t.Errorf("bad allow regex err = %v", err)
	}
	var none *Allow
	if none.Allowed([]byte("x")) {
		t.Error("nil allow list allowed a value")
	}
}
