package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

func TestReadOnly(t *testing.T) {
	tests := []struct {
		name, method string
		want         bool
	}{
		{"GetObject", "GET", true},
		{"ListTables", "POST", true},
		{"BatchGetItem", "POST", true},
		{"Query", "POST", true},
		{"PutObject", "PUT", false},
		{"Getaway", "POST", false}, // the verb must end at a capital
		{"GetThingButPut", "PUT", false},
		{"AssumeFleetRoleForRead", "GET", false},
		{"DeleteBucket", "DELETE", false},
	}
	for _, tt := range tests {
		if got := readOnly(tt.name, tt.method); got != tt.want {
			t.Errorf("readOnly(%s, %s) = %v, want %v", tt.name, tt.method, got, tt.want)
		}
	}
}

const restModel = `{
 "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "thing", "signingName": "things",
  "protocol": "rest-json", "protocols": ["rest-json"]},
 "operations": {
  "PutThing": {"http": {"method": "PUT", "requestUri": "/things/{Id}?v=2"}, "input": {"shape": "PutIn"},
   "endpoint": {"hostPrefix": "data-"}, "deprecated": true},
  "GetThing": {"http": {"method": "GET", "requestUri": "/things/{Id}"}, "input": {"shape": "GetIn"}}
 },
 "shapes": {
  "PutIn": {"type": "structure", "required": ["Id", "Token"], "members": {
   "Id": {"shape": "S", "location": "uri", "locationName": "Id"},
   "Token": {"shape": "S", "location": "header", "locationName": "x-token"},
   "Tags": {"shape": "L", "location": "querystring", "locationName": "tag"},
   "Meta": {"shape": "M", "location": "headers", "locationName": "x-meta-"},
   "Name": {"shape": "S"}}},
  "GetIn": {"type": "structure", "payload": "Doc", "members": {
   "Id": {"shape": "S", "location": "uri"}, "Doc": {"shape": "B"}}},
  "S": {"type": "string"}, "L": {"type": "list"}, "M": {"type": "map"}, "B": {"type": "blob"}
 }
}`

func TestReadServiceREST(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"2019-01-01", "2020-01-01"} {
		if err := os.MkdirAll(filepath.Join(dir, "thing", v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The older version is junk: only the newest one may be read.
	if err := os.WriteFile(filepath.Join(dir, "thing", "2019-01-01", "service-2.json"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "thing", "2020-01-01", "service-2.json"), []byte(restModel), 0o644); err != nil {
		t.Fatal(err)
	}
	s, ok, err := readService(filepath.Join(dir, "thing"), "thing")
	if err != nil || !ok {
		t.Fatalf("readService = %v, %v", ok, err)
	}
	if s.SigningName != "things" || s.EndpointPrefix != "thing" || s.APIVersion != "2020-01-01" || !slices.Equal(s.Protocols, []string{"rest-json"}) {
		t.Errorf("meta = %+v", s.ServiceMeta)
	}
	if len(s.Ops) != 2 || s.Ops[0].Name != "GetThing" || s.Ops[1].Name != "PutThing" {
		t.Fatalf("ops = %+v", s.Ops)
	}
	get, put := s.Ops[0], s.Ops[1]
	if !get.ReadOnly || get.Payload != "Doc" || get.PayloadStruct || len(get.Body) != 0 {
		t.Errorf("GetThing = %+v", get)
	}
	if put.ReadOnly || !put.Deprecated || put.HostPrefix != "data-" || put.URI != "/things/{Id}?v=2" || !slices.Equal(put.Body, []string{"Name"}) {
		t.Errorf("PutThing = %+v", put)
	}
	wantBound := []modelfile.Member{
		{Name: "Id", Loc: modelfile.LocURI, Required: true},
		{Name: "Meta", Loc: modelfile.LocHeaders, LocName: "x-meta-"},
		{Name: "Tags", Loc: modelfile.LocQuery, LocName: "tag", List: true},
		{Name: "Token", Loc: modelfile.LocHeader, LocName: "x-token", Required: true},
	}
	if !slices.Equal(put.Bound, wantBound) {
		got, _ := json.Marshal(put.Bound)
		t.Errorf("PutThing bound = %s", got)
	}
}

func TestReadServiceQueryCompatible(t *testing.T) {
	var m model
	if err := json.Unmarshal([]byte(`{"metadata": {"apiVersion": "2012-11-05", "endpointPrefix": "sqs", "protocol": "json",
		"protocols": ["json"], "awsQueryCompatible": {}, "targetPrefix": "AmazonSQS"},
		"operations": {"SendMessage": {"http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "In"}}},
		"shapes": {"In": {"type": "structure", "members": {"QueueUrl": {"shape": "S"}}}, "S": {"type": "string"}}}`), &m); err != nil {
		t.Fatal(err)
	}
	s := convert("sqs", &m)
	if !slices.Equal(s.Protocols, []string{"json", "query"}) || s.SigningName != "" {
		t.Errorf("meta = %+v", s.ServiceMeta)
	}
	if op := s.Ops[0]; op.Method != "" || op.URI != "" || !slices.Equal(op.Body, []string{"QueueUrl"}) {
		t.Errorf("op = %+v: JSON operations keep no method / URI and list body members", op)
	}
}

func TestIdempotencyToken(t *testing.T) {
	tests := []struct {
		name    string
		members string
		rest    bool
		want    *modelfile.Token
	}{
		{"none", `{"A": {"shape": "S"}}`, true, nil},
		{"json body member", `{"ClientRequestToken": {"shape": "S", "idempotencyToken": true}, "A": {"shape": "S"}}`, false,
			&modelfile.Token{Name: "ClientRequestToken"}},
		{"ec2 member with a locationName", `{"ClientToken": {"shape": "S", "idempotencyToken": true, "locationName": "clientToken"}}`, false,
			&modelfile.Token{Name: "ClientToken", LocName: "clientToken"}},
		{"rest header", `{"ClientToken": {"shape": "S", "idempotencyToken": true, "location": "header", "locationName": "x-amz-client-token"}}`, true,
			&modelfile.Token{Name: "ClientToken", Loc: modelfile.LocHeader, LocName: "x-amz-client-token"}},
		{"rest querystring, locationName equal to the name", `{"clientToken": {"shape": "S", "idempotencyToken": true, "location": "querystring", "locationName": "clientToken"}}`, true,
			&modelfile.Token{Name: "clientToken", Loc: modelfile.LocQuery}},
		{"a location outside REST is a body member", `{"T": {"shape": "S", "idempotencyToken": true, "location": "header", "locationName": "x-t"}}`, false,
			&modelfile.Token{Name: "T", LocName: "x-t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in shape
			if err := json.Unmarshal([]byte(`{"type": "structure", "members": `+tt.members+`}`), &in); err != nil {
				t.Fatal(err)
			}
			got := idempotencyToken(&in, tt.rest)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("idempotencyToken = %+v, want %+v", got, tt.want)
			}
		})
	}
}
