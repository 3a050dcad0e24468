package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/dispatch"
	"github.com/borderwatch/borderwatch/internal/incident"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/natsbus"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/store"
)

// response is the loop from alert to unit on scene: incidents, the
// dispatch recommendation, the task to the unit's TAK phone and the drone
// go-to, and arrival judged from the unit's own position reports.
type response struct {
	s       *Server
	svc     *incident.Service
	planner *dispatch.Planner

	mu      sync.Mutex
	tasks   map[string]*task // by unit id
	dronesT map[string]string
	// onDispatch is told of every unit dispatched (OnDispatch).
	onDispatch func(unitID string, target borderwatch.LatLon)
}

// OnDispatch registers f to be told of every unit dispatched to an
// incident, besides the CoT task to the unit's phones: a simulator moves
// its simulated units with it. f must not block.
func (s *Server) OnDispatch(f func(unitID string, target borderwatch.LatLon)) {
	s.resp.mu.Lock()
	defer s.resp.mu.Unlock()
	s.resp.onDispatch = f
}

// task is one dispatched unit on its way to an incident.
type task struct {
	incident string
	target   borderwatch.LatLon
	arrival  *dispatch.Arrival
}

// arrivalRadiusM is how close a unit must report itself to be on scene.
const arrivalRadiusM = 300

func newResponse(s *Server) (*response, error) {
	svc, err := incident.New(incident.Options{})
	if err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	pl, err := dispatch.New(s.dep, dispatch.Options{})
	if err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	return &response{s: s, svc: svc, planner: pl, tasks: map[string]*task{}, dronesT: map[string]string{}}, nil
}

// restore reloads unresolved incidents from the store after a restart.
func (r *response) restore(ctx context.Context) error {
	recs, err := r.s.store.Records(ctx, store.RecordQuery{Kind: store.KindIncident, Limit: 100_000})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		var in borderwatch.Incident
		if err := json.Unmarshal(rec.Doc, &in); err != nil {
			return fmt.Errorf("incident %s: %w", rec.ID, err)
		}
		if err := r.svc.Restore(in); err != nil {
			return fmt.Errorf("incident %s: %w", rec.ID, err)
		}
	}
	return nil
}

// alert offers a raised or updated alert to the incident service, which
// opens or grows an incident when the alert warrants it.
func (r *response) alert(a *borderwatch.Alert) {
	inc, changed, err := r.svc.Alert(*a, a.Time)
	if err != nil || !changed {
		return
	}
	a.IncidentID = inc.ID
	r.publish(inc)
}

// publish logs an incident's new state (the store projects it).
func (r *response) publish(inc borderwatch.Incident) {
	r.s.out.event(natsbus.StreamIncidents, inc.Sector, typeIncident, inc)
}

// unitReport feeds a unit's own position report to its task, if it has
// one, and moves the incident on when the unit acknowledged, set off or
// arrived.
func (r *response) unitReport(unitID string, p borderwatch.LatLon, at time.Time) {
	r.mu.Lock()
	tk := r.tasks[unitID]
	if tk == nil {
		r.mu.Unlock()
		return
	}
	phase, changed := tk.arrival.Position(p, at)
	if phase == dispatch.PhaseOnScene && changed {
		delete(r.tasks, unitID)
	}
	r.mu.Unlock()
	if !changed {
		return
	}
	var inc borderwatch.Incident
	var err error
	switch phase {
	case dispatch.PhaseAcknowledged:
		inc, err = r.svc.UnitAcknowledged(tk.incident, unitID, at)
	case dispatch.PhaseEnRoute:
		inc, err = r.svc.EnRoute(tk.incident, unitID, at)
	case dispatch.PhaseOnScene:
		inc, err = r.svc.OnScene(tk.incident, unitID, at)
	default:
		return
	}
	if err == nil {
		r.publish(inc)
	}
}

// Recommendation ranks units and drones for an incident.
type Recommendation struct {
	Units  []UnitETA  `json:"units"`
	Drones []DroneETA `json:"drones"`
}

