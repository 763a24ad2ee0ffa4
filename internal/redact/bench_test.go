package redact

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// dynamoLikeBody builds a DynamoDB Query response of about size bytes:
// items with S, N, B, BOOL, M and L attributes, one "ssn" per item.
func dynamoLikeBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"Count":0,"Items":[`)
	for i := 0; b.Len() < size-200; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"pk":{"S":"customer#%06d"},"sk":{"S":"order#%06d"},"total":{"N":"%d.%02d"},`+
			`"paid":{"BOOL":%t},"blob":{"B":"aGVsbG8gd29ybGQ="},`+
			`"profile":{"M":{"name":{"S":"Customer Name %d"},"ssn":{"S":"123-45-%04d"},"tags":{"SS":["a","b","c"]}}},`+
			`"lines":{"L":[{"M":{"sku":{"S":"SKU-%d"},"qty":{"N":"%d"}}},{"M":{"sku":{"S":"SKU-%d"},"qty":{"N":"1"}}}]}}`,
			i, i, i*7, i%100, i%2 == 0, i, i%10000, i, i%9, i+1)
	}
	b.WriteString(`],"ScannedCount":0}`)
	return []byte(b.String())
}

// BenchmarkBodyJSON compares Body with the decode-to-any/re-encode
// baseline on a ~47 KB DynamoDB-like response. Compare medians with
//
//	go test -run '^$' -bench BodyJSON -count 10 ./internal/redact
func BenchmarkBodyJSON(b *testing.B) {
	body := dynamoLikeBody(47 * 1024)
	e, err := New([]Rule{{Name: "pii", Service: "dynamodb", Fields: []string{"ssn"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("redact", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.Body("application/x-amz-json-1.0", "dynamodb", "Query", body)
			if err != nil || !res.Changed {
				b.Fatal(err, res.Changed)
			}
		}
	})
	b.Run("redact-nomatch", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.Body("application/x-amz-json-1.0", "s3", "Query", body)
			if err != nil || res.Changed {
				b.Fatal(err, res.Changed)
			}
		}
	})
	b.Run("validate-only", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if !jsontext.Value(body).IsValid() {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("unmarshal-marshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBodyXML measures an STS AssumeRole response.
func BenchmarkBodyXML(b *testing.B) {
	body := readTestdata(b, "sts_assume_role.xml")
	e := newTestEngine(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Body("text/xml", "sts", "AssumeRole", body); err != nil {
			b.Fatal(err)
		}
	}
}
