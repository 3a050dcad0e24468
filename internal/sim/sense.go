package sim

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
)

// sensor is a fixed sensor or a watchtower's observers.
type sensor struct {
	idx     int32
	id      string
	kind    borderwatch.SourceKind
	pos     borderwatch.LatLon
	km      float64
	heightM float64 // above the ground
	heading float64
	halfFOV float64 // degrees; 180 = all round
	rng     [3]borderwatch.DetectionRange
	reach   float64 // 1.5 × the longest range
	kx, ky  float64 // metres per degree of longitude and latitude here
	hx, hy  float64 // unit vector of the heading (east, north)
	cosHalf float64 // cosine of the half field of view
	// every is the minimum time between reports about one actor (0: every step).
	every  time.Duration
	site   *outage
	own    outage
	faRate float64 // false alarms per second
	nextFA time.Time
	// A false alarm being reported: a few scans at one spot.
	fa      borderwatch.LatLon
	faLeft  int
	faClass borderwatch.Class
}

// outage is an alternating up/down renewal process.
type outage struct {
	down       bool
	next       time.Time
	mtbf, mttr time.Duration
}

func (o *outage) advance(s *Sim) {
	if o.mtbf <= 0 {
		return
	}
	for !o.next.After(s.now) {
		o.down = !o.down
		mean := o.mtbf
		if o.down {
			mean = o.mttr
		}
		o.next = o.next.Add(exp(s.rSystem, mean))
	}
}

func (o *outage) start(s *Sim, mtbf, mttr time.Duration) {
	o.mtbf, o.mttr = mtbf, mttr
	if mtbf <= 0 {
		return
	}
	// Start in the stationary state.
	o.down = s.rSystem.Float64() < float64(mttr)/float64(mtbf+mttr)
	mean := mtbf
	if o.down {
		mean = mttr
	}
	o.next = s.now.Add(exp(s.rSystem, mean))
}

func (sn *sensor) isDown() bool { return sn.own.down || (sn.site != nil && sn.site.down) }

func (sn *sensor) inFOV(az float64) bool {
	return sn.halfFOV >= 180 || angleDiff(az, sn.heading) <= sn.halfFOV
}

func classIndex(c borderwatch.Class) int {
	switch c {
	case borderwatch.ClassPerson:
		return 0
	case borderwatch.ClassVehicle:
		return 1
	case borderwatch.ClassAnimal:
		return 2
	}
	return -1
}

var indexClass = [3]borderwatch.Class{borderwatch.ClassPerson, borderwatch.ClassVehicle, borderwatch.ClassAnimal}

// Observer ranges: binoculars by day, night-vision devices by night.
var observerRange = [3]borderwatch.DetectionRange{
	{DayM: 2500, NightM: 700}, {DayM: 6000, NightM: 2500}, {DayM: 2000, NightM: 500},
}

func (s *Sim) buildSensors() {
	r := s.o.Rates
	add := func(sn *sensor) {
		for _, d := range sn.rng {
			sn.reach = math.Max(sn.reach, 1.5*math.Max(d.DayM, d.NightM))
		}
		if sn.reach == 0 {
			return
		}
		sn.km, _ = s.locate(sn.pos)
		m, nr := radii(sn.pos.Lat)
		sn.kx, sn.ky = nr*math.Cos(sn.pos.Lat*deg)*deg, m*deg
		sn.hx, sn.hy = math.Sin(sn.heading*deg), math.Cos(sn.heading*deg)
		sn.cosHalf = math.Cos(sn.halfFOV * deg)
		sn.own.start(s, r.SensorMTBF, r.SensorMTTR)
		if sn.faRate > 0 {
			sn.nextFA = s.now.Add(time.Duration(s.rSystem.ExpFloat64() / sn.faRate * float64(time.Second)))
		}
		s.sensors = append(s.sensors, sn)
	}
	for _, d := range s.dep.Sensors {
		sn := &sensor{id: d.ID, kind: d.Kind, pos: d.Position, heightM: d.MountHeightM, heading: d.HeadingDeg, halfFOV: d.FOVDeg / 2}
		if d.FOVDeg <= 0 || d.FOVDeg >= 360 {
			sn.halfFOV = 180
		}
		for i, c := range indexClass {
			sn.rng[i] = d.Range[c]
		}
		switch d.Kind {
		case borderwatch.SourceRadar:
			sn.faRate = r.RadarFalseAlarmsPerHour / 3600
		case borderwatch.SourceGroundSensor, borderwatch.SourceFence:
			sn.faRate = r.GroundFalseAlarmsPerHour / 3600
			sn.every = 10 * time.Second
		default:
			sn.faRate = r.CameraFalseAlarmsPerHour / 3600
		}
		if d.Site != "" {
			sn.site = s.site(d.Site)
		}
		if sn.heightM == 0 {
			sn.heightM = 2
		}
		add(sn)
	}
	for _, st := range s.dep.Sites {
		if st.Kind != borderwatch.SiteWatchtower && st.Kind != borderwatch.SitePost {
			continue
		}
		h := st.HeightM
		if h == 0 {
			h = 5
		}
		sn := &sensor{id: st.ID, kind: borderwatch.SourceWatchtower, pos: st.Position, heightM: h, halfFOV: 180,
			rng: observerRange, every: time.Minute, site: s.site(st.ID)}
		add(sn)
	}
	sort.SliceStable(s.sensors, func(i, j int) bool { return s.sensors[i].km < s.sensors[j].km })
	for i, sn := range s.sensors {
		sn.idx = int32(i)
		if sn.reach <= 3000 {
			s.near = append(s.near, sn)
		} else {
			s.far = append(s.far, sn)
		}
	}
}

