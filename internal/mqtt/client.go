package mqtt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Options configures a connection.
type Options struct {
	// ClientID identifies the session; a second connection with the same
	// id replaces the first. Required by most brokers with a persistent
	// session; may be empty with CleanSession.
	ClientID string
	Username string
	Password string
	// KeepAlive is the keep-alive interval sent in CONNECT; the client
	// pings when it has sent nothing for that long. Default 30 s.
	KeepAlive time.Duration
	// Persistent asks for a persistent session (clean session off).
	Persistent bool
	// DialTimeout bounds connecting and the CONNACK; default 10 s.
	DialTimeout time.Duration
	// AckTimeout bounds waiting for a PUBACK, SUBACK or PINGRESP; default 10 s.
	AckTimeout time.Duration
	// MaxPacket bounds incoming packets; default 1 MiB + 64 KiB.
	MaxPacket int
	// Dial replaces net.Dialer (TLS, tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ConnectError is a CONNACK refusing the connection.
type ConnectError struct{ Code byte }

func (e *ConnectError) Error() string {
	reason := map[byte]string{1: "unacceptable protocol version", 2: "client identifier rejected", 3: "server unavailable",
		4: "bad user name or password", 5: "not authorised"}[e.Code]
	if reason == "" {
		reason = "unknown reason"
	}
	return fmt.Sprintf("mqtt: connection refused: %s (CONNACK %d)", reason, e.Code)
}

// ErrClosed is returned once the connection is closed; Err says why.
var ErrClosed = errors.New("mqtt: connection closed")

// Message is a message delivered to a subscription.
type Message struct {
	Topic   string
	Payload []byte // owned by the handler
	QoS     byte
	Retain  bool
}

type subscription struct {
	filter string
	h      func(Message)
}

// Client is one MQTT connection. Its methods are safe for concurrent use.
type Client struct {
	o    Options
	conn net.Conn

	wmu      sync.Mutex // serialises writes
	wbuf     []byte
	lastSend time.Time

	mu      sync.Mutex
	nextID  uint16
	pending map[uint16]chan Packet
	pings   []chan struct{}
	subs    []subscription
	err     error

	done chan struct{}
	wg   sync.WaitGroup
}

// Dial connects to a broker at addr (host:port), sends CONNECT and waits
// for the CONNACK. A refusal is a *ConnectError.
func Dial(ctx context.Context, addr string, o Options) (*Client, error) {
	if o.KeepAlive == 0 {
		o.KeepAlive = 30 * time.Second
	}
	if o.KeepAlive < time.Second || o.KeepAlive > 65535*time.Second {
		return nil, fmt.Errorf("mqtt: keep alive %v: must be within 1s..65535s", o.KeepAlive)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = 10 * time.Second
	}
	if o.MaxPacket == 0 {
		o.MaxPacket = 1<<20 + 64<<10
	}
	if len(o.ClientID) > 65535 || len(o.Username) > 65535 || len(o.Password) > 65535 {
		return nil, errors.New("mqtt: client id, user name and password must each be under 64 KiB")
	}
	if o.ClientID == "" && o.Persistent {
		return nil, errors.New("mqtt: a persistent session needs a client id")
	}
	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	dial := o.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	conn, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mqtt: dial %s: %w", addr, err)
	}
	deadline, _ := dctx.Deadline()
	_ = conn.SetDeadline(deadline)
	pkt := appendConnect(nil, o.ClientID, o.Username, o.Password, uint16(o.KeepAlive/time.Second), !o.Persistent)
	if _, err := conn.Write(pkt); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mqtt: %s: send CONNECT: %w", addr, err)
	}
	r := bufio.NewReaderSize(conn, 16<<10)
	p, err := readPacket(r, o.MaxPacket)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("mqtt: %s: read CONNACK: %w", addr, err)
	}
	if p.Type != typeConnack {
		conn.Close()
		return nil, fmt.Errorf("mqtt: %s: %w: first packet has type %d, want CONNACK", addr, ErrMalformed, p.Type)
	}
	if p.ReturnCode != 0 {
		conn.Close()
		return nil, &ConnectError{Code: p.ReturnCode}
	}
	_ = conn.SetDeadline(time.Time{})
	c := &Client{o: o, conn: conn, pending: map[uint16]chan Packet{}, done: make(chan struct{}), lastSend: time.Now()}
	c.wg.Add(2)
	go c.readLoop(r)
	go c.keepAlive()
	return c, nil
}

