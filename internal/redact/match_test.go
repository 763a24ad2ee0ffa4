package redact

import "testing"

func TestGlobFold(t *testing.T) {
	tests := []struct {
		pat, name string
		want      bool
	}{
		{"secretaccesskey", "SecretAccessKey", true},
		{"secretaccesskey", "SecretAccessKeyX", false},
		{"*password*", "MasterUserPassword", true},
		{"*password*", "PASSWORD", true},
		{"*password*", "passwd", false},
		{"*token", "sessionToken", true},
		{"*token", "TokenCode", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXcYYb", false},
		{"*", "", true},
		{"x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pat+"/"+tt.name, func(t *testing.T) {
			if got := globFold(tt.pat, []byte(tt.name)); got != tt.want {
				t.Errorf("globFold(%q, %q) = %v, want %v", tt.pat, tt.name, got, tt.want)
			}
		})
	}
}

func TestMatcherPaths(t *testing.T) {
	var m matcher
	r := Rule{Name: "r", Fields: []string{"Credentials.SecretAccessKey", "items[].*.Secret", "Token"}, Service: "sts"}
	c, err := compileRule(r, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.add(r, 0, 0); err != nil {
		t.Fatal(err)
	}
	rules := []rule{c}
	type seg struct {
		name  string
		array bool
	}
	tests := []struct {
		name    string
		path    []seg
		service string
		want    bool
	}{
		{"dotted suffix", []seg{{"R", false}, {"Credentials", false}, {"SecretAccessKey", false}}, "sts", true},
		{"dotted wrong parent", []seg{{"R", false}, {"AccessKey", false}, {"SecretAccessKey", false}}, "sts", false},
		{"parent through array", []seg{{"Credentials", true}, {"", true}, {"secretaccesskey", false}}, "STS", true},
		{"glob middle segment", []seg{{"items", true}, {"x", false}, {"secret", false}}, "sts", true},
		{"glob needs a segment", []seg{{"items", true}, {"secret", false}}, "sts", false},
		{"single name", []seg{{"Token", false}}, "sts", true},
		{"service restriction", []seg{{"Token", false}}, "iam", false},
		{"array level itself never matches", []seg{{"Token", false}, {"", true}}, "sts", false},
		{"glob prefilter: last byte differs", []seg{{"items", true}, {"x", false}, {"secrets", false}}, "sts", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p path
			for _, s := range tt.path {
				if s.name == "" && s.array {
					p.pushArray()
					continue
				}
				p.pushString(s.name)
				if s.array {
					p.markArray()
				}
			}
			sel := selection{whole: -1}
			m.match(&p, []bool{c.applies(&Scope{Service: tt.service})}, rules, &sel, nil)
			if got := sel.whole == 0; got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    format
	}{
		{"amz json", "application/x-amz-json-1.1", "", formatJSON},
		{"json with params", "Application/JSON; charset=utf-8", "", formatJSON},
		{"problem json", "application/problem+json", "", formatJSON},
		{"text xml", "text/xml;charset=UTF-8", "", formatXML},
		{"form", "application/x-www-form-urlencoded; charset=utf-8", "", formatForm},
		{"octet stream", "application/octet-stream", "{}", formatOpaque},
		{"cbor", "application/cbor", "\xa0", formatCBOR},
		{"cbor suffix", "application/vnd.example+cbor", "", formatCBOR},
		{"sniff json", "", " \n[1]", formatJSON},
		{"sniff xml", "", "<a/>", formatXML},
		{"sniff other", "", "hello", formatOpaque},
		{"params only, no body", "; charset=utf-8", "", formatOpaque},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatOf(tt.contentType, []byte(tt.body)); got != tt.want {
				t.Errorf("formatOf = %v, want %v", got, tt.want)
			}
		})
	}
}
