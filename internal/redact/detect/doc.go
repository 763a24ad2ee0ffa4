// Package detect finds sensitive values inside strings: hand-written
// scanners, one file per kind, each a single pass over the bytes with no
// allocation and no regular expression (custom.go compiles the rules file's
// own regexes once).
//
//	detect.go  Kind, Match, Find (the entry point) and the shared boundary helpers
//	email.go   addresses (local@domain.tld)
//	phone.go   E.164 (+CC ...) and North American national formats
//	card.go    payment cards: 13-19 digits, known IIN prefixes, Luhn
//	iban.go    IBANs: country length table, mod-97 checksum
//	ssn.go     US social security numbers, invalid ranges excluded
//	aws.go     AWS access key ids and, with context, secret access keys
//	jwt.go     JSON web tokens whose header decodes to JSON with "alg"
//	pem.go     PEM private key blocks
//	ip.go      IPv4 and IPv6 addresses (valid ones only)
//	custom.go  the rules file's custom regexes, and allow lists
//
// Every scanner reports byte spans of the value it was given; the caller
// (internal/redact) replaces the spans. Each file says what its scanner
// matches and, as deliberately, what it does not.
package detect