// readPacket reads one packet from r: the fixed header byte by byte, then
// the rest, and decodes it.
func readPacket(r *bufio.Reader, max int) (Packet, error) {
	hdr := make([]byte, 0, 5)
	for {
		c, err := r.ReadByte()
		if err != nil {
			return Packet{}, err
		}
		hdr = append(hdr, c)
		if len(hdr) >= 2 && c&0x80 == 0 {
			break
		}
		if len(hdr) == 5 {
			return Packet{}, malformed("remaining length longer than 4 bytes")
		}
	}
	n, mul := 0, 1
	for _, c := range hdr[1:] {
		n += int(c&0x7f) * mul
		mul *= 128
	}
	if len(hdr)+n > max {
		return Packet{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(hdr)+n, max)
	}
	buf := make([]byte, len(hdr)+n)
	copy(buf, hdr)
	if _, err := io.ReadFull(r, buf[len(hdr):]); err != nil {
		return Packet{}, err
	}
	p, _, err := Decode(buf, max)
	return p, err
}

func (c *Client) readLoop(r *bufio.Reader) {
	defer c.wg.Done()
	for {
		p, err := readPacket(r, c.o.MaxPacket)
		if err != nil {
			c.fail(fmt.Errorf("mqtt: read: %w", err))
			return
		}
		switch p.Type {
		case typePuback, typeSuback, typeUnsuback:
			c.mu.Lock()
			ch := c.pending[p.ID]
			delete(c.pending, p.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- p
			}
		case typePingresp:
			c.mu.Lock()
			pings := c.pings
			c.pings = nil
			c.mu.Unlock()
			for _, ch := range pings {
				close(ch)
			}
		case typePublish:
			c.deliver(p)
			switch p.QoS {
			case 1:
				_ = c.write(func(b []byte) []byte { return appendAck(b, typePuback, p.ID) })
			case 2:
				// We never subscribe at QoS 2; a broker that sends it
				// anyway gets the first half of the exchange.
				_ = c.write(func(b []byte) []byte { return appendAck(b, typePubrec, p.ID) })
			}
		case typePubrel:
			_ = c.write(func(b []byte) []byte { return appendAck(b, typePubcomp, p.ID) })
		}
	}
}

func (c *Client) deliver(p Packet) {
	c.mu.Lock()
	var hs []func(Message)
	for _, s := range c.subs {
		if Match(s.filter, p.Topic) {
			hs = append(hs, s.h)
		}
	}
	c.mu.Unlock()
	for _, h := range hs {
		h(Message{Topic: p.Topic, Payload: append([]byte(nil), p.Payload...), QoS: p.QoS, Retain: p.Retain})
	}
}

func (c *Client) keepAlive() {
	defer c.wg.Done()
	t := time.NewTicker(c.o.KeepAlive / 4)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.wmu.Lock()
		idle := time.Since(c.lastSend)
		c.wmu.Unlock()
		if idle < c.o.KeepAlive*3/4 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.o.KeepAlive)
		err := c.Ping(ctx)
		cancel()
		if err != nil && !errors.Is(err, ErrClosed) {
			c.fail(fmt.Errorf("mqtt: keep alive: %w", err))
			return
		}
	}
}

// fail closes the connection with err as the reason (the first one wins).
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
	pending := c.pending
	c.pending = map[uint16]chan Packet{}
	c.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	c.conn.Close()
}

// Done is closed when the connection ends; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended; nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) write(build func([]byte) []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.done:
		return c.closedErr()
	default:
	}
	c.wbuf = build(c.wbuf[:0])
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.o.AckTimeout))
	if _, err := c.conn.Write(c.wbuf); err != nil {
		go c.fail(fmt.Errorf("mqtt: write: %w", err))
		return fmt.Errorf("mqtt: write: %w", err)
	}
	c.lastSend = time.Now()
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	return nil
}

func (c *Client) closedErr() error {
	if err := c.Err(); err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return ErrClosed
}

// register reserves a packet identifier and the channel its ack comes on.
func (c *Client) register() (uint16, chan Packet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, nil, c.closedErrLocked()
	}
	if len(c.pending) >= 65535 {
		return 0, nil, errors.New("mqtt: 65535 packets in flight")
	}
	for {
		c.nextID++
		if c.nextID == 0 {
			continue
		}
		if _, used := c.pending[c.nextID]; !used {
			break
		}
	}
	ch := make(chan Packet, 1)
	c.pending[c.nextID] = ch
	return c.nextID, ch, nil
}

func (c *Client) closedErrLocked() error {
	if c.err != nil && !errors.Is(c.err, ErrClosed) {
		return fmt.Errorf("%w: %v", ErrClosed, c.err)
	}
	return ErrClosed
}

