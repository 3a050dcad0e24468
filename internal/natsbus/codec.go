package natsbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/borderwatch/borderwatch"
)

// The observation batch encoding ("bwob/1") carries many observations in
// one JetStream message. It is documented in docs/performance/natsbus.md
// and summarised here:
//
//	batch  = magic "BWO" version(1) *record
//	record = uvarint(len(body)) body
//	body   = uvarint(flags) string(ID) varint(unix s) uvarint(ns)
//	         string(source.id) string(source.kind)
//	         [pos: f64 lat f64 lon] [cov: f64 ee f64 en f64 nn]
//	         [bearing: f64 lat f64 lon f64 az f64 azσ f64 r f64 rσ]
//	         [alt: f64] [velocity: f64 e f64 n]
//	         string(class) f64(confidence)
//	         [unit: string(unit id)] [stale: varint s uvarint ns]
//	         [attrs: uvarint n, n × (string k, string v), keys sorted]
//	         string(label.owner) uvarint n n×string(releasable) string(handling)
//	string = uvarint(len) bytes;  f64 = IEEE-754 little endian
//
// Bracketed parts are present when their flag bit is set. Records are
// self-delimiting, so a batch is the concatenation of any records and a
// decoder of a newer version can skip trailing fields it does not know.

const (
	batchMagic   = "BWO"
	batchVersion = 1
	// batchVersionS2 is a v1 record stream compressed as one S2 block:
	// "BWO" 0x02 s2(*record).
	batchVersionS2 = 2
	batchHeader    = len(batchMagic) + 1
	// maxDecoded bounds what a compressed batch may expand to.
	maxDecoded = 64 << 20
)

// CompressObservations turns an encoded batch (EncodeObservations) into
// its S2-compressed form (version 2); anything else is returned as is. Batches of
// observations compress about 3:1, which cuts the bytes the log writes
// and fsyncs.
func CompressObservations(batch []byte) []byte {
	if len(batch) < batchHeader || string(batch[:len(batchMagic)]) != batchMagic || batch[len(batchMagic)] != batchVersion {
		return batch
	}
	src := batch[batchHeader:]
	out := make([]byte, batchHeader+s2.MaxEncodedLen(len(src)))
	copy(out, batchMagic)
	out[len(batchMagic)] = batchVersionS2
	enc := s2.Encode(out[batchHeader:], src)
	return out[:batchHeader+len(enc)]
}

