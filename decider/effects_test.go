package decider

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// TestEffectsComeFromTheModel: rules judge the effects of the decider's
// own model; effects a request.received carries (anyone who can write to
// the requests topic could set them) are replaced, and the decision
// carries the model's.
func TestEffectsComeFromTheModel(t *testing.T) {
	u := newUnit(t, testPolicy)
	req := request(delBucket, t0.Add(30*time.Second))
	req.Effects = []string{"read"}
	dec := sealed(t, u.handle(t, schemas.TopicRequests, envelope(t, "forged-1", t0, req)))
	if dec.Outcome != schemas.Deny || dec.Rule != "no-deletes" {
		t.Fatalf("decision %s by %q, want deny by no-deletes", dec.Outcome, dec.Rule)
	}
	if want := []string{"delete"}; !reflect.DeepEqual(dec.Request.Effects, want) {
		t.Errorf("decision carries effects %v, want the model's %v", dec.Request.Effects, want)
	}
}

// TestDeletesByEffect: "delete" in call.effects catches deletes whatever
// the operation is called.
func TestDeletesByEffect(t *testing.T) {
	for _, c := range []call{
		{who: bot, service: "dynamodb", operation: "BatchWriteItem", params: `{"RequestItems":{}}`},
		{who: bot, service: "dynamodb", operation: "TransactWriteItems", params: `{"TransactItems":[]}`},
		{who: bot, service: "sqs", operation: "PurgeQueue", params: `{"QueueUrl":"q"}`},
		{who: bot, service: "ec2", operation: "TerminateInstances", params: `{"InstanceIds.1":"i-1"}`},
		{who: bot, service: "s3", operation: "DeleteObjects", params: `{"Bucket":"b"}`},
	} {
		t.Run(c.service+":"+c.operation, func(t *testing.T) {
			u := newUnit(t, testPolicy)
			dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, c)))
			if dec.Outcome != schemas.Deny || dec.Rule != "no-deletes" {
				t.Errorf("decision %s by %q (%s), want deny by no-deletes", dec.Outcome, dec.Rule, dec.Reason)
			}
		})
	}
}

// TestUnknownOperationDenied: a call the model does not know has no
// effects to judge; no rule sees it.
func TestUnknownOperationDenied(t *testing.T) {
	u := newUnit(t, "version: 1\nrules:\n  - name: all\n    when: 'true'\n    then: allow\n")
	dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, call{who: bot, service: "s3", operation: "FrobBucket", params: `{}`})))
	if dec.Outcome != schemas.Deny || dec.Rule != "" || !strings.Contains(dec.Reason, "not in the gateway's AWS model") {
		t.Errorf("decision %s by %q (%s), want deny naming the model", dec.Outcome, dec.Rule, dec.Reason)
	}
}

// TestGrantMatchSeesEffects: a grant's match expression judges
// call.effects from the decider's model, like `when`.
func TestGrantMatchSeesEffects(t *testing.T) {
	const pol = `version: 1
rules:
  - name: table-changes
    when: 'service == "dynamodb" && !readOnly'
    then: hold
    approvers: [sre]
    grant:
      for: 15m
      scope: expr
      match: 'service == "dynamodb" && !("delete" in call.effects)'
`
	u := newUnit(t, pol)
	holdReq := received(t, putItem)
	u.applyOuts(t, u.handle(t, schemas.TopicRequests, holdReq))
	a := envelope(t, holdReq.RequestID, t0.Add(time.Minute), approval(alice))
	u.apply(t, a)
	u.applyOuts(t, u.handle(t, schemas.TopicHolds, a))
	u.clk.Set(t0.Add(2 * time.Minute))

	other := putItem
	other.params = `{"TableName":"stock","Item":{"id":{"S":"9"}}}`
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, other, u.clk.Now()))); dec.GrantID == "" {
		t.Errorf("PutItem of another table: decision %s by %q, want the grant", dec.Outcome, dec.Rule)
	}
	batch := call{who: bot, service: "dynamodb", operation: "BatchWriteItem", params: `{"RequestItems":{}}`}
	if dec := sealed(t, u.handle(t, schemas.TopicRequests, receivedAt(t, batch, u.clk.Now()))); dec.GrantID != "" || dec.Outcome != schemas.Hold {
		t.Errorf("BatchWriteItem: decision %s by %q grant %q, want the rule's hold (the grant excludes deletes)", dec.Outcome, dec.Rule, dec.GrantID)
	}
}

// TestPermissionsCarriedByParameters: a write that also sets who may do
// what (an S3 object or bucket ACL or grant, a queue, topic or key policy
// given at creation) has the "permissions" effect, so "no permission
// changes" catches it whatever operation carries it. The same operations
// without those parameters stay plain writes.
func TestPermissionsCarriedByParameters(t *testing.T) {
	const pol = `version: 1
rules:
  - name: no-permission-changes
    when: '"permissions" in call.effects'
    then: deny
  - name: writes
    when: 'true'
    then: allow
`
	for _, c := range []struct {
		call
		perms bool
	}{
		{call{who: bot, service: "s3", operation: "PutObject", params: `{"Bucket":"b","Key":"k","ACL":"public-read"}`}, true},
		{call{who: bot, service: "s3", operation: "PutObject", params: `{"Bucket":"b","Key":"k","GrantFullControl":"id=attacker"}`}, true},
		{call{who: bot, service: "s3", operation: "CreateBucket", params: `{"Bucket":"b","GrantRead":"uri=http://acs.amazonaws.com/groups/global/AllUsers"}`}, true},
		{call{who: bot, service: "s3", operation: "CopyObject", params: `{"Bucket":"b","Key":"k","CopySource":"b/j","ACL":"public-read"}`}, true},
		{call{who: bot, service: "sqs", operation: "CreateQueue", params: `{"QueueName":"q","Attribute.1.Name":"Policy","Attribute.1.Value":"{}"}`}, true},
		{call{who: bot, service: "sqs", operation: "CreateQueue", params: `{"QueueName":"q","Attributes":{"Policy":"{}"}}`}, true},
		{call{who: bot, service: "sns", operation: "CreateTopic", params: `{"Name":"t","Attributes.entry.1.key":"Policy","Attributes.entry.1.value":"{}"}`}, true},
		{call{who: bot, service: "kms", operation: "CreateKey", params: `{"Policy":"{}"}`}, true},
		{call{who: bot, service: "dynamodb", operation: "CreateTable", params: `{"TableName":"t","ResourcePolicy":"{}"}`}, true},
		{call{who: bot, service: "s3", operation: "PutObject", params: `{"Bucket":"b","Key":"k"}`}, false},
		{call{who: bot, service: "sqs", operation: "CreateQueue", params: `{"QueueName":"q","Attribute.1.Name":"DelaySeconds","Attribute.1.Value":"5"}`}, false},
		{call{who: bot, service: "kms", operation: "CreateKey", params: `{"Description":"d"}`}, false},
	} {
		t.Run(c.service+":"+c.operation+":"+c.params, func(t *testing.T) {
			u := newUnit(t, pol)
			dec := sealed(t, u.handle(t, schemas.TopicRequests, received(t, c.call)))
			denied := dec.Outcome == schemas.Deny && dec.Rule == "no-permission-changes"
			if denied != c.perms {
				t.Errorf("decision %s by %q with effects %v; want denied for permissions: %v", dec.Outcome, dec.Rule, dec.Request.Effects, c.perms)
			}
		})
	}
}
