// Package mtt owns the mtt-jsonl/1 multi-target tracking benchmark format
// (a header line, then one JSON object per scan with detections and
// truth, or one per reported scan with tracks) and the GOSPA metric that
// scores a tracks file against a scenario.
//
// The reader is a hand-written scanner, not encoding/json: a scenario of
// 1000 targets is ~170 kB per scan and the benchmark counts the whole
// process, so lines are parsed in place with no allocation per detection.
// Unknown keys are skipped, so files from other writers stay readable.
package mtt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// Format is the value of header.format this package reads and writes.
const Format = "mtt-jsonl/1"

// Region is the surveillance region of a scenario, metres.
type Region struct {
	XMin float64 `json:"xmin"`
	XMax float64 `json:"xmax"`
	YMin float64 `json:"ymin"`
	YMax float64 `json:"ymax"`
}

// Area returns the region's area in square metres (0 for an empty region).
func (r Region) Area() float64 {
	if r.XMax <= r.XMin || r.YMax <= r.YMin {
		return 0
	}
	return (r.XMax - r.XMin) * (r.YMax - r.YMin)
}

// Sensor describes one sensor of a scenario.
type Sensor struct {
	// Sigma is the measurement noise standard deviation per axis, metres.
	Sigma float64 `json:"sigma"`
}

// Header is the first line of a scenario file. Fields the format calls
// informative (targets, seed, motion...) are kept in Extra, unparsed.
type Header struct {
	Format         string            `json:"format"`
	Frame          string            `json:"frame"`
	DT             float64           `json:"dt"`
	Region         Region            `json:"region"`
	PD             float64           `json:"pd"`
	ClutterRate    float64           `json:"clutter_rate"`
	ClutterDensity float64           `json:"clutter_density"`
	Sensors        map[string]Sensor `json:"sensors"`
	// SensorIDs lists the keys of Sensors sorted; Detection.Sensor indexes it.
	SensorIDs []string `json:"-"`
}

// Detection is one detection of a scan. Sensor indexes Header.SensorIDs.
type Detection struct {
	X, Y   float64
	Sensor int
}

// Truth is the true state of one target at a scan.
type Truth struct {
	ID     string
	X, Y   float64
	VX, VY float64
	Kind   string
}

// Scan is one scan line of a scenario file.
type Scan struct {
	T          float64
	Detections []Detection
	// Truth is filled only when the reader was asked for it.
	Truth []Truth
}

// Estimate is one reported track at a scan of a tracks file.
type Estimate struct {
	ID     string
	X, Y   float64
	VX, VY float64
}

// TrackScan is one scan line of a tracks file.
type TrackScan struct {
	T      float64
	Tracks []Estimate
}

