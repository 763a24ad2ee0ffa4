package ingress

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

func reply(requestID string, seq int) bus.Message {
	return bus.Message{Topic: schemas.TopicResponses, Offset: int64(seq), Envelope: schemas.Envelope{RequestID: requestID}}
}

func TestRepliesRouting(t *testing.T) {
	r := newReplies()
	ctx := context.Background()
	a, doneA := r.wait("a")
	b, doneB := r.wait("b")
	defer doneB()
	r.deliver(ctx, reply("a", 1))
	r.deliver(ctx, reply("b", 2))
	r.deliver(ctx, reply("nobody", 3)) // dropped, does not block
	r.deliver(ctx, reply("a", 4))
	for _, want := range []int64{1, 4} {
		if m := <-a; m.Offset != want {
			t.Errorf("a got offset %d, want %d", m.Offset, want)
		}
	}
	if m := <-b; m.Offset != 2 {
		t.Errorf("b got offset %d", m.Offset)
	}
	doneA()
	r.deliver(ctx, reply("a", 5)) // after the agent left: dropped
	select {
	case m := <-a:
		t.Errorf("delivered %d after the waiter left", m.Offset)
	default:
	}
}

// A delivery blocked on a waiter whose buffer is full must end when that
// waiter goes away; otherwise the responses tail stalls for every agent.
func TestRepliesDeliveryToLeavingWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newReplies()
		ch, done := r.wait("slow")
		for i := range cap(ch) {
			r.deliver(context.Background(), reply("slow", i))
		}
		delivered := make(chan struct{})
		go func() {
			r.deliver(context.Background(), reply("slow", cap(ch)))
			close(delivered)
		}()
		synctest.Wait() // the delivery is blocked on the full buffer
		done()
		synctest.Wait()
		select {
		case <-delivered:
		default:
			t.Error("delivery still blocked after the waiter left")
			<-ch // unblock it so the bubble can end
			<-delivered
		}
	})
}

func TestGuessProtocol(t *testing.T) {
	models, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := newProtocolHints(models)
	sig64 := strings.Repeat("0a", 32)
	scope := "AWS4-HMAC-SHA256 Credential=JGIAAAAAAAAAAAAAAAAA/20260101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=" + sig64
	cases := []struct {
		name, method, target string
		headers              []string
		want                 string
	}{
		{"cbor header wins", "POST", "/service/X/operation/Y", []string{"Smithy-Protocol: rpc-v2-cbor"}, protoCBOR},
		{"json target", "POST", "/", []string{"X-Amz-Target: DynamoDB_20120810.ListTables"}, protoJSON},
		{"form, no scope", "POST", "/", []string{"Content-Type: application/x-www-form-urlencoded; charset=utf-8"}, protoQuery},
		{"action query", "GET", "/?Action=ListUsers", nil, protoQuery},
		{"form signed for ec2", "POST", "/", []string{"Content-Type: application/x-www-form-urlencoded", "Authorization: " + strings.Replace(scope, "%s", "ec2", 1)}, protoEC2},
		{"form at /svc/ec2", "POST", "/svc/ec2/", []string{"Content-Type: application/x-www-form-urlencoded"}, protoEC2},
		{"form signed for iam", "POST", "/", []string{"Content-Type: application/x-www-form-urlencoded", "Authorization: " + strings.Replace(scope, "%s", "iam", 1)}, protoQuery},
		{"rest signed for lambda", "GET", "/2015-03-31/functions/", []string{"Authorization: " + strings.Replace(scope, "%s", "lambda", 1)}, protoRESTJSON},
		{"rest at /svc/lambda", "GET", "/svc/lambda/2015-03-31/functions/", nil, protoRESTJSON},
		{"presigned for lambda", "GET", "/x?X-Amz-Credential=JGIA%2F20260101%2Fus-east-1%2Flambda%2Faws4_request", nil, protoRESTJSON},
		{"rest signed for s3", "GET", "/bucket", []string{"Authorization: " + strings.Replace(scope, "%s", "s3", 1)}, protoRESTXML},
		{"unknown service path, lambda scope", "GET", "/svc/nosuch/x", []string{"Authorization: " + strings.Replace(scope, "%s", "lambda", 1)}, protoRESTJSON},
		{"unknown signing name", "GET", "/x", []string{"Authorization: " + strings.Replace(scope, "%s", "nosuch", 1)}, protoRESTXML},
		{"malformed authorization", "GET", "/x", []string{"Authorization: garbage"}, protoRESTXML},
		{"nothing to go by", "GET", "/", nil, protoRESTXML},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.target, nil)
			for _, hd := range c.headers {
				k, v, _ := strings.Cut(hd, ": ")
				r.Header.Set(k, v)
			}
			if got := h.guessProtocol(r); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}