// UnitETA is a unit ranked for an incident.
type UnitETA struct {
	UnitID    string               `json:"unit_id"`
	Kind      borderwatch.UnitKind `json:"kind"`
	ETA       float64              `json:"eta_s"`
	ETAMin    float64              `json:"eta_min_s"`
	ETAMax    float64              `json:"eta_max_s"`
	DistanceM float64              `json:"distance_m"`
	Available bool                 `json:"available"`
	Reason    string               `json:"reason,omitempty"`
}

// DroneETA is a drone ranked for an incident.
type DroneETA struct {
	DroneID   string  `json:"drone_id"`
	Flight    float64 `json:"flight_s"`
	DistanceM float64 `json:"distance_m"`
	OnStation float64 `json:"on_station_s"`
	Feasible  bool    `json:"feasible"`
	Reason    string  `json:"reason,omitempty"`
}

// recommend ranks the deployment's units (at their last reported
// position, else their base) and the drones for the incident's position.
func (r *response) recommend(inc borderwatch.Incident) Recommendation {
	reported := map[string]live.Unit{}
	for _, u := range r.s.live.Units(live.Filter{}) {
		reported[u.ID] = u
	}
	r.mu.Lock()
	busy := map[string]bool{}
	for id := range r.tasks {
		busy[id] = true
	}
	dronesBusy := map[string]bool{}
	for id := range r.dronesT {
		dronesBusy[id] = true
	}
	r.mu.Unlock()
	var states []dispatch.UnitState
	for _, u := range r.s.dep.Units {
		st := dispatch.UnitState{ID: u.ID, Available: !busy[u.ID]}
		if lu, ok := reported[u.ID]; ok {
			st.Position = lu.Position
		} else if site, ok := r.s.dep.Site(u.Base); ok {
			st.Position = site.Position
		} else {
			continue
		}
		states = append(states, st)
	}
	var rec Recommendation
	for _, c := range r.planner.Units(inc.Position, states) {
		available := true
		for _, st := range states {
			if st.ID == c.UnitID {
				available = st.Available
			}
		}
		rec.Units = append(rec.Units, UnitETA{UnitID: c.UnitID, Kind: c.Kind, ETA: c.ETA.Seconds(), ETAMin: c.ETALow.Seconds(),
			ETAMax: c.ETAHigh.Seconds(), DistanceM: c.DistanceM, Available: available && c.Reachable, Reason: c.Reason})
	}
	var drones []dispatch.DroneState
	if r.s.mav != nil {
		for _, d := range r.s.mav.Drones() {
			if d.Online && d.HasPosition {
				drones = append(drones, dispatch.DroneState{ID: d.UnitID, Position: d.Position, BatteryPct: d.Battery,
					Airborne: d.LandedState != "on_ground", Available: !dronesBusy[d.UnitID]})
			}
		}
	}
	for _, c := range r.planner.Drones(inc.Position, drones) {
		rec.Drones = append(rec.Drones, DroneETA{DroneID: c.DroneID, Flight: c.Flight.Seconds(), DistanceM: c.DistanceM,
			OnStation: c.OnStation.Seconds(), Feasible: c.Feasible, Reason: c.Reason})
	}
	return rec
}

