package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
)

// Event types (HeaderType values) of the typed helpers.
const (
	TypeTrack = "track"
	TypeAlert = "alert"
)

// Publish stores v, encoded as JSON, on stream under sector and returns its
// stream sequence once it is durably acknowledged. A non-empty msgID is the
// Nats-Msg-Id: a second publish with the same id within the duplicate
// window is acknowledged but not stored again. typ goes in the Bw-Type
// header for readers.
func (l *Log) Publish(ctx context.Context, stream Stream, sector, typ, msgID string, v any) (uint64, error) {
	if stream == StreamObservations {
		return 0, borderwatch.Errorf(borderwatch.EINVALID, "observations are appended with AppendObservations, not Publish")
	}
	if stream.SubjectPrefix() == "" {
		return 0, borderwatch.Errorf(borderwatch.EINVALID, "stream %q: unknown", stream)
	}
	if !ValidSector(sector) {
		return 0, borderwatch.Errorf(borderwatch.EINVALID, "sector %q: not a valid subject token", sector)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("natsbus: publish %s %s: encode: %w", stream, typ, err)
	}
	m := nats.NewMsg(stream.Subject(sector))
	m.Data = data
	if typ != "" {
		m.Header.Set(HeaderType, typ)
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(string(stream))}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	var ack *jetstream.PubAck
	for attempt := 0; ; attempt++ {
		ack, err = l.js.PublishMsg(ctx, m, opts...)
		if err == nil || msgID == "" || attempt == 2 || ctx.Err() != nil {
			break
		}
		// Retrying is safe: the message id makes it idempotent.
	}
	if err != nil {
		return 0, fmt.Errorf("natsbus: publish %s %s id %q: %w", stream, typ, msgID, err)
	}
	return ack.Sequence, nil
}

// PublishTrack stores a track change on the tracks stream under t.Sector.
// Its message id is derived from the track id, estimate time, status and
// update count, so re-publishing the same change is a no-op.
func (l *Log) PublishTrack(ctx context.Context, t borderwatch.Track) error {
	id := t.ID + "@" + strconv.FormatInt(t.Time.UnixNano(), 10) + "/" + string(t.Status) + "/" + strconv.Itoa(t.Updates)
	_, err := l.Publish(ctx, StreamTracks, t.Sector, TypeTrack, id, t)
	return err
}

// PublishAlert stores an alert (new or changed state) on the alerts stream
// under a.Sector; its message id is the alert id, state and incident.
func (l *Log) PublishAlert(ctx context.Context, a borderwatch.Alert) error {
	id := a.ID + "/" + string(a.State) + "/" + a.IncidentID
	_, err := l.Publish(ctx, StreamAlerts, a.Sector, TypeAlert, id, a)
	return err
}

// Msg is one stored log message.
type Msg struct {
	Stream Stream
	Sector string
	// Seq is the stream sequence: a projection stores the last one it
	// applied and resumes from Seq+1.
	Seq uint64
	// Time is when the log stored the message (not the event time).
	Time  time.Time
	Type  string
	MsgID string
	Data  []byte
}

// Decode unmarshals a JSON event (track, alert, incident, ...) into v.
func (m Msg) Decode(v any) error {
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("natsbus: %s seq %d (%s): %w", m.Stream, m.Seq, m.Type, err)
	}
	return nil
}

// ReadOptions selects what Read delivers.
type ReadOptions struct {
	// Sectors to read; empty reads all. More than one sector needs
	// nats-server 2.10 or later.
	Sectors []string
	// StartSeq > 0 starts at that stream sequence; otherwise StartTime (if
	// set) starts at the first message stored at or after it; otherwise at
	// the beginning.
	StartSeq  uint64
	StartTime time.Time
	// Follow keeps delivering new messages until ctx ends. Without it Read
	// returns nil after the messages that were stored when it began.
	Follow bool
}

