package mavlink

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire constants of MAVLink 1 and 2 framing.
const (
	MagicV1 = 0xFE // start byte of a MAVLink 1 frame
	MagicV2 = 0xFD // start byte of a MAVLink 2 frame

	headerLenV1    = 6  // magic, len, seq, sysid, compid, msgid
	headerLenV2    = 10 // magic, len, incompat, compat, seq, sysid, compid, msgid[3]
	checksumLen    = 2
	signatureLen   = 13 // link id, 48-bit timestamp, 48-bit signature
	maxPayloadLen  = 255
	MaxFrameLen    = headerLenV2 + maxPayloadLen + checksumLen + signatureLen // 280
	incompatSigned = 0x01                                                     // MAVLINK_IFLAG_SIGNED
)

// Reason names why a frame or datagram was dropped. It is the label value
// of the malformed counter.
type Reason string

// Drop reasons.
const (
	// ReasonGarbage: bytes before a start byte (one count per skipped run).
	ReasonGarbage Reason = "garbage"
	// ReasonCRC: the checksum did not match; the parser resyncs one byte on.
	ReasonCRC Reason = "bad_crc"
	// ReasonFlags: a MAVLink 2 frame with incompatibility flags we cannot parse.
	ReasonFlags Reason = "bad_incompat_flags"
	// ReasonUnknown: a well-framed message whose id this package does not
	// know (its CRC cannot be checked). Counted, not an error of the sender.
	ReasonUnknown Reason = "unknown_message"
	// ReasonTruncated: a datagram ended inside a frame that never completed.
	ReasonTruncated Reason = "truncated"
	// ReasonNoHeartbeat: telemetry from a system that has not sent a
	// HEARTBEAT from an autopilot yet.
	ReasonNoHeartbeat Reason = "no_heartbeat"
	// ReasonTooManyVehicles: a new vehicle beyond Options.MaxVehicles.
	ReasonTooManyVehicles Reason = "too_many_vehicles"
	// ReasonTooManyChannels: a datagram from a new remote address beyond
	// Options.MaxChannels.
	ReasonTooManyChannels Reason = "too_many_channels"
	// ReasonTooLarge: a datagram over MaxDatagram bytes.
	ReasonTooLarge Reason = "too_large"
	// ReasonPanic: a bug while handling a datagram; it was dropped.
	ReasonPanic Reason = "internal_panic"
	// ReasonRateLimited: a channel sent more than Options.MaxRate messages in a second.
	ReasonRateLimited Reason = "rate_limited"
)

// ErrShort reports that b holds the start of a frame but not all of it.
var ErrShort = errors.New("mavlink: short frame")

// FrameError is a frame that must be dropped. Skip is how many bytes the
// caller should discard before looking for the next frame.
type FrameError struct {
	Reason    Reason
	MessageID uint32
	Skip      int
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("mavlink: %s (msgid %d)", e.Reason, e.MessageID)
}

// Frame is one decoded MAVLink frame. Payload and Signature alias the
// decoded buffer; Payload may be shorter than the message's wire length
// (MAVLink 2 trailing-zero truncation) and is read zero-extended.
type Frame struct {
	Version       uint8 // 1 or 2
	IncompatFlags uint8
	CompatFlags   uint8
	Seq           uint8
	SystemID      uint8
	ComponentID   uint8
	MessageID     uint32
	Payload       []byte
	// Signature is the 13-byte MAVLink 2 signature block when the frame is
	// signed. It is not verified.
	Signature []byte
}

// Signed reports whether the frame carries a MAVLink 2 signature.
func (f *Frame) Signed() bool { return f.IncompatFlags&incompatSigned != 0 }

// Decode decodes the frame at the start of b. b must begin with a start
// byte. It returns the frame and the number of bytes it occupied; ErrShort
// when b ends inside the frame; a *FrameError (with Skip) when the frame
// must be dropped.
func Decode(b []byte) (Frame, int, error) {
	if len(b) < 2 {
		return Frame{}, 0, ErrShort
	}
	switch b[0] {
	case MagicV2:
		if len(b) < headerLenV2 {
			return Frame{}, 0, ErrShort
		}
		plen := int(b[1])
		incompat := b[2]
		msgid := uint32(b[7]) | uint32(b[8])<<8 | uint32(b[9])<<16
		if incompat&^incompatSigned != 0 {
			return Frame{}, 0, &FrameError{Reason: ReasonFlags, MessageID: msgid, Skip: 1}
		}
		n := headerLenV2 + plen + checksumLen
		if incompat&incompatSigned != 0 {
			n += signatureLen
		}
		if len(b) < n {
			return Frame{}, 0, ErrShort
		}
		end := headerLenV2 + plen
		extra, ok := crcExtra(msgid)
		if !ok {
			return Frame{}, 0, &FrameError{Reason: ReasonUnknown, MessageID: msgid, Skip: n}
		}
		crc := crcAccumulate(crcAccumulateBytes(crcInit, b[1:end]), extra)
		if crc != binary.LittleEndian.Uint16(b[end:]) {
			return Frame{}, 0, &FrameError{Reason: ReasonCRC, MessageID: msgid, Skip: 1}
		}
		f := Frame{
			Version:       2,
			IncompatFlags: incompat,
			CompatFlags:   b[3],
			Seq:           b[4],
			SystemID:      b[5],
			ComponentID:   b[6],
			MessageID:     msgid,
			Payload:       b[headerLenV2:end:end],
		}
		if incompat&incompatSigned != 0 {
			f.Signature = b[end+checksumLen : n : n]
		}
		return f, n, nil
	case MagicV1:
		if len(b) < headerLenV1 {
			return Frame{}, 0, ErrShort
		}
		plen := int(b[1])
		msgid := uint32(b[5])
		n := headerLenV1 + plen + checksumLen
		if len(b) < n {
			return Frame{}, 0, ErrShort
		}
		end := headerLenV1 + plen
		extra, ok := crcExtra(msgid)
		if !ok {
			return Frame{}, 0, &FrameError{Reason: ReasonUnknown, MessageID: msgid, Skip: n}
		}
		crc := crcAccumulate(crcAccumulateBytes(crcInit, b[1:end]), extra)
		if crc != binary.LittleEndian.Uint16(b[end:]) {
			return Frame{}, 0, &FrameError{Reason: ReasonCRC, MessageID: msgid, Skip: 1}
		}
		return Frame{
			Version:     1,
			Seq:         b[2],
			SystemID:    b[3],
			ComponentID: b[4],
			MessageID:   msgid,
			Payload:     b[headerLenV1:end:end],
		}, n, nil
	}
	return Frame{}, 0, &FrameError{Reason: ReasonGarbage, Skip: 1}
}

