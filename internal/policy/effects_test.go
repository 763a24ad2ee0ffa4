package policy

import (
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

func TestCallEffects(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		effects []string
		want    bool
	}{
		{"delete in effects", `"delete" in call.effects`, []string{"write", "delete"}, true},
		{"delete not in effects", `"delete" in call.effects`, []string{"write"}, false},
		{"read-only by effect", `all(call.effects, # in ["read", "list"])`, []string{"read", "list"}, true},
		{"credentials are not read-only", `all(call.effects, # in ["read", "list"])`, []string{"read", "credentials"}, false},
		{"no effects is an empty list", `len(call.effects) == 0 && !("delete" in call.effects)`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileMatch(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Match(Input{Service: "x", Operation: "Y", Effects: tt.effects})
			if err != nil || got != tt.want {
				t.Errorf("%s with %v = %v, %v; want %v", tt.expr, tt.effects, got, err, tt.want)
			}
		})
	}
	// A misspelled field is a load-time error, like every other name.
	if _, err := CompileMatch(`"delete" in call.effect`); err == nil || !strings.Contains(err.Error(), "effect") {
		t.Errorf("call.effect compiled: %v", err)
	}
}

// TestCredentialEffectCoversNameList keeps the two walls of the built-in
// rule consistent: every listed credential-minting operation that the
// model knows has the credentials effect there.
func TestCredentialEffectCoversNameList(t *testing.T) {
	if CredentialsEffect != awsmodel.EffectCredentials {
		t.Fatalf("CredentialsEffect = %q, awsmodel says %q", CredentialsEffect, awsmodel.EffectCredentials)
	}
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, so := range CredentialMintingOperations() {
		found := false
		for _, svc := range ix.Services() {
			if so.Service != "" && so.Service != svc {
				continue
			}
			e, ok := ix.Effects(svc, so.Operation)
			if !ok {
				continue
			}
			found = true
			if !awsmodel.HasEffect(e, CredentialsEffect) {
				t.Errorf("%s:%s is listed as credential-minting but has effects %v", svc, so.Operation, e)
			}
		}
		if !found {
			t.Errorf("%s is in no service of the model", so)
		}
	}
}

// TestBuiltinDeniesByEffect: a call whose effects say credentials is
// denied even when its name is on no list, and a rule that matches it by
// accident cannot allow it under allow_credential_minting.
func TestBuiltinDeniesByEffect(t *testing.T) {
	in := Input{Principal: sandbox, Service: "kms", Operation: "Decrypt", Effects: []string{"read", "credentials"}}
	p := mustParse(t, "version: 1\nrules:\n  - name: all\n    when: 'true'\n    then: allow\n")
	if d, _ := p.Evaluate(in); d.Outcome != Deny || d.Rule != BuiltinRuleName {
		t.Errorf("decision = %s by %q, want deny by the built-in rule", d.Outcome, d.Rule)
	}
	opted := mustParse(t, "version: 1\nallow_credential_minting: true\nrules:\n  - name: all\n    when: 'true'\n    then: allow\n  - name: named\n    when: 'operation == \"Decrypt\"'\n    then: allow\n")
	if d, _ := opted.Evaluate(in); d.Outcome != Deny || d.Rule != BuiltinRuleName {
		t.Errorf("opted in, broad rule: decision = %s by %q, want deny by the built-in rule", d.Outcome, d.Rule)
	}
	named := mustParse(t, "version: 1\nallow_credential_minting: true\nrules:\n  - name: named\n    when: 'operation == \"Decrypt\"'\n    then: allow\n")
	if d, _ := named.Evaluate(in); d.Outcome != Allow {
		t.Errorf("opted in, named: decision = %s by %q, want allow", d.Outcome, d.Rule)
	}
}