// dispatch tasks a unit (CoT to its phone) and optionally a drone
// (MAVLink go-to) to an incident.
func (r *response) dispatch(ctx context.Context, id, unitID, droneID, actor string) (borderwatch.Incident, error) {
	inc, ok := r.svc.Get(id)
	if !ok {
		return inc, borderwatch.Errorf(borderwatch.ENOTFOUND, "incident %s not found", id)
	}
	u, ok := r.s.dep.Unit(unitID)
	if !ok {
		return inc, borderwatch.Errorf(borderwatch.EINVALID, "unit %q is not in the deployment", unitID)
	}
	now := r.s.opts.Now()
	if inc.State == borderwatch.IncidentNew {
		// Dispatching is one action: it acknowledges a new incident first
		// (both steps are in the timeline).
		if _, err := r.svc.Acknowledge(id, actor, now); err != nil {
			return inc, err
		}
	}
	inc, err := r.svc.Assign(id, unitID, actor, now)
	if err != nil {
		return inc, err
	}
	r.mu.Lock()
	r.tasks[unitID] = &task{incident: id, target: inc.Position, arrival: dispatch.NewArrival(inc.Position, arrivalRadiusM)}
	hook := r.onDispatch
	r.mu.Unlock()
	if hook != nil {
		hook(unitID, inc.Position)
	}
	if r.s.cot != nil {
		ev := taskEvent(inc, &u, now)
		r.s.cot.Publish(&ev, inc.Label)
	}
	r.publish(inc)
	if droneID != "" {
		if r.s.mav == nil {
			return inc, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "no MAVLink listener: drone %s cannot be tasked", droneID)
		}
		r.mu.Lock()
		r.dronesT[droneID] = id
		r.mu.Unlock()
		// The go-to waits for the vehicle's acknowledgement with retries;
		// its result goes into the incident's timeline.
		r.s.goRun("drone-goto", func() error {
			gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			res, err := r.s.mav.GoTo(gctx, r.vehicleOf(droneID), inc.Position, droneAltM)
			note := fmt.Sprintf("drone %s go-to %.5f,%.5f at %.0f m: %v", droneID, inc.Position.Lat, inc.Position.Lon, droneAltM, res)
			if err != nil {
				note = fmt.Sprintf("drone %s go-to failed: %v", droneID, err)
				r.mu.Lock()
				delete(r.dronesT, droneID)
				r.mu.Unlock()
			}
			if in, nerr := r.svc.Note(id, note, "system", r.s.opts.Now()); nerr == nil {
				r.publish(in)
			}
			return nil
		})
	}
	return inc, nil
}

// vehicleOf returns the MAVLink vehicle id of a drone named by its unit
// id (the name operators see), or the name itself.
func (r *response) vehicleOf(unitID string) string {
	for _, d := range r.s.mav.Drones() {
		if d.UnitID == unitID {
			return d.ID
		}
	}
	return unitID
}

// droneAltM is the height above home a tasked drone loiters at.
const droneAltM = 120.0

// taskEvent is the CoT task sent to a unit's phones: a go-to waypoint at
// the incident, addressed to the unit (marti dest) with the task in the
// remarks.
func taskEvent(inc borderwatch.Incident, u *borderwatch.Unit, now time.Time) cot.Event {
	ev := cot.Event{
		UID:   "borderwatch.task." + inc.ID + "." + u.ID,
		Type:  "b-m-p-w-GOTO",
		How:   "h-g-i-g-o",
		Time:  now,
		Start: now,
		Stale: now.Add(2 * time.Hour),
		Point: cot.Point{Lat: inc.Position.Lat, Lon: inc.Position.Lon, HAE: cot.Unknown, CE: 50, LE: cot.Unknown},
	}
	if inc.Exercise {
		ev.Opex = "e"
	}
	ev.Detail.Has |= cot.ElemContact | cot.ElemRemarks
	ev.Detail.Contact.Callsign = "TASK " + inc.ID
	ev.Detail.Remarks.Text = fmt.Sprintf("TASK for %s: %s at border km %.1f. Incident %s.", u.Name, inc.Title, inc.Chainage, inc.ID)
	ev.Detail.XML = `<marti><dest callsign="` + xmlAttr(u.Name) + `"/><dest uid="` + xmlAttr(u.ID) + `"/></marti>`
	return ev
}

func xmlAttr(s string) string {
	b, _ := json.Marshal(s) // quotes and escapes < > & as \u003c...
	out := string(b[1 : len(b)-1])
	return out
}

// Dashboard is the per-sector and border-wide summary.
type Dashboard struct {
	Time    time.Time       `json:"time"`
	Border  DashboardArea   `json:"border"`
	Sectors []DashboardArea `json:"sectors"`
	Stats   incident.Stats  `json:"incident_stats"`
}

