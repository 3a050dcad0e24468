package cot

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Decoder decodes CoT XML events. It is a purpose-built scanner, not a
// general XML parser: it reads the <event> attributes, the <point>, the
// modelled <detail> children, and keeps every other <detail> child
// verbatim. It understands the five predefined entities and character
// references, CDATA sections, comments, processing instructions (such as
// the <?xml ...?> prolog), self-closing tags and attributes quoted with '
// or ". It refuses DOCTYPE declarations.
//
// A Decoder holds scratch buffers and is not safe for concurrent use; keep
// one per connection. Decoding into the same Event again reuses strings
// that did not change, so a stream from one phone decodes with few
// allocations.
type Decoder struct {
	s       xscan
	scratch []byte
	raw     []byte
	prev    Event
	strs    map[string]string // interned strings, see intern
	strLen  int               // bytes held by strs
}

// Interning bounds: a connection relaying many phones (a gateway, a
// federated server) repeats the same uids, callsigns and detail XML, so a
// small per-decoder table turns most string allocations into lookups.
const (
	maxInternedBytes = 128 << 10 // per decoder, so per connection
	maxInternedLen   = 512
)

// intern returns b as a string, from the decoder's table when it has
// been seen recently.
func (d *Decoder) intern(b []byte) string {
	if len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if d.strs == nil || d.strLen+len(b) > maxInternedBytes {
		d.strs = make(map[string]string, 256)
		d.strLen = 0
	}
	s := string(b)
	d.strs[s] = s
	d.strLen += len(s)
	return s
}

// attr locates one attribute in the message by offsets (no pointers, so
// filling the reused slice costs no GC write barriers).
type attr struct {
	n0, n1, v0, v1 int32
	amp            bool // the value holds an entity
}

// DecodeXML decodes one CoT XML message into ev with a fresh Decoder.
func DecodeXML(data []byte, ev *Event) error {
	var d Decoder
	return d.Decode(data, ev)
}

// Decode decodes exactly one <event>, optionally preceded by an XML
// prolog, comments and whitespace and followed by whitespace and
// comments. On error ev is left in an unspecified state and the error is
// a Reason.
func (d *Decoder) Decode(data []byte, ev *Event) error {
	d.prev = *ev
	ev.Reset()
	d.raw = d.raw[:0]
	s := &d.s
	s.b, s.i = data, 0
	defer func() { s.b = nil }()
	if err := s.skipMisc(); err != nil {
		return err
	}
	if !s.hasPrefix("<event") {
		return ReasonNoEvent
	}
	s.i++
	name, self, err := s.startTag(&s.attrs)
	if err != nil {
		return err
	}
	if string(name) != "event" {
		return ReasonNoEvent
	}
	if err := d.eventAttrs(ev); err != nil {
		return err
	}
	havePoint := false
	if !self {
		for {
			s.skipText()
			if s.i >= len(s.b) {
				return ReasonSyntax
			}
			// s.b[s.i] == '<'
			if s.hasPrefix("</") {
				s.i += 2
				n := s.name()
				if string(n) != "event" {
					return ReasonSyntax
				}
				if err := s.endTagClose(); err != nil {
					return err
				}
				break
			}
			if skipped, err := s.skipSpecial(); err != nil {
				return err
			} else if skipped {
				continue
			}
			s.i++
			name, self, err := s.startTag(&s.attrs)
			if err != nil {
				return err
			}
			switch string(name) {
			case "point":
				if havePoint {
					return ReasonSyntax
				}
				havePoint = true
				if err := d.point(&ev.Point); err != nil {
					return err
				}
				if !self {
					if _, err := s.content(name); err != nil {
						return err
					}
				}
			case "detail":
				if !self {
					if err := d.detail(s, ev); err != nil {
						return err
					}
				}
			default:
				if !self {
					if _, err := s.content(name); err != nil {
						return err
					}
				}
			}
		}
	}
	if !havePoint {
		return ReasonNoPoint
	}
	if err := s.skipMisc(); err != nil {
		return err
	}
	if s.i != len(s.b) {
		return ReasonTrailing
	}
	if len(d.raw) > 0 {
		if string(d.raw) == d.prev.Detail.XML {
			ev.Detail.XML = d.prev.Detail.XML
		} else {
			ev.Detail.XML = d.intern(d.raw)
		}
	}
	if ev.UID == "" || ev.Type == "" {
		return ReasonMissingField
	}
	return nil
}

