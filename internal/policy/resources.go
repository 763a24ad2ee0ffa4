package policy

import (
	"slices"
	"strings"
)

// Resources are the well-known resource identifiers of a call, extracted
// from its parameters by AWS member name so rules need not know each
// service's shapes. A field is empty when the call has no such member.
type Resources struct {
	Bucket    string   `expr:"bucket"`    // Bucket (S3)
	Key       string   `expr:"key"`       // Key when it is a string (S3 object key)
	Table     string   `expr:"table"`     // TableName, or the only table of a batch/transaction
	Tables    []string `expr:"tables"`    // every DynamoDB table named: TableName, RequestItems keys, TransactItems
	Function  string   `expr:"function"`  // FunctionName (Lambda; a name or an ARN)
	Queue     string   `expr:"queue"`     // QueueUrl, else QueueName (SQS)
	Topic     string   `expr:"topic"`     // TopicArn (SNS)
	RoleArn   string   `expr:"roleArn"`   // RoleArn (STS, IAM PassRole targets, ...)
	User      string   `expr:"user"`      // UserName (IAM)
	Instances []string `expr:"instances"` // InstanceIds, InstanceId, InstanceId.N (EC2)
	ARNs      []string `expr:"arns"`      // every string value starting with "arn:", at any depth (bounded)
	Names     []string `expr:"names"`     // values of top-level string members whose name ends in "Name"
}

// Bounds on the ARN walk so a huge or deep body cannot slow the decider.
const (
	maxARNDepth = 6
	maxARNs     = 256
)

// ExtractResources fills Resources from a call's parameters. Lists are
// sorted and free of duplicates.
func ExtractResources(params map[string]any) Resources {
	var r Resources
	if len(params) == 0 {
		return r
	}
	r.Bucket = str(params["Bucket"])
	r.Key = str(params["Key"])
	r.Function = str(params["FunctionName"])
	r.Queue = str(params["QueueUrl"])
	if r.Queue == "" {
		r.Queue = str(params["QueueName"])
	}
	r.Topic = str(params["TopicArn"])
	r.RoleArn = str(params["RoleArn"])
	r.User = str(params["UserName"])

	r.Tables = tables(params)
	if t := str(params["TableName"]); t != "" {
		r.Table = t
	} else if len(r.Tables) == 1 {
		r.Table = r.Tables[0]
	}

	r.Instances = appendStrings(nil, params["InstanceIds"])
	r.Instances = appendStrings(r.Instances, params["InstanceId"])
	for k, v := range params {
		if strings.HasPrefix(k, "InstanceId.") {
			r.Instances = appendStrings(r.Instances, v)
		}
		if strings.HasSuffix(k, "Name") {
			if s := str(v); s != "" {
				r.Names = append(r.Names, s)
			}
		}
	}
	r.Instances = sortedUnique(r.Instances)
	r.Names = sortedUnique(r.Names)
	r.ARNs = sortedUnique(collectARNs(nil, params, 0))
	return r
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// appendStrings appends v if it is a string, or its string elements if it
// is a list.
func appendStrings(dst []string, v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			dst = append(dst, v)
		}
	case []string:
		for _, s := range v {
			if s != "" {
				dst = append(dst, s)
			}
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				dst = append(dst, s)
			}
		}
	}
	return dst
}

// tables lists the DynamoDB tables a call names: TableName, the keys of
// RequestItems (BatchGetItem, BatchWriteItem) and the TableName inside each
// TransactItems entry (TransactGetItems, TransactWriteItems).
func tables(params map[string]any) []string {
	out := appendStrings(nil, params["TableName"])
	if items, ok := params["RequestItems"].(map[string]any); ok {
		for name := range items {
			out = append(out, name)
		}
	}
	if items, ok := params["TransactItems"].([]any); ok {
		for _, item := range items {
			m, ok := item.(map[string]any)
			if !ok {
				continue
			}
			for _, action := range m { // {"Put": {"TableName": ...}}
				if a, ok := action.(map[string]any); ok {
					out = appendStrings(out, a["TableName"])
				}
			}
		}
	}
	return sortedUnique(out)
}

func collectARNs(dst []string, v any, depth int) []string {
	if depth > maxARNDepth || len(dst) >= maxARNs {
		return dst
	}
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "arn:") {
			dst = append(dst, v)
		}
	case []string:
		for _, s := range v {
			dst = collectARNs(dst, s, depth+1)
		}
	case []any:
		for _, e := range v {
			dst = collectARNs(dst, e, depth+1)
		}
	case map[string]any:
		for _, e := range v {
			dst = collectARNs(dst, e, depth+1)
		}
	}
	return dst
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}
