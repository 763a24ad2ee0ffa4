package canned

import (
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSDKAcceptsAnswers calls every canned operation with aws-sdk-go-v2,
// whose clients reject a DynamoDB body that does not match X-Amz-Crc32 and
// an S3 object that does not match x-amz-checksum-crc32.
func TestSDKAcceptsAnswers(t *testing.T) {
	srv := httptest.NewServer(New())
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		// What config.LoadDefaultConfig sets: checksums on both ways.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIATEST", SecretAccessKey: "secret"}, nil
		}), Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	ddb, s3c, stsc := dynamodb.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), sts.NewFromConfig(cfg)
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "x"}}
	tests := []struct {
		name string
		call func(context.Context) error
	}{
		{"dynamodb GetItem", func(ctx context.Context) error {
			out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key})
			if err == nil && len(out.Item) == 0 {
				t.Error("GetItem returned no item")
			}
			return err
		}},
		{"dynamodb PutItem", func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: key})
			return err
		}},
		{"s3 GetObject", func(ctx context.Context) error {
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			b, err := io.ReadAll(out.Body)
			if len(b) != ObjectSize {
				t.Errorf("GetObject body has %d bytes, want %d", len(b), ObjectSize)
			}
			return err
		}},
		{"s3 PutObject", func(ctx context.Context) error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: bytes.NewReader([]byte("hello"))})
			return err
		}},
		{"sts GetCallerIdentity", func(ctx context.Context) error {
			out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err == nil && aws.ToString(out.Account) != "000000000000" {
				t.Errorf("account %q", aws.ToString(out.Account))
			}
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestChecksumHeaders checks each answer's checksum header against its
// body. aws-sdk-go-v2 checks DynamoDB's X-Amz-Crc32 only when the body is
// closed and drops that error, so the SDK test above cannot catch a wrong
// one.
func TestChecksumHeaders(t *testing.T) {
	srv := httptest.NewServer(New())
	defer srv.Close()
	tests := []struct {
		name, method, path, target, header string
		sum                                func([]byte) string
	}{
		{"dynamodb GetItem", http.MethodPost, "/", "DynamoDB_20120810.GetItem", "X-Amz-Crc32",
			func(b []byte) string { return strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10) }},
		{"dynamodb PutItem", http.MethodPost, "/", "DynamoDB_20120810.PutItem", "X-Amz-Crc32",
			func(b []byte) string { return strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10) }},
		{"dynamodb unknown operation", http.MethodPost, "/", "DynamoDB_20120810.Scan", "X-Amz-Crc32",
			func(b []byte) string { return strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10) }},
		{"s3 GetObject", http.MethodGet, "/b/k", "", "X-Amz-Checksum-Crc32", crc32Base64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{}"))
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := resp.Header.Get(tc.header), tc.sum(body); got != want {
				t.Fatalf("%s = %q, body's is %q", tc.header, got, want)
			}
			if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
				t.Fatalf("Content-Length %s for %d bytes", got, len(body))
			}
		})
	}
}

// TestSDKRejectsWrongObjectChecksum proves TestSDKAcceptsAnswers can fail
// for S3: an object whose x-amz-checksum-crc32 does not match is refused.
func TestSDKRejectsWrongObjectChecksum(t *testing.T) {
	s := New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Checksum-Crc32", crc32Base64([]byte("something else")))
		w.Header().Set("Content-Length", strconv.Itoa(len(s.object)))
		w.Write(s.object)
	}))
	defer srv.Close()
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIATEST", SecretAccessKey: "secret"}, nil
		}), Retryer: aws.NopRetryer{}})
	out, err := s3c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err == nil {
		_, err = io.ReadAll(out.Body)
		out.Body.Close()
	}
	if err == nil {
		t.Fatal("the SDK accepted an object whose checksum does not match")
	}
}
