package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// verified is what the test server saw for one request.
type verified struct {
	method, uri string
	res         *Result
	err         error
}

// verifyingServer is a TLS server on 127.0.0.1 that verifies every request
// and answers with a minimal success body.
func verifyingServer(t *testing.T) (*httptest.Server, func() []verified) {
	var mu sync.Mutex
	var seen []verified
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, err := Verify(r, body, testLookup, time.Now())
		mu.Lock()
		seen = append(seen, verified{r.Method, r.RequestURI, res, err})
		mu.Unlock()
		if err != nil {
			w.WriteHeader(HTTPStatus(err))
			return
		}
		switch {
		case r.Header.Get("X-Amz-Target") != "":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			io.WriteString(w, "{}")
		case bytes.Contains(res.Payload, []byte("Action=GetCallerIdentity")):
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>x</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
		case strings.Contains(r.URL.RawQuery, "list-type=2"):
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><KeyCount>0</KeyCount></ListBucketResult>`)
		default:
			io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []verified {
		mu.Lock()
		defer mu.Unlock()
		return append([]verified(nil), seen...)
	}
}

// TestVerifyRealSDKClients sends real aws-sdk-go-v2 client calls to a
// loopback TLS server that verifies them. Over TLS the S3 client uploads
// streaming bodies as aws-chunked with a checksum trailer.
func TestVerifyRealSDKClients(t *testing.T) {
	srv, seen := verifyingServer(t)
	ctx := context.Background()
	for _, creds := range []testCreds{longTerm, session} {
		cfg := aws.Config{
			Region:           "us-west-2",
			Credentials:      credentials.NewStaticCredentialsProvider(creds.akid, creds.secret, creds.token),
			HTTPClient:       srv.Client(),
			RetryMaxAttempts: 1,
			BaseEndpoint:     aws.String(srv.URL),
			// What config.LoadDefaultConfig sets: checksums whenever supported.
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		}
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
		calls := map[string]func() error{
			"s3 PutObject seekable": func() error {
				_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/my file+x=y ü.txt"), Body: bytes.NewReader(data)})
				return err
			},
			"s3 PutObject stream": func() error {
				_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("stream=1+2"),
					Body: io.MultiReader(bytes.NewReader(data)), ContentLength: aws.Int64(int64(len(data)))})
				return err
			},
			"s3 GetObject": func() error {
				out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("a b/ü~!.txt")})
				if err == nil {
					out.Body.Close()
				}
				return err
			},
			"s3 ListObjectsV2": func() error {
				_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket"), Prefix: aws.String("a b+c=d/")})
				return err
			},
			"dynamodb PutItem": func() error {
				_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("jobs"),
					Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "a b ü"}}})
				return err
			},
			"sts GetCallerIdentity": func() error {
				_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				return err
			},
			"lambda Invoke": func() error {
				_, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{
					FunctionName: aws.String("arn:aws:lambda:us-west-2:123456789012:function:fn:live"), Payload: []byte(`{"a":1}`)})
				return err
			},
		}
		for name, call := range calls {
			if err := call(); err != nil {
				t.Errorf("%s (%s): client error %v", name, creds.akid, err)
			}
		}
	}
	got := seen()
	if len(got) != 14 {
		t.Fatalf("server saw %d requests, want 14", len(got))
	}
	chunked := 0
	for _, v := range got {
		if v.err != nil {
			t.Errorf("%s %s: %v", v.method, v.uri, v.err)
			continue
		}
		if v.res.PayloadHash == StreamingUnsignedPayloadTrailer {
			chunked++
			if want := bytes.Repeat([]byte("0123456789abcdef"), 5000); !bytes.Equal(v.res.Payload, want) {
				t.Errorf("%s: decoded payload has %d bytes, want %d", v.uri, len(v.res.Payload), len(want))
			}
		}
	}
	if chunked == 0 {
		t.Errorf("no aws-chunked upload was seen; the SDK no longer sends one over TLS?")
	}
	t.Logf("aws-chunked uploads verified: %d", chunked)
}
