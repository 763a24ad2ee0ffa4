package schemas

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBadMAC reports a decision whose MAC is missing or wrong: it was not
// written by a decider holding the shared key, or it was altered.
var ErrBadMAC = errors.New("schemas: decision MAC does not verify")

// Seal sets d.MAC to the HMAC-SHA256 of the decision under key. Kafka is a
// network others may write to; executors act only on sealed decisions.
func (d *DecisionMade) Seal(key []byte) error {
	sum, err := d.mac(key)
	if err != nil {
		return err
	}
	d.MAC = hex.EncodeToString(sum)
	return nil
}

// Verify checks d.MAC under key.
func (d *DecisionMade) Verify(key []byte) error {
	got, err := hex.DecodeString(d.MAC)
	if err != nil || len(got) == 0 {
		return ErrBadMAC
	}
	want, err := d.mac(key)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, want) {
		return ErrBadMAC
	}
	return nil
}

// mac hashes the decision's JSON with MAC cleared. encoding/json writes
// struct fields in declaration order, so the encoding is stable.
func (d *DecisionMade) mac(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errors.New("schemas: empty decision key")
	}
	c := *d
	c.MAC = ""
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode decision for MAC: %w", err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(raw)
	return h.Sum(nil), nil
}
