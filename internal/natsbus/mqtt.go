package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
)

// MQTT camera analytics through the embedded server's MQTT listener.
//
// nats-server maps an MQTT topic to a NATS subject ('/' becomes '.', a '.'
// inside a topic level becomes "//"), so a camera publishing to
// borderwatch/cameras/cam-7/detections reaches NATS subscribers of
// borderwatch.cameras.cam-7.detections. QoS 0 messages are only delivered
// to subscribers, so IngestMQTT subscribes to them. QoS 1 messages are
// stored by the server in its $MQTT_msgs stream (interest retention)
// before it sends PUBACK; IngestMQTT holds a durable consumer on that
// stream and acknowledges a message only after its observations are
// durably in the log, so a detection acknowledged to a camera survives a
// crash (it is redelivered after restart; observation ids make the
// redelivery harmless downstream).

// DefaultMQTTTopics are the MQTT topic filters ingested by default: the
// canonical detections and Axis scene frames under borderwatch/cameras,
// Axis MQTT event bridge topics and ONVIF Profile M event topics.
var DefaultMQTTTopics = []string{"borderwatch/cameras/#", "axis/+/event/#", "+/onvif-ej/#"}

// MQTTPublishSubjects returns the NATS subjects that MQTT users may
// publish to: those of DefaultMQTTTopics.
func MQTTPublishSubjects() []string {
	s := make([]string, len(DefaultMQTTTopics))
	for i, t := range DefaultMQTTTopics {
		s[i] = TopicFilterToSubject(t)
	}
	return s
}

// TopicFilterToSubject converts an MQTT topic filter to the NATS subject
// nats-server uses for it ("+" → "*", "#" → ">", "/" → ".", "." → "//").
func TopicFilterToSubject(filter string) string {
	var b strings.Builder
	levels := strings.Split(filter, "/")
	for i, lv := range levels {
		if i > 0 {
			b.WriteByte('.')
		}
		switch lv {
		case "+":
			b.WriteByte('*')
		case "#":
			b.WriteByte('>')
		default:
			b.WriteString(strings.ReplaceAll(lv, ".", "//"))
		}
	}
	return b.String()
}

// SubjectToTopic converts a NATS subject produced from an MQTT topic back
// to the topic.
func SubjectToTopic(subject string) string {
	b := make([]byte, 0, len(subject))
	for i := 0; i < len(subject); i++ {
		switch {
		case subject[i] == '/' && i+1 < len(subject) && subject[i+1] == '/':
			b = append(b, '.')
			i++
		case subject[i] == '.':
			b = append(b, '/')
		default:
			b = append(b, subject[i])
		}
	}
	return string(b)
}

// DecodeFunc turns one MQTT message into observations appended to dst. It
// must not retain payload. An error drops the message (counted); zero
// observations and no error is a message with nothing to log (a heartbeat).
type DecodeFunc func(topic string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error)

// IngestOptions configures IngestMQTT.
type IngestOptions struct {
	// Decode is required (internal/camera's Decoder.Decode).
	Decode DecodeFunc
	// Sector places an observation in a sector; nil logs everything as
	// Unsectored.
	Sector func(*borderwatch.Observation) string
	// Topics are MQTT topic filters; default DefaultMQTTTopics.
	Topics []string
	// OnError is told about every dropped message (optional; it must not
	// block). Drops are also counted in borderwatch_mqtt_dropped_total.
	OnError func(topic string, err error)
	// Reason, when set, names a decode error's reason for the drop metric
	// (camera.Reason); otherwise drops are counted as "decode".
	Reason func(error) string
	// Started, when set, is called once the subscriptions are in place.
	Started func()
}

const mqttMsgsStream = "$MQTT_msgs"
const mqttMsgsPrefix = "$MQTT.msgs."

// MQTTConsumer is the durable consumer name IngestMQTT uses on the
// server's $MQTT_msgs stream.
const MQTTConsumer = "borderwatch-mqtt-ingest"

// IngestMQTT consumes camera analytics published over MQTT (or directly on
// the NATS subjects of opts.Topics), decodes them with opts.Decode and
// appends the observations to the log. It blocks until ctx ends and then
// returns nil, or returns an error if it cannot start. QoS 1 messages are
// acknowledged to JetStream only once durable in the log (see the package
// comment); it needs the embedded server with MQTTAddr set for that path,
// and otherwise ingests only what is published without QoS 1.
func (l *Log) IngestMQTT(ctx context.Context, opts IngestOptions) error {
	if opts.Decode == nil {
		return errors.New("natsbus: ingest mqtt: Decode is required")
	}
	if len(opts.Topics) == 0 {
		opts.Topics = DefaultMQTTTopics
	}
	qos1 := l.srv != nil && l.opts.MQTTAddr != ""
	// A connection of its own: a flood of camera messages must not queue
	// the log's publish acknowledgements behind it.
	nc, closed, err := l.dial("borderwatch-mqtt-ingest")
	if err != nil {
		return err
	}
	defer func() {
		if err := nc.Drain(); err != nil {
			nc.Close()
		}
		<-closed
	}()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("natsbus: ingest mqtt: %w", err)
	}
	core := &ingester{l: l, opts: opts, qos: "0", skipQoS1: qos1}
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	for _, t := range opts.Topics {
		subj := TopicFilterToSubject(t)
		s, err := nc.Subscribe(subj, core.onCore)
		if err != nil {
			return fmt.Errorf("natsbus: ingest mqtt: subscribe %s (topic %s): %w", subj, t, err)
		}
		_ = s.SetPendingLimits(1<<20, 256<<20)
		subs = append(subs, s)
	}
	if qos1 {
		in1 := &ingester{l: l, opts: opts, qos: "1"}
		cc, err := consumeQoS1(ctx, js, opts.Topics, in1)
		if err != nil {
			return err
		}
		defer cc.Stop()
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("natsbus: ingest mqtt: %w", err)
	}
	if opts.Started != nil {
		opts.Started()
	}
	<-ctx.Done()
	return nil
}

