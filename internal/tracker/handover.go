package tracker

import "math"

// Handover is a track leaving one engine for another (a neighbour sector).
// It carries the full filter state, so the receiving engine continues the
// track where the sending one stopped.
type Handover struct {
	t track
}

// ID returns the handed-over track's ID in the sending engine.
func (h *Handover) ID() int64 { return h.t.id }

// Export removes track id from the engine and returns it for Import into
// another engine. move converts a plane position of this engine into the
// receiving engine's plane (nil when both share a plane).
func (e *Engine) Export(id int64, move func(x, y float64) (float64, float64)) (*Handover, bool) {
	i := e.index(id)
	if i < 0 {
		return nil, false
	}
	h := &Handover{t: e.tracks[i]}
	if h.t.friendly {
		e.friends--
	}
	n := len(e.tracks) - 1
	e.tracks[i] = e.tracks[n]
	e.tracks[n] = track{}
	e.tracks = e.tracks[:n]
	if move != nil {
		for m := range h.t.x {
			h.t.x[m][0], h.t.x[m][1] = move(h.t.x[m][0], h.t.x[m][1])
		}
	}
	return h, true
}

// Import adds a handed-over track under a new ID of this engine and
// returns that ID. Tentative tracks this engine started on the same object
// in the meantime (inside the incoming track's gate) are absorbed, so the
// object never has two tracks.
func (e *Engine) Import(h *Handover) int64 {
	tr := h.t
	tr.id = e.nextID
	e.nextID++
	nm := len(e.cfg.Models)
	x, p := tr.combinedPos(nm)
	n := len(e.tracks)
	for i := 0; i < n; {
		o := &e.tracks[i]
		if o.shown || o.friendly {
			i++
			continue
		}
		ox, op := o.combinedPos(nm)
		// Extrapolate the incoming track to the tentative one's time.
		dt := o.t - tr.t
		px, py := x[0]+dt*x[2], x[1]+dt*x[3]
		s := Cov2{XX: p.XX + op.XX, XY: p.XY + op.XY, YY: p.YY + op.YY}
		si, _ := s.inv()
		if si.maha(ox[0]-px, ox[1]-py) <= e.gate && math.Abs(dt) <= e.cfg.MaxLag {
			tr.hits += o.hits
			tr.lastHit = math.Max(tr.lastHit, o.lastHit)
			n--
			e.tracks[i] = e.tracks[n]
			e.tracks[n] = track{}
			continue
		}
		i++
	}
	e.tracks = e.tracks[:n]
	if tr.friendly {
		e.friends++
	}
	e.tracks = append(e.tracks, tr)
	return tr.id
}