// Read calls fn, in stream order, for each message of stream that opts
// select. It stops at fn's first error and returns it. With Follow it
// returns ctx.Err() when ctx ends.
func (l *Log) Read(ctx context.Context, stream Stream, opts ReadOptions, fn func(Msg) error) error {
	if stream.SubjectPrefix() == "" {
		return borderwatch.Errorf(borderwatch.EINVALID, "stream %q: unknown", stream)
	}
	cfg := jetstream.ConsumerConfig{
		AckPolicy: jetstream.AckNonePolicy,
		// Generous: a slow reader (a projection writing to a database)
		// must not lose its consumer; Read deletes it when it returns.
		InactiveThreshold: 10 * time.Minute,
		MemoryStorage:     true,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
	}
	switch len(opts.Sectors) {
	case 0:
	case 1:
		cfg.FilterSubject = stream.Subject(opts.Sectors[0])
	default:
		for _, s := range opts.Sectors {
			cfg.FilterSubjects = append(cfg.FilterSubjects, stream.Subject(s))
		}
	}
	for _, s := range opts.Sectors {
		if !ValidSector(s) {
			return borderwatch.Errorf(borderwatch.EINVALID, "sector %q: not a valid subject token", s)
		}
	}
	switch {
	case opts.StartSeq > 0:
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = opts.StartSeq
	case !opts.StartTime.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		t := opts.StartTime
		cfg.OptStartTime = &t
	}
	cons, err := l.js.CreateConsumer(ctx, string(stream), cfg)
	if err != nil {
		return fmt.Errorf("natsbus: read %s from seq %d / %v: %w", stream, opts.StartSeq, opts.StartTime, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = l.js.DeleteConsumer(dctx, string(stream), cons.CachedInfo().Name)
		cancel()
	}()
	remaining := cons.CachedInfo().NumPending
	if !opts.Follow && remaining == 0 {
		return nil
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("natsbus: read %s: %w", stream, err)
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			it.Stop()
		case <-stopped:
		}
	}()
	defer it.Stop()
	prefix := stream.SubjectPrefix() + "."
	for {
		jm, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("natsbus: read %s: %w", stream, err)
		}
		meta, err := jm.Metadata()
		if err != nil {
			return fmt.Errorf("natsbus: read %s: %w", stream, err)
		}
		h := jm.Headers()
		m := Msg{
			Stream: stream,
			Sector: strings.TrimPrefix(jm.Subject(), prefix),
			Seq:    meta.Sequence.Stream,
			Time:   meta.Timestamp,
			Type:   h.Get(HeaderType),
			MsgID:  h.Get(jetstream.MsgIDHeader),
			Data:   jm.Data(),
		}
		if err := fn(m); err != nil {
			return err
		}
		if !opts.Follow {
			// Stop after the messages stored at the start, or earlier if
			// some aged out meanwhile (nothing more is pending).
			remaining--
			if remaining == 0 || meta.NumPending == 0 {
				return nil
			}
		}
	}
}

// ReadObservations is Read on the observations stream with each batch
// decoded. obs is reused between calls: copy what you keep.
func (l *Log) ReadObservations(ctx context.Context, opts ReadOptions, fn func(m Msg, obs []borderwatch.Observation) error) error {
	var buf []borderwatch.Observation
	return l.Read(ctx, StreamObservations, opts, func(m Msg) error {
		var err error
		buf, err = DecodeObservations(m.Data, buf[:0])
		if err != nil {
			return fmt.Errorf("natsbus: observations seq %d: %w", m.Seq, err)
		}
		return fn(m, buf)
	})
}

// LastSeq returns the last stored sequence of stream (0 when empty).
func (l *Log) LastSeq(ctx context.Context, stream Stream) (uint64, error) {
	s, err := l.js.Stream(ctx, string(stream))
	if err != nil {
		return 0, fmt.Errorf("natsbus: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("natsbus: stream %s: %w", stream, err)
	}
	return info.State.LastSeq, nil
}