func (d *Decoder) eventAttrs(ev *Event) error {
	p := &d.prev
	var err error
	for _, at := range d.s.attrs {
		a := d.s.view(at)
		switch string(a.name) {
		case "version":
			ev.Version, err = d.astr(a, p.Version)
		case "uid":
			ev.UID, err = d.astr(a, p.UID)
		case "type":
			ev.Type, err = d.astr(a, p.Type)
		case "how":
			ev.How, err = d.astr(a, p.How)
		case "time":
			ev.Time, err = timeAttr(a.value)
		case "start":
			ev.Start, err = timeAttr(a.value)
		case "stale":
			ev.Stale, err = timeAttr(a.value)
		case "access":
			ev.Access, err = d.astr(a, p.Access)
		case "qos":
			ev.QoS, err = d.astr(a, p.QoS)
		case "opex":
			ev.Opex, err = d.astr(a, p.Opex)
		case "caveat":
			ev.Caveat, err = d.astr(a, p.Caveat)
		case "releasableTo":
			ev.ReleasableTo, err = d.astr(a, p.ReleasableTo)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func timeAttr(v []byte) (time.Time, error) {
	t, ok := parseTime(bytes.TrimSpace(v))
	if !ok {
		return time.Time{}, ReasonBadTime
	}
	return t, nil
}

func (d *Decoder) point(p *Point) error {
	p.HAE, p.CE, p.LE = Unknown, Unknown, Unknown
	var err error
	seen := 0
	for _, at := range d.s.attrs {
		a := d.s.view(at)
		switch string(a.name) {
		case "lat":
			p.Lat, err = parseFloat(a.value)
			seen |= 1
		case "lon":
			p.Lon, err = parseFloat(a.value)
			seen |= 2
		case "hae":
			p.HAE, err = parseFloat(a.value)
		case "ce":
			p.CE, err = parseFloat(a.value)
		case "le":
			p.LE, err = parseFloat(a.value)
		}
		if err != nil {
			return err
		}
	}
	if seen != 3 {
		return ReasonBadPoint
	}
	return nil
}

// pow10 holds the powers of ten that are exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func parseFloat(v []byte) (float64, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 64 {
		return 0, ReasonBadNumber
	}
	if f, ok := parseDecimal(v); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, ReasonBadNumber
	}
	return f, nil
}

