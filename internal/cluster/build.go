package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Build compiles ./cmd/jitgate of the module at repoRoot into dir and
// returns the binary's path.
func Build(ctx context.Context, repoRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "jitgate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jitgate")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %w\n%s", ErrBuild, err, out)
	}
	return bin, nil
}
