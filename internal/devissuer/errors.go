package devissuer

import "errors"

var (
	// ErrIssuerURL is returned by New for an issuer URL that is not an
	// absolute http or https URL without query or fragment.
	ErrIssuerURL = errors.New("devissuer: issuer URL must be an absolute http(s) URL such as http://127.0.0.1:8080/oidc")

	// ErrKeyFile is returned by New when the key file exists but does not hold
	// an RSA private key in PEM. Delete it to have a new key generated.
	ErrKeyFile = errors.New("devissuer: key file does not hold a PEM RSA private key")
)
