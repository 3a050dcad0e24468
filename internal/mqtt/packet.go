// Package mqtt is a small MQTT 3.1.1 client: CONNECT with a username and
// password, PUBLISH at QoS 0 and 1 (waiting for PUBACK), SUBSCRIBE with
// delivery of incoming messages (acknowledged at QoS 1), PINGREQ keep
// alive and DISCONNECT. It speaks to borderwatch's embedded broker
// (nats-server's MQTT listener) and to mosquitto. It does not reconnect by
// itself, and it does not do QoS 2, will messages or persistent
// in-flight state: a caller that needs those redials and republishes.
package mqtt

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Packet types (MQTT 3.1.1 §2.2.1).
const (
	typeConnect     = 1
	typeConnack     = 2
	typePublish     = 3
	typePuback      = 4
	typePubrec      = 5
	typePubrel      = 6
	typePubcomp     = 7
	typeSubscribe   = 8
	typeSuback      = 9
	typeUnsubscribe = 10
	typeUnsuback    = 11
	typePingreq     = 12
	typePingresp    = 13
	typeDisconnect  = 14
)

// Packet is a decoded control packet from the server.
type Packet struct {
	Type  byte // 1..14
	Flags byte // the low nibble of the fixed header
	// ID is the packet identifier (PUBLISH at QoS > 0, PUBACK, SUBACK, ...).
	ID uint16
	// CONNACK.
	SessionPresent bool
	ReturnCode     byte
	// PUBLISH.
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
	Dup     bool
	// SUBACK: the granted QoS per filter, 0x80 for a refused one.
	Granted []byte
}

// Decoding errors.
var (
	// ErrShort means b holds only part of a packet: read more.
	ErrShort = errors.New("mqtt: incomplete packet")
	// ErrMalformed wraps every other decoding error; the connection
	// cannot be resynchronised after it.
	ErrMalformed = errors.New("mqtt: malformed packet")
	// ErrTooLarge is a packet over the size limit.
	ErrTooLarge = errors.New("mqtt: packet too large")
)

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// Decode decodes the first packet in b and returns it with the number of
// bytes it took. It returns ErrShort when b ends inside the packet and
// ErrTooLarge when the packet would exceed max bytes. Payload and Granted
// alias b.
func Decode(b []byte, max int) (Packet, int, error) {
	if len(b) < 2 {
		return Packet{}, 0, ErrShort
	}
	var p Packet
	p.Type, p.Flags = b[0]>>4, b[0]&0x0f
	// Remaining length: 1 to 4 bytes, 7 bits each.
	n, mul, i := 0, 1, 1
	for {
		if i >= len(b) {
			return Packet{}, 0, ErrShort
		}
		if i > 4 {
			return Packet{}, 0, malformed("remaining length longer than 4 bytes")
		}
		c := b[i]
		n += int(c&0x7f) * mul
		mul *= 128
		i++
		if c&0x80 == 0 {
			break
		}
	}
	total := i + n
	if max > 0 && total > max {
		return Packet{}, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, total, max)
	}
	if len(b) < total {
		return Packet{}, 0, ErrShort
	}
	body := b[i:total]
	switch p.Type {
	case typeConnack:
		if p.Flags != 0 || len(body) != 2 || body[0]&^1 != 0 {
			return Packet{}, 0, malformed("CONNACK: flags %#x, %d bytes", p.Flags, len(body))
		}
		p.SessionPresent, p.ReturnCode = body[0] == 1, body[1]
	case typePublish:
		p.QoS, p.Retain, p.Dup = (p.Flags>>1)&3, p.Flags&1 == 1, p.Flags&8 == 8
		if p.QoS == 3 {
			return Packet{}, 0, malformed("PUBLISH: QoS 3")
		}
		if len(body) < 2 {
			return Packet{}, 0, malformed("PUBLISH: no topic")
		}
		tl := int(binary.BigEndian.Uint16(body))
		if 2+tl > len(body) {
			return Packet{}, 0, malformed("PUBLISH: topic length %d beyond the packet", tl)
		}
		p.Topic = string(body[2 : 2+tl])
		if err := validTopic(p.Topic); err != nil {
			return Packet{}, 0, malformed("PUBLISH: %v", err)
		}
		rest := body[2+tl:]
		if p.QoS > 0 {
			if len(rest) < 2 {
				return Packet{}, 0, malformed("PUBLISH: no packet identifier")
			}
			p.ID = binary.BigEndian.Uint16(rest)
			if p.ID == 0 {
				return Packet{}, 0, malformed("PUBLISH: packet identifier 0")
			}
			rest = rest[2:]
		}
		p.Payload = rest
	case typePuback, typePubrec, typePubrel, typePubcomp, typeUnsuback:
		if len(body) != 2 {
			return Packet{}, 0, malformed("type %d: %d bytes, want 2", p.Type, len(body))
		}
		p.ID = binary.BigEndian.Uint16(body)
	case typeSuback:
		if len(body) < 3 {
			return Packet{}, 0, malformed("SUBACK: %d bytes", len(body))
		}
		p.ID = binary.BigEndian.Uint16(body)
		p.Granted = body[2:]
		for _, g := range p.Granted {
			if g > 2 && g != 0x80 {
				return Packet{}, 0, malformed("SUBACK: return code %#x", g)
			}
		}
	case typePingresp:
		if len(body) != 0 {
			return Packet{}, 0, malformed("PINGRESP: %d bytes", len(body))
		}
	default:
		return Packet{}, 0, malformed("unexpected packet type %d from a server", p.Type)
	}
	return p, total, nil
}

