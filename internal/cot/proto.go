package cot

import (
	"encoding/binary"
	"math"
	"time"
)

// TAK Protocol v1 is protobuf (proto3) in package
// atakmap.commoncommo.protobuf.v1. The codec below writes and reads the
// wire format by hand for the messages we need:
//
//	TakMessage { TakControl takControl = 1; CotEvent cotEvent = 2;
//	             uint64 submissionTime = 3; uint64 creationTime = 4; }
//	TakControl { uint32 minProtoVersion = 1; uint32 maxProtoVersion = 2; string contactUid = 3; }
//	CotEvent   { string type = 1; access = 2; qos = 3; opex = 4; uid = 5;
//	             uint64 sendTime = 6; startTime = 7; staleTime = 8; string how = 9;
//	             double lat = 10; lon = 11; hae = 12; ce = 13; le = 14;
//	             Detail detail = 15; string caveat = 16; string releaseableTo = 17; }
//	Detail     { string xmlDetail = 1; Contact contact = 2; Group group = 3;
//	             PrecisionLocation precisionLocation = 4; Status status = 5;
//	             Takv takv = 6; Track track = 7; }
//	Contact { string endpoint = 1; callsign = 2; }   Group { string name = 1; role = 2; }
//	PrecisionLocation { string geopointsrc = 1; altsrc = 2; }   Status { uint32 battery = 1; }
//	Takv { string device = 1; platform = 2; os = 3; version = 4; }
//	Track { double speed = 1; course = 2; }
//
// Times are milliseconds since the Unix epoch.

const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5

	// maxMillis is 9999-12-31T23:59:59.999Z, the last time CoT XML can write.
	maxMillis = 253402300799999
)

// Magic is the first byte of every TAK protobuf frame.
const Magic = 0xBF

// MeshHeader precedes a TakMessage in a mesh (UDP) datagram: magic,
// version 1, magic.
var MeshHeader = [3]byte{Magic, 0x01, Magic}

// AppendProto appends ev as a TakMessage holding one CotEvent.
func AppendProto(dst []byte, ev *Event) []byte {
	mark := len(dst)
	dst = appendTag(dst, 2, wireBytes)
	body := len(dst)
	dst = appendCotEvent(dst, ev)
	return closeLen(dst, mark, body)
}

// AppendStreamFrame appends ev as a streaming TAK protobuf frame: 0xBF,
// the payload length as a uvarint, the TakMessage.
func AppendStreamFrame(dst []byte, ev *Event) []byte {
	dst = append(dst, Magic)
	mark := len(dst)
	dst = AppendProto(dst, ev)
	return insertLen(dst, mark)
}

// AppendMeshFrame appends ev as a mesh datagram: 0xBF 0x01 0xBF and the
// TakMessage.
func AppendMeshFrame(dst []byte, ev *Event) []byte {
	dst = append(dst, MeshHeader[:]...)
	return AppendProto(dst, ev)
}

func appendCotEvent(dst []byte, ev *Event) []byte {
	dst = appendString(dst, 1, ev.Type)
	dst = appendString(dst, 2, ev.Access)
	dst = appendString(dst, 3, ev.QoS)
	dst = appendString(dst, 4, ev.Opex)
	dst = appendString(dst, 5, ev.UID)
	dst = appendUint(dst, 6, millis(ev.Time))
	dst = appendUint(dst, 7, millis(ev.Start))
	dst = appendUint(dst, 8, millis(ev.Stale))
	dst = appendString(dst, 9, ev.How)
	dst = appendDouble(dst, 10, ev.Point.Lat)
	dst = appendDouble(dst, 11, ev.Point.Lon)
	dst = appendDouble(dst, 12, ev.Point.HAE)
	dst = appendDouble(dst, 13, ev.Point.CE)
	dst = appendDouble(dst, 14, ev.Point.LE)
	d := &ev.Detail
	if d.Has != 0 || d.XML != "" {
		mark := len(dst)
		dst = appendTag(dst, 15, wireBytes)
		body := len(dst)
		dst = appendDetailProto(dst, d)
		dst = closeLen(dst, mark, body)
	}
	dst = appendString(dst, 16, ev.Caveat)
	dst = appendString(dst, 17, ev.ReleasableTo)
	return dst
}