// parseDecimal is the fast path for what CoT carries: [-]digits[.digits]
// with at most 15 significant digits. The mantissa and the power of ten
// are then exact in a float64, so one division is correctly rounded and
// the result equals strconv.ParseFloat's.
func parseDecimal(v []byte) (float64, bool) {
	neg := false
	i := 0
	if v[0] == '-' || v[0] == '+' {
		neg = v[0] == '-'
		i++
	}
	var m uint64
	digits, frac := 0, 0
	dot := false
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			if m == 0 && c == '0' {
				if dot {
					frac++
				}
				continue // leading zeros are not significant
			}
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits > 15 || frac > 22 || (digits == 0 && frac == 0 && !hasDigit(v)) {
		return 0, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

func hasDigit(v []byte) bool {
	for _, c := range v {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// detail decodes the children of <detail> up to and including </detail>.
func (d *Decoder) detail(s *xscan, ev *Event) error {
	return d.detailChildren(s, ev, false)
}

// detailChildren decodes detail children: up to and including </detail>,
// or with toEnd (protobuf xmlDetail) to the end of the input.
func (d *Decoder) detailChildren(s *xscan, ev *Event, toEnd bool) error {
	det := &ev.Detail
	for {
		s.skipText()
		if s.i >= len(s.b) {
			if toEnd {
				return nil
			}
			return ReasonSyntax
		}
		if s.hasPrefix("</") {
			if toEnd {
				return ReasonSyntax
			}
			s.i += 2
			if string(s.name()) != "detail" {
				return ReasonSyntax
			}
			return s.endTagClose()
		}
		if skipped, err := s.skipSpecial(); err != nil {
			return err
		} else if skipped {
			continue
		}
		start := s.i
		s.i++
		name, self, err := s.startTag(&s.attrs)
		if err != nil {
			return err
		}
		contentStart := s.i
		text := false
		if !self {
			text, err = s.content(name)
			if err != nil {
				return err
			}
		}
		// inner is the content between the start and end tags.
		var inner []byte
		if !self {
			inner = s.b[contentStart:s.lastEndTag]
		}
		exact, err := d.child(det, name, inner, self || (text && isSpace(inner)), self || text)
		if err != nil {
			return err
		}
		if !exact {
			d.raw = append(d.raw, s.b[start:s.i]...)
		}
	}
}

// child fills the typed field for a modelled element. It reports whether
// the typed field holds the whole element (then it is not kept raw).
func (d *Decoder) child(det *Detail, name, inner []byte, empty, textOnly bool) (bool, error) {
	p := &d.prev.Detail
	var bit Elem
	switch string(name) {
	case "contact":
		bit = ElemContact
	case "__group":
		bit = ElemGroup
	case "precisionlocation":
		bit = ElemPrecisionLocation
	case "status":
		bit = ElemStatus
	case "takv":
		bit = ElemTakv
	case "track":
		bit = ElemTrack
	case "remarks":
		bit = ElemRemarks
	case "link":
		return d.link(det, empty)
	default:
		return false, nil
	}
	if det.Has&bit != 0 {
		// A second <contact> and the like: keep it verbatim, untyped.
		return false, nil
	}
	det.Has |= bit
	exact := empty
	var err error
	switch bit {
	case ElemContact:
		var n int
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			switch string(a.name) {
			case "callsign":
				det.Contact.Callsign, err = d.astr(a, p.Contact.Callsign)
				n++
			case "endpoint":
				det.Contact.Endpoint, err = d.astr(a, p.Contact.Endpoint)
				n++
				exact = exact && len(a.value) > 0
			default:
				exact = false
			}
			if err != nil {
				return false, err
			}
		}
		exact = exact && det.Contact.Callsign != "" && n == len(d.s.attrs)
	case ElemGroup:
		n := 0
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			switch string(a.name) {
			case "name":
				det.Group.Name, err = d.astr(a, p.Group.Name)
				n++
			case "role":
				det.Group.Role, err = d.astr(a, p.Group.Role)
				n++
			}
			if err != nil {
				return false, err
			}
		}
		exact = exact && n == 2 && len(d.s.attrs) == 2
	case ElemPrecisionLocation:
		n := 0
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			switch string(a.name) {
			case "geopointsrc":
				det.PrecisionLocation.GeoPointSrc, err = d.astr(a, p.PrecisionLocation.GeoPointSrc)
				n++
			case "altsrc":
				det.PrecisionLocation.AltSrc, err = d.astr(a, p.PrecisionLocation.AltSrc)
				n++
			}
			if err != nil {
				return false, err
			}
		}
		exact = exact && n == 2 && len(d.s.attrs) == 2
	case ElemStatus:
		n := 0
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			if string(a.name) == "battery" {
				f, ferr := parseFloat(a.value)
				if ferr != nil || f < 0 || f > math.MaxUint32 {
					// Keep an odd battery value verbatim rather than drop the event.
					exact = false
					continue
				}
				det.Status.Battery = uint32(f)
				exact = exact && float64(det.Status.Battery) == f
				n++
			}
		}
		exact = exact && n == 1 && len(d.s.attrs) == 1
	case ElemTakv:
		n := 0
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			switch string(a.name) {
			case "device":
				det.Takv.Device, err = d.astr(a, p.Takv.Device)
				n++
			case "platform":
				det.Takv.Platform, err = d.astr(a, p.Takv.Platform)
				n++
			case "os":
				det.Takv.OS, err = d.astr(a, p.Takv.OS)
				n++
			case "version":
				det.Takv.Version, err = d.astr(a, p.Takv.Version)
				n++
			}
			if err != nil {
				return false, err
			}
		}
		exact = exact && n == 4 && len(d.s.attrs) == 4
	case ElemTrack:
		n := 0
		bad := false
		for _, at := range d.s.attrs {
			a := d.s.view(at)
			var ferr error
			switch string(a.name) {
			case "course":
				det.Track.Course, ferr = parseFloat(a.value)
				n++
			case "speed":
				det.Track.Speed, ferr = parseFloat(a.value)
				n++
			}
			bad = bad || ferr != nil
		}
		if bad {
			// An unparsable course keeps the element verbatim, untyped.
			det.Has &^= ElemTrack
			det.Track = Track{}
			return false, nil
		}
		exact = exact && n == 2 && len(d.s.attrs) == 2
	case ElemRemarks:
		if textOnly {
			d.scratch, err = appendText(d.scratch[:0], inner)
			if err != nil {
				return false, err
			}
			if !validChars(d.scratch) {
				return false, ReasonBadChar
			}
			if string(d.scratch) == p.Remarks.Text {
				det.Remarks.Text = p.Remarks.Text
			} else {
				det.Remarks.Text = string(d.scratch)
			}
		}
		exact = textOnly && len(d.s.attrs) == 0 && !bytes.Contains(inner, []byte("<!--"))
	}
	if !exact {
		det.Raw |= bit
	}
	return exact, nil
}