// validTopic checks a topic name a message is published to (not a filter).
func validTopic(t string) error {
	if t == "" {
		return errors.New("empty topic")
	}
	if len(t) > 65535 {
		return errors.New("topic longer than 65535 bytes")
	}
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '+', '#':
			return fmt.Errorf("topic %q: wildcard in a topic name", t)
		case 0:
			return fmt.Errorf("topic %q: NUL character", t)
		}
	}
	return nil
}

// validFilter checks a subscription filter.
func validFilter(f string) error {
	if f == "" || len(f) > 65535 {
		return fmt.Errorf("filter %q: empty or too long", f)
	}
	levels := splitLevels(f)
	for i, l := range levels {
		switch {
		case l == "#" && i != len(levels)-1:
			return fmt.Errorf("filter %q: # must be the last level", f)
		case l != "#" && l != "+" && (containsByte(l, '#') || containsByte(l, '+')):
			return fmt.Errorf("filter %q: a wildcard must fill its level", f)
		case containsByte(l, 0):
			return fmt.Errorf("filter %q: NUL character", f)
		}
	}
	return nil
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func splitLevels(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// Match reports whether topic matches the subscription filter, with the
// MQTT rules: + one level, # the rest, and topics starting with $ are not
// matched by a leading wildcard.
func Match(filter, topic string) bool {
	if len(topic) > 0 && topic[0] == '$' && len(filter) > 0 && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	f, t := splitLevels(filter), splitLevels(topic)
	for i, l := range f {
		if l == "#" {
			return true
		}
		if i >= len(t) {
			return false
		}
		if l != "+" && l != t[i] {
			return false
		}
	}
	return len(f) == len(t)
}

func appendRemaining(b []byte, n int) []byte {
	for {
		c := byte(n % 128)
		n /= 128
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// maxRemaining is the largest remaining length MQTT can express.
const maxRemaining = 268_435_455

func appendConnect(b []byte, clientID, user, password string, keepAlive uint16, clean bool) []byte {
	n := 10 + 2 + len(clientID)
	flags := byte(0)
	if clean {
		flags |= 0x02
	}
	if user != "" {
		flags |= 0x80
		n += 2 + len(user)
	}
	if password != "" {
		flags |= 0x40
		n += 2 + len(password)
	}
	b = appendRemaining(append(b, typeConnect<<4), n)
	b = appendString(b, "MQTT")
	b = append(b, 4, flags)
	b = binary.BigEndian.AppendUint16(b, keepAlive)
	b = appendString(b, clientID)
	if user != "" {
		b = appendString(b, user)
	}
	if password != "" {
		b = appendString(b, password)
	}
	return b
}

func appendPublish(b []byte, topic string, payload []byte, qos byte, retain bool, id uint16) []byte {
	h := byte(typePublish<<4) | qos<<1
	if retain {
		h |= 1
	}
	n := 2 + len(topic) + len(payload)
	if qos > 0 {
		n += 2
	}
	b = appendRemaining(append(b, h), n)
	b = appendString(b, topic)
	if qos > 0 {
		b = binary.BigEndian.AppendUint16(b, id)
	}
	return append(b, payload...)
}

func appendAck(b []byte, typ byte, id uint16) []byte {
	h := typ << 4
	if typ == typePubrel {
		h |= 2
	}
	return binary.BigEndian.AppendUint16(append(b, h, 2), id)
}

func appendSubscribe(b []byte, id uint16, filter string, qos byte) []byte {
	b = appendRemaining(append(b, typeSubscribe<<4|2), 2+2+len(filter)+1)
	b = binary.BigEndian.AppendUint16(b, id)
	b = appendString(b, filter)
	return append(b, qos)
}