// records returns the v1 record stream of a batch of either version.
func records(data []byte) ([]byte, error) {
	if len(data) < batchHeader || string(data[:len(batchMagic)]) != batchMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrBadBatch)
	}
	switch data[len(batchMagic)] {
	case batchVersion:
		return data[batchHeader:], nil
	case batchVersionS2:
		n, err := s2.DecodedLen(data[batchHeader:])
		if err != nil || n > maxDecoded {
			return nil, fmt.Errorf("%w: compressed block (%d bytes decoded)", ErrBadBatch, n)
		}
		out, err := s2.Decode(make([]byte, n), data[batchHeader:])
		if err != nil {
			return nil, fmt.Errorf("%w: compressed block: %v", ErrBadBatch, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: version %d, want %d or %d", ErrBadBatch, data[len(batchMagic)], batchVersion, batchVersionS2)
}

const (
	flagPos uint64 = 1 << iota
	flagCov
	flagBearing
	flagAlt
	flagVelocity
	flagFriendly
	flagUnit
	flagStale
	flagAttrs
	flagExercise
)

// ErrBadBatch is returned for bytes that are not a valid observation batch.
var ErrBadBatch = errors.New("natsbus: malformed observation batch")

// EncodeObservations appends one batch message holding obs to dst.
func EncodeObservations(dst []byte, obs []borderwatch.Observation) []byte {
	dst = appendBatchHeader(dst)
	for i := range obs {
		dst = appendRecord(dst, &obs[i])
	}
	return dst
}

// appendBatchHeader starts a batch.
func appendBatchHeader(b []byte) []byte {
	return append(append(b, batchMagic...), batchVersion)
}

// appendRecord appends one length-prefixed observation record to b.
func appendRecord(b []byte, o *borderwatch.Observation) []byte {
	// Reserve a 3-byte length prefix (bodies < 2 MiB, which is more than any
	// message); shift if the body turns out shorter or longer.
	start := len(b)
	b = append(b, 0, 0, 0)
	b = appendBody(b, o)
	n := len(b) - start - 3
	var lenBuf [binary.MaxVarintLen64]byte
	ln := binary.PutUvarint(lenBuf[:], uint64(n))
	switch {
	case ln == 3:
	case ln < 3:
		copy(b[start+ln:], b[start+3:])
		b = b[:len(b)-(3-ln)]
	default:
		b = append(b, make([]byte, ln-3)...)
		copy(b[start+ln:], b[start+3:start+3+n])
	}
	copy(b[start:], lenBuf[:ln])
	return b
}

func appendBody(b []byte, o *borderwatch.Observation) []byte {
	var flags uint64
	if o.Position != nil {
		flags |= flagPos
	}
	if o.Cov != (borderwatch.Cov2{}) {
		flags |= flagCov
	}
	if o.Bearing != nil {
		flags |= flagBearing
	}
	if o.Alt != nil {
		flags |= flagAlt
	}
	if o.Velocity != nil {
		flags |= flagVelocity
	}
	if o.Friendly {
		flags |= flagFriendly
	}
	if o.UnitID != "" {
		flags |= flagUnit
	}
	if !o.Stale.IsZero() {
		flags |= flagStale
	}
	if len(o.Attrs) > 0 {
		flags |= flagAttrs
	}
	if o.Exercise {
		flags |= flagExercise
	}
	b = binary.AppendUvarint(b, flags)
	b = appendString(b, o.ID)
	b = appendTime(b, o.Time)
	b = appendString(b, o.Source.ID)
	b = appendString(b, string(o.Source.Kind))
	if o.Position != nil {
		b = appendF64(b, o.Position.Lat)
		b = appendF64(b, o.Position.Lon)
	}
	if flags&flagCov != 0 {
		b = appendF64(b, o.Cov.EE)
		b = appendF64(b, o.Cov.EN)
		b = appendF64(b, o.Cov.NN)
	}
	if br := o.Bearing; br != nil {
		b = appendF64(b, br.Sensor.Lat)
		b = appendF64(b, br.Sensor.Lon)
		b = appendF64(b, br.Azimuth)
		b = appendF64(b, br.AzimuthSigma)
		b = appendF64(b, br.Range)
		b = appendF64(b, br.RangeSigma)
	}
	if o.Alt != nil {
		b = appendF64(b, *o.Alt)
	}
	if v := o.Velocity; v != nil {
		b = appendF64(b, v.East)
		b = appendF64(b, v.North)
	}
	b = appendString(b, string(o.Class))
	b = appendF64(b, o.Confidence)
	if flags&flagUnit != 0 {
		b = appendString(b, o.UnitID)
	}
	if flags&flagStale != 0 {
		b = appendTime(b, o.Stale)
	}
	if flags&flagAttrs != 0 {
		b = binary.AppendUvarint(b, uint64(len(o.Attrs)))
		if len(o.Attrs) == 1 {
			for k, v := range o.Attrs {
				b = appendString(appendString(b, k), v)
			}
		} else {
			keys := make([]string, 0, len(o.Attrs))
			for k := range o.Attrs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				b = appendString(appendString(b, k), o.Attrs[k])
			}
		}
	}
	b = appendString(b, string(o.Label.Owner))
	b = binary.AppendUvarint(b, uint64(len(o.Label.ReleasableTo)))
	for _, a := range o.Label.ReleasableTo {
		b = appendString(b, string(a))
	}
	b = appendString(b, o.Label.Handling)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// DecodeObservations appends the observations of one batch message to dst.
// Times decode in UTC. It never panics on malformed input: it returns
// ErrBadBatch (wrapped with the offset) and the observations decoded so far.
func DecodeObservations(data []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	data, err := records(data)
	if err != nil {
		return dst, err
	}
	off := 0
	// Shared across the batch: interned strings (sources, agencies repeat)
	// and a slab for positions, so a record costs few allocations.
	var sh shared
	for off < len(data) {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || n > uint64(len(data)-off-k) {
			return dst, fmt.Errorf("%w: record length at offset %d", ErrBadBatch, off)
		}
		off += k
		dst = append(dst, borderwatch.Observation{})
		d := decoder{b: data[off : off+int(n)], sh: &sh}
		d.body(&dst[len(dst)-1])
		if d.err {
			return dst[:len(dst)-1], fmt.Errorf("%w: record at offset %d", ErrBadBatch, off)
		}
		off += int(n)
	}
	return dst, nil
}

// CountObservations returns the number of records in a batch without
// decoding them.
func CountObservations(data []byte) (int, error) {
	data, err := records(data)
	if err != nil {
		return 0, err
	}
	c := 0
	for off := 0; off < len(data); c++ {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || n > uint64(len(data)-off-k) {
			return c, ErrBadBatch
		}
		off += k + int(n)
	}
	return c, nil
}

type decoder struct {
	b   []byte
	err bool
	sh  *shared
}

type shared struct {
	strs map[string]string
	pos  []borderwatch.LatLon
}

// intern returns b as a string, reusing an earlier copy of equal bytes.
func (d *decoder) intern() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	if len(b) > 64 {
		return string(b)
	}
	if d.sh.strs == nil {
		d.sh.strs = make(map[string]string, 16)
	}
	if s, ok := d.sh.strs[string(b)]; ok {
		return s
	}
	if len(d.sh.strs) >= 1024 {
		return string(b)
	}
	s := string(b)
	d.sh.strs[s] = s
	return s
}

func (d *decoder) latLon(lat, lon float64) *borderwatch.LatLon {
	if len(d.sh.pos) == cap(d.sh.pos) {
		d.sh.pos = make([]borderwatch.LatLon, 0, 64)
	}
	d.sh.pos = append(d.sh.pos, borderwatch.LatLon{Lat: lat, Lon: lon})
	return &d.sh.pos[len(d.sh.pos)-1]
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) f64() float64 {
	if len(d.b) < 8 {
		d.err = true
		d.b = nil
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) time() time.Time {
	s := d.varint()
	ns := d.uvarint()
	if ns >= 1e9 || s < zeroUnix || s > maxUnix {
		d.err = true
		return time.Time{}
	}
	if s == zeroUnix && ns == 0 {
		return time.Time{}
	}
	return time.Unix(s, int64(ns)).UTC()
}

// Times are bounded to years 1..9999 so they round-trip exactly.
var (
	zeroUnix = time.Time{}.Unix()
	maxUnix  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

// kind and class intern the well-known values so decoding them does not
// allocate.
func (d *decoder) kind() borderwatch.SourceKind {
	b := d.bytes()
	for _, k := range knownKinds {
		if string(k) == string(b) {
			return k
		}
	}
	return borderwatch.SourceKind(b)
}

func (d *decoder) class() borderwatch.Class {
	b := d.bytes()
	for _, c := range knownClasses {
		if string(c) == string(b) {
			return c
		}
	}
	return borderwatch.Class(b)
}

var knownKinds = [...]borderwatch.SourceKind{
	borderwatch.SourceThermalCamera, borderwatch.SourceRadar, borderwatch.SourceGroundSensor,
	borderwatch.SourceFence, borderwatch.SourceDrone, borderwatch.SourcePatrol,
	borderwatch.SourceWatchtower, borderwatch.SourceIntel, borderwatch.SourceExternal,
}

var knownClasses = [...]borderwatch.Class{
	borderwatch.ClassUnknown, borderwatch.ClassPerson, borderwatch.ClassVehicle,
	borderwatch.ClassAnimal, borderwatch.ClassAircraft,
}

func (d *decoder) body(o *borderwatch.Observation) {
	flags := d.uvarint()
	o.ID = d.str()
	o.Time = d.time()
	o.Source.ID = d.intern()
	o.Source.Kind = d.kind()
	if flags&flagPos != 0 {
		lat := d.f64()
		o.Position = d.latLon(lat, d.f64())
	}
	if flags&flagCov != 0 {
		o.Cov = borderwatch.Cov2{EE: d.f64(), EN: d.f64(), NN: d.f64()}
	}
	if flags&flagBearing != 0 {
		o.Bearing = &borderwatch.Bearing{
			Sensor:  borderwatch.LatLon{Lat: d.f64(), Lon: d.f64()},
			Azimuth: d.f64(), AzimuthSigma: d.f64(), Range: d.f64(), RangeSigma: d.f64(),
		}
	}
	if flags&flagAlt != 0 {
		a := d.f64()
		o.Alt = &a
	}
	if flags&flagVelocity != 0 {
		o.Velocity = &borderwatch.Velocity{East: d.f64(), North: d.f64()}
	}
	o.Class = d.class()
	o.Confidence = d.f64()
	o.Friendly = flags&flagFriendly != 0
	o.Exercise = flags&flagExercise != 0
	if flags&flagUnit != 0 {
		o.UnitID = d.intern()
	}
	if flags&flagStale != 0 {
		o.Stale = d.time()
	}
	if flags&flagAttrs != 0 {
		n := d.uvarint()
		// Each pair takes at least two bytes: bound the map by the input.
		if n > uint64(len(d.b))/2 {
			d.err = true
			return
		}
		o.Attrs = make(map[string]string, n)
		for range n {
			k := d.str()
			o.Attrs[k] = d.str()
		}
	}
	o.Label.Owner = borderwatch.Agency(d.intern())
	if n := d.uvarint(); n > 0 {
		if n > uint64(len(d.b)) {
			d.err = true
			return
		}
		o.Label.ReleasableTo = make([]borderwatch.Agency, n)
		for i := range o.Label.ReleasableTo {
			o.Label.ReleasableTo[i] = borderwatch.Agency(d.intern())
		}
	}
	o.Label.Handling = d.str()
	// Trailing bytes are fields of a newer minor version: skipped.
}
