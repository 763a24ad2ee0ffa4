package redact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
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

// benchSizes are the body sizes of the benchmarks.
var benchSizes = []struct {
	name string
	n    int
}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"4MB", 4 << 20}}

// benchFields are ten field selectors of a realistic rule set.
var benchFields = []string{"ssn", "card", "email", "phone", "password", "notes", "address.street", "dob", "*Token", "Item.secret"}

// benchEngines: the ten field selectors alone, and with every detector.
func benchEngines(b *testing.B) (fields, all *Engine) {
	fields, err := New([]Rule{{Name: "pii-fields", Fields: benchFields}})
	if err != nil {
		b.Fatal(err)
	}
	all, err = New([]Rule{
		{Name: "pii-fields", Fields: benchFields},
		{Name: "pii-values", Detectors: []string{"email", "phone", "card", "iban", "ssn", "aws_access_key_id", "aws_secret_key", "jwt", "private_key", "ip"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return fields, all
}

// customerRecord is one DynamoDB-style item with a realistic mix: ids,
// timestamps, numbers, free text, and a few values the detectors find.
func customerRecord(i int) string {
	return fmt.Sprintf(`{"pk":{"S":"customer#%06d"},"sk":{"S":"order#%06d"},"created":{"S":"2024-01-%02dT10:%02d:00Z"},`+
		`"total":{"N":"%d.%02d"},"paid":{"BOOL":%t},"status":{"S":"SHIPPED"},"sku":{"S":"SKU-%d-%d"},`+
		`"name":{"S":"Customer Name %d"},"contact":{"S":"c%d@example.com"},"ssn":{"S":"123-45-%04d"},`+
		`"notes":{"S":"called +1 415 555 %04d about order %d, shipped from 10.0.%d.%d; card on file 4111 1111 1111 1111"},`+
		`"description":{"S":"Blue cotton t-shirt, size M, version 2.3.1, batch 550e8400-e29b-41d4-a716-%012d"}}`,
		i, i, i%28+1, i%60, i*7, i%100, i%2 == 0, i, i%9, i, i, i%10000, i%10000, i, i%256, i%200, i)
}

func jsonBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"Count":0,"Items":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(customerRecord(i))
	}
	b.WriteString(`],"ScannedCount":0}`)
	return []byte(b.String())
}

// xmlBody is a query-protocol style list of the same records.
func xmlBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListCustomersResponse xmlns="https://example.amazonaws.com/doc/2010-05-08/"><ListCustomersResult><Customers>`)
	for i := 0; b.Len() < size-128; i++ {
		fmt.Fprintf(&b, `<member><Id>customer#%06d</Id><Created>2024-01-%02dT10:%02d:00Z</Created><Total>%d.%02d</Total>`+
			`<Name>Customer Name %d</Name><email>c%d@example.com</email><ssn>123-45-%04d</ssn>`+
			`<notes>called +1 415 555 %04d about order %d, shipped from 10.0.%d.%d; card 4111 1111 1111 1111 &amp; more</notes>`+
			`<Description>Blue cotton t-shirt, size M, version 2.3.1</Description></member>`,
			i, i%28+1, i%60, i*7, i%100, i, i, i%10000, i%10000, i, i%256, i%200)
	}
	b.WriteString(`</Customers></ListCustomersResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></ListCustomersResponse>`)
	return []byte(b.String())
}

// BenchmarkMaskJSON measures, in one run, the engine with ten field
// selectors and with every detector against a decode-to-any/re-encode
// baseline and json.Compact (a bare validating scan), at 1 KB, 64 KB and
// 4 MB. Compare MB/s within one invocation:
//
//	go test -run '^$' -bench MaskJSON -count 5 ./internal/redact
func BenchmarkMaskJSON(b *testing.B) {
	fields, all := benchEngines(b)
	for _, sz := range benchSizes {
		body := jsonBody(sz.n)
		b.Run(sz.name+"/fields", func(b *testing.B) { benchMask(b, fields, "application/x-amz-json-1.0", body) })
		b.Run(sz.name+"/detectors", func(b *testing.B) { benchMask(b, all, "application/x-amz-json-1.0", body) })
		b.Run(sz.name+"/decode-reencode", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
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
		b.Run(sz.name+"/compact", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			var dst bytes.Buffer
			for b.Loop() {
				dst.Reset()
				if err := json.Compact(&dst, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMaskXML is BenchmarkMaskJSON for XML: the baseline decodes
// every token and re-encodes it (encoding/xml), the bare scan reads the
// tokens only.
func BenchmarkMaskXML(b *testing.B) {
	fields, all := benchEngines(b)
	for _, sz := range benchSizes {
		body := xmlBody(sz.n)
		b.Run(sz.name+"/fields", func(b *testing.B) { benchMask(b, fields, "text/xml", body) })
		b.Run(sz.name+"/detectors", func(b *testing.B) { benchMask(b, all, "text/xml", body) })
		b.Run(sz.name+"/decode-reencode", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				dec := xml.NewDecoder(bytes.NewReader(body))
				enc := xml.NewEncoder(&out)
				for {
					tok, err := dec.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := tok.(xml.ProcInst); ok {
						continue
					}
					if err := enc.EncodeToken(tok); err != nil {
						b.Fatal(err)
					}
				}
				if err := enc.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sz.name+"/scan", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				dec := xml.NewDecoder(bytes.NewReader(body))
				for {
					if _, err := dec.Token(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func benchMask(b *testing.B, e *Engine, ct string, body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Body(ct, "dynamodb", "Query", body)
		if err != nil || !res.Changed {
			b.Fatal(err, res.Changed)
		}
	}
}
