package tracker

import (
	"errors"
	"fmt"
	"math"
)

// markFriends records, for every detection of the scan, a friendly track
// it falls near (its gate widened by FriendExtent, since a patrol is a
// group of people), so that initiation never starts an unknown track on a
// friendly unit.
func (e *Engine) markFriends(dets []Detection) {
	e.nearFriend = grow(e.nearFriend, len(dets))
	clear(e.nearFriend)
	if e.friends == 0 {
		return
	}
	for i := range e.tracks {
		tr := &e.tracks[i]
		if !tr.friendly {
			continue
		}
		ext := e.cfg.FriendExtent * e.cfg.FriendExtent
		hx := math.Sqrt(e.gate * (tr.pc.XX + ext + e.grid.maxR))
		hy := math.Sqrt(e.gate * (tr.pc.YY + ext + e.grid.maxR))
		e.grid.query(tr.xc[0]-hx, tr.xc[1]-hy, tr.xc[0]+hx, tr.xc[1]+hy, func(j int32) {
			d := &dets[j]
			if d.Kind != MeasPosition || e.nearFriend[j] != 0 {
				return
			}
			s := Cov2{XX: tr.pc.XX + ext + d.R.XX, XY: tr.pc.XY + d.R.XY, YY: tr.pc.YY + ext + d.R.YY}
			si, _ := s.inv()
			if si.maha(d.X-tr.xc[0], d.Y-tr.xc[1]) <= e.gate {
				e.nearFriend[j] = int32(i) + 1
			}
		})
	}
}

// nearFriendTrack reports whether a (non-friendly) track lies within a
// friendly track's widened gate.
func (e *Engine) nearFriendTrack(tr *track) bool {
	ext := e.cfg.FriendExtent * e.cfg.FriendExtent
	for i := range e.tracks {
		f := &e.tracks[i]
		if !f.friendly {
			continue
		}
		dx, dy := tr.xc[0]-f.xc[0], tr.xc[1]-f.xc[1]
		s := Cov2{XX: f.pc.XX + tr.pc.XX + ext, XY: f.pc.XY + tr.pc.XY, YY: f.pc.YY + tr.pc.YY + ext}
		si, _ := s.inv()
		if si.maha(dx, dy) <= e.gate {
			return true
		}
	}
	return false
}

// Spawn starts a track on one detection at time t and returns its ID. A
// friendly track (a unit's self-report) starts confirmed and keeps
// existence 1 until FriendTimeout; other tracks start tentative with the
// given existence (0 means the engine's birth existence).
func (e *Engine) Spawn(t float64, d Detection, friendly bool, existence float64) (int64, error) {
	if err := checkDetection(&d); err != nil {
		return 0, fmt.Errorf("tracker: spawn: %w", err)
	}
	x, p, ok := initialState(&d)
	if !ok {
		return 0, errors.New("tracker: spawn: a bearing-only detection cannot place a track")
	}
	r := existence
	if friendly {
		r = 1 - 1e-12
	} else if r <= 0 || r >= 1 {
		r = e.cfg.PD * e.birth / (e.cfg.PD*e.birth + e.clutterAt(&d))
	}
	tr := track{id: e.nextID, r: r, r0: r, t: t, lastHit: t, hits: 1, friendly: friendly, shown: friendly}
	e.nextID++
	for m, mo := range e.cfg.Models {
		tr.x[m], tr.p[m] = x, p
		v := mo.SpeedSigma * mo.SpeedSigma
		tr.p[m][2][2], tr.p[m][3][3] = v, v
		tr.mu[m] = mo.Prior
	}
	if friendly {
		e.friends++
	}
	e.tracks = append(e.tracks, tr)
	e.Stats.Born++
	return tr.id, nil
}

func (e *Engine) index(id int64) int {
	for i := range e.tracks {
		if e.tracks[i].id == id {
			return i
		}
	}
	return -1
}

// Has reports whether a track with this ID is alive.
func (e *Engine) Has(id int64) bool { return e.index(id) >= 0 }

// SetTag stores a caller's value on a track (returned in Estimate.Tag).
func (e *Engine) SetTag(id, tag int64) bool {
	i := e.index(id)
	if i < 0 {
		return false
	}
	e.tracks[i].user = tag
	return true
}

