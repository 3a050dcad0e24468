package cluster_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// Edge topology names (docs/scaleout.md).
const (
	hqDomain   = "hq"
	postDomain = "post-rabia"
)

// postLeafConfig returns the natsbus Configure hook of a border post: its
// embedded server gets its own JetStream domain and a leaf node link to
// headquarters. The log's subjects (bw.>) do not cross the link in either
// direction: headquarters copies the post's streams through JetStream
// (mirror/source over $JS.<domain>.API), which resumes where it stopped
// after an outage, while plain subject interest would store messages
// twice or not at all.
func postLeafConfig(hqLeafURL string) (func(*server.Options), error) {
	u, err := url.Parse(hqLeafURL)
	if err != nil {
		return nil, fmt.Errorf("leaf url %q: %w", hqLeafURL, err)
	}
	return func(o *server.Options) {
		o.JetStreamDomain = postDomain
		o.LeafNode.ReconnectInterval = 250 * time.Millisecond
		o.LeafNode.Remotes = []*server.RemoteLeafOpts{{
			URLs:        []*url.URL{u},
			DenyExports: []string{"bw.>"},
			DenyImports: []string{"bw.>"},
		}}
	}, nil
}

func startHQ(t testing.TB) (clientURL, leafURL string) {
	t.Helper()
	bin := needNATSServer(t)
	ports := freePorts(t, 2)
	dir := t.TempDir()
	conf := filepath.Join(dir, "hq.conf")
	body := fmt.Sprintf(`server_name: hq
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  domain: %s
  max_memory_store: 256MB
  max_file_store: 4GB
}
leafnodes {
  listen: 127.0.0.1:%d
}
`, ports[0], filepath.Join(dir, "store"), hqDomain, ports[1])
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &natsProc{name: "hq", conf: conf, bin: bin, url: fmt.Sprintf("nats://127.0.0.1:%d", ports[0])}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("hq log (tail):\n%s", tail(p.log.String(), 3000))
		}
	})
	return p.url, fmt.Sprintf("nats-leaf://127.0.0.1:%d", ports[1])
}