func (s *Sim) site(id string) *outage {
	o := s.sites[id]
	if o == nil {
		o = &outage{}
		o.start(s, s.o.Rates.SiteMTBF, s.o.Rates.SiteMTTR)
		s.sites[id] = o
	}
	return o
}

// window returns the sensors of list (sorted by km) within d km of km.
func (s *Sim) window(list []*sensor, km, d float64) []*sensor {
	i := sort.Search(len(list), func(i int) bool { return list[i].km >= km-d })
	j := sort.Search(len(list), func(j int) bool { return list[j].km > km+d })
	return list[i:j]
}

func (s *Sim) systemEvents() {
	// Sites first, in a fixed order: their map is only for lookup.
	next := s.now.Add(time.Hour)
	for _, sn := range s.sensors {
		if sn.site != nil {
			sn.site.advance(s)
			if sn.site.mtbf > 0 && sn.site.next.Before(next) {
				next = sn.site.next
			}
		}
		sn.own.advance(s)
		if sn.own.mtbf > 0 && sn.own.next.Before(next) {
			next = sn.own.next
		}
	}
	s.nextSystem = next
}

// pd is the probability of detection in one scan at range r of a sensor
// whose range for the class (in this light) is R: 0.9 close in, one half
// of that at R, falling steeply beyond; nothing beyond 1.5 R.
func pd(r, R float64) float64 {
	if R <= 0 || r > 1.5*R {
		return 0
	}
	return 0.9 / (1 + math.Exp(8*(r/R-1)))
}

// sense runs every sensor over every actor it could see. Each actor keeps
// a short list of the sensors that could reach it, refreshed every 20 s
// or 300 m; the refresh also notes why the others cannot.
func (s *Sim) sense() {
	for _, a := range s.actors {
		if !s.detectable(a) {
			continue
		}
		ci := classIndex(a.class)
		if ci < 0 {
			continue
		}
		night := s.night(a.km)
		// A bigger group is a bigger signature.
		grow := 1 + 0.04*float64(max(a.size-1, 0))
		if a.kind == KindHerd {
			grow = 1.3
		}
		best := missNone
		if s.now.Sub(a.candAt) >= 20*time.Second || dist(a.candPos, a.pos) > 300 {
			best = s.candidates(a, ci, night, grow)
		}
		for _, sn := range a.cands {
			m := s.look(sn, a, ci, night, grow)
			if m.rank() > best.rank() {
				best = m
			}
		}
		if best.rank() > a.best.rank() {
			a.best = best
		}
	}
}

// candMarginM is how far an actor may move between candidate refreshes.
const candMarginM = 400

// candidates refreshes a's candidate sensors and returns the best reason
// the others give.
func (s *Sim) candidates(a *actor, ci int, night bool, grow float64) MissReason {
	a.cands, a.candAt, a.candPos = a.cands[:0], s.now, a.pos
	best := missNone
	for _, w := range [2]struct {
		list []*sensor
		km   float64
	}{{s.near, 3}, {s.far, 26}} {
		for _, sn := range s.window(w.list, a.km, w.km) {
			rg := sn.rng[ci]
			Rmax := math.Max(rg.DayM, rg.NightM) * grow
			if Rmax == 0 {
				continue
			}
			e, n := (a.pos.Lon-sn.pos.Lon)*sn.kx, (a.pos.Lat-sn.pos.Lat)*sn.ky
			r := math.Sqrt(e*e + n*n)
			switch {
			case r <= 1.5*Rmax+candMarginM:
				a.cands = append(a.cands, sn)
			case r <= 3*Rmax && best.rank() < MissOutOfRange.rank():
				best = MissOutOfRange
			}
		}
	}
	return best
}