// Open wraps r so that gzip input (detected by its magic bytes) is
// decompressed transparently. The returned closer releases the gzip reader
// only; the caller still closes r.
func Open(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// lines reads newline-terminated lines without copying them when they fit
// the buffer.
type lines struct {
	br   *bufio.Reader
	acc  []byte
	line int
}

func newLines(r io.Reader) *lines {
	return &lines{br: bufio.NewReaderSize(r, 1<<16)}
}

// next returns the next non-blank line, valid until the following call.
func (l *lines) next() ([]byte, error) {
	for {
		b, err := l.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.acc = append(l.acc[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = l.br.ReadSlice('\n')
				l.acc = append(l.acc, b...)
			}
			b = l.acc
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(b) == 0 && err != nil {
			return nil, io.EOF
		}
		l.line++
		if len(bytes.TrimSpace(b)) == 0 {
			if err != nil {
				return nil, io.EOF
			}
			continue
		}
		return b, nil
	}
}

// ScenarioReader reads a scenario file: the header, then scans in order.
type ScenarioReader struct {
	l      *lines
	h      Header
	sensor map[string]int
	truth  bool
	p      parser
}

// NewScenarioReader reads the header line of a scenario. With truth false
// the truth of every scan is skipped without being decoded (a tracker must
// not read it).
func NewScenarioReader(r io.Reader, truth bool) (*ScenarioReader, error) {
	l := newLines(r)
	line, err := l.next()
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %w", err)
	}
	var p parser
	p.reset(line)
	h, found, err := p.header()
	if err != nil {
		return nil, fmt.Errorf("line %d: header: %w", l.line, err)
	}
	if !found {
		return nil, fmt.Errorf("line %d: first line has no \"header\" object", l.line)
	}
	if h.Format != Format {
		return nil, fmt.Errorf("line %d: header.format %q: want %q", l.line, h.Format, Format)
	}
	for id, s := range h.Sensors {
		if !(s.Sigma > 0) || math.IsInf(s.Sigma, 0) {
			return nil, fmt.Errorf("line %d: header.sensors.%s.sigma %v: must be positive", l.line, id, s.Sigma)
		}
		h.SensorIDs = append(h.SensorIDs, id)
	}
	slices.Sort(h.SensorIDs)
	if !(h.PD > 0 && h.PD <= 1) {
		return nil, fmt.Errorf("line %d: header.pd %v: must be in (0, 1]", l.line, h.PD)
	}
	if h.ClutterDensity < 0 || h.ClutterRate < 0 || math.IsNaN(h.ClutterDensity) || math.IsNaN(h.ClutterRate) {
		return nil, fmt.Errorf("line %d: header clutter_rate %v / clutter_density %v: must be >= 0", l.line, h.ClutterRate, h.ClutterDensity)
	}
	if h.ClutterDensity == 0 && h.ClutterRate > 0 && h.Region.Area() > 0 {
		h.ClutterDensity = h.ClutterRate / h.Region.Area()
	}
	sr := &ScenarioReader{l: l, h: h, truth: truth, sensor: make(map[string]int, len(h.SensorIDs))}
	for i, id := range h.SensorIDs {
		sr.sensor[id] = i
	}
	return sr, nil
}

// Header returns the scenario header.
func (r *ScenarioReader) Header() Header { return r.h }

// Next reads the next scan into s, reusing its slices. It returns io.EOF
// after the last scan.
func (r *ScenarioReader) Next(s *Scan) error {
	line, err := r.l.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("line %d: %w", r.l.line+1, err)
	}
	s.T = math.NaN()
	s.Detections = s.Detections[:0]
	s.Truth = s.Truth[:0]
	r.p.reset(line)
	if err := r.p.scan(s, r.sensor, r.truth); err != nil {
		return fmt.Errorf("line %d: %w", r.l.line, err)
	}
	if math.IsNaN(s.T) {
		return fmt.Errorf("line %d: scan has no \"t\"", r.l.line)
	}
	return nil
}

// TracksReader reads a tracks file: an optional header, then track scans.
type TracksReader struct {
	l *lines
	p parser
}

// NewTracksReader returns a reader of a tracks file.
func NewTracksReader(r io.Reader) *TracksReader { return &TracksReader{l: newLines(r)} }

// Next reads the next track scan into s (skipping a header line), reusing
// its slices. It returns io.EOF after the last scan.
func (r *TracksReader) Next(s *TrackScan) error {
	for {
		line, err := r.l.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return fmt.Errorf("line %d: %w", r.l.line+1, err)
		}
		s.T = math.NaN()
		s.Tracks = s.Tracks[:0]
		r.p.reset(line)
		header, err := r.p.trackScan(s)
		if err != nil {
			return fmt.Errorf("line %d: %w", r.l.line, err)
		}
		if header {
			continue
		}
		if math.IsNaN(s.T) {
			return fmt.Errorf("line %d: track scan has no \"t\"", r.l.line)
		}
		return nil
	}
}

// parser is a minimal JSON scanner over one line.
type parser struct {
	b   []byte
	i   int
	str []byte // scratch for unescaped strings
}

func (p *parser) reset(b []byte) { p.b, p.i = b, 0 }

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.i+1, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) expect(c byte) error {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != c {
		if p.i >= len(p.b) {
			return p.errorf("want %q, got end of line", c)
		}
		return p.errorf("want %q, got %q", c, p.b[p.i])
	}
	p.i++
	return nil
}

