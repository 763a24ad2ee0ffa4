package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// examplePolicy is the policy from the language reference.
const examplePolicy = `version: 1
rules:
  - name: no-permission-changes
    when: '"permissions" in call.effects'
    then: deny
    reason: permissions change only through the infrastructure repository
  - name: sandbox-no-delete
    when: '"sandbox" in principal.groups && "delete" in call.effects'
    then: deny
    reason: sandbox agents may not delete
  - name: prod-writes-need-approval
    when: 'service == "dynamodb" && any(call.effects, # in ["write", "delete"])'
    then: hold
    reason: writes need a human
    approvers: [approvers]
    approvals: 2
    wait: 45m
    require_justification: true
    grant:
      for: 10m
      scope: expr
      match: 'service == "dynamodb" && resources.table == "orders"'
    role: arn:aws:iam::123456789012:role/writer
  - name: office-network-reads
    when: 'all(call.effects, # in ["read", "list"]) && cidr(source, "10.0.0.0/8")'
    then: allow
  - name: failing
    when: (params.Size ?? 0) > 10
    then: allow
  - name: sandbox-allow
    when: '"sandbox" in principal.groups'
    then: allow
    role: arn:aws:iam::123456789012:role/sandbox
`

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

var (
	sandbox = Principal{Sub: "agent-1", Issuer: "https://idp", Groups: []string{"sandbox"}}
	nobody  = Principal{Sub: "agent-2", Issuer: "https://idp", Groups: []string{"other"}}
)

func TestEvaluate(t *testing.T) {
	p := mustParse(t, examplePolicy)
	tests := []struct {
		name       string
		in         Input
		want       Outcome
		wantRule   string
		wantReason string // substring
		wantErr    bool
	}{
		{"builtin denies AssumeRole before any rule", Input{Principal: sandbox, Service: "sts", Operation: "AssumeRole"}, Deny, BuiltinRuleName, "bypass the gateway", false},
		{"builtin denies iam CreateAccessKey", Input{Principal: sandbox, Service: "iam", Operation: "CreateAccessKey"}, Deny, BuiltinRuleName, "iam:CreateAccessKey", false},
		{"builtin denies ecr token", Input{Principal: sandbox, Service: "ecr", Operation: "GetAuthorizationToken", ReadOnly: true, Source: "10.0.0.1"}, Deny, BuiltinRuleName, "", false},
		{"builtin denies sso creds whatever the service says", Input{Principal: sandbox, Service: "", Operation: "GetRoleCredentials"}, Deny, BuiltinRuleName, "", false},
		{"sandbox delete denied", Input{Principal: sandbox, Service: "s3", Operation: "DeleteObject", Effects: []string{"delete"}}, Deny, "sandbox-no-delete", "may not delete", false},
		{"sandbox delete bucket denied", Input{Principal: sandbox, Service: "s3", Operation: "DeleteBucket", Effects: []string{"delete"}}, Deny, "sandbox-no-delete", "may not delete", false},
		{"non-sandbox delete falls to default deny", Input{Principal: nobody, Service: "s3", Operation: "DeleteObject", Effects: []string{"delete"}}, Deny, "", DefaultReason, false},
		{"sandbox batch write deletes too", Input{Principal: sandbox, Service: "dynamodb", Operation: "BatchWriteItem", Effects: []string{"write", "delete"}}, Deny, "sandbox-no-delete", "may not delete", false},
		{"permission change denied for everyone", Input{Principal: nobody, Service: "s3", Operation: "PutBucketPolicy", Effects: []string{"write", "permissions"}}, Deny, "no-permission-changes", "infrastructure repository", false},
		{"builtin denies by effect", Input{Principal: sandbox, Service: "secretsmanager", Operation: "GetSecretValue", Effects: []string{"read", "credentials"}}, Deny, BuiltinRuleName, "secretsmanager:GetSecretValue", false},
		{"dynamodb write held", Input{Principal: sandbox, Service: "dynamodb", Operation: "PutItem", Effects: []string{"write"}}, Hold, "prod-writes-need-approval", "writes need a human", false},
		{"dynamodb read from office allowed", Input{Principal: nobody, Service: "dynamodb", Operation: "GetItem", ReadOnly: true, Source: "10.2.3.4", Effects: []string{"read"}}, Allow, "office-network-reads", `matched rule "office-network-reads"`, false},
		{"read from outside not allowed", Input{Principal: nobody, Service: "dynamodb", Operation: "GetItem", ReadOnly: true, Source: "8.8.8.8", Effects: []string{"read"}}, Deny, "", DefaultReason, false},
		{"runtime error fails closed", Input{Principal: sandbox, Service: "s3", Operation: "PutObject", Params: map[string]any{"Size": "big"}, Effects: []string{"write"}}, Deny, "failing", `rule "failing" failed`, true},
		{"sandbox create allowed", Input{Principal: sandbox, Service: "s3", Operation: "CreateBucket", Params: map[string]any{"Bucket": "b"}, Effects: []string{"write"}}, Allow, "sandbox-allow", "", false},
		{"no groups default deny", Input{Service: "s3", Operation: "ListBuckets", ReadOnly: true, Effects: []string{"list"}}, Deny, "", DefaultReason, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Evaluate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				var ee *EvalError
				if !errors.As(err, &ee) || ee.Rule != tt.wantRule || !errors.Is(err, ErrEvaluation) {
					t.Errorf("err = %#v, want *EvalError for rule %q wrapping ErrEvaluation", err, tt.wantRule)
				}
			}
			if d.Outcome != tt.want || d.Rule != tt.wantRule {
				t.Errorf("decision = %s by %q, want %s by %q (reason %q)", d.Outcome, d.Rule, tt.want, tt.wantRule, d.Reason)
			}
			if !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", d.Reason, tt.wantReason)
			}
			if (d.Hold != nil) != (d.Outcome == Hold) {
				t.Errorf("Hold = %+v for outcome %s", d.Hold, d.Outcome)
			}
		})
	}
}