func (d *Decoder) link(det *Detail, empty bool) (bool, error) {
	if len(det.Links) >= maxLinks {
		return false, nil
	}
	var l, old Link
	if len(det.Links) < cap(det.Links) {
		// The previous decode's link at this index, for string reuse.
		old = det.Links[: len(det.Links)+1 : len(det.Links)+1][len(det.Links)]
	}
	n := 0
	var err error
	for _, at := range d.s.attrs {
		a := d.s.view(at)
		switch string(a.name) {
		case "uid":
			l.UID, err = d.astr(a, old.UID)
			n++
		case "type":
			l.Type, err = d.astr(a, old.Type)
			n++
		case "relation":
			l.Relation, err = d.astr(a, old.Relation)
			n++
		}
		if err != nil {
			return false, err
		}
	}
	exact := empty && n == 3 && len(d.s.attrs) == 3
	l.inXML = !exact
	det.Has |= ElemLink
	if !exact {
		det.Raw |= ElemLink
	}
	det.Links = append(det.Links, l)
	return exact, nil
}

// astr is str for an attribute value whose entity scan is done.
func (d *Decoder) astr(a attrView, old string) (string, error) {
	if !a.amp {
		if string(a.value) == old {
			return old, nil
		}
		if !validChars(a.value) {
			return "", ReasonBadChar
		}
		return d.intern(a.value), nil
	}
	return d.str(a.value, old)
}

// str returns v (entities decoded) as a string, reusing old when equal.
func (d *Decoder) str(v []byte, old string) (string, error) {
	if bytes.IndexByte(v, '&') < 0 {
		if string(v) == old {
			return old, nil
		}
		if !validChars(v) {
			return "", ReasonBadChar
		}
		return d.intern(v), nil
	}
	var err error
	d.scratch, err = appendUnescape(d.scratch[:0], v)
	if err != nil {
		return "", err
	}
	if !validChars(d.scratch) {
		return "", ReasonBadChar
	}
	if string(d.scratch) == old {
		return old, nil
	}
	return string(d.scratch), nil
}

// validChars reports whether b is UTF-8 holding only characters XML 1.0
// allows: no C0 control other than tab, newline and carriage return.
// Strings we decode are checked so that whatever we accept we can write.
func validChars(b []byte) bool {
	for i, c := range b {
		if c < 0x20 {
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		} else if c >= 0x80 {
			return validUTF8Chars(b[i:])
		}
	}
	return true
}

func validUTF8Chars(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		b = b[n:]
	}
	return true
}

// attrView is an attribute's name and value as slices of the message.
type attrView struct {
	name, value []byte
	amp         bool
}

func (s *xscan) view(a attr) attrView {
	return attrView{name: s.b[a.n0:a.n1], value: s.b[a.v0:a.v1], amp: a.amp}
}