// peek returns the next non-space byte or 0.
func (p *parser) peek() byte {
	p.ws()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// str returns a JSON string's contents. The result aliases the line or the
// scratch buffer and is valid until the next call.
func (p *parser) string() ([]byte, error) {
	if err := p.expect('"'); err != nil {
		return nil, err
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := p.b[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			return p.escaped(start)
		}
		if c < 0x20 {
			return nil, p.errorf("control character in string")
		}
		p.i++
	}
	return nil, p.errorf("unterminated string")
}

func (p *parser) escaped(start int) ([]byte, error) {
	// Find the end, then let strconv unquote it.
	j := p.i
	for j < len(p.b) && p.b[j] != '"' {
		if p.b[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(p.b) {
		return nil, p.errorf("unterminated string")
	}
	var v string
	if err := json.Unmarshal(p.b[start-1:j+1], &v); err != nil {
		return nil, p.errorf("bad string: %v", err)
	}
	p.i = j + 1
	p.str = append(p.str[:0], v...)
	return p.str, nil
}

// structural marks the bytes skip stops at.
var structural = [256]bool{'"': true, '[': true, ']': true, '{': true, '}': true}

// pow10 holds the exactly representable powers of ten.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastDecimal parses a plain decimal ([-]digits[.digits], at most 15
// significant digits) exactly: the mantissa and the power of ten are both
// exact in float64, so one division is correctly rounded (Clinger's fast
// path). ok is false for anything else.
func fastDecimal(b []byte) (v float64, ok bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 || frac == 0 {
		return 0, false
	}
	v = float64(m)
	if frac > 0 {
		v /= pow10[frac]
	}
	if neg {
		v = -v
	}
	return v, true
}

// skipString skips a string starting at the quote under p.i.
func (p *parser) skipString() error {
	j := p.i + 1
	for {
		k := bytes.IndexByte(p.b[j:], '"')
		if k < 0 {
			p.i = len(p.b)
			return p.errorf("unterminated string")
		}
		j += k
		// An odd number of backslashes before the quote escapes it.
		n := 0
		for b := j - 1; b > p.i && p.b[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			p.i = j + 1
			return nil
		}
		j++
	}
}

func (p *parser) number() (float64, error) {
	p.ws()
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	if start == p.i {
		if p.i >= len(p.b) {
			return 0, p.errorf("want a number, got end of line")
		}
		return 0, p.errorf("want a number, got %q", p.b[p.i])
	}
	num := p.b[start:p.i]
	if num[0] == '+' || num[0] == '.' || (num[0] == '-' && (len(num) == 1 || num[1] < '0' || num[1] > '9')) {
		return 0, p.errorf("bad number %q", num)
	}
	if v, ok := fastDecimal(num); ok && (len(num) < 2 || num[0] != '0' || num[1] == '.') && !(len(num) > 2 && num[0] == '-' && num[1] == '0' && num[2] != '.') {
		return v, nil
	}
	v, err := strconv.ParseFloat(unsafe.String(&num[0], len(num)), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, p.errorf("bad number %q", num)
	}
	return v, nil
}

// skip skips one JSON value of any kind.
func (p *parser) skip() error {
	switch c := p.peek(); {
	case c == '"':
		_, err := p.string()
		return err
	case c == '{' || c == '[':
		// Jump from bracket to bracket or quote; strings are skipped with
		// IndexByte. The structure inside is not validated (it is skipped).
		depth := 0
		for p.i < len(p.b) {
			for p.i < len(p.b) && !structural[p.b[p.i]] {
				p.i++
			}
			if p.i >= len(p.b) {
				break
			}
			switch p.b[p.i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			case '"':
				if err := p.skipString(); err != nil {
					return err
				}
				continue
			}
			p.i++
		}
		p.i = len(p.b)
		return p.errorf("unterminated %q", c)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
				p.i += len(lit)
				return nil
			}
		}
		return p.errorf("bad literal")
	case c == 0:
		return p.errorf("want a value, got end of line")
	default:
		_, err := p.number()
		return err
	}
}

// object iterates over the members of an object, calling f with each key
// (valid only during the call) positioned at the value, which f must consume.
func (p *parser) object(f func(key []byte) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		key, err := p.string()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("want ',' or '}' in object")
		}
	}
}

// array iterates over the elements of an array; f consumes each element.
func (p *parser) array(f func() error) error {
	if p.peek() == 'n' && bytes.HasPrefix(p.b[p.i:], []byte("null")) {
		p.i += 4
		return nil
	}
	if err := p.expect('['); err != nil {
		return err
	}
	if p.peek() == ']' {
		p.i++
		return nil
	}
	for {
		if err := f(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.errorf("want ',' or ']' in array")
		}
	}
}

// id reads an int or string id as a string.
func (p *parser) id() (string, error) {
	if p.peek() == '"' {
		s, err := p.string()
		return string(s), err
	}
	start := p.i
	if _, err := p.number(); err != nil {
		return "", err
	}
	return string(p.b[start:p.i]), nil
}

func (p *parser) end() error {
	p.ws()
	if p.i != len(p.b) {
		return p.errorf("trailing data after object")
	}
	return nil
}

