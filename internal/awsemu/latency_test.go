package awsemu

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestLatencyAndRecordedBody checks that SetLatency holds a call for at
// least the latency and that the recorded request keeps its body.
func TestLatencyAndRecordedBody(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	client := s3.NewFromConfig(sdkConfig(e, gatewayCreds), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("latency-test")}); err != nil {
		t.Fatal(err)
	}
	const latency = 300 * time.Millisecond
	e.SetLatency(latency)
	e.Reset()
	begin := time.Now()
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("latency-test"), Key: aws.String("k"),
		Body: bytes.NewReader([]byte("the body")), ContentLength: aws.Int64(8)}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took < latency {
		t.Errorf("PutObject took %s, less than the latency %s", took, latency)
	}
	seen := e.Requests()
	if len(seen) != 1 || !bytes.Contains(seen[0].Body, []byte("the body")) {
		t.Fatalf("recorded %d requests, want the PutObject with its body: %+v", len(seen), seen)
	}
}
