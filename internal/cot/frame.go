package cot

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Format is the wire format of one message.
type Format uint8

// Formats. Protobuf is TAK Protocol v1.
const (
	FormatXML Format = iota + 1
	FormatProto
)

func (f Format) String() string {
	switch f {
	case FormatXML:
		return "xml"
	case FormatProto:
		return "proto"
	}
	return "unknown"
}

// Default message size limits. TAK Server caps an XML message at 8 MiB;
// a phone's SA is under 1 KiB, so we are stricter by default.
const (
	DefaultMaxXML   = 1 << 20
	DefaultMaxProto = 1 << 20
)

var endEvent = []byte("</event>")

// Splitter cuts a TCP stream into messages: XML events back to back
// (split after </event>, skipping <?xml ...?> prologs, comments,
// whitespace and an <auth> element between them) and TAK protobuf stream
// frames (0xBF, uvarint length, payload), in any mix, including messages
// split across reads.
//
// Next returns what is buffered; Fill reads more. A message returned by
// Next is valid until the next Fill.
type Splitter struct {
	r          io.Reader
	buf        []byte
	start, end int
	scan       int // where the search for </event> resumes
	maxXML     int
	maxProto   int
}

// NewSplitter returns a Splitter reading r with the given message size
// limits in bytes (0 means the default).
func NewSplitter(r io.Reader, maxXML, maxProto int) *Splitter {
	if maxXML <= 0 {
		maxXML = DefaultMaxXML
	}
	if maxProto <= 0 {
		maxProto = DefaultMaxProto
	}
	return &Splitter{r: r, buf: make([]byte, 64<<10), maxXML: maxXML, maxProto: maxProto}
}

// Buffered returns the number of bytes read but not yet returned: a
// partial message when Next has reported none ready.
func (s *Splitter) Buffered() int { return s.end - s.start }

// Fill reads once from the underlying reader into the buffer.
func (s *Splitter) Fill() (int, error) {
	if s.start == s.end {
		s.start, s.end, s.scan = 0, 0, 0
	}
	if s.end == len(s.buf) {
		if s.start > 0 {
			n := copy(s.buf, s.buf[s.start:s.end])
			s.scan -= s.start
			s.start, s.end = 0, n
		} else {
			limit := max(s.maxXML, s.maxProto+binary.MaxVarintLen64+1) + 1
			size := min(2*len(s.buf), limit)
			if size <= len(s.buf) {
				// Next reports too_large before the buffer is full.
				return 0, ReasonTooLarge
			}
			nb := make([]byte, size)
			copy(nb, s.buf[:s.end])
			s.buf = nb
		}
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	return n, err
}

// Next returns the next complete message in the buffer. ok is false when
// the buffer holds no complete message (call Fill). Errors are Reasons:
// ReasonJunk means bytes that start no message were skipped and splitting
// may continue; ReasonTooLarge means a message exceeds its limit and the
// stream cannot be resynchronised, so the caller should close it.
func (s *Splitter) Next() (f Format, msg []byte, ok bool, err error) {
	for {
		for s.start < s.end && (isSpaceByte(s.buf[s.start]) || s.buf[s.start] == 0) {
			s.start++
		}
		if s.start == s.end {
			return 0, nil, false, nil
		}
		b := s.buf[s.start:s.end]
		switch b[0] {
		case Magic:
			n, k := binary.Uvarint(b[1:])
			if k == 0 {
				if len(b) > binary.MaxVarintLen64 {
					return s.junk(1)
				}
				return 0, nil, false, nil
			}
			if k < 0 {
				return s.junk(1)
			}
			if n > uint64(s.maxProto) {
				return 0, nil, false, ReasonTooLarge
			}
			total := 1 + k + int(n)
			if len(b) < total {
				s.ensure(total)
				return 0, nil, false, nil
			}
			s.start += total
			return FormatProto, b[1+k : total], true, nil
		case '<':
			if len(b) < len("<auth") && (hasPrefixOf("<auth", b) || hasPrefixOf("<!--", b) || hasPrefixOf("<?", b)) {
				// Not yet enough bytes to tell a prolog or <auth> from an event.
				return 0, nil, false, nil
			}
			var skip []byte
			switch {
			case bytes.HasPrefix(b, []byte("<?")):
				skip = []byte("?>")
			case bytes.HasPrefix(b, []byte("<!--")):
				skip = []byte("-->")
			case bytes.HasPrefix(b, []byte("<auth")):
				skip = []byte("</auth>")
			}
			if skip != nil {
				j := bytes.Index(b, skip)
				if j < 0 {
					if len(b) > s.maxXML {
						return 0, nil, false, ReasonTooLarge
					}
					return 0, nil, false, nil
				}
				s.start += j + len(skip)
				s.scan = s.start
				continue
			}
			from := max(s.scan-s.start, 0)
			j := bytes.Index(b[from:], endEvent)
			if j < 0 {
				if len(b) > s.maxXML {
					return 0, nil, false, ReasonTooLarge
				}
				s.scan = max(s.end-len(endEvent)+1, s.start)
				return 0, nil, false, nil
			}
			end := from + j + len(endEvent)
			if end > s.maxXML {
				return 0, nil, false, ReasonTooLarge
			}
			m := b[:end]
			if !bytes.HasPrefix(m, []byte("<event")) {
				// Junk before an event: skip to the event, or past it all.
				if e := bytes.Index(m, []byte("<event")); e > 0 {
					return s.junk(e)
				}
				return s.junk(end)
			}
			s.start += end
			s.scan = s.start
			return FormatXML, m, true, nil
		default:
			e := 1
			for e < len(b) && b[e] != '<' && b[e] != Magic {
				e++
			}
			return s.junk(e)
		}
	}
}

func (s *Splitter) junk(n int) (Format, []byte, bool, error) {
	s.start += n
	s.scan = s.start
	return 0, nil, false, ReasonJunk
}

// ensure makes room for a message of n bytes at s.start.
func (s *Splitter) ensure(n int) {
	if len(s.buf)-s.start >= n {
		return
	}
	if len(s.buf) >= n {
		c := copy(s.buf, s.buf[s.start:s.end])
		s.scan -= s.start
		s.start, s.end = 0, c
		return
	}
	nb := make([]byte, n+4096)
	c := copy(nb, s.buf[s.start:s.end])
	s.buf = nb
	s.scan -= s.start
	s.start, s.end = 0, c
}

// SplitDatagram returns the format and payload of one UDP datagram: a
// mesh protobuf message (0xBF 0x01 0xBF + TakMessage) or one XML event.
func SplitDatagram(b []byte) (Format, []byte, error) {
	if len(b) > 0 && b[0] == Magic {
		if len(b) < 3 || b[1] != MeshHeader[1] || b[2] != Magic {
			return 0, nil, ReasonBadMagic
		}
		return FormatProto, b[3:], nil
	}
	return FormatXML, b, nil
}

// hasPrefixOf reports whether b is a prefix of s.
func hasPrefixOf(s string, b []byte) bool {
	return len(b) <= len(s) && s[:len(b)] == string(b)
}
