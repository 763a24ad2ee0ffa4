package sts

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// DefaultAccount is the account shown for a session whose role ARN has none.
const DefaultAccount = "000000000000"

// roleARN is a parsed arn:<partition>:iam::<account>:role/<path/><name>.
type roleARN struct {
	partition, account, name string
}

// parseRoleARN parses an IAM role ARN; ok is false for anything else.
func parseRoleARN(s string) (roleARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" {
		return roleARN{}, false
	}
	account, resource := parts[4], parts[5]
	if !isAccountID(account) || !strings.HasPrefix(resource, "role/") {
		return roleARN{}, false
	}
	name := resource[strings.LastIndexByte(resource, '/')+1:]
	if name == "" || len(name) > 64 || !validChars(name, "+=,.@_-") {
		return roleARN{}, false
	}
	return roleARN{partition: parts[1], account: account, name: name}, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validChars reports whether s has only letters, digits and extra.
func validChars(s, extra string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(extra, c)) {
			return false
		}
	}
	return true
}

// assumedRole returns the STS assumed-role ARN, the AssumedRoleId
// ("<role id>:<session name>") and the account for a role ARN and session
// name. An unparsable role ARN is shown as role "jitgate" in DefaultAccount.
func assumedRole(role, sessionName string) (arn, id, account string) {
	r, ok := parseRoleARN(role)
	if !ok {
		r = roleARN{partition: "aws", account: DefaultAccount, name: "jitgate"}
	}
	arn = "arn:" + r.partition + ":sts::" + r.account + ":assumed-role/" + r.name + "/" + sessionName
	return arn, roleID(role) + ":" + sessionName, r.account
}

// roleID derives a stable, AWS-shaped unique id for a role ARN: "JGRO" and
// 17 base32 characters of its SHA-256. The prefix is jitgate's own (AWS role
// ids start with "AROA"), like session.AccessKeyIDPrefix.
func roleID(role string) string {
	sum := sha256.Sum256([]byte(role))
	return "JGRO" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