// xscan is a cursor over one XML message.
type xscan struct {
	b     []byte
	i     int
	attrs []attr   // attributes of the last start tag read by the decoder
	tmp   []attr   // attributes of nested tags skipped by content
	stack [][]byte // open element names in content
	// lastEndTag is the offset of the '<' of the end tag content found.
	lastEndTag int
}

func (s *xscan) hasPrefix(p string) bool {
	return len(s.b)-s.i >= len(p) && string(s.b[s.i:s.i+len(p)]) == p
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipMisc skips whitespace, comments and processing instructions, and
// an UTF-8 byte-order mark.
func (s *xscan) skipMisc() error {
	if s.hasPrefix("\xef\xbb\xbf") {
		s.i += 3
	}
	for {
		for s.i < len(s.b) && isSpaceByte(s.b[s.i]) {
			s.i++
		}
		if s.i >= len(s.b) || s.b[s.i] != '<' {
			return nil
		}
		switch {
		case s.hasPrefix("<?"):
			j := bytes.Index(s.b[s.i+2:], []byte("?>"))
			if j < 0 {
				return ReasonSyntax
			}
			s.i += 2 + j + 2
		case s.hasPrefix("<!--"):
			if err := s.skipComment(); err != nil {
				return err
			}
		case s.hasPrefix("<!"):
			return ReasonDoctype
		default:
			return nil
		}
	}
}

func (s *xscan) skipComment() error {
	j := bytes.Index(s.b[s.i+4:], []byte("-->"))
	if j < 0 {
		return ReasonSyntax
	}
	s.i += 4 + j + 3
	return nil
}

// skipSpecial skips a comment, CDATA section or processing instruction at
// s.i, reporting whether it did.
func (s *xscan) skipSpecial() (bool, error) {
	if s.i+1 >= len(s.b) || (s.b[s.i+1] != '!' && s.b[s.i+1] != '?') {
		return false, nil
	}
	switch {
	case s.hasPrefix("<!--"):
		return true, s.skipComment()
	case s.hasPrefix("<![CDATA["):
		j := bytes.Index(s.b[s.i+9:], []byte("]]>"))
		if j < 0 {
			return true, ReasonSyntax
		}
		s.i += 9 + j + 3
		return true, nil
	case s.hasPrefix("<?"):
		j := bytes.Index(s.b[s.i+2:], []byte("?>"))
		if j < 0 {
			return true, ReasonSyntax
		}
		s.i += 2 + j + 2
		return true, nil
	case s.hasPrefix("<!"):
		return true, ReasonDoctype
	}
	return false, nil
}

// skipText advances to the next '<' or the end.
func (s *xscan) skipText() {
	j := bytes.IndexByte(s.b[s.i:], '<')
	if j < 0 {
		s.i = len(s.b)
		return
	}
	s.i += j
}

// nameBytes marks the bytes allowed in XML names (any non-ASCII byte is
// accepted as part of a UTF-8 name character).
var nameBytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
	}
	return t
}()

func isNameByte(c byte) bool { return nameBytes[c] }

// name reads an XML name at s.i (possibly empty).
func (s *xscan) name() []byte {
	j := s.i
	for j < len(s.b) && isNameByte(s.b[j]) {
		j++
	}
	n := s.b[s.i:j]
	s.i = j
	return n
}

// endTagClose reads optional whitespace and the '>' of an end tag.
func (s *xscan) endTagClose() error {
	for s.i < len(s.b) && isSpaceByte(s.b[s.i]) {
		s.i++
	}
	if s.i >= len(s.b) || s.b[s.i] != '>' {
		return ReasonSyntax
	}
	s.i++
	return nil
}