// Update applies one detection known to come from track id (a friendly
// unit's self-report) at time t: the track is predicted to t and updated
// with no association. A detection older than the track's estimate is
// applied as an out-of-sequence measurement.
func (e *Engine) Update(id int64, t float64, d Detection) error {
	if err := checkDetection(&d); err != nil {
		return fmt.Errorf("tracker: update: %w", err)
	}
	i := e.index(id)
	if i < 0 {
		return fmt.Errorf("tracker: update: no track %d", id)
	}
	tr := &e.tracks[i]
	nm := len(e.cfg.Models)
	if t < tr.t {
		if tr.t-t > e.cfg.MaxLag {
			e.Stats.LateDropped++
			return nil
		}
		for m := 0; m < nm; m++ {
			oosm(&tr.x[m], &tr.p[m], t-tr.t, e.cfg.Models[m].Q, &d)
		}
		e.Stats.Late++
		tr.hits++
		return nil
	}
	e.predictTrack(tr, t-tr.t, nm)
	tr.t = t
	var lam [maxModels]float64
	for m := 0; m < nm; m++ {
		g, _, ok := likelihood(&d, &tr.x[m], &tr.p[m])
		if !ok {
			return errors.New("tracker: update: degenerate geometry")
		}
		lam[m] = g
	}
	e.setModelProbs(tr, lam, nm)
	for m := 0; m < nm; m++ {
		applyDetection(&tr.x[m], &tr.p[m], &d)
	}
	tr.hits++
	tr.lastHit = t
	if !tr.friendly {
		tr.r = min(1-1e-12, tr.r+(1-tr.r)*e.cfg.PD)
	}
	return nil
}

// likelihood returns the Gaussian likelihood of d under one model and its
// squared Mahalanobis distance.
func likelihood(d *Detection, x *State, p *Cov) (g, d2 float64, ok bool) {
	if d.Kind != MeasPosition {
		return bearingLikelihood(d, x, p)
	}
	s := posCov(p, d.R)
	si, det := s.inv()
	if !(det > 0) {
		return 0, 0, false
	}
	d2 = si.maha(d.X-x[0], d.Y-x[1])
	return math.Exp(-0.5*d2) / (2 * math.Pi * math.Sqrt(det)), d2, true
}

// Late applies detections measured at t, before the last scan but within
// MaxLag: each updates the track that explains it best (out-of-sequence
// update by retrodiction, after Bar-Shalom's one-lag approximation); a late
// detection no track explains is dropped, as it is too old to start one.
// It returns the ID each detection updated (0 for none).
func (e *Engine) Late(t float64, dets []Detection) ([]int64, error) {
	out := make([]int64, len(dets))
	nm := len(e.cfg.Models)
	for j := range dets {
		d := &dets[j]
		if err := checkDetection(d); err != nil {
			return out, fmt.Errorf("tracker: late detection %d: %w", j, err)
		}
		best, bw := -1, 0.0
		for i := range e.tracks {
			tr := &e.tracks[i]
			dt := t - tr.t
			if dt > 0 || -dt > e.cfg.MaxLag {
				continue
			}
			x, p := tr.combine(nm)
			retrodict(&x, &p, dt, e.cfg.Models[nm-1].Q)
			g, d2, ok := likelihood(d, &x, &p)
			if !ok || d2 > e.gate {
				continue
			}
			if w := tr.r * g; w > bw {
				best, bw = i, w
			}
		}
		if best < 0 {
			e.Stats.LateDropped++
			continue
		}
		tr := &e.tracks[best]
		for m := 0; m < nm; m++ {
			oosm(&tr.x[m], &tr.p[m], t-tr.t, e.cfg.Models[m].Q, d)
		}
		tr.hits++
		if !tr.friendly {
			tr.r = min(1-1e-12, tr.r+(1-tr.r)*e.cfg.PD*e.pg)
		}
		e.Stats.Late++
		out[j] = tr.id
	}
	return out, nil
}

// retrodict moves an estimate back by -dt seconds (dt < 0): x_d = F x,
// P_d = F (P + Q) F' with F = F(dt).
func retrodict(x *State, p *Cov, dt, q float64) {
	addQ(p, math.Abs(dt), q)
	x[0] += dt * x[2]
	x[1] += dt * x[3]
	transition(p, dt)
}

func addQ(p *Cov, dt, q float64) {
	dt2 := dt * dt
	q11, q12, q22 := q*dt2*dt/3, q*dt2/2, q*dt
	p[0][0] += q11
	p[1][1] += q11
	p[0][2] += q12
	p[2][0] += q12
	p[1][3] += q12
	p[3][1] += q12
	p[2][2] += q22
	p[3][3] += q22
}

// transition sets p = F p F' with F = [I dt I; 0 I].
func transition(p *Cov, dt float64) {
	var a Cov
	for j := 0; j < 4; j++ {
		a[0][j] = p[0][j] + dt*p[2][j]
		a[1][j] = p[1][j] + dt*p[3][j]
		a[2][j] = p[2][j]
		a[3][j] = p[3][j]
	}
	for i := 0; i < 4; i++ {
		p[i][0] = a[i][0] + dt*a[i][2]
		p[i][1] = a[i][1] + dt*a[i][3]
		p[i][2] = a[i][2]
		p[i][3] = a[i][3]
	}
	symmetrize(p)
}

