package redact

// CBOR bodies (smithy rpc-v2-cbor: CloudWatch and other services whose
// newer SDKs speak it): one pass over the data items (RFC 8949) that checks
// well-formedness and tracks the map-member path. A matched string's whole
// item (head and content, or every chunk of an indefinite-length string up
// to its break) is replaced by a definite-length string of the mask of the
// same major type, so the body stays valid CBOR and the SDK still finds a
// string where it expects a string and a blob where it expects a blob.
// Nothing else is re-encoded.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// CBOR major types.
const (
	cborUint   = 0
	cborNegInt = 1
	cborBytes  = 2
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborTag    = 6
	cborSimple = 7
)

// maxCBORDepth bounds nesting (arrays, maps and tags): the walk recurses,
// and a body of nested one-element arrays must not exhaust the stack.
// Smithy documents nest a few dozen levels at most.
const maxCBORDepth = 512

var (
	errCBORDepth    = fmt.Errorf("nested deeper than %d levels", maxCBORDepth)
	errCBORReserved = errors.New("reserved additional information (28-30)")
	errCBORIndef    = errors.New("indefinite length on a type that has none")
	errCBORBreak    = errors.New("break outside an indefinite-length item")
	errCBORChunk    = errors.New("indefinite-length string chunk of another type or length")
	errCBORSimple   = errors.New("two-byte simple value below 32")
	errCBORKey      = errors.New("map key is not a text string")
	errCBORLength   = errors.New("length exceeds the body")
)

// appendCBORHead appends the head of an item of major type major with
// argument n, in its shortest form.
func appendCBORHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= 0xff:
		return append(dst, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), n)
}

// cborWalk is the state of one CBOR pass.
type cborWalk struct {
	r       *run
	b       []byte
	off     int
	depth   int
	nameBuf []byte
}

func (r *run) cbor(body []byte) error {
	w := cborWalk{r: r, b: body}
	r.noMerge = true // adjacent strings are separate items: each keeps its own mask
	if err := w.item(root(), false); err != nil {
		return w.fail(err)
	}
	if w.off != len(body) {
		return w.fail(errTrailingData)
	}
	return nil
}

func (w *cborWalk) fail(err error) error {
	return &BodyError{Format: "cbor", Offset: int64(w.off), Err: err}
}

// head reads an item's initial byte and argument. indef reports additional
// information 31 (indefinite length, or break for major type 7).
func (w *cborWalk) head() (major byte, arg uint64, indef bool, err error) {
	if w.off >= len(w.b) {
		return 0, 0, false, io.ErrUnexpectedEOF
	}
	ib := w.b[w.off]
	w.off++
	major, ai := ib>>5, ib&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), false, nil
	case ai == 31:
		return major, 0, true, nil
	case ai > 27:
		return 0, 0, false, errCBORReserved
	}
	n := 1 << (ai - 24) // 1, 2, 4 or 8 bytes
	if len(w.b)-w.off < n {
		return 0, 0, false, io.ErrUnexpectedEOF
	}
	p := w.b[w.off : w.off+n]
	w.off += n
	switch n {
	case 1:
		arg = uint64(p[0])
		if major == cborSimple && arg < 32 {
			return 0, 0, false, errCBORSimple
		}
	case 2:
		arg = uint64(binary.BigEndian.Uint16(p))
	case 4:
		arg = uint64(binary.BigEndian.Uint32(p))
	default:
		arg = binary.BigEndian.Uint64(p)
	}
	return major, arg, false, nil
}

// skipString moves past a definite string's content of n bytes.
func (w *cborWalk) skipString(n uint64) error {
	if n > uint64(len(w.b)-w.off) {
		return errCBORLength
	}
	w.off += int(n)
	return nil
}

// indefString moves past the chunks of an indefinite-length string of
// major type major (its head already read), appending their content to
// dst when dst is not nil.
func (w *cborWalk) indefString(major byte, dst *[]byte) error {
	for {
		if w.off >= len(w.b) {
			return io.ErrUnexpectedEOF
		}
		if w.b[w.off] == 0xff {
			w.off++
			return nil
		}
		m, n, indef, err := w.head()
		if err != nil {
			return err
		}
		if m != major || indef {
			return errCBORChunk
		}
		start := w.off
		if err := w.skipString(n); err != nil {
			return err
		}
		if dst != nil {
			*dst = append(*dst, w.b[start:w.off]...)
		}
	}
}

// atBreak consumes a break code if one is next.
func (w *cborWalk) atBreak() (bool, error) {
	if w.off >= len(w.b) {
		return false, io.ErrUnexpectedEOF
	}
	if w.b[w.off] == 0xff {
		w.off++
		return true, nil
	}
	return false, nil
}