// startTag reads a start tag after its '<': the name, the attributes
// (into *attrs) and '>' or '/>'. It works on locals and stores the
// cursor back once, which keeps the hot loop in registers.
func (s *xscan) startTag(attrs *[]attr) (name []byte, self bool, err error) {
	b, i := s.b, s.i
	start := i
	for i < len(b) && nameBytes[b[i]] {
		i++
	}
	if i == start {
		return nil, false, ReasonSyntax
	}
	name = b[start:i]
	as := (*attrs)[:0]
	for {
		sp := i
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, false, ReasonSyntax
		}
		switch b[i] {
		case '>':
			s.i = i + 1
			*attrs = as
			return name, false, nil
		case '/':
			if i+1 < len(b) && b[i+1] == '>' {
				s.i = i + 2
				*attrs = as
				return name, true, nil
			}
			return nil, false, ReasonSyntax
		}
		if i == sp || len(as) >= maxAttrsPerElement {
			// Attributes must be separated by whitespace.
			return nil, false, ReasonSyntax
		}
		n0 := i
		for i < len(b) && nameBytes[b[i]] {
			i++
		}
		if i == n0 {
			return nil, false, ReasonSyntax
		}
		n1 := i
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			return nil, false, ReasonSyntax
		}
		i++
		for i < len(b) && isSpaceByte(b[i]) {
			i++
		}
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return nil, false, ReasonSyntax
		}
		q := b[i]
		i++
		v0 := i
		amp := false
		for ; i < len(b); i++ {
			c := b[i]
			if c == q || c == '<' {
				break
			}
			if c == '&' {
				amp = true
			}
		}
		if i >= len(b) || b[i] != q {
			return nil, false, ReasonSyntax
		}
		as = append(as, attr{n0: int32(n0), n1: int32(n1), v0: int32(v0), v1: int32(i), amp: amp})
		i++
	}
}

// content skips the content of the element named name after its start
// tag, through its end tag, checking that tags nest. It sets lastEndTag to
// the offset of the closing "</" and reports whether the content was text
// only (text, entities and CDATA, no child elements).
func (s *xscan) content(name []byte) (textOnly bool, err error) {
	st := append(s.stack[:0], name)
	defer func() { s.stack = st[:0] }()
	textOnly = true
	for {
		j := bytes.IndexByte(s.b[s.i:], '<')
		if j < 0 {
			return false, ReasonSyntax
		}
		s.i += j
		if s.hasPrefix("</") {
			at := s.i
			s.i += 2
			n := s.name()
			if string(n) != string(st[len(st)-1]) {
				return false, ReasonSyntax
			}
			if err := s.endTagClose(); err != nil {
				return false, err
			}
			st = st[:len(st)-1]
			if len(st) == 0 {
				s.lastEndTag = at
				return textOnly, nil
			}
			continue
		}
		if s.hasPrefix("<![CDATA[") {
			if _, err := s.skipSpecial(); err != nil {
				return false, err
			}
			continue
		}
		if skipped, err := s.skipSpecial(); err != nil {
			return false, err
		} else if skipped {
			textOnly = false
			continue
		}
		textOnly = false
		s.i++
		n, self, err := s.startTag(&s.tmp)
		if err != nil {
			return false, err
		}
		if !self {
			if len(st) >= maxDetailDepth {
				return false, ReasonTooDeep
			}
			st = append(st, n)
		}
	}
}

// appendText appends element text content with entities and CDATA
// sections decoded.
func appendText(dst, b []byte) ([]byte, error) {
	for len(b) > 0 {
		j := bytes.Index(b, []byte("<![CDATA["))
		if j < 0 {
			return appendUnescape(dst, b)
		}
		var err error
		dst, err = appendUnescape(dst, b[:j])
		if err != nil {
			return dst, err
		}
		b = b[j+9:]
		k := bytes.Index(b, []byte("]]>"))
		if k < 0 {
			return dst, ReasonSyntax
		}
		dst = append(dst, b[:k]...)
		b = b[k+3:]
	}
	return dst, nil
}

// appendUnescape appends b with the predefined entities and character
// references decoded.
func appendUnescape(dst, b []byte) ([]byte, error) {
	for {
		j := bytes.IndexByte(b, '&')
		if j < 0 {
			return append(dst, b...), nil
		}
		dst = append(dst, b[:j]...)
		b = b[j+1:]
		k := bytes.IndexByte(b, ';')
		if k < 1 || k > 10 {
			return dst, ReasonEntity
		}
		ent := b[:k]
		b = b[k+1:]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "apos":
			dst = append(dst, '\'')
		case "quot":
			dst = append(dst, '"')
		default:
			if ent[0] != '#' || len(ent) < 2 {
				return dst, ReasonEntity
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) {
				return dst, ReasonEntity
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
	}
}
