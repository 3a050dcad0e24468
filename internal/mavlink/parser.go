package mavlink

import "errors"

// Parser splits a byte stream, or the datagrams of one channel, into
// frames. It resynchronises after garbage and bad checksums by moving one
// byte on, and keeps a frame split across reads until the rest arrives.
// The zero value is ready to use; a Parser is not safe for concurrent use.
type Parser struct {
	// Drop, when set, is called once for every dropped frame or run of
	// garbage. It runs on the parsing goroutine and must be cheap.
	Drop func(Reason)

	pend []byte // the start of a frame that has not fully arrived
	buf  []byte // pend + next read, reused
	f    Frame  // handed to fn; here so it does not escape per call
}

// Pending reports how many bytes of an incomplete frame the parser holds.
func (p *Parser) Pending() int { return len(p.pend) }

// Parse feeds b and calls fn for each complete, valid frame in order. The
// frame and its payload alias b or the parser's buffer and are valid only
// during the call to fn.
func (p *Parser) Parse(b []byte, fn func(*Frame)) {
	if len(p.pend) > 0 {
		p.buf = append(append(p.buf[:0], p.pend...), b...)
		p.pend = p.pend[:0]
		b = p.buf
	}
	f := &p.f
	i := 0
	for i < len(b) {
		if c := b[i]; c != MagicV2 && c != MagicV1 {
			j := i + 1
			for j < len(b) && b[j] != MagicV2 && b[j] != MagicV1 {
				j++
			}
			p.drop(ReasonGarbage)
			i = j
			continue
		}
		var n int
		var err error
		*f, n, err = Decode(b[i:])
		if err == nil {
			fn(f)
			i += n
			continue
		}
		*f = Frame{}
		if errors.Is(err, ErrShort) {
			p.pend = append(p.pend[:0], b[i:]...)
			return
		}
		fe := err.(*FrameError)
		p.drop(fe.Reason)
		i += fe.Skip
	}
}

// Flush discards an incomplete frame (counting it as truncated), as at the
// end of a stream.
func (p *Parser) Flush() {
	if len(p.pend) > 0 {
		p.pend = p.pend[:0]
		p.drop(ReasonTruncated)
	}
}

func (p *Parser) drop(r Reason) {
	if p.Drop != nil {
		p.Drop(r)
	}
}