// item walks one data item. s is what applies to it (a matched member
// has its strings replaced; detectors read its text strings); member says
// it is a map member's value (an array then marks the member's path
// segment instead of adding a level).
func (w *cborWalk) item(s selection, member bool) error {
	start := w.off
	major, arg, indef, err := w.head()
	if err != nil {
		return err
	}
	switch major {
	case cborUint, cborNegInt:
		if indef {
			return errCBORIndef
		}
	case cborBytes, cborText:
		contentStart := w.off
		active := w.r.active(s)
		var content []byte
		if indef {
			var dst *[]byte
			if active && major == cborText {
				w.r.text = w.r.text[:0]
				dst = &w.r.text
			}
			err = w.indefString(major, dst)
			if dst != nil {
				content = *dst
			}
		} else {
			err = w.skipString(arg)
			content = w.b[contentStart:w.off]
		}
		if err != nil {
			return err
		}
		if active {
			w.text(major, content, start, s)
		}
	case cborArray:
		return w.array(arg, indef, s, member)
	case cborMap:
		return w.mapItem(arg, indef, s)
	case cborTag:
		if indef {
			return errCBORIndef
		}
		return w.tag(arg, s, member)
	case cborSimple:
		if indef {
			return errCBORBreak
		}
		// Simple values and floats: the head held the whole item.
	}
	return nil
}

// text masks the string item at w.b[start:w.off] whose content (text, or
// bytes) is content.
func (w *cborWalk) text(major byte, content []byte, start int, s selection) {
	r := w.r
	if s.whole >= 0 {
		switch {
		case major == cborBytes:
			r.replace(int64(start), int64(w.off), r.e.cborBytes, s.whole)
		case r.fastWhole(s.whole):
			r.replace(int64(start), int64(w.off), r.e.cborText, s.whole)
		default:
			if t := r.wholeValue(s.whole, content); t != nil {
				r.replace(int64(start), int64(w.off), r.keepCBORText(t), s.whole)
			}
		}
		return
	}
	if major != cborText || s.b64 {
		return // detectors read text only
	}
	found, whole := r.scan(content, s)
	if !found {
		return
	}
	r.noteHere()
	t := r.rebuilt(content)
	if whole >= 0 {
		t = r.wholeText(content, whole)
	}
	r.spanEdit(int64(start), int64(w.off), r.keepCBORText(t))
}

// keepCBORText stores t as a definite-length CBOR text string in the arena.
func (r *run) keepCBORText(t []byte) []byte {
	start := len(r.arena)
	r.arena = appendCBORHead(r.arena, cborText, uint64(len(t)))
	r.arena = append(r.arena, t...)
	return r.arena[start:len(r.arena):len(r.arena)]
}

// enter counts one more level of nesting.
func (w *cborWalk) enter() error {
	if w.depth++; w.depth > maxCBORDepth {
		return errCBORDepth
	}
	return nil
}

func (w *cborWalk) array(n uint64, indef bool, s selection, member bool) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer func() { w.depth-- }()
	if !indef && n > uint64(len(w.b)-w.off) { // every element takes a byte
		return errCBORLength
	}
	p := &w.r.path
	if member {
		p.markArray()
	} else {
		p.pushArray()
		defer p.truncate(len(p.segs) - 1)
	}
	for i := uint64(0); indef || i < n; i++ {
		if indef {
			if done, err := w.atBreak(); err != nil || done {
				return err
			}
		}
		if err := w.item(s, false); err != nil {
			return err
		}
	}
	return nil
}

func (w *cborWalk) mapItem(n uint64, indef bool, s selection) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer func() { w.depth-- }()
	if !indef && n > uint64(len(w.b)-w.off)/2 { // every pair takes two bytes
		return errCBORLength
	}
	r := w.r
	for i := uint64(0); indef || i < n; i++ {
		if indef {
			if done, err := w.atBreak(); err != nil || done {
				return err
			}
		}
		name, err := w.key()
		if err != nil {
			return err
		}
		r.path.push(name)
		if err := w.item(r.selectAt(s), true); err != nil {
			return err
		}
		r.path.truncate(len(r.path.segs) - 1)
	}
	return nil
}

// key reads a map key, which must be a text string; the returned name is
// valid until the next key is read.
func (w *cborWalk) key() ([]byte, error) {
	major, arg, indef, err := w.head()
	if err != nil {
		return nil, err
	}
	if major != cborText {
		return nil, errCBORKey
	}
	if indef {
		w.nameBuf = w.nameBuf[:0]
		err := w.indefString(cborText, &w.nameBuf)
		return w.nameBuf, err
	}
	start := w.off
	if err := w.skipString(arg); err != nil {
		return nil, err
	}
	return w.b[start:w.off], nil
}

// tag walks a tag's content. The content of tags 0-5 (date/time string,
// epoch time, bignums, decimal fractions, bigfloats) is a date or a number
// even when it is encoded as a string: it is not masked, so the value keeps
// its type.
func (w *cborWalk) tag(num uint64, s selection, member bool) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer func() { w.depth-- }()
	if num <= 5 && w.off < len(w.b) {
		if m := w.b[w.off] >> 5; m == cborBytes || m == cborText {
			s = selection{whole: -1, noDetect: true}
		}
	}
	return w.item(s, member)
}
