package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the root of the jitgate module: the nearest directory at
// or above the working directory that holds go.mod. Tests run in their
// package's directory, so this finds scripts/ and shared testdata.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// script returns the path of scripts/NAME in the repository.
func script(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(RepoRoot(t), "scripts", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return path
}