func (c *Client) forget(id uint16) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *Client) await(ctx context.Context, id uint16, ch chan Packet, what string) (Packet, error) {
	t := time.NewTimer(c.o.AckTimeout)
	defer t.Stop()
	select {
	case p, ok := <-ch:
		if !ok {
			return Packet{}, fmt.Errorf("mqtt: %s: %w", what, c.closedErr())
		}
		return p, nil
	case <-t.C:
		c.forget(id)
		return Packet{}, fmt.Errorf("mqtt: %s: no acknowledgement within %v", what, c.o.AckTimeout)
	case <-ctx.Done():
		c.forget(id)
		return Packet{}, fmt.Errorf("mqtt: %s: %w", what, ctx.Err())
	}
}

// Publish sends payload to topic. At QoS 1 it returns once the broker has
// acknowledged it (PUBACK); at QoS 0 once it is written. QoS 2 is not
// supported.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte) error {
	if err := validTopic(topic); err != nil {
		return fmt.Errorf("mqtt: publish: %w", err)
	}
	if qos > 1 {
		return fmt.Errorf("mqtt: publish %s: QoS %d not supported (0 or 1)", topic, qos)
	}
	if 2+len(topic)+2+len(payload) > maxRemaining {
		return fmt.Errorf("mqtt: publish %s: %d-byte payload too large", topic, len(payload))
	}
	if qos == 0 {
		if err := c.write(func(b []byte) []byte { return appendPublish(b, topic, payload, 0, false, 0) }); err != nil {
			return fmt.Errorf("mqtt: publish %s: %w", topic, err)
		}
		return nil
	}
	id, ch, err := c.register()
	if err != nil {
		return fmt.Errorf("mqtt: publish %s: %w", topic, err)
	}
	if err := c.write(func(b []byte) []byte { return appendPublish(b, topic, payload, 1, false, id) }); err != nil {
		c.forget(id)
		return fmt.Errorf("mqtt: publish %s: %w", topic, err)
	}
	_, err = c.await(ctx, id, ch, "publish "+topic)
	return err
}

// Subscribe subscribes to filter at qos (0 or 1) and calls h, on the
// connection's reader goroutine, for each message that matches. It
// returns the QoS the broker granted; a refusal (0x80) is an error.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte, h func(Message)) (byte, error) {
	if err := validFilter(filter); err != nil {
		return 0, fmt.Errorf("mqtt: subscribe: %w", err)
	}
	if qos > 1 {
		return 0, fmt.Errorf("mqtt: subscribe %s: QoS %d not supported (0 or 1)", filter, qos)
	}
	if h == nil {
		return 0, errors.New("mqtt: subscribe: nil handler")
	}
	c.mu.Lock()
	c.subs = append(c.subs, subscription{filter: filter, h: h})
	c.mu.Unlock()
	id, ch, err := c.register()
	if err != nil {
		return 0, fmt.Errorf("mqtt: subscribe %s: %w", filter, err)
	}
	if err := c.write(func(b []byte) []byte { return appendSubscribe(b, id, filter, qos) }); err != nil {
		c.forget(id)
		return 0, fmt.Errorf("mqtt: subscribe %s: %w", filter, err)
	}
	p, err := c.await(ctx, id, ch, "subscribe "+filter)
	if err != nil {
		return 0, err
	}
	if p.Type != typeSuback || len(p.Granted) != 1 {
		return 0, fmt.Errorf("mqtt: subscribe %s: %w: want one SUBACK code, got type %d with %d", filter, ErrMalformed, p.Type, len(p.Granted))
	}
	if g := p.Granted[0]; g == 0x80 {
		c.mu.Lock()
		for i, s := range c.subs {
			if s.filter == filter {
				c.subs = append(c.subs[:i], c.subs[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return g, fmt.Errorf("mqtt: subscribe %s: refused by the broker", filter)
	}
	return p.Granted[0], nil
}

// Ping sends PINGREQ and waits for PINGRESP.
func (c *Client) Ping(ctx context.Context) error {
	ch := make(chan struct{})
	c.mu.Lock()
	if c.err != nil {
		err := c.closedErrLocked()
		c.mu.Unlock()
		return err
	}
	c.pings = append(c.pings, ch)
	c.mu.Unlock()
	if err := c.write(func(b []byte) []byte { return append(b, typePingreq<<4, 0) }); err != nil {
		return fmt.Errorf("mqtt: ping: %w", err)
	}
	t := time.NewTimer(c.o.AckTimeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-c.done:
		return fmt.Errorf("mqtt: ping: %w", c.closedErr())
	case <-t.C:
		return fmt.Errorf("mqtt: ping: no PINGRESP within %v", c.o.AckTimeout)
	case <-ctx.Done():
		return fmt.Errorf("mqtt: ping: %w", ctx.Err())
	}
}

// Close sends DISCONNECT and closes the connection. It waits for the
// client's goroutines.
func (c *Client) Close() error {
	err := c.write(func(b []byte) []byte { return append(b, typeDisconnect<<4, 0) })
	c.fail(ErrClosed)
	c.wg.Wait()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