// DashboardArea is one sector's figures, or the whole border's.
type DashboardArea struct {
	ID            string             `json:"id,omitempty"`
	Name          string             `json:"name,omitempty"`
	Agency        borderwatch.Agency `json:"agency,omitempty"`
	Alerts24h     int                `json:"alerts_24h"`
	AlertsOpen    int                `json:"alerts_open"`
	IncidentsOpen int                `json:"incidents_open"`
	Incidents24h  int                `json:"incidents_24h"`
	AlertsPerInc  float64            `json:"alert_to_incident_ratio"`
	SensorsTotal  int                `json:"sensors_total"`
	SensorsOK     int                `json:"sensors_ok"`
	CoverageHoles []CoverageHole     `json:"coverage_holes"`
	Response      *incident.Response `json:"response,omitempty"`
	AlertsByHour  [24]int            `json:"alerts_by_hour"`
}

// CoverageHole is a border stretch a dark sensor no longer watches.
type CoverageHole struct {
	SensorID string  `json:"sensor_id"`
	Sector   string  `json:"sector"`
	FromKm   float64 `json:"from_km"`
	ToKm     float64 `json:"to_km"`
}

func (r *response) dashboard(allow func(borderwatch.Label) bool) Dashboard {
	now := r.s.opts.Now()
	d := Dashboard{Time: now, Stats: r.svc.Stats()}
	idx := map[string]*DashboardArea{}
	for _, sec := range r.s.dep.Sectors {
		d.Sectors = append(d.Sectors, DashboardArea{ID: sec.ID, Name: sec.Name, Agency: sec.Agency, CoverageHoles: []CoverageHole{}})
	}
	for i := range d.Sectors {
		idx[d.Sectors[i].ID] = &d.Sectors[i]
	}
	areas := func(sector string) []*DashboardArea {
		if a := idx[sector]; a != nil {
			return []*DashboardArea{&d.Border, a}
		}
		return []*DashboardArea{&d.Border}
	}
	d.Border.CoverageHoles = []CoverageHole{}
	for _, a := range r.s.live.Alerts(live.Filter{Allow: allow}) {
		age := now.Sub(a.Time)
		for _, ar := range areas(a.Sector) {
			if age < 24*time.Hour {
				ar.Alerts24h++
				if h := int(age / time.Hour); h >= 0 && h < 24 {
					ar.AlertsByHour[23-h]++
				}
			}
			if a.State == borderwatch.AlertOpen || a.State == borderwatch.AlertAcknowledged {
				ar.AlertsOpen++
			}
		}
	}
	for _, in := range r.svc.List(false) {
		if !allow(in.Label) {
			continue
		}
		for _, ar := range areas(in.Sector) {
			if in.State != borderwatch.IncidentResolved {
				ar.IncidentsOpen++
			}
			if now.Sub(in.Times.Alerted) < 24*time.Hour {
				ar.Incidents24h++
			}
		}
	}
	health := map[string]live.Health{}
	for _, st := range r.s.live.Sensors(live.Filter{Allow: allow}) {
		health[st.ID] = st.Health
	}
	for _, sn := range r.s.dep.Sensors {
		h, visible := health[sn.ID]
		if !visible {
			continue
		}
		sector := r.s.sectors.atKm(sn.Chainage)
		for _, ar := range areas(sector) {
			ar.SensorsTotal++
			if h == live.HealthOK {
				ar.SensorsOK++
			}
		}
		if h != live.HealthOK {
			reach := sn.MaxRangeM() / 1000
			hole := CoverageHole{SensorID: sn.ID, Sector: sector, FromKm: max(0, sn.Chainage-reach), ToKm: sn.Chainage + reach}
			for _, ar := range areas(sector) {
				ar.CoverageHoles = append(ar.CoverageHoles, hole)
			}
		}
	}
	for _, resp := range r.svc.ResponseBySector() {
		if a := idx[resp.Sector]; a != nil {
			rc := resp
			a.Response = &rc
		}
	}
	for _, ar := range append([]*DashboardArea{&d.Border}, func() []*DashboardArea {
		out := make([]*DashboardArea, len(d.Sectors))
		for i := range d.Sectors {
			out[i] = &d.Sectors[i]
		}
		return out
	}()...) {
		if ar.Incidents24h > 0 {
			ar.AlertsPerInc = float64(ar.Alerts24h) / float64(ar.Incidents24h)
		}
	}
	return d
}