// oosm updates the current estimate (x, p) with a detection measured dt
// seconds earlier (dt < 0). The retrodicted estimate is x_d = F x, P_d =
// F (P + Q) F'; the cross-covariance of the current and retrodicted errors
// is approximated by P F' (the process-noise correlation is neglected, as
// in Bar-Shalom's Bl1 algorithm); then x += K nu, P -= K S K' with K = P F'
// H' S^-1.
func oosm(x *State, p *Cov, dt, q float64, d *Detection) {
	xd, pd := *x, *p
	retrodict(&xd, &pd, dt, q)
	h, nu, r, dim, ok := measModel(d, &xd)
	if !ok {
		return
	}
	// C = P F' H' (4 x dim): F' H' row m = H F column-wise.
	var hf [2][4]float64 // H F
	for m := 0; m < dim; m++ {
		hf[m][0], hf[m][1] = h[m][0], h[m][1]
		hf[m][2] = h[m][0]*dt + h[m][2]
		hf[m][3] = h[m][1]*dt + h[m][3]
	}
	var c [4][2]float64
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			var v float64
			for j := 0; j < 4; j++ {
				v += p[i][j] * hf[m][j]
			}
			c[i][m] = v
		}
	}
	var s [2][2]float64
	for a := 0; a < dim; a++ {
		for b := 0; b < dim; b++ {
			var v float64
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					v += h[a][i] * pd[i][j] * h[b][j]
				}
			}
			s[a][b] = v + r[a][b]
		}
	}
	var si [2][2]float64
	if dim == 1 {
		if !(s[0][0] > 0) {
			return
		}
		si[0][0] = 1 / s[0][0]
	} else {
		det := s[0][0]*s[1][1] - s[0][1]*s[1][0]
		if !(det > 0) {
			return
		}
		si = [2][2]float64{{s[1][1] / det, -s[0][1] / det}, {-s[1][0] / det, s[0][0] / det}}
	}
	var k [4][2]float64
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			for n := 0; n < dim; n++ {
				k[i][m] += c[i][n] * si[n][m]
			}
		}
	}
	for i := 0; i < 4; i++ {
		for m := 0; m < dim; m++ {
			x[i] += k[i][m] * nu[m]
		}
	}
	// P -= K S K' = K C'.
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			var v float64
			for m := 0; m < dim; m++ {
				v += k[i][m] * c[j][m]
			}
			p[i][j] -= v
			p[j][i] = p[i][j]
		}
	}
}

// measModel linearises any detection about x: Jacobian rows h, innovation
// nu, noise covariance r and dimension.
func measModel(d *Detection, x *State) (h [2][4]float64, nu [2]float64, r [2][2]float64, dim int, ok bool) {
	if d.Kind == MeasPosition {
		h[0][0], h[1][1] = 1, 1
		nu = [2]float64{d.X - x[0], d.Y - x[1]}
		r = [2][2]float64{{d.R.XX, d.R.XY}, {d.R.XY, d.R.YY}}
		return h, nu, r, 2, true
	}
	h, nu, rd, dim, ok := bearingModel(d, x)
	r[0][0], r[1][1] = rd[0], rd[1]
	return h, nu, r, dim, ok
}

// Expire deletes, at time t, tracks whose coasting limits (MaxCoast,
// MaxTentative, FriendTimeout) have passed, without a scan, and returns
// their IDs. Live systems call it on a timer.
func (e *Engine) Expire(t float64) []int64 {
	var gone []int64
	n := len(e.tracks)
	for i := 0; i < n; {
		tr := &e.tracks[i]
		var drop bool
		switch {
		case tr.friendly:
			drop = e.cfg.FriendTimeout > 0 && t-tr.lastHit > e.cfg.FriendTimeout
		case e.cfg.MaxCoast > 0 && t-tr.lastHit > e.cfg.MaxCoast:
			drop = true
		case !tr.shown && e.cfg.MaxTentative > 0 && t-tr.lastHit > e.cfg.MaxTentative:
			drop = true
		}
		if !drop {
			i++
			continue
		}
		if tr.friendly {
			e.friends--
		}
		gone = append(gone, tr.id)
		e.Stats.Deleted++
		n--
		e.tracks[i] = e.tracks[n]
	}
	clear(e.tracks[n:])
	e.tracks = e.tracks[:n]
	return gone
}