// header parses the header line (the hand-written parser avoids
// encoding/json's start-up cost, which matters for small files).
func (p *parser) header() (h Header, found bool, err error) {
	h.Sensors = map[string]Sensor{}
	err = p.object(func(key []byte) error {
		if string(key) != "header" {
			return p.skip()
		}
		found = true
		return p.object(func(key []byte) error {
			var err error
			switch string(key) {
			case "format":
				var v []byte
				v, err = p.string()
				h.Format = string(v)
			case "frame":
				var v []byte
				v, err = p.string()
				h.Frame = string(v)
			case "dt":
				h.DT, err = p.number()
			case "pd":
				h.PD, err = p.number()
			case "clutter_rate":
				h.ClutterRate, err = p.number()
			case "clutter_density":
				h.ClutterDensity, err = p.number()
			case "region":
				err = p.object(func(key []byte) error {
					var err error
					switch string(key) {
					case "xmin":
						h.Region.XMin, err = p.number()
					case "xmax":
						h.Region.XMax, err = p.number()
					case "ymin":
						h.Region.YMin, err = p.number()
					case "ymax":
						h.Region.YMax, err = p.number()
					default:
						err = p.skip()
					}
					return err
				})
			case "sensors":
				err = p.object(func(key []byte) error {
					id := string(key)
					var s Sensor
					err := p.object(func(key []byte) error {
						if string(key) == "sigma" {
							var err error
							s.Sigma, err = p.number()
							return err
						}
						return p.skip()
					})
					h.Sensors[id] = s
					return err
				})
			default:
				err = p.skip()
			}
			if err != nil {
				return fmt.Errorf("header.%s: %w", key, err)
			}
			return nil
		})
	})
	if err == nil {
		err = p.end()
	}
	return h, found, err
}

func (p *parser) scan(s *Scan, sensors map[string]int, truth bool) error {
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "t":
			v, err := p.number()
			s.T = v
			return err
		case "detections":
			return p.array(func() error {
				d := Detection{X: math.NaN(), Y: math.NaN()}
				err := p.object(func(key []byte) error {
					var err error
					switch string(key) {
					case "x":
						d.X, err = p.number()
					case "y":
						d.Y, err = p.number()
					case "sensor":
						var id []byte
						if id, err = p.string(); err == nil {
							i, ok := sensors[string(id)]
							if !ok {
								return p.errorf("detection sensor %q is not in header.sensors", id)
							}
							d.Sensor = i
						}
					default:
						err = p.skip()
					}
					return err
				})
				if err != nil {
					return err
				}
				if math.IsNaN(d.X) || math.IsNaN(d.Y) {
					return p.errorf("detection %d lacks x or y", len(s.Detections))
				}
				s.Detections = append(s.Detections, d)
				return nil
			})
		case "truth":
			if !truth {
				return p.skip()
			}
			return p.array(func() error {
				g := Truth{X: math.NaN(), Y: math.NaN()}
				err := p.object(func(key []byte) error {
					var err error
					switch string(key) {
					case "id":
						g.ID, err = p.id()
					case "x":
						g.X, err = p.number()
					case "y":
						g.Y, err = p.number()
					case "vx":
						g.VX, err = p.number()
					case "vy":
						g.VY, err = p.number()
					case "kind":
						var k []byte
						k, err = p.string()
						g.Kind = string(k)
					default:
						err = p.skip()
					}
					return err
				})
				if err != nil {
					return err
				}
				if math.IsNaN(g.X) || math.IsNaN(g.Y) {
					return p.errorf("truth %d lacks x or y", len(s.Truth))
				}
				s.Truth = append(s.Truth, g)
				return nil
			})
		case "header":
			return p.errorf("unexpected second header")
		default:
			return p.skip()
		}
	})
	if err != nil {
		return err
	}
	return p.end()
}

func (p *parser) trackScan(s *TrackScan) (header bool, err error) {
	err = p.object(func(key []byte) error {
		switch string(key) {
		case "header":
			header = true
			return p.skip()
		case "t":
			v, err := p.number()
			s.T = v
			return err
		case "tracks":
			return p.array(func() error {
				e := Estimate{X: math.NaN(), Y: math.NaN()}
				err := p.object(func(key []byte) error {
					var err error
					switch string(key) {
					case "id":
						e.ID, err = p.id()
					case "x":
						e.X, err = p.number()
					case "y":
						e.Y, err = p.number()
					case "vx":
						e.VX, err = p.number()
					case "vy":
						e.VY, err = p.number()
					default:
						err = p.skip()
					}
					return err
				})
				if err != nil {
					return err
				}
				if math.IsNaN(e.X) || math.IsNaN(e.Y) {
					return p.errorf("track %d lacks x or y", len(s.Tracks))
				}
				s.Tracks = append(s.Tracks, e)
				return nil
			})
		default:
			return p.skip()
		}
	})
	if err != nil {
		return false, err
	}
	return header, p.end()
}
