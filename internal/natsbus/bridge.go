package natsbus

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// BridgeOptions configures BridgeMQTT: a subscription to an external MQTT
// broker (a site's broker) whose messages are ingested like those
// published to the embedded broker.
type BridgeOptions struct {
	// URL of the broker: mqtt://host:1883 or mqtts://host:8883, with
	// optional user:password.
	URL string
	// ClientID must be stable: the session (and the QoS 1 messages queued
	// for it while borderwatch is away) is kept by the broker under it.
	ClientID string
	// Topics are MQTT topic filters; default DefaultMQTTTopics.
	Topics []string
	// TLS for mqtts (nil: system roots).
	TLS *tls.Config
	// KeepAlive; default 30 s.
	KeepAlive time.Duration
	// Ingest decodes and places the messages; its Topics field is unused.
	Ingest IngestOptions
	// OnConnect, when set, is called after each successful subscription.
	OnConnect func()
}

// BridgeMQTT subscribes to an external MQTT 3.1.1 broker with QoS 1 and a
// persistent session, and appends what arrives to the log. A message's
// PUBACK is sent only after its observations are durable (in arrival
// order, as MQTT requires), so the broker redelivers anything borderwatch
// had not logged when the link or the process died. It reconnects with
// back-off until ctx ends, then returns nil; a bad URL is returned at once.
func (l *Log) BridgeMQTT(ctx context.Context, opts BridgeOptions) error {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "mqtt" && u.Scheme != "mqtts" && u.Scheme != "tcp" && u.Scheme != "ssl") || u.Host == "" {
		return fmt.Errorf("natsbus: bridge url %q: want mqtt://host:port or mqtts://host:port", opts.URL)
	}
	if opts.ClientID == "" {
		return errors.New("natsbus: bridge: ClientID is required (the broker keeps the session under it)")
	}
	if opts.Ingest.Decode == nil {
		return errors.New("natsbus: bridge: Ingest.Decode is required")
	}
	if len(opts.Topics) == 0 {
		opts.Topics = DefaultMQTTTopics
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 30 * time.Second
	}
	backoff := 250 * time.Millisecond
	for {
		// A disconnection is not the bridge's failure: it logs and retries.
		if err := l.bridgeOnce(ctx, u, opts); err != nil && ctx.Err() == nil {
			l.log.Warn("mqtt bridge disconnected", "broker", u.Host, "err", err, "retry_in", backoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (l *Log) bridgeOnce(ctx context.Context, u *url.URL, opts BridgeOptions) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	host := u.Host
	secure := u.Scheme == "mqtts" || u.Scheme == "ssl"
	if u.Port() == "" {
		if secure {
			host = net.JoinHostPort(u.Hostname(), "8883")
		} else {
			host = net.JoinHostPort(u.Hostname(), "1883")
		}
	}
	var conn net.Conn
	var err error
	if secure {
		cfg := opts.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: u.Hostname()}
		}
		conn, err = (&tls.Dialer{NetDialer: &d, Config: cfg}).DialContext(ctx, "tcp", host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", host)
	}
	if err != nil {
		return err
	}
	user, pass := "", ""
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	c := &mqttClient{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), w: bufio.NewWriter(conn)}
	defer conn.Close()
	// Close the connection when ctx ends so the read loop returns.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := c.connect(opts.ClientID, user, pass, opts.KeepAlive); err != nil {
		return err
	}
	if err := c.subscribe(opts.Topics); err != nil {
		return err
	}
	pinger := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(opts.KeepAlive / 2)
		defer t.Stop()
		for {
			select {
			case <-pinger:
				return
			case <-t.C:
				if c.write([]byte{0xC0, 0}) != nil {
					_ = conn.Close()
					return
				}
			}
		}
	})
	defer func() {
		close(pinger)
		wg.Wait()
	}()
	in := &ingester{l: l, opts: opts.Ingest, qos: "bridge"}
	acks := &ackQueue{c: c}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(opts.KeepAlive * 3 / 2))
		typ, flags, body, err := c.readPacket()
		if err != nil {
			return err
		}
		switch typ {
		case pktPublish:
			topic, id, payload, err := parsePublish(flags, body)
			if err != nil {
				return err
			}
			if (flags>>1)&3 == 0 {
				in.handle(TopicFilterToSubject(topic), payload, nil)
				continue
			}
			slot := acks.push(id)
			in.handle(TopicFilterToSubject(topic), payload, func(err error) {
				if err != nil {
					// Not logged: drop the connection so the broker redelivers.
					_ = conn.Close()
					return
				}
				acks.done(slot)
			})
		case pktSubAck:
			if err := checkSubAck(body, opts.Topics); err != nil {
				return err
			}
			if opts.OnConnect != nil {
				opts.OnConnect()
			}
		case pktPingResp:
		default:
			return fmt.Errorf("mqtt: unexpected packet type %d", typ)
		}
	}
}

// MQTT 3.1.1 control packet types.
const (
	pktConnect   = 1
	pktConnAck   = 2
	pktPublish   = 3
	pktPubAck    = 4
	pktSubscribe = 8
	pktSubAck    = 9
	pktPingResp  = 13
)

// maxPacket bounds what the bridge reads: a camera message plus headers.
const maxPacket = 2 << 20

// mqttClient is the small MQTT 3.1.1 client of the bridge: CONNECT,
// SUBSCRIBE (QoS 1), PUBLISH in, PUBACK, PINGREQ.
type mqttClient struct {
	conn net.Conn
	r    *bufio.Reader
	mu   sync.Mutex
	w    *bufio.Writer
}

