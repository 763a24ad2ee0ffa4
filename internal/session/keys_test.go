package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseKey(t *testing.T) {
	k := bytes.Repeat([]byte{0xfb}, KeyLen) // 0xfb makes '+' '/' and '-' '_' differ
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"hex", EncodeKey(k), false},
		{"hex with newline", EncodeKey(k) + "\n", false},
		{"base64 std", base64.StdEncoding.EncodeToString(k), false},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(k), false},
		{"base64 url", base64.URLEncoding.EncodeToString(k), false},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(k), false},
		{"empty", "", true},
		{"short hex", EncodeKey(k[:16]), true},
		{"long base64", base64.StdEncoding.EncodeToString(append(k, 1)), true},
		{"garbage", "not a key at all", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("ParseKey error = %v, want ErrInvalidKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, k) {
				t.Fatalf("ParseKey = %x, want %x", got, k)
			}
		})
	}
}

func TestReadKeyFile(t *testing.T) {
	k1, k2 := GenerateKey(), GenerateKey()
	dir := t.TempDir()
	good := filepath.Join(dir, "keys")
	content := "# current key first\n" + EncodeKey(k1) + "\n\n" + base64.StdEncoding.EncodeToString(k2) + "\n"
	if err := os.WriteFile(good, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadKeyFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !bytes.Equal(keys[0], k1) || !bytes.Equal(keys[1], k2) {
		t.Fatalf("ReadKeyFile = %x", keys)
	}

	inline, err := ParseKeys(EncodeKey(k2) + ", " + EncodeKey(k1))
	if err != nil || len(inline) != 2 || !bytes.Equal(inline[0], k2) {
		t.Fatalf("ParseKeys comma list = %x, %v", inline, err)
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"missing": filepath.Join(dir, "nope"), "no keys": empty} {
		if _, err := ReadKeyFile(path); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: error = %v, want ErrInvalidKey", name, err)
		}
	}
}
