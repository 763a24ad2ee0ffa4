package difftest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

// protocols are the six wire protocols; the corpus must hold each.
var protocols = []string{"query", "ec2", "json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor"}

func mustIndex(t testing.TB) *awsmodel.Index {
	t.Helper()
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func mustCorpus(t testing.TB) *Corpus {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCorpusCoverage keeps the sample large and every protocol in it.
func TestCorpusCoverage(t *testing.T) {
	c := mustCorpus(t)
	services := map[string]bool{}
	per := map[string]int{}
	for _, e := range c.Entries {
		services[e.Service] = true
		per[e.Protocol]++
	}
	if len(c.Entries) < 500 || len(services) < 300 {
		t.Errorf("corpus has %d requests of %d services, want at least 500 of 300", len(c.Entries), len(services))
	}
	for _, p := range protocols {
		if per[p] < 10 {
			t.Errorf("corpus has %d %s requests, want at least 10", per[p], p)
		}
	}
	t.Logf("botocore %s: %d requests, %d services, per protocol %v", c.Botocore, len(c.Entries), len(services), per)
}

// knownRefusals are corpus requests the gateway refuses although botocore
// sends them: the safe side of a gap, listed so that a fix shows up here
// (the test fails when one of them starts to be identified).
var knownRefusals = map[string]string{
	// Signed for s3-object-lambda (the endpoint rules' auth scheme), a
	// signing name no service model carries.
	"s3/rest-xml/WriteGetObjectResponse": "no service signs as",
}

// TestIdentifyBotocoreCorpus: every request botocore serialised is
// identified as exactly that service and operation, in that protocol, with
// the parameters botocore put in.
func TestIdentifyBotocoreCorpus(t *testing.T) {
	ix := mustIndex(t)
	c := mustCorpus(t)
	for i := range c.Entries {
		e := &c.Entries[i]
		t.Run(e.Name(), func(t *testing.T) {
			r := e.Request()
			op, err := ix.Identify(r, e.Body, HintFor(r))
			if want, known := knownRefusals[e.Name()]; known {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("known refusal %q changed: Identify = %v, %v; update knownRefusals", want, op, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Identify(%s %s): %v", e.Method, e.Target, err)
			}
			if err := CheckIdentified(ix, op, e.Service, e.Operation, e.Protocol, e.Expect); err != nil {
				t.Errorf("%s %s: %v", e.Method, e.Target, err)
			}
		})
	}
}

// CheckIdentified compares an identified operation with what the client
// serialised. Where the client's serialisation is fully known (json, query,
// ec2) the parameter sets must be equal; elsewhere every expected parameter
// must be present with its value and every other parameter must be an input
// member of the operation (botocore adds checksums, Content-MD5 and
// idempotency tokens the generator does not predict). rest-xml body
// members are read generically and not compared.
func CheckIdentified(ix *awsmodel.Index, op *awsmodel.Operation, service, name, protocol string, expect map[string]any) error {
	if op.Service != service || op.Name != name || op.Protocol != protocol {
		return fmt.Errorf("identified %s %s (%s), want %s %s (%s)", op.Service, op.Name, op.Protocol, service, name, protocol)
	}
	got, err := normal(op.Params)
	if err != nil {
		return err
	}
	want, err := normal(expect)
	if err != nil {
		return err
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			return fmt.Errorf("parameter %s missing; identified %v", k, sortedKeys(got))
		case w != nil && !reflect.DeepEqual(g, w):
			return fmt.Errorf("parameter %s = %v, want %v", k, g, w)
		}
	}
	exact := protocol == "json" || protocol == "query" || protocol == "ec2"
	info, _ := ix.Operation(service, name)
	for k := range got {
		if _, ok := want[k]; ok {
			continue
		}
		if protocol == "rest-xml" && !slices.Contains(info.InputMembers, k) {
			// A member of the XML body: the index lists no rest-xml body
			// members (and the corpus does not record them), and the
			// identifier reads the body generically into parameters.
			continue
		}
		if exact || !slices.Contains(info.InputMembers, k) {
			return fmt.Errorf("parameter %s = %v was identified but not sent", k, got[k])
		}
	}
	return nil
}

// normal makes parameter values comparable: JSON round trip, so []string
// and []any, map[string]string and map[string]any compare equal.
func normal(m map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("parameters are not JSON: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestIdentifyGoSDK: requests built by aws-sdk-go-v2 clients are identified
// as exactly the operation called, with its parameters.
func TestIdentifyGoSDK(t *testing.T) {
	ix := mustIndex(t)
	entries, err := GoSDKEntries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		e := &entries[i]
		t.Run(e.Name(), func(t *testing.T) {
			r := e.Request()
			op, err := ix.Identify(r, e.Body, HintFor(r))
			if err != nil {
				t.Fatalf("Identify(%s %s): %v", e.Method, e.Target, err)
			}
			// Go SDK requests carry members the call did not set (x-id,
			// checksums): compare as for REST, expected members only.
			if op.Service != e.Service || op.Name != e.Operation || op.Protocol != e.Protocol {
				t.Fatalf("identified %s %s (%s), want %s %s (%s)", op.Service, op.Name, op.Protocol, e.Service, e.Operation, e.Protocol)
			}
			got, _ := normal(op.Params)
			want, _ := normal(e.Expect)
			for k, w := range want {
				if g, ok := got[k]; !ok || w != nil && !reflect.DeepEqual(g, w) {
					t.Errorf("parameter %s = %v (present %v), want %v", k, g, ok, w)
				}
			}
		})
	}
}
