package glob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		name, s, pattern string
		want             bool
	}{
		{"exact", "DeleteBucket", "DeleteBucket", true},
		{"prefix star", "DeleteObject", "Delete*", true},
		{"prefix star no match", "PutObject", "Delete*", false},
		{"star matches empty", "Delete", "Delete*", true},
		{"suffix star", "GetObject", "*Object", true},
		{"middle star", "GetBucketPolicy", "Get*Policy", true},
		{"star crosses slash", "logs/2024/01/app.log", "logs/*.log", true},
		{"star crosses colon", "arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket/*", true},
		{"question one char", "b1", "b?", true},
		{"question needs a char", "b", "b?", false},
		{"question multibyte", "café", "caf?", true},
		{"case sensitive", "deletebucket", "Delete*", false},
		{"backtracking", "aaab", "*a*b", true},
		{"backtracking fails", "aaac", "*a*b", false},
		{"only stars", "", "**", true},
		{"empty pattern", "x", "", false},
		{"empty both", "", "", true},
		{"trailing literal", "abcabd", "*abd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.s, tt.pattern); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.s, tt.pattern, got, tt.want)
			}
		})
	}
}