// TestEdgeLeafNode: a border post's embedded log is linked to
// headquarters as a NATS leaf node. With the link cut the post keeps
// appending (and acknowledging) locally; when the link returns,
// headquarters catches up with everything, each batch exactly once.
func TestEdgeLeafNode(t *testing.T) {
	hqURL, hqLeaf := startHQ(t)
	link := newLinkProxy(t, strings.TrimPrefix(hqLeaf, "nats-leaf://"))
	configure, err := postLeafConfig("nats-leaf://" + link.Addr())
	if err != nil {
		t.Fatal(err)
	}
	post, err := natsbus.New(natsbus.Options{DataDir: t.TempDir(), ServerName: "post-rabia", Configure: configure, Retention: smallRetention()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := post.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = post.Close() })
	leafUp := func() bool { return post.Server().NumLeafNodes() == 1 }
	waitFor(t, nil, 20*time.Second, "leaf link up", leafUp)

	// Headquarters runs its own log (here one node; a cluster in
	// production), then adds the post's observations stream as a source
	// of its own OBSERVATIONS stream: same name in another domain, so the
	// Nats-Expected-Stream header the post stored with each batch holds.
	hqLog, err := natsbus.New(natsbus.Options{URLs: []string{hqURL}, Retention: smallRetention()})
	if err != nil {
		t.Fatal(err)
	}
	if err := hqLog.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hqLog.Close() })
	nc, err := nats.Connect(hqURL, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	hq, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := addPostSource(ctx, hq, postDomain); err != nil {
		t.Fatal(err)
	}
	hqStream := string(natsbus.StreamObservations)
	// Headquarters' own ingest goes on in the same stream.
	hqObs := []borderwatch.Observation{{ID: "hq-1", Time: time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC),
		Source: borderwatch.Source{ID: "hq-analyst", Kind: borderwatch.SourceIntel}, Class: borderwatch.ClassVehicle, Confidence: 1}}
	if err := hqLog.AppendObservations(ctx, "anbar-qaim", hqObs); err != nil {
		t.Fatal(err)
	}

	sectors := []string{"ninewa-rabia", "ninewa-sinjar"}
	appendRound := func(round int) {
		t.Helper()
		for _, s := range sectors {
			obs := make([]borderwatch.Observation, 4)
			for k := range obs {
				p := borderwatch.LatLon{Lat: 36.5, Lon: 41.9 + float64(k)*1e-4}
				obs[k] = borderwatch.Observation{ID: fmt.Sprintf("%s-%d-%d", s, round, k), Time: time.Date(2026, 11, 22, 1, 0, round, 0, time.UTC),
					Source: borderwatch.Source{ID: "tower-7", Kind: borderwatch.SourceThermalCamera}, Position: &p,
					Cov: borderwatch.Isotropic(30), Class: borderwatch.ClassPerson, Confidence: 0.8}
			}
			actx, acancel := context.WithTimeout(ctx, 10*time.Second)
			err := post.AppendObservations(actx, s, obs)
			acancel()
			if err != nil {
				t.Fatalf("post append round %d: %v", round, err)
			}
		}
	}
	hqHas := func(stream string, n uint64) func() bool {
		return func() bool {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			st, err := hq.Stream(c, stream)
			if err != nil {
				return false
			}
			info, err := st.Info(c)
			return err == nil && info.State.Msgs >= n
		}
	}
	postLast := func() uint64 {
		seq, err := post.LastSeq(ctx, natsbus.StreamObservations)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}

	for round := 0; round < 10; round++ {
		appendRound(round)
	}
	before := postLast()
	waitFor(t, nil, 30*time.Second, "hq has the post's first batches", hqHas(hqStream, before+1))

	link.Cut()
	waitFor(t, nil, 20*time.Second, "leaf link down", func() bool { return !leafUp() })
	cutAt := time.Now()
	for round := 10; round < 60; round++ {
		appendRound(round) // acknowledged locally: the post works alone
	}
	during := postLast()
	t.Logf("link cut: the post logged %d more batches in %v", during-before, time.Since(cutAt).Round(time.Millisecond))
	if got := hqCount(ctx, t, hq, hqStream); got != before+1 {
		t.Fatalf("hq has %d batches while the link is cut, want %d", got, before+1)
	}

	link.Restore()
	restored := time.Now()
	waitFor(t, nil, 60*time.Second, "hq catches up", hqHas(hqStream, during+1))
	t.Logf("link restored: hq caught up %d batches in %v", during-before, time.Since(restored).Round(time.Millisecond))

	// Every observation the post logged is at headquarters exactly once,
	// beside headquarters' own.
	want := []string{"hq-1"}
	if err := post.ReadObservations(ctx, natsbus.ReadOptions{}, func(_ natsbus.Msg, obs []borderwatch.Observation) error {
		for _, o := range obs {
			want = append(want, o.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if len(want) != 1+60*len(sectors)*4 {
		t.Fatalf("post log holds %d observations, want %d", len(want)-1, 60*len(sectors)*4)
	}
	got := hqIDs(ctx, t, hq, hqStream)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("hq holds %d observation ids, want %d (the post's and its own, each once)", len(got), len(want))
	}
	// The link carried no log subjects: nothing of headquarters' own
	// reached the post.
	if seq := postLast(); seq != during {
		t.Errorf("post log grew to %d after the link returned, want %d", seq, during)
	}
}

// addPostSource adds a border post's observations stream (in JetStream
// domain domain, across the leaf link) to headquarters' OBSERVATIONS
// stream, keeping its configuration.
func addPostSource(ctx context.Context, hq jetstream.JetStream, domain string) error {
	st, err := hq.Stream(ctx, string(natsbus.StreamObservations))
	if err != nil {
		return fmt.Errorf("hq observations stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("hq observations stream: %w", err)
	}
	cfg := info.Config
	for _, src := range cfg.Sources {
		if src.External != nil && src.External.APIPrefix == "$JS."+domain+".API" {
			return nil
		}
	}
	cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
		Name:     string(natsbus.StreamObservations),
		External: &jetstream.ExternalStream{APIPrefix: "$JS." + domain + ".API"},
	})
	if _, err := hq.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("hq observations stream: add source from domain %s: %w", domain, err)
	}
	return nil
}

func hqCount(ctx context.Context, t testing.TB, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// hqIDs decodes every observation batch of a headquarters stream.
func hqIDs(ctx context.Context, t testing.TB, js jetstream.JetStream, stream string) []string {
	t.Helper()
	n := hqCount(ctx, t, js, stream)
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var buf []borderwatch.Observation
	for got := uint64(0); got < n; {
		batch, err := cons.Fetch(int(min(n-got, 500)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for m := range batch.Messages() {
			k++
			buf, err = natsbus.DecodeObservations(m.Data(), buf[:0])
			if err != nil {
				t.Fatalf("%s: %v", stream, err)
			}
			for _, o := range buf {
				ids = append(ids, o.ID)
			}
		}
		if k == 0 {
			t.Fatalf("%s: read %d of %d batches: %v", stream, got, n, batch.Error())
		}
		got += uint64(k)
	}
	return ids
}
