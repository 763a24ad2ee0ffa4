package difftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool skips locally but fails under CI=true: CI must run what needs
// python3 and botocore, never skip it.
func needTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// TestCorpusRegenerates: the committed corpus is what gen_corpus.py
// produces with the botocore the index was generated from, byte for byte,
// so the corpus cannot drift from its generator.
func TestCorpusRegenerates(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("runs botocore for about ten seconds")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		needTool(t, "python3 is not installed: %v", err)
	}
	out, err := exec.Command(py, "-c", "import botocore; print(botocore.__version__)").Output()
	if err != nil {
		needTool(t, "botocore is not importable by python3: %v", err)
	}
	version := strings.TrimSpace(string(out))
	c := mustCorpus(t)
	if src := mustIndex(t).Source(); src != "botocore "+c.Botocore {
		t.Fatalf("corpus from botocore %s, index from %s: regenerate both with the same botocore", c.Botocore, src)
	}
	if version != c.Botocore {
		needTool(t, "python3 has botocore %s, the corpus was generated with %s", version, c.Botocore)
	}
	dst := filepath.Join(t.TempDir(), "corpus.json.gz")
	cmd := exec.Command(py, "gen_corpus.py")
	cmd.Env = append(os.Environ(), "DIFFTEST_CORPUS_OUT="+dst)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_corpus.py: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, corpusGz) {
		t.Fatalf("testdata/corpus.json.gz is stale: run go generate ./internal/awsmodel/difftest and commit it")
	}
}
