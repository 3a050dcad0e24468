package mavlink

import (
	"math"
	"slices"
	"strings"
	"time"
)

// vehicle is the server's state of one drone; every field is guarded by
// Server.mu.
type vehicle struct {
	ch        *channel
	d         Drone
	mavType   uint8
	autopilot uint8

	// Sequence tracking per component for packet loss.
	seqs []compSeq
	// Message rate: frames counted since rateStart.
	rateStart time.Time
	rateCount int

	hudSpeed   bool    // VFR_HUD gives ground speed; prefer it
	hdgSrc     int     // best heading source seen: hdgAttitude < hdgHUD < hdgPosition
	geoidKnown bool    // GPS_RAW_INT gave the ellipsoid height
	geoidSep   float64 // ellipsoid minus MSL, metres
	hAcc       float64 // metres, 0 unknown
	hdop       float64 // 0 unknown

	batteryStr      string // Battery formatted for the observation attribute
	batteryStrValid bool

	task    chan struct{} // one tasking transaction at a time
	waiters []*ackWaiter
}

type compSeq struct {
	comp uint8
	last uint8
}

// account updates link statistics for a frame from v's system.
func (v *vehicle) account(f *Frame, now time.Time) {
	l := &v.d.Link
	l.Received++
	l.LastMessage = now
	found := false
	for i := range v.seqs {
		if v.seqs[i].comp == f.ComponentID {
			if gap := f.Seq - v.seqs[i].last - 1; gap != 0 && gap < 128 {
				// A gap of 128 or more is more likely a reordering or a
				// reboot than that many lost frames: do not count it.
				l.Lost += uint64(gap)
			}
			v.seqs[i].last = f.Seq
			found = true
			break
		}
	}
	if !found && len(v.seqs) < 16 {
		v.seqs = append(v.seqs, compSeq{comp: f.ComponentID, last: f.Seq})
	}
	if l.Received+l.Lost > 0 {
		l.Loss = float64(l.Lost) / float64(l.Received+l.Lost)
	}
	v.rateCount++
	if now.Sub(v.rateStart) >= time.Second || now.Before(v.rateStart) {
		v.rollRate(now)
	}
}

func (v *vehicle) rollRate(now time.Time) {
	if el := now.Sub(v.rateStart); el > 0 {
		v.d.Link.MessageRate = float64(v.rateCount) / el.Seconds()
	}
	v.rateStart, v.rateCount = now, 0
}

func (v *vehicle) snapshot() Drone {
	d := v.d
	if d.Target != nil {
		t := *d.Target
		d.Target = &t
	}
	return d
}

func (v *vehicle) onSysStatus(m *SysStatus) {
	if m.BatteryRemaining >= 0 && m.BatteryRemaining <= 100 {
		v.setBattery(float64(m.BatteryRemaining))
	}
	if m.VoltageBattery != math.MaxUint16 && m.VoltageBattery != 0 {
		v.d.BatteryVoltage = float64(m.VoltageBattery) / 1000
	}
}

func (v *vehicle) onBatteryStatus(m *BatteryStatus) {
	if m.ID != 0 {
		return // the first battery is the one SYS_STATUS summarises
	}
	if m.BatteryRemaining >= 0 && m.BatteryRemaining <= 100 {
		v.setBattery(float64(m.BatteryRemaining))
	}
}

func (v *vehicle) setBattery(p float64) {
	if p != v.d.Battery {
		v.d.Battery = p
		v.batteryStrValid = false
	}
}

func (v *vehicle) onVFRHUD(m *VFRHUD) {
	if isFinite32(m.Groundspeed) {
		v.d.GroundSpeed = float64(m.Groundspeed)
		v.hudSpeed = true
	}
	if m.Heading >= 0 && m.Heading <= 360 {
		v.setHeading(hdgHUD, float64(m.Heading))
	}
}

// Heading sources, worst to best.
const (
	hdgAttitude = iota + 1
	hdgHUD
	hdgPosition
)

func (v *vehicle) setHeading(src int, deg float64) {
	if src < v.hdgSrc {
		return
	}
	v.hdgSrc = src
	deg = math.Mod(deg, 360)
	if deg < 0 {
		deg += 360
	}
	v.d.Heading = deg
}

func (v *vehicle) onAttitude(m *Attitude) {
	if isFinite32(m.Yaw) {
		v.setHeading(hdgAttitude, float64(m.Yaw)*180/math.Pi)
	}
}

func (v *vehicle) onGPS(m *GPSRawInt) {
	v.d.GPSFix = m.FixType
	v.d.Satellites = m.SatellitesVisible
	v.hAcc, v.hdop = 0, 0
	if m.HAcc != 0 {
		v.hAcc = float64(m.HAcc) / 1000
	}
	if m.EPH != math.MaxUint16 && m.EPH != 0 {
		v.hdop = float64(m.EPH) / 100
	}
	if m.AltEllipsoid != 0 && m.FixType >= 3 {
		v.geoidKnown = true
		v.geoidSep = float64(m.AltEllipsoid-m.Alt) / 1000
	}
}

// sigma is the 1-sigma horizontal position error in metres: the receiver's
// horizontal accuracy when sent, else HDOP times a 3 m range error, else
// 5 m for a vehicle that flies on GNSS.
func (v *vehicle) sigma() float64 {
	switch {
	case v.hAcc > 0:
		return max(v.hAcc, 0.5)
	case v.hdop > 0:
		return max(3*v.hdop, 0.5)
	}
	return 5
}

func isFinite32(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}

func sortDrones(ds []Drone) {
	slices.SortFunc(ds, func(a, b Drone) int { return strings.Compare(a.ID, b.ID) })
}
