package awsmodel

// CBOR tags. The decoder keeps an unknown tag as {"Number":..,"Content":..}
// (policy sees an object where a server that skips tags reads a string),
// turns bignums into values that encode as {} (the number is lost), and
// drops tags on map keys and on the body's map silently. A server may do
// any of these differently, so only the tags Smithy's rpc-v2-cbor sends
// for the shapes AWS models in CBOR services are read: 1 (an epoch-seconds
// timestamp) on a value, and 55799 (self-described CBOR, which means
// nothing) in front of the body.

import (
	"encoding/binary"
	"fmt"
)

const (
	cborTagEpoch        = 1
	cborTagSelfDescribe = 55799
)

// checkCBORTags refuses tags other than 55799 in front of the body and 1
// on a value that is not a map key. body has already decoded, so it is
// well-formed; a walk that runs short is refused all the same.
func checkCBORTags(body []byte) error {
	w := cborWalker{b: body}
	if err := w.item(true, false); err != nil {
		return err
	}
	return nil
}

type cborWalker struct {
	b   []byte
	pos int
}

var errCBORShort = fmt.Errorf("%w: CBOR body ends inside an item", ErrMalformedRequest)

// head reads an item's initial byte and argument. indefinite reports
// additional information 31.
func (w *cborWalker) head() (major byte, arg uint64, indefinite bool, err error) {
	if w.pos >= len(w.b) {
		return 0, 0, false, errCBORShort
	}
	ib := w.b[w.pos]
	w.pos++
	major, ai := ib>>5, ib&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), false, nil
	case ai == 31:
		return major, 0, true, nil
	case ai > 27:
		return 0, 0, false, fmt.Errorf("%w: CBOR body has reserved additional information %d", ErrMalformedRequest, ai)
	}
	n := 1 << (ai - 24)
	if len(w.b)-w.pos < n {
		return 0, 0, false, errCBORShort
	}
	var buf [8]byte
	copy(buf[8-n:], w.b[w.pos:w.pos+n])
	w.pos += n
	return major, binary.BigEndian.Uint64(buf[:]), false, nil
}

// item walks one data item. top: the body itself; key: a map key.
func (w *cborWalker) item(top, key bool) error {
	start := w.pos
	major, arg, indefinite, err := w.head()
	if err != nil {
		return err
	}
	switch major {
	case 0, 1: // integers
	case 2, 3: // byte and text strings
		if indefinite {
			return w.untilBreak(func() error {
				_, n, ind, err := w.head()
				if err != nil || ind {
					return errCBORShort
				}
				return w.skip(n)
			})
		}
		return w.skip(arg)
	case 4, 5: // arrays and maps
		per := 1
		if major == 5 {
			per = 2
		}
		one := func(i int) error { return w.item(false, per == 2 && i%2 == 0) }
		if indefinite {
			i := 0
			return w.untilBreak(func() error { err := one(i); i++; return err })
		}
		if arg > uint64(len(w.b)) { // each item takes at least a byte
			return errCBORShort
		}
		for i := 0; i < int(arg)*per; i++ {
			if err := one(i); err != nil {
				return err
			}
		}
	case 6:
		switch {
		case top && arg == cborTagSelfDescribe:
			return w.item(true, false)
		case !top && !key && arg == cborTagEpoch:
			return w.item(false, false)
		}
		return fmt.Errorf("%w: CBOR body has tag %d at byte %d; the gateway reads only tag 1 (a timestamp) on values, since servers read other tags differently",
			ErrAmbiguousRequest, arg, start)
	case 7: // simple values and floats: the argument was the whole item
	}
	return nil
}

func (w *cborWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.pos) {
		return errCBORShort
	}
	w.pos += int(n)
	return nil
}

// untilBreak calls next until the break byte (0xff), which it consumes.
func (w *cborWalker) untilBreak(next func() error) error {
	for {
		if w.pos >= len(w.b) {
			return errCBORShort
		}
		if w.b[w.pos] == 0xff {
			w.pos++
			return nil
		}
		if err := next(); err != nil {
			return err
		}
	}
}