func appendDetailProto(dst []byte, d *Detail) []byte {
	typed := d.Has &^ d.Raw
	if d.XML != "" || typed&^protoTyped != 0 {
		mark := len(dst)
		dst = appendTag(dst, 1, wireBytes)
		body := len(dst)
		dst = appendDetailXML(dst, d, true)
		dst = closeLen(dst, mark, body)
	}
	if typed&ElemContact != 0 {
		var body int
		dst, body = openSub(dst, 2)
		dst = appendString(dst, 1, d.Contact.Endpoint)
		dst = appendString(dst, 2, d.Contact.Callsign)
		dst = insertLen(dst, body)
	}
	if typed&ElemGroup != 0 {
		var body int
		dst, body = openSub(dst, 3)
		dst = appendString(dst, 1, d.Group.Name)
		dst = appendString(dst, 2, d.Group.Role)
		dst = insertLen(dst, body)
	}
	if typed&ElemPrecisionLocation != 0 {
		var body int
		dst, body = openSub(dst, 4)
		dst = appendString(dst, 1, d.PrecisionLocation.GeoPointSrc)
		dst = appendString(dst, 2, d.PrecisionLocation.AltSrc)
		dst = insertLen(dst, body)
	}
	if typed&ElemStatus != 0 {
		var body int
		dst, body = openSub(dst, 5)
		dst = appendUint(dst, 1, uint64(d.Status.Battery))
		dst = insertLen(dst, body)
	}
	if typed&ElemTakv != 0 {
		var body int
		dst, body = openSub(dst, 6)
		dst = appendString(dst, 1, d.Takv.Device)
		dst = appendString(dst, 2, d.Takv.Platform)
		dst = appendString(dst, 3, d.Takv.OS)
		dst = appendString(dst, 4, d.Takv.Version)
		dst = insertLen(dst, body)
	}
	if typed&ElemTrack != 0 {
		var body int
		dst, body = openSub(dst, 7)
		dst = appendDouble(dst, 1, d.Track.Speed)
		dst = appendDouble(dst, 2, d.Track.Course)
		dst = insertLen(dst, body)
	}
	return dst
}

func millis(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}

func appendTag(dst []byte, field, wire int) []byte {
	return binary.AppendUvarint(dst, uint64(field)<<3|uint64(wire))
}

