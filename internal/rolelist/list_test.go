package rolelist

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		specs []string
		want  []Entry
		err   bool
	}{
		{"none", nil, nil, false},
		{"one", []string{"arn:aws:iam::123456789012:role/ci"}, []Entry{{Pattern: "arn:aws:iam::123456789012:role/ci"}}, false},
		{"comma and space separated, with group", []string{"arn:aws:iam::1:role/a, ops=arn:aws:iam::*:role/admin-*"},
			[]Entry{{Pattern: "arn:aws:iam::1:role/a"}, {Group: "ops", Pattern: "arn:aws:iam::*:role/admin-*"}}, false},
		{"repeated flag", []string{"arn:aws:iam::1:role/a", "arn:aws:iam::2:role/b"},
			[]Entry{{Pattern: "arn:aws:iam::1:role/a"}, {Pattern: "arn:aws:iam::2:role/b"}}, false},
		{"bare star", []string{"*"}, nil, true},
		{"not a role", []string{"arn:aws:iam::1:user/bob"}, nil, true},
		{"not iam", []string{"arn:aws:s3:::bucket/role/x"}, nil, true},
		{"empty group", []string{"=arn:aws:iam::1:role/a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(tt.specs...)
			if tt.err {
				if !errors.Is(err, ErrEntry) {
					t.Fatalf("err = %v, want ErrEntry", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := l.Entries()
			if len(got) != len(tt.want) {
				t.Fatalf("entries %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("entries %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestAllows(t *testing.T) {
	l := MustParse("arn:aws:iam::111111111111:role/ci-*", "ops=arn:aws:iam::*:role/admin", "arn:aws:iam::222222222222:role/team/?")
	tests := []struct {
		name    string
		groups  []string
		arn     string
		want    bool
		wantARN bool
	}{
		{"glob for everyone", nil, "arn:aws:iam::111111111111:role/ci-build", true, true},
		{"star crosses role paths", nil, "arn:aws:iam::111111111111:role/ci-x/deep", true, true},
		{"other account", nil, "arn:aws:iam::999999999999:role/ci-build", false, false},
		{"prefix only is not a match", nil, "arn:aws:iam::111111111111:role/ci", false, false},
		{"case matters", nil, "arn:aws:iam::111111111111:role/CI-build", false, false},
		{"group entry, member", []string{"devs", "ops"}, "arn:aws:iam::333333333333:role/admin", true, true},
		{"group entry, not a member", []string{"devs"}, "arn:aws:iam::333333333333:role/admin", false, true},
		{"question mark is one character", nil, "arn:aws:iam::222222222222:role/team/a", true, true},
		{"question mark is not two", nil, "arn:aws:iam::222222222222:role/team/ab", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.Allows(tt.groups, tt.arn); got != tt.want {
				t.Errorf("Allows = %v, want %v", got, tt.want)
			}
			if got := l.AllowsARN(tt.arn); got != tt.wantARN {
				t.Errorf("AllowsARN = %v, want %v", got, tt.wantARN)
			}
		})
	}
	if (List{}).Allows(nil, "arn:aws:iam::111111111111:role/ci-build") || (List{}).AllowsARN("arn:aws:iam::111111111111:role/ci-build") {
		t.Error("the empty list allows a role")
	}
}
