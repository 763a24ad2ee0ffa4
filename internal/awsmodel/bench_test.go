package awsmodel

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdentifyRESTXML(b *testing.B) {
	ix := mustLoad(b)
	r := httptest.NewRequest(http.MethodPut, "/my-bucket/dir/key.txt?partNumber=3&uploadId=abc", nil)
	r.Header.Set("X-Amz-Meta-Owner", "ann")
	h := Hint{SigningName: "s3", Region: "us-east-1"}
	if _, err := ix.Identify(r, nil, h); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ix.Identify(r, nil, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdentifyJSON(b *testing.B) {
	ix := mustLoad(b)
	body := []byte(`{"TableName":"orders","Item":{"id":{"S":"1"},"n":{"N":"2"}}}`)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	h := Hint{SigningName: "dynamodb", Region: "us-east-1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ix.Identify(r, body, h); err != nil {
			b.Fatal(err)
		}
	}
}

func mustLoad(tb testing.TB) *Index {
	tb.Helper()
	ix, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}
