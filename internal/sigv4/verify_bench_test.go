package sigv4

import (
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	fixtures := loadBotocore(b)
	for _, name := range []string{"dynamodb_put_item_token", "s3_put_object_aws_chunked"} {
		fx := fixtures[name]
		r, body := parseWire(b, fx.wire(b))
		lookup, now := fx.lookup(), fx.SignedAt.Add(time.Minute)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := Verify(r, body, lookup, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