func (s *Sim) detectable(a *actor) bool {
	if a.done {
		return false
	}
	if u := a.unit; u != nil && (s.o.IgnoreFriendly || u.state == unitIdle && u.cfg.Kind == borderwatch.UnitQRF) {
		return false // inside its base, or not asked for
	}
	return true
}

// look is one scan of sensor sn over actor a. It reports a detection into
// the frame, or returns why there was none.
func (s *Sim) look(sn *sensor, a *actor, ci int, night bool, grow float64) MissReason {
	rg := sn.rng[ci]
	R, Rday := rg.DayM, rg.DayM
	if night {
		R = rg.NightM
	}
	R *= grow
	Rday *= grow
	e, n := (a.pos.Lon-sn.pos.Lon)*sn.kx, (a.pos.Lat-sn.pos.Lat)*sn.ky
	r2 := e*e + n*n
	if far := 3 * math.Max(R, Rday); r2 > far*far {
		return missNone
	}
	r := math.Sqrt(r2)
	if v := s.visibility(sn, a.km); v < 1 && r <= 1.5*R && r > 1.5*R*v {
		return MissVisibility
	} else {
		R *= v
		Rday *= v
	}
	if r > 1.5*R {
		switch {
		case night && r <= 1.5*Rday:
			return MissNightRange
		case r <= 1.5*math.Max(R, Rday) || r <= 3*R:
			return MissOutOfRange
		}
		return missNone
	}
	if sn.halfFOV < 180 && e*sn.hx+n*sn.hy < r*sn.cosHalf {
		return MissOutOfFOV
	}
	moving := a.ve*a.ve+a.vn*a.vn > 0.09
	if sn.kind == borderwatch.SourceRadar && !moving {
		return MissNotMoving
	}
	if !s.visible(sn, a) || s.deadGround(sn, a, r) {
		return MissOccluded
	}
	if sn.isDown() {
		return MissOutage
	}
	if sn.every > 0 {
		if t, ok := a.lastRep[sn.idx]; ok && s.now.Sub(t) < sn.every {
			return MissPdMiss
		}
	}
	p := pd(r, R) * s.pairFactor(sn.idx, a)
	if sn.kind == borderwatch.SourceWatchtower {
		p *= 0.5 // observers scan by eye and tire at night
	}
	if s.rDetect.Float64() >= p {
		return MissPdMiss
	}
	if sn.every > 0 {
		if a.lastRep == nil {
			a.lastRep = map[int32]time.Time{}
		}
		a.lastRep[sn.idx] = s.now
	}
	s.detect(sn.id, sn.kind, sn.pos, a, r, normDeg(math.Atan2(e, n)/deg), R, night)
	return missNone
}

// visible is line of sight over the terrain, cached per sensor until the
// actor has moved 250 m (the grid is 9 km coarse).
func (s *Sim) visible(sn *sensor, a *actor) bool {
	if a.los == nil {
		a.los = map[int32]losEntry{}
	}
	if l, ok := a.los[sn.idx]; ok && sq((l.p.Lon-a.pos.Lon)*sn.kx)+sq((l.p.Lat-a.pos.Lat)*sn.ky) < 250*250 {
		return l.vis
	}
	h := 1.7
	if a.mode == borderwatch.ModeVehicle {
		h = 2.2
	}
	v := s.terrain.Visible(sn.pos, sn.heightM, a.pos, h)
	a.los[sn.idx] = losEntry{p: a.pos, vis: v}
	return v
}

