package awsmodel

// Effects carried by parameters. The curated table classifies operations;
// some operations change who may do what only when given certain
// parameters: s3 PutObject, CopyObject, CreateMultipartUpload and
// CreateBucket with a canned ACL or a grant (x-amz-acl, x-amz-grant-*),
// sqs CreateQueue and sns CreateTopic with a Policy attribute, kms
// CreateKey, dynamodb CreateTable and opensearch CreateDomain with a
// resource policy. Marking those operations "permissions" always would
// make "no permission changes" forbid every upload; leaving them "write"
// lets an agent make an object public or grant another account a queue
// under a rule that forbids permission changes. So the parameters decide.

import (
	"slices"
	"strings"
)

// permissionParams are parameter names that set access whatever operation
// carries them. A superset does no harm: an operation that already has
// the permissions effect keeps it.
var permissionParams = map[string]bool{
	"ACL": true, "GrantFullControl": true, "GrantRead": true, "GrantReadACP": true,
	"GrantWrite": true, "GrantWriteACP": true, "AccessControlPolicy": true,
	"Policy": true, "ResourcePolicy": true, "AccessPolicies": true,
	"PolicyDocument": true, "AssumeRolePolicyDocument": true,
}

// permissionAttributes are SQS queue and SNS topic attributes that are
// policies.
var permissionAttributes = map[string]bool{"Policy": true, "RedriveAllowPolicy": true}

// ParamEffects returns the effect classes a call's parameters add to its
// operation's (see Index.Effects): "permissions" when a parameter sets an
// ACL, a grant or a resource policy. params are Operation.Params (query
// and EC2 parameters by their flattened names).
func ParamEffects(params map[string]any) []string {
	for k, v := range params {
		if permissionParams[k] && !emptyParam(v) {
			return []string{EffectPermissions}
		}
		switch x := v.(type) {
		case map[string]any: // JSON: {"Attributes": {"Policy": ...}}
			if k == "Attributes" {
				for name := range x {
					if permissionAttributes[name] {
						return []string{EffectPermissions}
					}
				}
			}
		case string: // query: Attribute.1.Name=Policy, Attributes.entry.1.key=Policy
			if permissionAttributes[x] && strings.HasPrefix(k, "Attribute") &&
				(strings.HasSuffix(k, ".Name") || strings.HasSuffix(k, ".key")) {
				return []string{EffectPermissions}
			}
		}
	}
	return nil
}

// WithParamEffects returns effects with those params add, in the order of
// the Effects function.
func WithParamEffects(effects []string, params map[string]any) []string {
	add := ParamEffects(params)
	if len(add) == 0 {
		return effects
	}
	out := slices.Clone(effects)
	for _, e := range add {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	order := Effects()
	slices.SortFunc(out, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return out
}

func emptyParam(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}
