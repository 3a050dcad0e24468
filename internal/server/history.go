package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/export"
	"github.com/borderwatch/borderwatch/internal/replay"
	"github.com/borderwatch/borderwatch/internal/store"
)

// History serves what the store keeps: replay of a past window into the
// browser, and exports. Every record passes the caller's releasability
// check before it leaves.
type history struct {
	s *Server
	// viewer returns what the caller may see, or false when the caller is
	// not authenticated.
	viewer func(r *http.Request) (allow func(borderwatch.Label) bool, ok bool)
	// exported is told of every export (for the audit log).
	exported func(r *http.Request, kind, format string, n int)
}

// maxHistoryRows bounds one history query.
const maxHistoryRows = 2_000_000

func (h *history) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/replay", h.replay)
	mux.HandleFunc("GET /api/v1/history/tracks", h.tracks)
	mux.HandleFunc("GET /api/v1/export", h.export)
}

func window(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	if from, err = time.Parse(time.RFC3339, q.Get("from")); err != nil {
		return from, to, borderwatch.Errorf(borderwatch.EINVALID, "from: want RFC 3339 time, got %q", q.Get("from"))
	}
	if to, err = time.Parse(time.RFC3339, q.Get("to")); err != nil {
		return from, to, borderwatch.Errorf(borderwatch.EINVALID, "to: want RFC 3339 time, got %q", q.Get("to"))
	}
	if !to.After(from) {
		return from, to, borderwatch.Errorf(borderwatch.EINVALID, "to must be after from")
	}
	if to.Sub(from) > 24*time.Hour {
		return from, to, borderwatch.Errorf(borderwatch.EINVALID, "window longer than 24 h")
	}
	return from, to, nil
}

// load reads the window's track states and alerts the caller may see.
func (h *history) load(ctx context.Context, allow func(borderwatch.Label) bool, from, to time.Time) ([]borderwatch.Track, []borderwatch.Alert, error) {
	ts, err := h.s.store.Tracks(ctx, from, to, maxHistoryRows)
	if err != nil {
		return nil, nil, err
	}
	vis := ts[:0]
	for _, t := range ts {
		if allow(t.Label) {
			vis = append(vis, t)
		}
	}
	recs, err := h.s.store.Records(ctx, store.RecordQuery{Kind: store.KindAlert, From: from.Add(-24 * time.Hour), To: to.Add(24 * time.Hour), Limit: 100_000})
	if err != nil {
		return nil, nil, err
	}
	var as []borderwatch.Alert
	for _, r := range recs {
		if !allow(r.Label) {
			continue
		}
		var a borderwatch.Alert
		if err := json.Unmarshal(r.Doc, &a); err != nil {
			continue
		}
		if !a.Time.Before(from) && a.Time.Before(to) {
			as = append(as, a)
		}
	}
	return vis, as, nil
}

func (h *history) replay(w http.ResponseWriter, r *http.Request) {
	allow, ok := h.viewer(r)
	if !ok {
		httpError(w, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "sign in first"))
		return
	}
	from, to, err := window(r)
	if err != nil {
		httpError(w, err)
		return
	}
	speed := 1.0
	if v := r.URL.Query().Get("speed"); v != "" {
		if speed, err = strconv.ParseFloat(v, 64); err != nil {
			httpError(w, borderwatch.Errorf(borderwatch.EINVALID, "speed: %q is not a number", v))
			return
		}
	}
	o := replay.Options{From: from, To: to, Speed: speed}
	if err := o.Validate(); err != nil {
		httpError(w, err)
		return
	}
	ts, as, err := h.load(r.Context(), allow, from, to)
	if err != nil {
		httpError(w, err)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// The replay may outlast the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	err = replay.Run(r.Context(), o, ts, as, func(f replay.Frame) error {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: frame\ndata: %s\n\n", b); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err == nil {
		fmt.Fprint(w, "event: end\ndata: {}\n\n")
	}
}

func (h *history) tracks(w http.ResponseWriter, r *http.Request) {
	allow, ok := h.viewer(r)
	if !ok {
		httpError(w, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "sign in first"))
		return
	}
	from, to, err := window(r)
	if err != nil {
		httpError(w, err)
		return
	}
	ts, _, err := h.load(r.Context(), allow, from, to)
	if err != nil {
		httpError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ts)
}

var exportTypes = map[string]string{
	"geojson": "application/geo+json",
	"kml":     "application/vnd.google-earth.kml+xml",
	"csv":     "text/csv",
}

func (h *history) export(w http.ResponseWriter, r *http.Request) {
	allow, ok := h.viewer(r)
	if !ok {
		httpError(w, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "sign in first"))
		return
	}
	q := r.URL.Query()
	kind, format := q.Get("kind"), q.Get("format")
	ctype, ok := exportTypes[format]
	if !ok {
		httpError(w, borderwatch.Errorf(borderwatch.EINVALID, "format %q: want geojson, kml or csv", format))
		return
	}
	from, to, err := window(r)
	if err != nil {
		httpError(w, err)
		return
	}
	var fs []export.Feature
	switch kind {
	case "tracks", "alerts":
		ts, as, err := h.load(r.Context(), allow, from, to)
		if err != nil {
			httpError(w, err)
			return
		}
		if kind == "tracks" {
			fs = export.Tracks(ts)
		} else {
			fs = export.Alerts(as)
		}
	case "incidents":
		recs, err := h.s.store.Records(r.Context(), store.RecordQuery{Kind: store.KindIncident, From: from, To: to, Limit: 100_000})
		if err != nil {
			httpError(w, err)
			return
		}
		var is []borderwatch.Incident
		for _, rec := range recs {
			var in borderwatch.Incident
			if allow(rec.Label) && json.Unmarshal(rec.Doc, &in) == nil {
				is = append(is, in)
			}
		}
		fs = export.Incidents(is)
	default:
		httpError(w, borderwatch.Errorf(borderwatch.EINVALID, "kind %q: want tracks, alerts or incidents", kind))
		return
	}
	if h.exported != nil {
		h.exported(r, kind, format, len(fs))
	}
	name := fmt.Sprintf("borderwatch-%s-%s", kind, from.UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	switch format {
	case "geojson":
		err = export.WriteGeoJSON(w, name, fs)
	case "kml":
		err = export.WriteKML(w, name, fs, nil)
	case "csv":
		err = export.WriteCSV(w, fs)
	}
	if err != nil {
		h.s.log.Warn("export failed mid-stream", "kind", kind, "format", format, "err", err)
	}
}

// httpError writes a domain error as the API's JSON error with its HTTP
// status (errStatus, shared with the guard); an internal error's detail is
// never shown, and a cancelled request gets nothing.
func httpError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	st, code, msg := errStatus(err)
	writeError(w, st, code, msg)
}