func TestEvaluateHoldAndRole(t *testing.T) {
	p := mustParse(t, examplePolicy)
	d, err := p.Evaluate(Input{Principal: sandbox, Service: "dynamodb", Operation: "UpdateItem", Effects: []string{"write"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &HoldSpec{
		Approvers: []string{"approvers"}, Approvals: 2, Wait: 45 * time.Minute, RequireJustification: true,
		Grant: &GrantSpec{For: 10 * time.Minute, Scope: ScopeExpr, Match: `service == "dynamodb" && resources.table == "orders"`},
	}
	if !reflect.DeepEqual(d.Hold, want) {
		t.Errorf("Hold = %+v, want %+v", d.Hold, want)
	}
	if d.Role != "arn:aws:iam::123456789012:role/writer" {
		t.Errorf("Role = %q", d.Role)
	}
	// The decision's HoldSpec is a copy: changing it leaves the policy alone.
	d.Hold.Approvers[0] = "mallory"
	d2, _ := p.Evaluate(Input{Principal: sandbox, Service: "dynamodb", Operation: "UpdateItem", Effects: []string{"write"}})
	if d2.Hold.Approvers[0] != "approvers" {
		t.Errorf("policy was mutated through a decision: %v", d2.Hold.Approvers)
	}
	// The grant's match compiles and matches what it says.
	m, err := CompileMatch(d.Hold.Grant.Match)
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]bool{"orders": true, "stock": false} {
		got, err := m.Match(Input{Service: "dynamodb", Operation: "PutItem", Params: map[string]any{"TableName": table}})
		if err != nil || got != want {
			t.Errorf("match table %s = %v, %v; want %v", table, got, err, want)
		}
	}
}

func TestHoldDefaults(t *testing.T) {
	p := mustParse(t, "version: 1\nrules:\n  - name: h\n    when: 'true'\n    then: hold\n    approvers: [ops]\n    grant: {}\n")
	d, _ := p.Evaluate(Input{Service: "s3", Operation: "PutObject"})
	want := &HoldSpec{Approvers: []string{"ops"}, Approvals: DefaultApprovals, Wait: DefaultWait,
		Grant: &GrantSpec{For: DefaultGrantFor, Scope: DefaultScope}}
	if !reflect.DeepEqual(d.Hold, want) {
		t.Errorf("Hold = %+v, want %+v", d.Hold, want)
	}
}

func TestCredentialMintingOptIn(t *testing.T) {
	p := mustParse(t, `version: 1
allow_credential_minting: true
rules:
  - name: ci-may-get-ecr-token
    when: '"ci" in principal.groups && operation == "GetAuthorizationToken"'
    then: allow
  - name: ci-session-tokens-held
    when: '"ci" in principal.groups && operation in ["GetSessionToken"]'
    then: hold
    approvers: [ops]
  - name: ci-broad
    when: '"ci" in principal.groups'
    then: allow
`)
	ci := Principal{Sub: "ci", Groups: []string{"ci"}}
	tests := []struct {
		name     string
		in       Input
		want     Outcome
		wantRule string
	}{
		{"named operation allowed", Input{Principal: ci, Service: "ecr", Operation: "GetAuthorizationToken"}, Allow, "ci-may-get-ecr-token"},
		{"named in a list held", Input{Principal: ci, Service: "sts", Operation: "GetSessionToken"}, Hold, "ci-session-tokens-held"},
		{"broad rule cannot allow minting", Input{Principal: ci, Service: "sts", Operation: "AssumeRole"}, Deny, BuiltinRuleName},
		{"broad rule still allows the rest", Input{Principal: ci, Service: "s3", Operation: "PutObject"}, Allow, "ci-broad"},
		{"other principals default deny", Input{Principal: nobody, Service: "ecr", Operation: "GetAuthorizationToken"}, Deny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Evaluate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tt.want || d.Rule != tt.wantRule {
				t.Errorf("decision = %s by %q (%s), want %s by %q", d.Outcome, d.Rule, d.Reason, tt.want, tt.wantRule)
			}
		})
	}
	if rules := p.Rules(); rules[0].Builtin {
		t.Errorf("opted-in policy still lists the built-in rule first")
	}
}

func TestIsCredentialMinting(t *testing.T) {
	tests := []struct {
		service, op string
		want        bool
	}{
		{"sts", "AssumeRole", true},
		{"STS", "AssumeRoleWithSAML", true},
		{"sso", "GetRoleCredentials", true},
		{"iam", "CreateLoginProfile", true},
		{"iam", "UpdateAccessKey", true},
		{"s3", "UpdateAccessKey", false},
		{"sso-oidc", "CreateToken", true},
		{"s3", "GetObject", false},
		{"sts", "GetCallerIdentity", false},
	}
	for _, tt := range tests {
		if got := IsCredentialMinting(tt.service, tt.op); got != tt.want {
			t.Errorf("IsCredentialMinting(%q, %q) = %v, want %v", tt.service, tt.op, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	p := mustParse(t, examplePolicy)
	in := Input{Principal: sandbox, Service: "dynamodb", Operation: "DeleteItem", Params: map[string]any{"Size": "x"}, Effects: []string{"delete"}}
	d, traces := p.Explain(in)
	want, _ := p.Evaluate(in)
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Explain decision %+v differs from Evaluate %+v", d, want)
	}
	type row struct {
		rule              string
		matched, decisive bool
		err               bool
	}
	wantRows := []row{
		{BuiltinRuleName, false, false, false},
		{"no-permission-changes", false, false, false},
		{"sandbox-no-delete", true, true, false},
		{"prod-writes-need-approval", true, false, false},
		{"office-network-reads", false, false, false},
		{"failing", false, false, true},
		{"sandbox-allow", true, false, false},
	}
	if len(traces) != len(wantRows) {
		t.Fatalf("got %d traces, want %d: %+v", len(traces), len(wantRows), traces)
	}
	for i, w := range wantRows {
		tr := traces[i]
		got := row{tr.Rule, tr.Matched, tr.Decisive, tr.Err != nil}
		if got != w {
			t.Errorf("trace %d = %+v, want %+v", i, got, w)
		}
	}
	if traces[2].Line != 7 {
		t.Errorf("trace line = %d, want 7", traces[2].Line)
	}
}

func TestRulesListing(t *testing.T) {
	p := mustParse(t, examplePolicy)
	rules := p.Rules()
	if len(rules) != 7 || !rules[0].Builtin || rules[0].Name != BuiltinRuleName {
		t.Fatalf("Rules()[0] = %+v (len %d), want the built-in rule first of 7", rules[0], len(rules))
	}
	if rules[1].Name != "no-permission-changes" || rules[1].Line != 3 || rules[1].Then != Deny {
		t.Errorf("Rules()[1] = %+v", rules[1])
	}
	if len(p.Hash()) != 64 || p.Name() != "test.yaml" {
		t.Errorf("Hash = %q, Name = %q", p.Hash(), p.Name())
	}
}
