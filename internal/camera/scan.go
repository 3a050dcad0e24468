package camera

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner is a small purpose-built JSON reader for the hot shapes (the
// canonical detection and the Axis scene frame): it walks objects field by
// field without reflection, returns strings without copying when they have
// no escapes, and parses numbers and RFC 3339 times in place. It accepts
// exactly JSON (RFC 8259) values; keys match exactly (unlike
// encoding/json, which also matches them case-insensitively).
type scanner struct {
	b     []byte
	i     int
	err   error
	depth int
}

var errScan = errors.New("json")

const maxDepth = 64

func (s *scanner) fail() {
	if s.err == nil {
		s.err = errScan
	}
	s.i = len(s.b)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) {
	if s.peek() != c {
		s.fail()
		return
	}
	s.i++
}

// object calls field for each key; field must consume the value (with
// one of the value methods or skip). A JSON null is an empty object.
func (s *scanner) object(field func(key []byte)) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	s.expect('{')
	if s.err != nil {
		return
	}
	if s.depth++; s.depth > maxDepth {
		s.fail()
		return
	}
	if s.peek() == '}' {
		s.i++
		s.depth--
		return
	}
	for s.err == nil {
		if s.peek() != '"' {
			s.fail()
			return
		}
		key := s.rawStr()
		s.expect(':')
		if s.err != nil {
			return
		}
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return
		default:
			s.fail()
		}
	}
}

// array calls elem for each element; elem must consume it.
func (s *scanner) array(elem func()) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	s.expect('[')
	if s.err != nil {
		return
	}
	if s.depth++; s.depth > maxDepth {
		s.fail()
		return
	}
	if s.peek() == ']' {
		s.i++
		s.depth--
		return
	}
	for s.err == nil {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return
		default:
			s.fail()
		}
	}
}

func (s *scanner) lit(l string) {
	s.ws()
	if len(s.b)-s.i < len(l) || string(s.b[s.i:s.i+len(l)]) != l {
		s.fail()
		return
	}
	s.i += len(l)
}

// rawStr reads a string and returns its bytes, unescaped into a new slice
// only if it has escapes. The result may alias the input.
func (s *scanner) rawStr() []byte {
	if s.peek() != '"' {
		s.fail()
		return nil
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			s.fail()
			return nil
		}
		s.i++
	}
	s.fail()
	return nil
}

func (s *scanner) unescape(start int) []byte {
	out := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return out
		case c < 0x20:
			s.fail()
			return nil
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			break
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				s.fail()
				return nil
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					lo, ok := s.hex4()
					if !ok {
						s.fail()
						return nil
					}
					r2 = utf16.DecodeRune(r, lo)
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
		default:
			s.fail()
			return nil
		}
	}
	s.fail()
	return nil
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	s.i += 4
	return rune(v), true
}

// str reads a string value into a new Go string.
func (s *scanner) str() string { return string(s.rawStr()) }

// numBytes reads a JSON number token.
func (s *scanner) numBytes() []byte {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	intStart := s.i
	if digits() == 0 || (s.b[intStart] == '0' && s.i-intStart > 1) {
		s.fail()
		return nil
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			s.fail()
			return nil
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			s.fail()
			return nil
		}
	}
	return s.b[start:s.i]
}

// num reads a number. Out-of-range numbers are an error, as in
// encoding/json.
func (s *scanner) num() float64 {
	b := s.numBytes()
	if s.err != nil {
		return 0
	}
	// The string view of b does not outlive this call: the error (which
	// would retain it) is discarded.
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	if err != nil {
		s.fail()
		return 0
	}
	return v
}

func (s *scanner) numPtr() *float64 {
	if s.peek() == 'n' {
		s.lit("null")
		return nil
	}
	v := s.num()
	return &v
}

func (s *scanner) integer() int {
	v := s.num()
	if v != float64(int(v)) || v > 1<<31 || v < -(1<<31) {
		s.fail()
		return 0
	}
	return int(v)
}

// timeRFC3339 reads a string holding an RFC 3339 time (as time.Time's
// UnmarshalJSON accepts it); null leaves the zero time.
func (s *scanner) timeRFC3339() time.Time {
	if s.peek() == 'n' {
		s.lit("null")
		return time.Time{}
	}
	b := s.rawStr()
	if s.err != nil {
		return time.Time{}
	}
	t, ok := parseRFC3339(b)
	if !ok {
		s.fail()
	}
	return t
}

// skip consumes any value.
func (s *scanner) skip() {
	switch s.peek() {
	case '{':
		s.object(func([]byte) { s.skip() })
	case '[':
		s.array(s.skip)
	case '"':
		s.rawStr()
	case 't':
		s.lit("true")
	case 'f':
		s.lit("false")
	case 'n':
		s.lit("null")
	default:
		s.numBytes()
	}
}

// raw consumes any value and returns its text.
func (s *scanner) raw() []byte {
	s.ws()
	start := s.i
	s.skip()
	return s.b[start:s.i]
}

// end checks that only white space follows the value.
func (s *scanner) end() {
	s.ws()
	if s.i != len(s.b) {
		s.fail()
	}
}

// parseRFC3339 parses YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) without
// allocating (the offset zone allocates, as in package time).
func parseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if b[i] == '.' {
		i++
		j := i
		scale := 100000000
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-j < 9 {
				nsec += int(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == j {
			return time.Time{}, false
		}
	}
	if i >= len(b) {
		return time.Time{}, false
	}
	switch z := b[i:]; {
	case len(z) == 1 && (z[0] == 'Z' || z[0] == 'z'):
		return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':':
		hh, ok1 := num(z[1:3])
		mm, ok2 := num(z[4:6])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		off := hh*3600 + mm*60
		if z[0] == '-' {
			off = -off
		}
		t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
		return t.Add(-time.Duration(off) * time.Second), true
	}
	return time.Time{}, false
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