func (c *mqttClient) write(p ...[]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for _, b := range p {
		if _, err := c.w.Write(b); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

func mqttString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func mqttPacket(typeFlags byte, body []byte) []byte {
	p := []byte{typeFlags}
	n := len(body)
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		p = append(p, d)
		if n == 0 {
			break
		}
	}
	return append(p, body...)
}

func (c *mqttClient) connect(clientID, user, pass string, keepAlive time.Duration) error {
	var body []byte
	body = mqttString(body, "MQTT")
	flags := byte(0) // clean session off: the broker keeps our QoS 1 queue
	if user != "" {
		flags |= 0x80
		if pass != "" {
			flags |= 0x40
		}
	}
	ka := min(int(keepAlive/time.Second), 65535)
	body = append(body, 4, flags, byte(ka>>8), byte(ka))
	body = mqttString(body, clientID)
	if user != "" {
		body = mqttString(body, user)
		if pass != "" {
			body = mqttString(body, pass)
		}
	}
	if err := c.write(mqttPacket(pktConnect<<4, body)); err != nil {
		return err
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, _, resp, err := c.readPacket()
	if err != nil {
		return fmt.Errorf("mqtt: connect: %w", err)
	}
	if typ != pktConnAck || len(resp) != 2 {
		return fmt.Errorf("mqtt: connect: unexpected packet type %d", typ)
	}
	if resp[1] != 0 {
		return fmt.Errorf("mqtt: connect refused: %s", connackReason(resp[1]))
	}
	return nil
}

func connackReason(rc byte) string {
	switch rc {
	case 1:
		return "unacceptable protocol version"
	case 2:
		return "identifier rejected"
	case 3:
		return "server unavailable"
	case 4:
		return "bad user name or password"
	case 5:
		return "not authorised"
	}
	return fmt.Sprintf("return code %d", rc)
}

func (c *mqttClient) subscribe(filters []string) error {
	body := []byte{0, 1} // packet id 1
	for _, f := range filters {
		body = mqttString(body, f)
		body = append(body, 1) // QoS 1
	}
	// The SUBACK is read by the caller's loop: queued session messages may
	// arrive before it.
	return c.write(mqttPacket(pktSubscribe<<4|0x02, body))
}

func checkSubAck(body []byte, filters []string) error {
	if len(body) != 2+len(filters) {
		return fmt.Errorf("mqtt: SUBACK for %d filters has %d codes", len(filters), len(body)-2)
	}
	for i, rc := range body[2:] {
		if rc == 0x80 {
			return fmt.Errorf("mqtt: subscribe %q: refused by the broker", filters[i])
		}
	}
	return nil
}

// readPacket reads one control packet.
func (c *mqttClient) readPacket() (typ, flags byte, body []byte, err error) {
	h, err := c.r.ReadByte()
	if err != nil {
		return 0, 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; ; i++ {
		b, err := c.r.ReadByte()
		if err != nil {
			return 0, 0, nil, err
		}
		n += int(b&0x7f) * mult
		if b&0x80 == 0 {
			break
		}
		if mult *= 128; i == 3 {
			return 0, 0, nil, errors.New("mqtt: malformed remaining length")
		}
	}
	if n > maxPacket {
		return 0, 0, nil, fmt.Errorf("mqtt: packet of %d bytes exceeds %d", n, maxPacket)
	}
	// Grow with what arrives rather than trusting the length up front.
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, c.r, int64(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, 0, nil, err
	}
	return h >> 4, h & 0x0f, buf.Bytes(), nil
}

// parsePublish splits a PUBLISH body into topic, packet id (QoS > 0) and
// payload.
func parsePublish(flags byte, body []byte) (topic string, id uint16, payload []byte, err error) {
	if len(body) < 2 {
		return "", 0, nil, errors.New("mqtt: short PUBLISH")
	}
	tl := int(binary.BigEndian.Uint16(body))
	if len(body) < 2+tl {
		return "", 0, nil, errors.New("mqtt: PUBLISH topic overruns the packet")
	}
	topic, rest := string(body[2:2+tl]), body[2+tl:]
	if strings.ContainsAny(topic, "+#\x00") || topic == "" {
		return "", 0, nil, fmt.Errorf("mqtt: PUBLISH topic %q", topic)
	}
	if (flags>>1)&3 > 0 {
		if len(rest) < 2 {
			return "", 0, nil, errors.New("mqtt: PUBLISH without packet id")
		}
		id, rest = binary.BigEndian.Uint16(rest), rest[2:]
	}
	return topic, id, rest, nil
}

// ackQueue sends PUBACKs in the order the PUBLISH packets arrived, each
// only once its message is done.
type ackQueue struct {
	c    *mqttClient
	mu   sync.Mutex
	base uint64 // sequence of q[0]
	next uint64
	q    []ackSlot
}

type ackSlot struct {
	id   uint16
	done bool
}

func (a *ackQueue) push(id uint16) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.q = append(a.q, ackSlot{id: id})
	a.next++
	return a.next - 1
}

func (a *ackQueue) done(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.q[seq-a.base].done = true
	var out []byte
	for len(a.q) > 0 && a.q[0].done {
		out = append(out, pktPubAck<<4, 2, byte(a.q[0].id>>8), byte(a.q[0].id))
		a.q = a.q[1:]
		a.base++
	}
	if len(out) > 0 {
		// Under the lock, so PUBACKs leave in order.
		_ = a.c.write(out)
	}
}