// routes mounts the incident, dispatch and dashboard API. who
// establishes the caller; what the caller may see and change is the
// policy's decision: policy.Filter for views, policy.Decide with the
// incident's owner and sector for every change.
func (r *response) routes(mux *http.ServeMux, who func(*http.Request) (policy.Principal, bool)) {
	type handler func(w http.ResponseWriter, req *http.Request, p policy.Principal, allow func(borderwatch.Label) bool)
	auth := func(h handler) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			p, ok := who(req)
			if !ok {
				httpError(w, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "sign in first"))
				return
			}
			h(w, req, p, policy.Filter(p, policy.ActView))
		}
	}
	get := func(w http.ResponseWriter, req *http.Request, allow func(borderwatch.Label) bool) (borderwatch.Incident, bool) {
		inc, ok := r.svc.Get(req.PathValue("id"))
		if !ok || !allow(inc.Label) {
			httpError(w, borderwatch.Errorf(borderwatch.ENOTFOUND, "incident %s not found", req.PathValue("id")))
			return inc, false
		}
		return inc, true
	}
	reply := func(w http.ResponseWriter, status int, v any, err error) {
		if err != nil {
			httpError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	decode := func(w http.ResponseWriter, req *http.Request, v any) bool {
		req.Body = http.MaxBytesReader(w, req.Body, 64<<10)
		if err := json.NewDecoder(req.Body).Decode(v); err != nil {
			httpError(w, borderwatch.Errorf(borderwatch.EINVALID, "body: %v", err))
			return false
		}
		return true
	}
	// change mounts POST /api/v1/incidents/{id}/<path>: the policy decides
	// act on the incident, then f changes it and the new state is logged.
	change := func(path string, act policy.Action, body func() any,
		f func(ctx context.Context, inc borderwatch.Incident, body any, actor string, at time.Time) (borderwatch.Incident, error)) {
		mux.HandleFunc("POST /api/v1/incidents/{id}/"+path, auth(func(w http.ResponseWriter, req *http.Request, p policy.Principal, allow func(borderwatch.Label) bool) {
			inc, ok := get(w, req, allow)
			if !ok {
				return
			}
			if err := policy.Decide(p, act, policy.Record{Label: inc.Label, Sector: inc.Sector}); err != nil {
				httpError(w, err)
				return
			}
			b := body()
			if !decode(w, req, b) {
				return
			}
			out, err := f(req.Context(), inc, b, p.Subject, r.s.opts.Now())
			if err == nil {
				r.publish(out)
			}
			reply(w, http.StatusOK, out, err)
		}))
	}
	type empty struct{}
	type dispatchBody struct {
		UnitID  string `json:"unit_id"`
		DroneID string `json:"drone_id"`
	}
	type sopBody struct {
		StepID string `json:"step_id"`
		Answer string `json:"answer"`
		Skip   bool   `json:"skip"`
		Reason string `json:"reason"`
	}
	type noteBody struct {
		Text string `json:"text"`
	}

	mux.HandleFunc("GET /api/v1/incidents", auth(func(w http.ResponseWriter, req *http.Request, _ policy.Principal, allow func(borderwatch.Label) bool) {
		list := r.svc.List(req.URL.Query().Get("open") == "true")
		out := make([]borderwatch.Incident, 0, len(list))
		for _, in := range list {
			if allow(in.Label) {
				out = append(out, in)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Times.Alerted.After(out[j].Times.Alerted) })
		reply(w, http.StatusOK, out, nil)
	}))
	mux.HandleFunc("GET /api/v1/incidents/{id}", auth(func(w http.ResponseWriter, req *http.Request, _ policy.Principal, allow func(borderwatch.Label) bool) {
		if inc, ok := get(w, req, allow); ok {
			reply(w, http.StatusOK, inc, nil)
		}
	}))
	mux.HandleFunc("GET /api/v1/incidents/{id}/recommendation", auth(func(w http.ResponseWriter, req *http.Request, _ policy.Principal, allow func(borderwatch.Label) bool) {
		if inc, ok := get(w, req, allow); ok {
			reply(w, http.StatusOK, r.recommend(inc), nil)
		}
	}))
	mux.HandleFunc("POST /api/v1/incidents", auth(func(w http.ResponseWriter, req *http.Request, p policy.Principal, allow func(borderwatch.Label) bool) {
		var body struct {
			AlertIDs []string `json:"alert_ids"`
		}
		if !decode(w, req, &body) {
			return
		}
		var as []borderwatch.Alert
		for _, id := range body.AlertIDs {
			a, ok := r.s.live.Alert(id)
			if !ok || !allow(a.Label) {
				httpError(w, borderwatch.Errorf(borderwatch.EINVALID, "alert %q not found", id))
				return
			}
			if err := policy.Decide(p, policy.ActAcknowledge, policy.Record{Label: a.Label, Sector: a.Sector}); err != nil {
				httpError(w, err)
				return
			}
			as = append(as, a)
		}
		inc, err := r.svc.Open(as, p.Subject, r.s.opts.Now())
		if err == nil {
			r.publish(inc)
		}
		reply(w, http.StatusCreated, inc, err)
	}))
	change("acknowledge", policy.ActAcknowledge, func() any { return &empty{} },
		func(_ context.Context, inc borderwatch.Incident, _ any, actor string, at time.Time) (borderwatch.Incident, error) {
			return r.svc.Acknowledge(inc.ID, actor, at)
		})
	change("dispatch", policy.ActDispatch, func() any { return &dispatchBody{} },
		func(ctx context.Context, inc borderwatch.Incident, b any, actor string, _ time.Time) (borderwatch.Incident, error) {
			d := b.(*dispatchBody)
			return r.dispatch(ctx, inc.ID, d.UnitID, d.DroneID, actor)
		})
	change("sop", policy.ActDispatch, func() any { return &sopBody{} },
		func(_ context.Context, inc borderwatch.Incident, b any, actor string, at time.Time) (borderwatch.Incident, error) {
			sb := b.(*sopBody)
			if sb.Skip {
				return r.svc.Skip(inc.ID, sb.StepID, sb.Reason, actor, at)
			}
			return r.svc.Answer(inc.ID, sb.StepID, sb.Answer, actor, at)
		})
	change("notes", policy.ActAcknowledge, func() any { return &noteBody{} },
		func(_ context.Context, inc borderwatch.Incident, b any, actor string, at time.Time) (borderwatch.Incident, error) {
			return r.svc.Note(inc.ID, b.(*noteBody).Text, actor, at)
		})
	change("resolve", policy.ActDispatch, func() any { return &borderwatch.Outcome{} },
		func(_ context.Context, inc borderwatch.Incident, b any, actor string, at time.Time) (borderwatch.Incident, error) {
			out, err := r.svc.Resolve(inc.ID, *b.(*borderwatch.Outcome), actor, at)
			if err == nil {
				r.release(inc.ID)
			}
			return out, err
		})
	mux.HandleFunc("GET /api/v1/dashboard", auth(func(w http.ResponseWriter, _ *http.Request, _ policy.Principal, allow func(borderwatch.Label) bool) {
		reply(w, http.StatusOK, r.dashboard(allow), nil)
	}))
}

// release frees the units and drones tasked to a resolved incident.
func (r *response) release(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for unit, tk := range r.tasks {
		if tk.incident == id {
			delete(r.tasks, unit)
		}
	}
	for drone, inc := range r.dronesT {
		if inc == id {
			delete(r.dronesT, drone)
		}
	}
}
