package awsemu

import (
	"testing"

	"github.com/jitgate/jitgate/internal/awsmodel"
)

// TestServicesAreBotocoreIDs: the list names services of the index, so the
// executor's UpstreamServices check compares like with like.
func TestServicesAreBotocoreIDs(t *testing.T) {
	ix, err := awsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range Services() {
		if _, ok := ix.Service(id); !ok {
			t.Errorf("%q is not a botocore service id", id)
		}
	}
}