// detect emits one detection of actor a by a sensor at range r, azimuth
// az, for a sensor whose range for the class is R.
func (s *Sim) detect(id string, kind borderwatch.SourceKind, spos borderwatch.LatLon, a *actor, r, az, R float64, night bool) {
	rd := s.rDetect
	// Classification degrades with range: thermal blobs at the edge of
	// range are people or sheep.
	q := clamp(r/math.Max(R, 1), 0, 1.5)
	pOK := clamp(0.97-0.3*q*q, 0.5, 0.97)
	class := a.class
	if rd.Float64() >= pOK {
		switch a.class {
		case borderwatch.ClassAnimal:
			class = borderwatch.ClassPerson
		case borderwatch.ClassPerson:
			class = borderwatch.ClassAnimal
		default:
			class = borderwatch.ClassUnknown
		}
	}
	conf := clamp(pOK-0.1+0.2*rd.Float64(), 0.3, 0.99)
	if class != a.class {
		conf = clamp(0.35+0.3*rd.Float64(), 0.3, 0.7)
	}
	s.nextDet++
	d := Detection{ID: "d" + strconv.Itoa(s.nextDet), Time: s.now, Sensor: id, Kind: kind, SensorPos: spos, Actor: a.id,
		Class: class, Confidence: round(conf, 2), Count: a.size, Exercise: a.exercise || s.o.Exercise}
	if a.kind == KindHerd && class == borderwatch.ClassPerson {
		d.Count = 1 + rd.IntN(3) // the herders
	}
	switch kind {
	case borderwatch.SourceRadar:
		d.HasBearing = true
		d.AzimuthSigma, d.RangeSigma = 0.5, 10
		d.Azimuth = round(normDeg(az+rd.NormFloat64()*d.AzimuthSigma), 3)
		d.Range = round(math.Max(1, r+rd.NormFloat64()*d.RangeSigma), 1)
		v := borderwatch.Velocity{East: round(a.ve, 2), North: round(a.vn, 2)}
		d.Velocity = &v
	case borderwatch.SourceGroundSensor, borderwatch.SourceFence:
		// A ground sensor knows only that something is near it.
		d.Position, d.CE95 = spos, round(math.Max(R, 20), 0)
	default:
		// Cameras and drones geolocate along the ray: good across, poor
		// along; observers estimate by eye.
		along, across := math.Max(5, 0.02*r), math.Max(1, r*0.2*deg)
		if kind == borderwatch.SourceWatchtower || kind == borderwatch.SourcePatrol {
			along, across = math.Max(20, 0.1*r), math.Max(10, 0.05*r)
		}
		ua, uc := rd.NormFloat64()*along, rd.NormFloat64()*across
		sa, ca := math.Sin(az*deg), math.Cos(az*deg)
		d.Position = roundLL(offset(a.pos, ua*sa+uc*ca, ua*ca-uc*sa))
		d.CE95 = round(2.448*math.Sqrt((along*along+across*across)/2), 1)
	}
	if kind == borderwatch.SourceWatchtower || kind == borderwatch.SourcePatrol {
		d.Hostile = night && a.kind.Illegal() && math.Abs(a.off) < 3000 && class != borderwatch.ClassAnimal
	}
	s.frame.Detections = append(s.frame.Detections, d)
	s.noteDetection(a, class, d.Position)
}

// noteDetection updates an actor's confirmation state.
func (s *Sim) noteDetection(a *actor, class borderwatch.Class, at borderwatch.LatLon) {
	copy(a.dets[1:], a.dets[:2])
	a.dets[0] = s.now
	a.ndets++
	if ci := classIndex(class); ci >= 0 {
		a.votes[ci]++
	}
	a.lastSeen, a.seenPos = s.now, a.pos
	r := a.rec
	if r == nil {
		return
	}
	if r.FirstDet.IsZero() {
		r.FirstDet = s.now
	}
	switch {
	case r.Detected.IsZero() && a.ndets >= 3 && s.now.Sub(a.dets[2]) <= 15*time.Second:
		r.Detected = s.now
		s.event(Event{Time: s.now, Kind: EventDetected, Actor: a.id, ActorKind: a.kind, Position: a.pos, Km: a.km, Exercise: a.exercise})
		s.confirmed(a)
	case !r.Detected.IsZero() && a.ndets%10 == 0:
		// The operator looks again as detections come in: what looked
		// like animals at the edge of range may now look like people.
		s.confirmed(a)
	}
}

