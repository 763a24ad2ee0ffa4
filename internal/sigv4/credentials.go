package sigv4

import (
	"fmt"
	"net/http"
	"strings"
)

// Claim is what a request says about its credentials before anything is
// verified: enough to open a session token and decide how much of the body
// the caller may send, without reading the body.
type Claim struct {
	AccessKeyID string
	// SessionToken is X-Amz-Security-Token (header, or query when
	// presigned); "" when none was sent.
	SessionToken string
	// Region and SigningName are the credential scope; SigningName is
	// lowercased.
	Region      string
	SigningName string
	Presigned   bool
}

// Credentials parses the Authorization header or the presign query of r
// and returns what it claims, without touching the body and without
// checking the signature. It refuses what Verify would refuse on form
// alone: no authentication (ErrMissingAuth), both forms, several
// Authorization headers or tokens (ErrMalformedAuth), and SigV2 (ErrSigV2).
// Call Verify after reading the body; Credentials vouches for nothing.
func Credentials(r *http.Request) (*Claim, error) {
	f, err := readForm(r)
	if err != nil {
		return nil, err
	}
	q, authz, presigned := f.query, f.authz, f.presigned
	token, err := singleHeader(r, "X-Amz-Security-Token")
	if err != nil {
		return nil, err
	}
	var a *Authorization
	if presigned {
		p, err := parsePresign(q)
		if err != nil {
			return nil, err
		}
		a = p.auth
		if token == "" {
			token = p.token
		}
	} else {
		if a, err = ParseAuthorization(authz); err != nil {
			return nil, err
		}
		if token == "" {
			if token, err = singleQuery(q, "X-Amz-Security-Token"); err != nil {
				return nil, err
			}
		}
	}
	return &Claim{AccessKeyID: a.AccessKeyID, SessionToken: token, Region: a.Region,
		SigningName: strings.ToLower(a.Service), Presigned: presigned}, nil
}

// form is how a request carries its signature: its query (parsed once,
// in order and by key), and either the Authorization header or the
// presign query.
type form struct {
	pairs     []queryPair
	query     map[string][]string
	authz     string
	presigned bool
}

// readForm parses r's query and tells which form of authentication r uses.
func readForm(r *http.Request) (form, error) {
	if r.URL == nil {
		return form{}, fmt.Errorf("%w: request has no URL", ErrMalformedAuth)
	}
	pairs, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return form{}, err
	}
	q := values(pairs)
	authz, presigned, err := authForm(r, q)
	if err != nil {
		return form{}, err
	}
	return form{pairs: pairs, query: q, authz: authz, presigned: presigned}, nil
}

// authForm says which form of authentication r uses: the Authorization
// header (returned) or the presign query (presigned). SigV2 in either form
// is ErrSigV2; nothing at all is ErrMissingAuth.
func authForm(r *http.Request, q map[string][]string) (authz string, presigned bool, err error) {
	authzs := r.Header.Values("Authorization")
	_, querySig := q["X-Amz-Signature"]
	_, queryAlg := q["X-Amz-Algorithm"]
	switch {
	case len(authzs) > 1:
		return "", false, fmt.Errorf("%w: more than one Authorization header", ErrMalformedAuth)
	case len(authzs) == 1 && (querySig || queryAlg):
		return "", false, fmt.Errorf("%w: both an Authorization header and presign query parameters", ErrMalformedAuth)
	case len(authzs) == 1:
		return authzs[0], false, nil
	case querySig || queryAlg:
		return "", true, nil
	case IsSigV2Presigned(q):
		return "", false, fmt.Errorf("%w: SigV2 presigned URLs are not accepted; presign with signature_version s3v4 "+
			"(boto3: Config(signature_version='s3v4'); AWS CLI: aws configure set default.s3.signature_version s3v4)", ErrSigV2)
	default:
		return "", false, ErrMissingAuth
	}
}

// IsSigV2Presigned reports whether a query carries a SigV2 presigned URL's
// parameters (what boto3 and AWS CLI v1 `aws s3 presign` make by default).
func IsSigV2Presigned(q map[string][]string) bool {
	_, akid := q["AWSAccessKeyId"]
	_, sig := q["Signature"]
	return akid && sig
}
