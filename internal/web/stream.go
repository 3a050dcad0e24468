package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
)

// stream is one connected viewer, addressable by its random id so the
// viewer can change its viewport without reconnecting.
type stream struct {
	sub     *live.Subscription
	subject string
}

func newStreamID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// stream serves GET /api/v1/stream as Server-Sent Events.
//
// Query: bbox=w,s,e,n (viewport; none = everywhere), hz= (max batches per
// second, capped by Options.StreamMaxHz). Events: "hello" {"stream":id}
// first, then "batch" events whose data is a live.Batch JSON and whose id
// is the resume point: a reconnect with Last-Event-ID (EventSource does
// it by itself) continues from there, or gets a snapshot (reset: true).
func (h *handler) stream(w http.ResponseWriter, r *http.Request, p Principal) {
	f, err := h.filter(r, p)
	if err != nil {
		h.error(w, r, err)
		return
	}
	hz := h.o.StreamMaxHz
	if s := r.URL.Query().Get("hz"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0) {
			h.error(w, r, borderwatch.Errorf(borderwatch.EINVALID, "hz: %q: want a positive number of batches per second", s))
			return
		}
		hz = min(v, hz)
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout; unsupported writers have none

	sub := h.o.Live.Subscribe(f, last)
	defer sub.Close()
	id := newStreamID()
	h.mu.Lock()
	h.streams[id] = &stream{sub: sub, subject: p.Subject}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.streams, id)
		h.mu.Unlock()
	}()
	h.clients.Add(1)
	defer h.clients.Add(-1)

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	hello, _ := json.Marshal(map[string]string{"stream": id})
	if _, err := io.WriteString(w, "retry: 2000\nevent: hello\ndata: "+string(hello)+"\n\n"); err != nil {
		return
	}
	rc.Flush()

	ctx := r.Context()
	if h.o.Context != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(h.o.Context, cancel)()
	}
	buf := make([]byte, 0, 64<<10)
	err = sub.Run(ctx, live.RunOptions{
		MinInterval: time.Duration(float64(time.Second) / hz),
		Heartbeat:   h.o.StreamHeartbeat,
	}, func(b live.Batch) error {
		buf = buf[:0]
		if b.Data == nil {
			buf = append(buf, ": ping\n\n"...)
		} else {
			buf = append(buf, "id: "...)
			buf = append(buf, b.ID...)
			buf = append(buf, "\nevent: batch\ndata: "...)
			buf = append(buf, b.Data...) // JSON has no raw newlines
			buf = append(buf, "\n\n"...)
			h.batches.Inc()
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		h.bytes.Add(uint64(len(buf)))
		return rc.Flush()
	})
	if err != nil && ctx.Err() == nil {
		h.log.Debug("web: stream ended", "stream", id, "err", err)
	}
}

// streamView serves POST /api/v1/stream/{id}/view: {"bbox":[w,s,e,n]} or
// {"bbox":null} for everywhere. The stream's next batch adds what came into
// view and removes what left it.
func (h *handler) streamView(w http.ResponseWriter, r *http.Request, p Principal) {
	h.mu.Lock()
	s := h.streams[r.PathValue("id")]
	h.mu.Unlock()
	if s == nil || s.subject != p.Subject {
		h.error(w, r, borderwatch.Errorf(borderwatch.ENOTFOUND, "no such stream: reconnect"))
		return
	}
	var body struct {
		BBox *[4]float64 `json:"bbox"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		h.error(w, r, borderwatch.Errorf(borderwatch.EINVALID, "body: %s; want {\"bbox\":[west,south,east,north]}", jsonReason(err)))
		return
	}
	var b *live.BBox
	if body.BBox != nil {
		v := body.BBox
		bb := live.BBox{W: v[0], S: v[1], E: v[2], N: v[3]}
		if !bb.Valid() {
			h.error(w, r, borderwatch.Errorf(borderwatch.EINVALID, "bbox: want west<=east, south<=north, within ±180/±90"))
			return
		}
		b = &bb
	}
	s.sub.SetView(b)
	w.WriteHeader(http.StatusNoContent)
}