// falseAlarms emits sensor clutter: a few scans of a phantom at one spot.
func (s *Sim) falseAlarms() {
	rd := s.rSystem
	for _, sn := range s.sensors {
		if sn.faRate <= 0 {
			continue
		}
		if sn.faLeft == 0 && !sn.nextFA.After(s.now) {
			sn.nextFA = sn.nextFA.Add(time.Duration(rd.ExpFloat64() / sn.faRate * float64(time.Second)))
			if sn.isDown() {
				continue
			}
			R := math.Max(sn.rng[0].DayM, sn.rng[1].DayM)
			r := R * math.Sqrt(uniform(rd, 0.01, 1))
			az := sn.heading + uniform(rd, -sn.halfFOV, sn.halfFOV)
			sn.fa = toward(sn.pos, az, r)
			sn.faLeft = 1 + rd.IntN(4)
			sn.faClass = [...]borderwatch.Class{borderwatch.ClassUnknown, borderwatch.ClassUnknown, borderwatch.ClassPerson, borderwatch.ClassAnimal, borderwatch.ClassVehicle}[rd.IntN(5)]
		}
		if sn.faLeft == 0 {
			continue
		}
		sn.faLeft--
		s.nextDet++
		d := Detection{ID: "d" + strconv.Itoa(s.nextDet), Time: s.now, Sensor: sn.id, Kind: sn.kind, SensorPos: sn.pos,
			Class: sn.faClass, Confidence: round(uniform(rd, 0.3, 0.6), 2), Count: 1, Exercise: s.o.Exercise}
		r, az := dist(sn.pos, sn.fa), azimuth(sn.pos, sn.fa)
		switch sn.kind {
		case borderwatch.SourceRadar:
			d.HasBearing, d.AzimuthSigma, d.RangeSigma = true, 0.5, 10
			d.Azimuth, d.Range = round(az, 3), round(math.Max(r, 1), 1)
		case borderwatch.SourceGroundSensor, borderwatch.SourceFence:
			d.Position, d.CE95 = sn.pos, round(math.Max(sn.rng[0].DayM, 20), 0)
		default:
			d.Position, d.CE95 = roundLL(sn.fa), round(2.448*math.Max(5, 0.02*r), 1)
		}
		s.frame.Detections = append(s.frame.Detections, d)
	}
}

var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7}

func round(x float64, places int) float64 {
	p := pow10[places]
	return math.Round(x*p) / p
}

// roundLL rounds to 1e-7° (1 cm), so that encodings are exact.
func roundLL(p borderwatch.LatLon) borderwatch.LatLon {
	return borderwatch.LatLon{Lat: round(p.Lat, 7), Lon: round(p.Lon, 7)}
}

func sq(x float64) float64 { return x * x }

// Visibility: dust storms (haboobs and the long summer shamal) cut
// thermal and optical ranges to about a third for hours; radar barely
// notices. Each sector has its own weather, one event a week on average.
const (
	dustEvery    = 7 * 24 * time.Hour
	dustLasts    = 12 * time.Hour
	dustOptical  = 0.35
	dustRadar    = 0.9
	deadGroundAt = 8000.0 // range (m) at which dead ground reaches its full share
)

func (s *Sim) visibility(sn *sensor, km float64) float64 {
	if len(s.dust) == 0 || !s.dust[s.sectorIndex(km)].down {
		return 1
	}
	if sn.kind == borderwatch.SourceRadar {
		return dustRadar
	}
	return dustOptical
}

// deadGroundShare is the share of the ground hidden from a sensor at
// deadGroundAt and beyond by relief the 9-km grid cannot see: wadis,
// berms, orchards and reeds, villages.
var deadGroundShare = map[borderwatch.Terrain]float64{
	borderwatch.TerrainDesert: 0.25, borderwatch.TerrainSteppe: 0.35, borderwatch.TerrainHills: 0.6,
	borderwatch.TerrainMountain: 0.7, borderwatch.TerrainRiverValley: 0.6, borderwatch.TerrainUrban: 0.7, borderwatch.TerrainRoad: 0.2,
}

// deadGround is the statistical stand-in for fine relief: the ground is
// cut into 300-m cells, and each (sensor, cell) pair is hidden with a
// probability growing with range up to the terrain's share — the same
// answer every time, so a crosser walks in and out of cover.
func (s *Sim) deadGround(sn *sensor, a *actor, r float64) bool {
	share := deadGroundShare[s.terrainAt(a.km)] * math.Min(1, r/deadGroundAt)
	if share <= 0 {
		return false
	}
	cx := int64(math.Floor(a.pos.Lon * sn.kx / 300))
	cy := int64(math.Floor(a.pos.Lat * sn.ky / 300))
	h := mix(s.o.Seed ^ uint64(sn.idx)<<32 ^ uint64(cx)*0x9e3779b97f4a7c15 ^ uint64(cy)*0xc2b2ae3d27d4eb4f)
	return unitFloat(h) < share
}

// pairFactor is how well one sensor's analytics pick out one target,
// fixed for the pair: some signatures segment badly (a group walking in
// file, a vehicle against warm rock).
func (s *Sim) pairFactor(idx int32, a *actor) float64 {
	if a.hash == 0 {
		for i := 0; i < len(a.id); i++ {
			a.hash = (a.hash ^ uint64(a.id[i])) * 0x100000001b3
		}
		a.hash |= 1
	}
	return 0.4 + 0.6*unitFloat(mix(s.o.Seed^a.hash^uint64(idx)*0x9e3779b97f4a7c15))
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func unitFloat(h uint64) float64 { return float64(h>>11) / (1 << 53) }
