package policy

import (
	"testing"
	"time"
)

// TestHelpersInExpressions runs each helper through a compiled expression,
// the way rules use them.
func TestHelpersInExpressions(t *testing.T) {
	monday9 := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC) // a Monday
	tests := []struct {
		name    string
		expr    string
		in      Input
		want    bool
		wantErr bool
	}{
		{"cidr inside", `cidr(source, "10.0.0.0/8")`, Input{Source: "10.1.2.3"}, true, false},
		{"cidr outside", `cidr(source, "10.0.0.0/8")`, Input{Source: "192.168.1.1"}, false, false},
		{"cidr with port", `cidr(source, "127.0.0.0/8")`, Input{Source: "127.0.0.1:5555"}, true, false},
		{"cidr ipv6", `cidr(source, "fd00::/8")`, Input{Source: "fd12::1"}, true, false},
		{"cidr mapped v4", `cidr(source, "10.0.0.0/8")`, Input{Source: "::ffff:10.0.0.1"}, true, false},
		{"cidr empty source", `cidr(source, "0.0.0.0/0")`, Input{}, false, false},
		{"cidr bad prefix at run time", `cidr(source, params.Prefix)`, Input{Source: "10.0.0.1", Params: map[string]any{"Prefix": "nope"}}, false, true},
		{"glob on param", `glob(params.Key, "reports/*")`, Input{Params: map[string]any{"Key": "reports/q1.csv"}}, true, false},
		{"glob on missing param", `glob(params.Key, "reports/*")`, Input{Params: map[string]any{}}, false, false},
		{"glob on non-string param", `glob(params.Key, "reports/*")`, Input{Params: map[string]any{"Key": 3}}, false, true},
		{"anyGlob groups", `anyGlob(principal.groups, "team-*")`, Input{Principal: Principal{Groups: []string{"dev", "team-data"}}}, true, false},
		{"anyGlob no match", `anyGlob(principal.groups, "team-*")`, Input{Principal: Principal{Groups: []string{"dev"}}}, false, false},
		{"anyGlob param list", `anyGlob(params.InstanceIds, "i-0*")`, Input{Params: map[string]any{"InstanceIds": []any{"i-123", "i-0ab"}}}, true, false},
		{"anyGlob resources", `anyGlob(resources.instances, "i-9*")`, Input{Params: map[string]any{"InstanceIds": []any{"i-123"}}}, false, false},
		{"hour", `hour(time) == 9`, Input{Time: monday9}, true, false},
		{"hour is UTC", `hour(time) == 9`, Input{Time: monday9.In(time.FixedZone("X", 3*3600))}, true, false},
		{"weekday", `weekday(time) == "Monday"`, Input{Time: monday9}, true, false},
		{"business hours", `weekday(time) not in ["Saturday", "Sunday"] && hour(time) >= 9 && hour(time) < 17`, Input{Time: monday9}, true, false},
		{"hasPrefix builtin", `hasPrefix(region, "eu-")`, Input{Region: "eu-west-1"}, true, false},
		{"claims", `principal.claims.env == "ci"`, Input{Principal: Principal{Claims: map[string]string{"env": "ci"}}}, true, false},
		{"account from role", `account == "123456789012"`, Input{Role: "arn:aws:iam::123456789012:role/writer"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileMatch(tt.expr)
			if err != nil {
				t.Fatalf("CompileMatch(%q): %v", tt.expr, err)
			}
			got, err := m.Match(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Match err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}
