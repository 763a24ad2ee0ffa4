// Command gen builds awsmodel's embedded index (index.json.gz) from botocore's
// service models and endpoints.json.
//
// Usage:
//
//	go run ./internal/awsmodel/gen -botocore DIR -out internal/awsmodel/index.json.gz
//
// DIR is botocore's package directory (the one holding data/); when -botocore
// is empty the generator asks python3 where botocore is installed. For every
// service it reads the newest API version's service-2.json (plain or .gz) and
// keeps only what identification, parameter extraction and endpoint
// resolution need. The output is deterministic for a given botocore.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

func main() {
	botocore := flag.String("botocore", "", "botocore package directory (default: ask python3)")
	out := flag.String("out", "index.json.gz", "output file")
	flag.Parse()
	if err := run(*botocore, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	if dir == "" {
		b, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
		if err != nil {
			return fmt.Errorf("locate botocore with python3 (pass -botocore): %w", err)
		}
		dir = strings.TrimSpace(string(b))
	}
	data := filepath.Join(dir, "data")
	f := modelfile.File{Version: modelfile.Version, Source: botocoreVersion(dir)}

	entries, err := os.ReadDir(data)
	if err != nil {
		return fmt.Errorf("read botocore data: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		svc, ok, err := readService(filepath.Join(data, e.Name()), e.Name())
		if err != nil {
			return fmt.Errorf("service %s: %w", e.Name(), err)
		}
		if ok {
			f.Services = append(f.Services, svc)
		}
	}
	sort.Slice(f.Services, func(i, j int) bool { return f.Services[i].ID < f.Services[j].ID })
	overrides, err := parseOverrides(effectOverrides)
	if err != nil {
		return err
	}
	if err := applyOverrides(f.Services, overrides); err != nil {
		return err
	}

	if f.Partitions, err = readEndpoints(filepath.Join(data, "endpoints.json")); err != nil {
		return fmt.Errorf("endpoints.json: %w", err)
	}

	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	ops := 0
	for _, s := range f.Services {
		ops += len(s.Ops)
	}
	fmt.Fprintf(os.Stderr, "gen: %d services, %d operations, %d partitions; %d bytes json, %d bytes gzip -> %s\n",
		len(f.Services), ops, len(f.Partitions), len(raw), buf.Len(), out)
	return nil
}

func botocoreVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "__init__.py"))
	if err != nil {
		return "botocore"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "__version__ = "); ok {
			return "botocore " + strings.Trim(v, `'" `)
		}
	}
	return "botocore"
}

// readJSON reads name or name.gz into v.
func readJSON(name string, v any) (bool, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		gz, gerr := os.ReadFile(name + ".gz")
		if errors.Is(gerr, os.ErrNotExist) {
			return false, nil
		}
		if gerr != nil {
			return false, gerr
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(gz))
		if zerr != nil {
			return false, fmt.Errorf("%s.gz: %w", name, zerr)
		}
		var out bytes.Buffer
		if _, err := out.ReadFrom(zr); err != nil {
			return false, fmt.Errorf("%s.gz: %w", name, err)
		}
		b = out.Bytes()
	} else if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}