// consumeQoS1 makes sure the server's QoS 1 stream exists (with the exact
// configuration nats-server creates it with, so either side may create it
// first) and consumes it durably.
func consumeQoS1(ctx context.Context, js jetstream.JetStream, topics []string, in *ingester) (jetstream.ConsumeContext, error) {
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      mqttMsgsStream,
		Subjects:  []string{mqttMsgsPrefix + ">"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.InterestPolicy,
		Replicas:  1,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, fmt.Errorf("natsbus: ingest mqtt: stream %s: %w", mqttMsgsStream, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       MQTTConsumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 20000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	for _, t := range topics {
		cfg.FilterSubjects = append(cfg.FilterSubjects, mqttMsgsPrefix+TopicFilterToSubject(t))
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, mqttMsgsStream, cfg)
	if err != nil {
		return nil, fmt.Errorf("natsbus: ingest mqtt: consumer %s on %s: %w", MQTTConsumer, mqttMsgsStream, err)
	}
	cc, err := cons.Consume(in.onJetStream, jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, fmt.Errorf("natsbus: ingest mqtt: consume %s: %w", mqttMsgsStream, err)
	}
	return cc, nil
}

type ingester struct {
	l        *Log
	opts     IngestOptions
	qos      string
	skipQoS1 bool
	buf      []borderwatch.Observation
}

// onCore handles messages delivered to the plain subscriptions: QoS 0
// publishes and NATS publishers. QoS 1 and 2 copies are skipped when the
// durable path has them.
func (in *ingester) onCore(m *nats.Msg) {
	if in.skipQoS1 {
		if q := m.Header.Get("Nmqtt-Pub"); q != "" && q[0] != '0' {
			return
		}
	}
	in.handle(m.Subject, m.Data, nil)
}

func (in *ingester) onJetStream(m jetstream.Msg) {
	subj := strings.TrimPrefix(m.Subject(), mqttMsgsPrefix)
	in.handle(subj, m.Data(), func(err error) {
		if err != nil {
			_ = m.NakWithDelay(time.Second)
			return
		}
		_ = m.Ack()
	})
}

func (in *ingester) drop(topic, reason string, err error) {
	in.l.m.mqttDropped.With(reason).Inc()
	if in.opts.OnError != nil {
		in.opts.OnError(topic, err)
	}
}

// handle decodes and appends one message; ack (may be nil) is called once
// its observations are durable (nil) or failed; a message that cannot be
// decoded is acknowledged (dropped for good) after being counted.
func (in *ingester) handle(subject string, payload []byte, ack func(error)) {
	topic := SubjectToTopic(subject)
	obs, err := in.opts.Decode(topic, payload, in.buf[:0])
	in.buf = obs[:0]
	if err != nil {
		reason := "decode"
		if in.opts.Reason != nil {
			if r := in.opts.Reason(err); r != "" {
				reason = r
			}
		}
		in.drop(topic, reason, err)
		if ack != nil {
			ack(nil)
		}
		return
	}
	if len(obs) == 0 {
		if ack != nil {
			ack(nil)
		}
		return
	}
	in.l.m.mqttObs.With(in.qos).Add(uint64(len(obs)))
	done := func(err error) {
		if err != nil {
			in.drop(topic, "log", err)
		}
		if ack != nil {
			ack(err)
		}
	}
	if in.opts.Sector == nil {
		in.l.AppendObservationsAsync("", obs, done)
		return
	}
	first := in.opts.Sector(&obs[0])
	same := true
	for i := 1; i < len(obs) && same; i++ {
		same = in.opts.Sector(&obs[i]) == first
	}
	if same {
		in.l.AppendObservationsAsync(first, obs, done)
		return
	}
	bySector := map[string][]borderwatch.Observation{}
	for i := range obs {
		s := in.opts.Sector(&obs[i])
		bySector[s] = append(bySector[s], obs[i])
	}
	j := &joined{left: int32(len(bySector)), cb: done}
	for s, o := range bySector {
		in.l.AppendObservationsAsync(s, o, j.done)
	}
}