// Header is what a sender puts around a message.
type Header struct {
	// Version is 2 (the default when zero) or 1. MAVLink 1 frames carry no
	// extension fields and only message ids below 256.
	Version     uint8
	Seq         uint8
	SystemID    uint8
	ComponentID uint8
}

// AppendFrame appends m framed with h to dst. MAVLink 2 payloads have their
// trailing zero bytes removed (keeping at least one byte). Frames are never
// signed.
func AppendFrame(dst []byte, h Header, m Message) ([]byte, error) {
	id := m.MessageID()
	info, ok := messageInfo(id)
	if !ok {
		return dst, fmt.Errorf("mavlink: encode message %d: unknown message id", id)
	}
	switch h.Version {
	case 0, 2:
		start := len(dst)
		dst = append(dst, MagicV2, 0, 0, 0, h.Seq, h.SystemID, h.ComponentID, byte(id), byte(id>>8), byte(id>>16))
		pstart := len(dst)
		dst = m.AppendPayload(dst)
		plen := len(dst) - pstart
		for plen > 1 && dst[pstart+plen-1] == 0 {
			plen--
		}
		dst = dst[:pstart+plen]
		dst[start+1] = byte(plen)
		crc := crcAccumulate(crcAccumulateBytes(crcInit, dst[start+1:]), info.crcExtra)
		return binary.LittleEndian.AppendUint16(dst, crc), nil
	case 1:
		if id > 255 {
			return dst, fmt.Errorf("mavlink: encode message %d: id does not fit MAVLink 1", id)
		}
		start := len(dst)
		dst = append(dst, MagicV1, 0, h.Seq, h.SystemID, h.ComponentID, byte(id))
		pstart := len(dst)
		dst = m.AppendPayload(dst)
		dst = dst[:pstart+info.minLen] // MAVLink 1 carries no extensions
		dst[start+1] = byte(info.minLen)
		crc := crcAccumulate(crcAccumulateBytes(crcInit, dst[start+1:]), info.crcExtra)
		return binary.LittleEndian.AppendUint16(dst, crc), nil
	}
	return dst, fmt.Errorf("mavlink: encode message %d: unsupported version %d", id, h.Version)
}

// CRC-16/MCRF4XX as used by MAVLink (the X.25 polynomial 0x1021, reflected
// 0x8408, initial value 0xFFFF, no final XOR).
const crcInit uint16 = 0xFFFF

// crcTables are the slicing-by-4 tables: crcTables[0] is the classic
// byte table, crcTables[k][i] is byte i followed by k zero bytes.
var crcTables = func() (t [4][256]uint16) {
	for i := range t[0] {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 4; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][byte(c)]
		}
	}
	return t
}()

func crcAccumulate(crc uint16, b byte) uint16 {
	return crc>>8 ^ crcTables[0][byte(crc)^b]
}

// crcAccumulateBytes runs the CRC over b four bytes at a time: the 16-bit
// register is folded into the first two, the last two go in as data.
func crcAccumulateBytes(crc uint16, b []byte) uint16 {
	t := &crcTables
	for len(b) >= 4 {
		c := crc ^ (uint16(b[0]) | uint16(b[1])<<8)
		crc = t[3][byte(c)] ^ t[2][c>>8] ^ t[1][b[2]] ^ t[0][b[3]]
		b = b[4:]
	}
	for _, c := range b {
		crc = crc>>8 ^ t[0][byte(crc)^c]
	}
	return crc
}

// crcAccumulateNaive is the bitwise crc_accumulate of the MAVLink C
// library, kept as the reference and benchmark baseline of the table.
func crcAccumulateNaive(crc uint16, b byte) uint16 {
	tmp := b ^ byte(crc)
	tmp ^= tmp << 4
	return crc>>8 ^ uint16(tmp)<<8 ^ uint16(tmp)<<3 ^ uint16(tmp)>>4
}
