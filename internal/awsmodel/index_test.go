package awsmodel

import (
	"bytes"
	"compress/gzip"
	"errors"
	"slices"
	"testing"
)

func TestLoad(t *testing.T) {
	ix := mustLoad(t)
	if n := len(ix.Services()); n < 400 {
		t.Errorf("index has %d services, want the whole botocore set (400+)", n)
	}
	// Every service's operations decode.
	for _, id := range ix.Services() {
		if err := ix.services[id].load(); err != nil {
			t.Fatal(err)
		}
		if len(ix.services[id].ops) == 0 {
			t.Errorf("service %s has no operations", id)
		}
	}
}

func TestLoadRejectsBadIndex(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"v":999,"svc":[],"part":[]}`))
	_ = zw.Close()
	for name, data := range map[string][]byte{
		"not gzip":      []byte("plain"),
		"wrong version": gz.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := load(data); !errors.Is(err, ErrBadIndex) {
				t.Errorf("load = %v, want ErrBadIndex", err)
			}
		})
	}
}

func TestService(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		id   string
		want ServiceInfo
	}{
		{"s3", ServiceInfo{ID: "s3", EndpointPrefix: "s3", SigningName: "s3", Protocols: []string{"rest-xml"},
			APIVersion: "2006-03-01", GlobalEndpoint: "s3.amazonaws.com"}},
		{"cloudwatch", ServiceInfo{ID: "cloudwatch", EndpointPrefix: "monitoring", SigningName: "monitoring",
			Protocols: []string{"smithy-rpc-v2-cbor", "json", "query"}, TargetPrefix: "GraniteServiceVersion20100801",
			JSONVersion: "1.0", APIVersion: "2010-08-01"}},
		{"sqs", ServiceInfo{ID: "sqs", EndpointPrefix: "sqs", SigningName: "sqs", Protocols: []string{"json", "query"},
			TargetPrefix: "AmazonSQS", JSONVersion: "1.0", APIVersion: "2012-11-05"}},
		{"ec2", ServiceInfo{ID: "ec2", EndpointPrefix: "ec2", SigningName: "ec2", Protocols: []string{"ec2"}, APIVersion: "2016-11-15"}},
		{"s3control", ServiceInfo{ID: "s3control", EndpointPrefix: "s3-control", SigningName: "s3", Protocols: []string{"rest-xml"}, APIVersion: "2018-08-20"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := ix.Service(tt.id)
			if !ok {
				t.Fatal("missing")
			}
			if got.ID != tt.want.ID || got.EndpointPrefix != tt.want.EndpointPrefix || got.SigningName != tt.want.SigningName ||
				!slices.Equal(got.Protocols, tt.want.Protocols) || got.TargetPrefix != tt.want.TargetPrefix ||
				got.JSONVersion != tt.want.JSONVersion || got.APIVersion != tt.want.APIVersion || got.GlobalEndpoint != tt.want.GlobalEndpoint {
				t.Errorf("Service(%s) = %+v\nwant %+v", tt.id, got, tt.want)
			}
		})
	}
	if _, ok := ix.Service("nope"); ok {
		t.Error("Service(nope) found")
	}
}

func TestOperationInfo(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		service, name, method, uri string
		readOnly                   bool
		member                     string
	}{
		{"s3", "PutObject", "PUT", "/{Bucket}/{Key+}", false, "Body"},
		{"s3", "GetObject", "GET", "/{Bucket}/{Key+}", true, "Key"},
		{"dynamodb", "Query", "POST", "/", true, "TableName"},
		{"dynamodb", "DeleteItem", "POST", "/", false, "Key"},
		{"sts", "GetCallerIdentity", "POST", "/", true, ""},
		{"iam", "CreateAccessKey", "POST", "/", false, "UserName"},
		{"lambda", "ListFunctions", "GET", "/2015-03-31/functions", true, "MaxItems"},
		// GET alone is not read-only: this one mints credentials.
		{"deadline", "AssumeFleetRoleForRead", "GET", "/2023-10-12/farms/{farmId}/fleets/{fleetId}/read-roles", false, "farmId"},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.name, func(t *testing.T) {
			got, ok := ix.Operation(tt.service, tt.name)
			if !ok {
				t.Fatal("missing")
			}
			if got.Method != tt.method || got.RequestURI != tt.uri || got.ReadOnly != tt.readOnly {
				t.Errorf("got %s %s readOnly=%v, want %s %s readOnly=%v", got.Method, got.RequestURI, got.ReadOnly, tt.method, tt.uri, tt.readOnly)
			}
			if tt.member != "" && !slices.Contains(got.InputMembers, tt.member) {
				t.Errorf("InputMembers %v lack %s", got.InputMembers, tt.member)
			}
		})
	}
}
