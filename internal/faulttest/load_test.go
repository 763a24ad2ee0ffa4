package faulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// kind is one sort of call the load makes.
type kind int

const (
	putItem     kind = iota // allowed, not idempotent, a unique item: counted upstream
	putObject               // allowed, not idempotent, a unique key: counted upstream
	getItem                 // allowed, read-only
	deleteItem              // denied by the policy (sandbox-no-delete)
	heldApprove             // S3 DeleteObject, held by the policy; the approver approves it
	heldExpire              // S3 DeleteObject, held by the policy; nobody approves it, it expires
)

func (k kind) String() string {
	return [...]string{"PutItem", "PutObject", "GetItem", "DeleteItem", "DeleteObject(approve)", "DeleteObject(expire)"}[k]
}

// op is the AWS operation a call of kind k makes.
func (k kind) op() string {
	if k.held() {
		return "DeleteObject"
	}
	return k.String()
}

// held reports the kinds a policy rule holds for an approver.
func (k kind) held() bool { return k == heldApprove || k == heldExpire }

// mix is the order calls are made in, round robin: half of them writes,
// a fifth held (one to approve, one to let expire).
var mix = []kind{putItem, getItem, putObject, heldApprove, putItem, deleteItem, putObject, heldExpire, getItem, putItem}

// kindOf is the kind of the call that used key (made by run), from the
// sequence number in it.
func kindOf(key string) (kind, bool) {
	i := strings.LastIndex(key, "-k")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(key[i+2:], 10, 64)
	if err != nil {
		return 0, false
	}
	return mix[int(n)%len(mix)], true
}

const (
	table  = "faulttest"
	bucket = "faulttest"
)

// call is one call the load made and what the agent saw.
type call struct {
	kind       kind
	key        string // unique per call: the item, object or key it names
	start, end time.Time
	requestID  string // X-Jitgate-Request-Id of the answer ("" if none came)
	status     int    // HTTP status of the answer (0 if none came)
	code       string // AWS error code of the answer
	message    string // AWS error message of the answer
	err        error
}

func (c *call) ok() bool { return c.err == nil }

// load makes calls at a steady rate, each in its own goroutine (open loop:
// a stalled call does not hold back the next, so a gap in successes is the
// gateway's, not the load's), round robin over agents.
type load struct {
	run    string // unique per run, in every key
	rate   float64
	agents []agent

	seq  atomic.Int64
	mu   sync.Mutex
	done []*call
	wg   sync.WaitGroup
}

type agent struct {
	ddb *dynamodb.Client
	s3  *s3.Client
}

// newAgent builds SDK clients for one agent's credentials with retries off
// (one call, one request), and an HTTP timeout past the ingress's wait.
func newAgent(endpoint string, creds aws.Credentials, wait time.Duration) agent {
	hc := awshttp.NewBuildableClient().WithTimeout(wait + 20*time.Second).WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = 256
	})
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })),
		HTTPClient:   hc,
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		BaseEndpoint: aws.String(endpoint),
	}
	return agent{ddb: dynamodb.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
}

// keyOf is the unique key of call n of run.
func keyOf(run string, n int64) string { return fmt.Sprintf("ft%s-k%07d", run, n) }

// start runs the load until ctx ends; wait returns once every call made
// has been answered or timed out.
func (l *load) start(ctx context.Context) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / l.rate))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n := l.seq.Add(1)
			c := &call{kind: mix[int(n)%len(mix)], key: keyOf(l.run, n)}
			a := l.agents[int(n)%len(l.agents)]
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				l.do(a, c)
			}()
		}
	}()
}

func (l *load) wait() []*call {
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// do makes c with its own context (the load's end does not cut calls off).
func (l *load) do(a agent, c *call) {
	ctx := context.Background()
	c.start = time.Now()
	var meta middleware.Metadata
	switch c.kind {
	case putItem:
		var out *dynamodb.PutItemOutput
		out, c.err = a.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
			Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: c.key}}})
		if out != nil {
			meta = out.ResultMetadata
		}
	case putObject:
		var out *s3.PutObjectOutput
		out, c.err = a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(c.key),
			Body: bytes.NewReader([]byte("x")), ContentLength: aws.Int64(1)})
		if out != nil {
			meta = out.ResultMetadata
		}
	case getItem:
		var out *dynamodb.GetItemOutput
		out, c.err = a.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: c.key}}})
		if out != nil {
			meta = out.ResultMetadata
		}
	case heldApprove, heldExpire:
		var out *s3.DeleteObjectOutput
		out, c.err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(c.key)})
		if out != nil {
			meta = out.ResultMetadata
		}
	case deleteItem:
		var out *dynamodb.DeleteItemOutput
		out, c.err = a.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: c.key}}})
		if out != nil {
			meta = out.ResultMetadata
		}
	}
	c.end = time.Now()
	var resp *smithyhttp.Response
	if c.err == nil {
		resp, _ = awsmiddleware.GetRawResponse(meta).(*smithyhttp.Response)
	}
	var re *smithyhttp.ResponseError
	if errors.As(c.err, &re) {
		resp = re.Response
	}
	if resp != nil {
		c.status = resp.StatusCode
		c.requestID = resp.Header.Get("X-Jitgate-Request-Id")
	}
	var ae smithy.APIError
	if errors.As(c.err, &ae) {
		c.code, c.message = ae.ErrorCode(), ae.ErrorMessage()
	}
	l.mu.Lock()
	l.done = append(l.done, c)
	l.mu.Unlock()
}
