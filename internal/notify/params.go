package notify

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on the parameter summary, so a huge or hostile request cannot make
// a huge notification.
const (
	maxParamNames   = 32
	maxParamNameLen = 64
	maxResourceLen  = 200
	maxResourceList = 5
)

// isResource reports whether a parameter's value names a resource and may
// be shown to approvers. Every other parameter appears by name only: values
// can hold secrets (SecretString, Password, Environment), personal data
// (S3 object keys, item attributes) or bulk data (Body).
func isResource(member string) bool {
	switch member {
	case "Bucket", "TableName", "FunctionName", "QueueName", "QueueUrl", "TopicArn",
		"StreamName", "LogGroupName", "ClusterName", "DBInstanceIdentifier",
		"DBClusterIdentifier", "StackName", "RoleArn", "RoleName", "UserName",
		"GroupName", "PolicyArn", "SecretId", "KeyId", "RepositoryName",
		"InstanceId", "InstanceIds":
		return true
	}
	return false
}

// summarizeParams returns the sorted top-level parameter names of params (a
// JSON object) and the values of resourceMembers present as strings or
// lists of strings. Anything that does not decode summarizes to nothing.
func summarizeParams(params json.RawMessage) ([]string, map[string]string) {
	if len(params) == 0 {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(params, &obj); err != nil || len(obj) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, truncate(k, maxParamNameLen))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) > maxParamNames {
		names = append(names[:maxParamNames], "…")
	}

	var res map[string]string
	for k, raw := range obj {
		if !isResource(k) {
			continue
		}
		if v := resourceValue(raw); v != "" {
			if res == nil {
				res = make(map[string]string)
			}
			res[k] = v
		}
	}
	return names, res
}

// resourceValue renders a string, or a list of strings joined by ", "
// (at most maxResourceList), and nothing for any other JSON value.
func resourceValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return truncate(s, maxResourceLen)
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return ""
	}
	more := len(list) > maxResourceList
	if more {
		list = list[:maxResourceList]
	}
	out := strings.Join(list, ", ")
	if more {
		out += ", …"
	}
	return truncate(out, maxResourceLen)
}

// truncate replaces control characters other than newline and tab in s
// with spaces and cuts it to at most n bytes on a rune boundary, marking the
// cut.
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
