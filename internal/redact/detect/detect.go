package detect

import (
	"fmt"
	"strings"
)

// Kind names a built-in detector.
type Kind uint8

// The built-in detectors.
const (
	Email Kind = iota + 1
	Phone
	Card
	IBAN
	SSN
	AWSAccessKeyID
	AWSSecretKey
	JWT
	PrivateKey
	IP
	numKinds
)

var kindNames = [numKinds]string{"", "email", "phone", "card", "iban", "ssn", "aws_access_key_id", "aws_secret_key", "jwt", "private_key", "ip"}

var placeholders = [numKinds]string{"", "[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[SSN]", "[AWS_ACCESS_KEY_ID]", "[AWS_SECRET_KEY]", "[JWT]", "[PRIVATE_KEY]", "[IP]"}

// String is the detector's name in the rules file.
func (k Kind) String() string {
	if k == 0 || k >= numKinds {
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Placeholder is the typed placeholder the "placeholder" replacement
// writes for a match of this kind ("[EMAIL]").
func (k Kind) Placeholder() string {
	if k == 0 || k >= numKinds {
		return "[REDACTED]"
	}
	return placeholders[k]
}

// Kinds lists every built-in detector, in a fixed order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := Email; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// Parse returns the detector a rules file names ("email", "card", ...),
// case-insensitively. "aws_key" and "aws_secret" are accepted aliases.
func Parse(name string) (Kind, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "aws_key", "aws_access_key":
		return AWSAccessKeyID, nil
	case "aws_secret", "aws_secret_access_key":
		return AWSSecretKey, nil
	case "credit_card", "payment_card":
		return Card, nil
	case "pem":
		return PrivateKey, nil
	case "ipv4", "ipv6":
		return IP, nil
	}
	for k := Email; k < numKinds; k++ {
		if kindNames[k] == n {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w %q; known: %s", ErrUnknownKind, name, strings.Join(kindNames[1:], ", "))
}

// Match is one detected value: s[Start:End] of the scanned string.
type Match struct {
	Start, End int
	Kind       Kind
}

// Context is what a scanner may know beyond the value itself.
type Context struct {
	// SecretName says the value's member name suggests a secret (it
	// contains "secret", case-insensitively): the AWS secret key scanner
	// then needs no other evidence.
	SecretName bool
}

// Find appends to dst the matches of kind k in s, in increasing order and
// not overlapping each other.
func Find(k Kind, s []byte, ctx Context, dst []Match) []Match {
	switch k {
	case Email:
		return findEmails(s, dst)
	case Phone:
		return findPhones(s, dst)
	case Card:
		return findCards(s, dst)
	case IBAN:
		return findIBANs(s, dst)
	case SSN:
		return findSSNs(s, dst)
	case AWSAccessKeyID:
		return findAccessKeyIDs(s, dst)
	case AWSSecretKey:
		return findSecretKeys(s, ctx, dst)
	case JWT:
		return findJWTs(s, dst)
	case PrivateKey:
		return findPrivateKeys(s, dst)
	case IP:
		return findIPs(s, dst)
	}
	return dst
}

// Profile is a cheap summary of a string that lets the caller skip
// scanners that cannot match: one pass, computed once per value.
type Profile struct {
	Len    int
	Digits int  // ASCII digits
	Dots   int  // '.'
	Colons int  // ':'
	At     bool // '@'
	Upper  bool // 'A'-'Z'
	Dash   bool // '-' (PEM markers)
}

// ProfileOf summarises s.
func ProfileOf(s []byte) Profile {
	p := Profile{Len: len(s)}
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			p.Digits++
		case c >= 'A' && c <= 'Z':
			p.Upper = true
		case c == '.':
			p.Dots++
		case c == ':':
			p.Colons++
		case c == '@':
			p.At = true
		case c == '-':
			p.Dash = true
		}
	}
	return p
}

// Possible reports whether kind k can match a string with profile p.
func (p Profile) Possible(k Kind) bool {
	switch k {
	case Email:
		return p.At && p.Dots > 0 && p.Len >= 6
	case Phone:
		return p.Digits >= 8
	case Card:
		return p.Digits >= 13
	case IBAN:
		return p.Upper && p.Digits >= 2 && p.Len >= 15
	case SSN:
		return p.Digits >= 9 && p.Len >= 11
	case AWSAccessKeyID:
		return p.Upper && p.Len >= 20
	case AWSSecretKey:
		return p.Upper && p.Len >= 40
	case JWT:
		return p.Dots >= 2 && p.Upper // "eyJ" holds a capital
	case PrivateKey:
		return p.Dash && p.Upper && p.Len >= len("-----BEGIN PRIVATE KEY-----")
	case IP:
		return p.Digits >= 4 && p.Dots >= 3 || p.Colons >= 2
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || isLower(c) }

// numLeftOK reports whether a number-like value may start at s[i]: the
// byte before it is not a letter, digit or '_', and not a '.' or '-' glued
// to a letter or digit (so "1.2.3.4.5" or "ORD-123-45-6789" does not yield
// an inner match).
func numLeftOK(s []byte, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	if isAlnum(c) || c == '_' {
		return false
	}
	if (c == '.' || c == '-') && i >= 2 && isAlnum(s[i-2]) {
		return false
	}
	return true
}

// numRightOK is numLeftOK for the byte after a value ending before s[j].
func numRightOK(s []byte, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isAlnum(c) || c == '_' {
		return false
	}
	if (c == '.' || c == '-') && j+1 < len(s) && isAlnum(s[j+1]) {
		return false
	}
	return true
}