func appendString(dst []byte, field int, s string) []byte {
	if s == "" {
		return dst
	}
	dst = appendTag(dst, field, wireBytes)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendUint(dst []byte, field int, v uint64) []byte {
	if v == 0 {
		return dst
	}
	dst = appendTag(dst, field, wireVarint)
	return binary.AppendUvarint(dst, v)
}

func appendDouble(dst []byte, field int, f float64) []byte {
	if f == 0 && !math.Signbit(f) {
		return dst
	}
	dst = appendTag(dst, field, wire64)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// openSub starts a length-delimited field and returns where its body
// starts; insertLen closes it.
func openSub(dst []byte, field int) ([]byte, int) {
	dst = appendTag(dst, field, wireBytes)
	return dst, len(dst)
}

// closeLen finishes a length-delimited field whose tag starts at mark
// and whose body starts at body: it inserts the body length.
func closeLen(dst []byte, mark, body int) []byte {
	_ = mark
	return insertLen(dst, body)
}

// insertLen inserts, at offset at, the uvarint length of dst[at:].
func insertLen(dst []byte, at int) []byte {
	n := len(dst) - at
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(n))
	dst = append(dst, tmp[:k]...)
	copy(dst[at+k:], dst[at:at+n])
	copy(dst[at:], tmp[:k])
	return dst
}

// DecodeProto decodes a TakMessage payload (no frame header) into ev.
// A TakMessage without a CotEvent (mesh TakControl) is ReasonProtoNoEvent.
// Detail children carried in xmlDetail win over typed ones, as TAK's
// detail.proto specifies.
func (d *Decoder) DecodeProto(payload []byte, ev *Event) error {
	d.prev = *ev
	ev.Reset()
	d.raw = d.raw[:0]
	var cot []byte
	found := false
	for b := payload; len(b) > 0; {
		field, wire, v, rest, ok := nextField(b)
		if !ok {
			return ReasonProto
		}
		b = rest
		if field == 2 && wire == wireBytes {
			cot, found = v, true
		}
	}
	if !found {
		return ReasonProtoNoEvent
	}
	if err := d.cotEvent(cot, ev); err != nil {
		return err
	}
	if ev.UID == "" || ev.Type == "" {
		return ReasonMissingField
	}
	if hasBadString(ev) {
		return ReasonBadChar
	}
	ev.Version = defaultVersion
	return nil
}

func hasBadString(ev *Event) bool {
	d := &ev.Detail
	for _, s := range [...]string{ev.Type, ev.Access, ev.QoS, ev.Opex, ev.UID, ev.How, ev.Caveat, ev.ReleasableTo,
		d.Contact.Callsign, d.Contact.Endpoint, d.Group.Name, d.Group.Role,
		d.PrecisionLocation.GeoPointSrc, d.PrecisionLocation.AltSrc,
		d.Takv.Device, d.Takv.Platform, d.Takv.OS, d.Takv.Version} {
		if s == badString {
			return true
		}
	}
	return false
}

// DecodeProto decodes a TakMessage payload into ev with a fresh Decoder.
func DecodeProto(payload []byte, ev *Event) error {
	var d Decoder
	return d.DecodeProto(payload, ev)
}

func (d *Decoder) cotEvent(b []byte, ev *Event) error {
	p := &d.prev
	var detail []byte
	haveDetail := false
	for len(b) > 0 {
		field, wire, v, rest, ok := nextField(b)
		if !ok {
			return ReasonProto
		}
		b = rest
		want := wireBytes
		switch field {
		case 6, 7, 8:
			want = wireVarint
		case 10, 11, 12, 13, 14:
			want = wire64
		case 1, 2, 3, 4, 5, 9, 15, 16, 17:
		default:
			continue
		}
		if wire != want {
			return ReasonProto
		}
		switch field {
		case 1:
			ev.Type = d.pstr(v, p.Type)
		case 2:
			ev.Access = d.pstr(v, p.Access)
		case 3:
			ev.QoS = d.pstr(v, p.QoS)
		case 4:
			ev.Opex = d.pstr(v, p.Opex)
		case 5:
			ev.UID = d.pstr(v, p.UID)
		case 6, 7, 8:
			t, err := fromMillis(v)
			if err != nil {
				return err
			}
			switch field {
			case 6:
				ev.Time = t
			case 7:
				ev.Start = t
			default:
				ev.Stale = t
			}
		case 9:
			ev.How = d.pstr(v, p.How)
		case 10:
			ev.Point.Lat = f64(v)
		case 11:
			ev.Point.Lon = f64(v)
		case 12:
			ev.Point.HAE = f64(v)
		case 13:
			ev.Point.CE = f64(v)
		case 14:
			ev.Point.LE = f64(v)
		case 15:
			detail, haveDetail = v, true
		case 16:
			ev.Caveat = d.pstr(v, p.Caveat)
		case 17:
			ev.ReleasableTo = d.pstr(v, p.ReleasableTo)
		}
	}
	if haveDetail {
		return d.detailProto(detail, ev)
	}
	return nil
}

// detailProto decodes Detail: xmlDetail first, so its children win, then
// the typed messages for children it did not carry.
func (d *Decoder) detailProto(b []byte, ev *Event) error {
	det := &ev.Detail
	p := &d.prev.Detail
	var sub [8][]byte
	var have Elem
	bits := [8]Elem{0, 0, ElemContact, ElemGroup, ElemPrecisionLocation, ElemStatus, ElemTakv, ElemTrack}
	for len(b) > 0 {
		field, wire, v, rest, ok := nextField(b)
		if !ok {
			return ReasonProto
		}
		b = rest
		if field < 1 || field > 7 {
			continue
		}
		if wire != wireBytes {
			return ReasonProto
		}
		sub[field] = v
		if field == 1 {
			continue
		}
		have |= bits[field]
	}
	if len(sub[1]) > 0 {
		s := &d.s
		s.b, s.i = sub[1], 0
		err := d.detailChildren(s, ev, true)
		s.b = nil
		if err != nil {
			return err
		}
		if len(d.raw) > 0 {
			if string(d.raw) == p.XML {
				det.XML = p.XML
			} else {
				det.XML = d.intern(d.raw)
			}
		}
	}
	have &^= det.Has
	det.Has |= have
	for field := 2; field <= 7; field++ {
		if have&bits[field] == 0 {
			continue
		}
		for b := sub[field]; len(b) > 0; {
			f, wire, v, rest, ok := nextField(b)
			if !ok {
				return ReasonProto
			}
			b = rest
			if err := d.detailField(det, field, f, wire, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// detailField sets field f of the typed Detail submessage number msg.
func (d *Decoder) detailField(det *Detail, msg, f, wire int, v []byte) error {
	p := &d.prev.Detail
	switch msg {
	case 5:
		if f == 1 {
			if wire != wireVarint {
				return ReasonProto
			}
			x, _ := binary.Uvarint(v)
			det.Status.Battery = uint32(x)
		}
		return nil
	case 7:
		if f == 1 || f == 2 {
			if wire != wire64 {
				return ReasonProto
			}
			if f == 1 {
				det.Track.Speed = f64(v)
			} else {
				det.Track.Course = f64(v)
			}
		}
		return nil
	}
	if wire != wireBytes {
		return nil
	}
	switch msg*10 + f {
	case 21:
		det.Contact.Endpoint = d.pstr(v, p.Contact.Endpoint)
	case 22:
		det.Contact.Callsign = d.pstr(v, p.Contact.Callsign)
	case 31:
		det.Group.Name = d.pstr(v, p.Group.Name)
	case 32:
		det.Group.Role = d.pstr(v, p.Group.Role)
	case 41:
		det.PrecisionLocation.GeoPointSrc = d.pstr(v, p.PrecisionLocation.GeoPointSrc)
	case 42:
		det.PrecisionLocation.AltSrc = d.pstr(v, p.PrecisionLocation.AltSrc)
	case 61:
		det.Takv.Device = d.pstr(v, p.Takv.Device)
	case 62:
		det.Takv.Platform = d.pstr(v, p.Takv.Platform)
	case 63:
		det.Takv.OS = d.pstr(v, p.Takv.OS)
	case 64:
		det.Takv.Version = d.pstr(v, p.Takv.Version)
	}
	return nil
}

// nextField reads one field. For varints v is the varint's bytes, for
// fixed64/32 the raw bytes, for length-delimited the content.
func nextField(b []byte) (field, wire int, v, rest []byte, ok bool) {
	tag, n := binary.Uvarint(b)
	if n <= 0 || tag>>3 == 0 || tag>>3 > 1<<29-1 {
		return 0, 0, nil, nil, false
	}
	field, wire = int(tag>>3), int(tag&7)
	b = b[n:]
	switch wire {
	case wireVarint:
		_, m := binary.Uvarint(b)
		if m <= 0 {
			return 0, 0, nil, nil, false
		}
		return field, wire, b[:m], b[m:], true
	case wire64:
		if len(b) < 8 {
			return 0, 0, nil, nil, false
		}
		return field, wire, b[:8], b[8:], true
	case wire32:
		if len(b) < 4 {
			return 0, 0, nil, nil, false
		}
		return field, wire, b[:4], b[4:], true
	case wireBytes:
		l, m := binary.Uvarint(b)
		if m <= 0 || l > uint64(len(b)-m) {
			return 0, 0, nil, nil, false
		}
		end := m + int(l)
		return field, wire, b[m:end], b[end:], true
	}
	return 0, 0, nil, nil, false
}

func fromMillis(v []byte) (time.Time, error) {
	ms, _ := binary.Uvarint(v)
	if ms == 0 {
		return time.Time{}, nil
	}
	if ms > maxMillis {
		return time.Time{}, ReasonBadTime
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

func f64(v []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(v)) }

func (d *Decoder) pstr(v []byte, old string) string {
	if string(v) == old {
		return old
	}
	if !validChars(v) {
		// Flagged by DecodeProto through hasBadString.
		return badString
	}
	return d.intern(v)
}

// badString marks a protobuf string XML cannot carry.
const badString = "\x00"
