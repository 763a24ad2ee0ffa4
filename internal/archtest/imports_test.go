// Package archtest holds tests about the shape of the codebase itself.
package archtest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/jitgate/jitgate/internal/testenv"
)

const module = "github.com/jitgate/jitgate"

var stages = []string{"ingress", "decider", "executor", "masker", "recorder"}

// TestImportsPointOneWay fails when schemas imports anything of ours, when a
// stage imports another stage or cmd, or when shared internal packages import
// a stage: cmd → stages → internal → schemas.
func TestImportsPointOneWay(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	owner := func(pkg string) string { // "schemas", "cmd", a stage, or "internal"
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		return strings.SplitN(rel, "/", 2)[0]
	}
	isStage := func(o string) bool {
		for _, s := range stages {
			if s == o {
				return true
			}
		}
		return false
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list saw only %d packages", len(lines))
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		from, fromOwner := fields[0], owner(fields[0])
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := owner(imp)
			switch {
			case fromOwner == "schemas":
				t.Errorf("%s imports %s: schemas imports nothing of ours", from, imp)
			case to == "cmd":
				t.Errorf("%s imports %s: nothing imports cmd", from, imp)
			case isStage(fromOwner) && isStage(to) && to != fromOwner:
				t.Errorf("%s imports %s: a stage never imports another stage", from, imp)
			case fromOwner == "internal" && isStage(to):
				t.Errorf("%s imports %s: shared packages never import a stage", from, imp)
			}
		}
	}
}
