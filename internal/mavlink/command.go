package mavlink

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
)

// MAV_CMD numbers used.
const (
	CmdDoSetMode          uint16 = 176
	CmdDoReposition       uint16 = 192
	CmdSetMessageInterval uint16 = 511
)

// MAV_FRAME values for global positions.
const (
	FrameGlobalInt            uint8 = 5 // altitude above mean sea level
	FrameGlobalRelativeAltInt uint8 = 6 // altitude above home
)

// MAV_DO_REPOSITION_FLAGS_CHANGE_MODE: switch to the guided/hold mode.
const repositionChangeMode = 1

// AckResult is the outcome of a command: a MAV_RESULT, or AckTimeout when
// no COMMAND_ACK came.
type AckResult string

// Command outcomes.
const (
	AckAccepted            AckResult = "accepted"
	AckTemporarilyRejected AckResult = "temporarily_rejected"
	AckDenied              AckResult = "denied"
	AckUnsupported         AckResult = "unsupported"
	AckFailed              AckResult = "failed"
	AckInProgress          AckResult = "in_progress"
	AckCancelled           AckResult = "cancelled"
	AckCommandLongOnly     AckResult = "command_long_only"
	AckCommandIntOnly      AckResult = "command_int_only"
	AckUnsupportedFrame    AckResult = "unsupported_frame"
	AckTimeout             AckResult = "timeout"
)

var ackResults = [...]AckResult{AckAccepted, AckTemporarilyRejected, AckDenied, AckUnsupported,
	AckFailed, AckInProgress, AckCancelled, AckCommandLongOnly, AckCommandIntOnly, AckUnsupportedFrame}

// AckResultOf names a MAV_RESULT value.
func AckResultOf(r uint8) AckResult {
	if int(r) < len(ackResults) {
		return ackResults[r]
	}
	return AckResult("result_" + strconv.Itoa(int(r)))
}

// Errors a GoTo can wrap (with a *CommandError), for errors.Is.
var (
	ErrTimeout  = errors.New("mavlink: no COMMAND_ACK")
	ErrRejected = errors.New("mavlink: command rejected by the vehicle")
)

// CommandError is a command the vehicle refused or never acknowledged.
// It unwraps to ErrTimeout or ErrRejected and to a borderwatch.Error whose
// code is EUNAVAILABLE (timeout, unsupported) or ECONFLICT (denied,
// failed, temporarily rejected).
type CommandError struct {
	DroneID  string
	Command  uint16
	Ack      AckResult
	Attempts int
}

func (e *CommandError) Error() string {
	if e.Ack == AckTimeout {
		return fmt.Sprintf("drone %s: %s: no acknowledgement after %d attempt(s)", e.DroneID, commandName(e.Command), e.Attempts)
	}
	return fmt.Sprintf("drone %s: %s: %s by the vehicle (after %d attempt(s))", e.DroneID, commandName(e.Command), e.Ack, e.Attempts)
}

func (e *CommandError) Unwrap() []error {
	switch e.Ack {
	case AckTimeout:
		return []error{ErrTimeout, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "drone %s did not acknowledge %s", e.DroneID, commandName(e.Command))}
	case AckUnsupported, AckCommandLongOnly, AckCommandIntOnly, AckUnsupportedFrame:
		return []error{ErrRejected, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "drone %s does not support %s (%s)", e.DroneID, commandName(e.Command), e.Ack)}
	}
	return []error{ErrRejected, borderwatch.Errorf(borderwatch.ECONFLICT, "drone %s refused %s: %s", e.DroneID, commandName(e.Command), e.Ack)}
}

func commandName(c uint16) string {
	switch c {
	case CmdDoReposition:
		return "do_reposition"
	case CmdDoSetMode:
		return "do_set_mode"
	case CmdSetMessageInterval:
		return "set_message_interval"
	}
	return "command_" + strconv.Itoa(int(c))
}

// Result describes an accepted GoTo.
type Result struct {
	DroneID   string    `json:"drone_id"`
	Autopilot Autopilot `json:"autopilot"`
	// Via is the message that was accepted: "command_int" or "command_long".
	Via string `json:"via"`
	// Frame is the MAV_FRAME of the altitude sent and Alt the altitude in
	// it (metres): 6 above home for ArduPilot, 5 above mean sea level for
	// PX4 (home altitude plus the requested height).
	Frame uint8   `json:"frame"`
	Alt   float64 `json:"alt_m"`
	// ModeSet is true when DO_SET_MODE GUIDED was sent first (ArduPilot,
	// Options.SetGuidedFirst).
	ModeSet  bool      `json:"mode_set,omitempty"`
	Ack      AckResult `json:"ack"`
	Attempts int       `json:"attempts"` // messages sent, all kinds
}

type ackWaiter struct {
	command uint16
	ch      chan CommandAck
}

// deliverAck hands an ack to whoever waits for its command; mu is held.
func (v *vehicle) deliverAck(ack CommandAck, sys, comp uint8) {
	if ack.TargetSystem != 0 && ack.TargetSystem != sys {
		return // for another ground station
	}
	if ack.TargetComponent != 0 && ack.TargetComponent != comp {
		return
	}
	for _, w := range v.waiters {
		if w.command == ack.Command {
			select {
			case w.ch <- ack:
			default:
			}
		}
	}
}

// GoTo tasks a drone to fly to target at altM metres above its home and
// loiter there: COMMAND_INT MAV_CMD_DO_REPOSITION with the change-mode
// flag, resent every CommandTimeout up to CommandAttempts times, then the
// same as COMMAND_LONG (confirmation 0, 1, 2...) when COMMAND_INT went
// unanswered or is unsupported. ArduPilot gets the relative-altitude frame
// and switches to GUIDED; PX4 and others get the AMSL frame (home altitude
// from GLOBAL_POSITION_INT plus altM) and switch to Hold.
//
// It returns when the vehicle accepted, with a *CommandError when it
// refused or never answered, and with a borderwatch.Error (ENOTFOUND,
// EUNAVAILABLE, EINVALID) when the drone is unknown, offline or the target
// is invalid. GoTo calls on one drone run one at a time.
func (s *Server) GoTo(ctx context.Context, droneID string, target borderwatch.LatLon, altM float64) (Result, error) {
	if !target.Valid() {
		return Result{}, borderwatch.Errorf(borderwatch.EINVALID, "target %v,%v: not a WGS84 position", target.Lat, target.Lon)
	}
	if math.IsNaN(altM) || altM < -500 || altM > 10000 {
		return Result{}, borderwatch.Errorf(borderwatch.EINVALID, "altitude %v m above home: must be within -500..10000", altM)
	}
	s.mu.Lock()
	v := s.byID[droneID]
	var d Drone
	if v != nil {
		d = v.snapshot()
	}
	s.mu.Unlock()
	if v == nil {
		return Result{}, borderwatch.Errorf(borderwatch.ENOTFOUND, "drone %s not found", droneID)
	}
	if !d.Online {
		return Result{}, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "drone %s is offline", droneID)
	}
	select {
	case v.task <- struct{}{}:
		defer func() { <-v.task }()
	case <-ctx.Done():
		return Result{}, fmt.Errorf("mavlink: goto %s: %w", droneID, ctx.Err())
	}

	res := Result{DroneID: droneID, Autopilot: d.Autopilot}
	ardu := d.Autopilot == ArduPilot
	res.Frame, res.Alt = FrameGlobalRelativeAltInt, altM
	if !ardu {
		if !d.HasPosition {
			return res, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "drone %s has reported no position: its home altitude is unknown", droneID)
		}
		res.Frame, res.Alt = FrameGlobalInt, d.AltMSL-d.AltRel+altM
	}

	if ardu && s.opts.SetGuidedFirst {
		s.mu.Lock()
		guided := arduGuided(v.mavType)
		inGuided := v.d.CustomMode == guided
		s.mu.Unlock()
		if !inGuided {
			ack, n, err := s.transact(ctx, v, CmdDoSetMode, func(try int) Message {
				return &CommandLong{Command: CmdDoSetMode, TargetSystem: d.SystemID, TargetComponent: d.ComponentID,
					Confirmation: uint8(try), Param: [7]float32{float32(ModeFlagCustomModeEnabled), float32(guided)}}
			})
			res.Attempts += n
			if err != nil {
				return res, err
			}
			if ack != AckAccepted {
				return res, s.fail(droneID, CmdDoSetMode, ack, n)
			}
			res.ModeSet = true
		}
	}

	lat, lon := int32(math.Round(target.Lat*1e7)), int32(math.Round(target.Lon*1e7))
	nan := float32(math.NaN())
	cmdInt := func(frame uint8, z float64) func(int) Message {
		return func(int) Message {
			return &CommandInt{
				Param1: -1, Param2: repositionChangeMode, Param3: float32(s.opts.LoiterRadius), Param4: nan,
				X: lat, Y: lon, Z: float32(z), Command: CmdDoReposition, Frame: frame,
				TargetSystem: d.SystemID, TargetComponent: d.ComponentID,
			}
		}
	}
	ack, n, err := s.transact(ctx, v, CmdDoReposition, cmdInt(res.Frame, res.Alt))
	res.Attempts += n
	if err != nil {
		return res, err
	}
	res.Via = "command_int"
	if ack == AckUnsupportedFrame && res.Frame == FrameGlobalRelativeAltInt && d.HasPosition {
		// A vehicle that only takes AMSL: convert with its home altitude.
		res.Frame, res.Alt = FrameGlobalInt, d.AltMSL-d.AltRel+altM
		ack, n, err = s.transact(ctx, v, CmdDoReposition, cmdInt(res.Frame, res.Alt))
		res.Attempts += n
		if err != nil {
			return res, err
		}
	}
	switch ack {
	case AckTimeout, AckUnsupported, AckCommandLongOnly:
		// COMMAND_LONG carries degrees in param5/6 and the altitude in
		// param7 in the vehicle's implied frame: relative for ArduPilot,
		// AMSL for PX4.
		res.Via = "command_long"
		ack, n, err = s.transact(ctx, v, CmdDoReposition, func(try int) Message {
			return &CommandLong{
				Command: CmdDoReposition, TargetSystem: d.SystemID, TargetComponent: d.ComponentID, Confirmation: uint8(try),
				Param: [7]float32{-1, repositionChangeMode, float32(s.opts.LoiterRadius), nan,
					float32(target.Lat), float32(target.Lon), float32(res.Alt)},
			}
		})
		res.Attempts += n
		if err != nil {
			return res, err
		}
	}
	res.Ack = ack
	if ack != AckAccepted {
		return res, s.fail(droneID, CmdDoReposition, ack, res.Attempts)
	}
	s.log.Info("mavlink: goto accepted", "drone", droneID, "lat", target.Lat, "lon", target.Lon,
		"alt_m", altM, "via", res.Via, "attempts", res.Attempts)
	return res, nil
}

func (s *Server) fail(droneID string, cmd uint16, ack AckResult, attempts int) error {
	err := &CommandError{DroneID: droneID, Command: cmd, Ack: ack, Attempts: attempts}
	s.log.Warn("mavlink: command failed", "drone", droneID, "command", commandName(cmd), "ack", string(ack), "attempts", attempts)
	return fmt.Errorf("mavlink: %w", err)
}

// transact sends build(try) for try = 0, 1, ... until a COMMAND_ACK for
// command arrives with a final result, waiting CommandTimeout for each.
// IN_PROGRESS extends the wait without resending; TEMPORARILY_REJECTED
// resends after the timeout. It returns the result (AckTimeout when
// nothing final came) and how many messages it sent; err only for ctx.
func (s *Server) transact(ctx context.Context, v *vehicle, command uint16, build func(try int) Message) (AckResult, int, error) {
	w := &ackWaiter{command: command, ch: make(chan CommandAck, 8)}
	s.mu.Lock()
	v.waiters = append(v.waiters, w)
	to := v.ch.addr
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for i, x := range v.waiters {
			if x == w {
				v.waiters = append(v.waiters[:i], v.waiters[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
	}()
	last := AckTimeout
	timer := time.NewTimer(s.opts.CommandTimeout)
	defer timer.Stop()
	sent := 0
	for try := 0; try < s.opts.CommandAttempts; try++ {
		if err := s.send(to, s.encode(build(try))); err != nil {
			s.log.Warn("mavlink: command send", "command", commandName(command), "err", err)
		}
		sent++
		timer.Reset(s.opts.CommandTimeout)
	wait:
		for {
			select {
			case <-ctx.Done():
				s.m.commands.With(commandName(command), "cancelled").Inc()
				return last, sent, fmt.Errorf("mavlink: %s: %w", commandName(command), ctx.Err())
			case ack := <-w.ch:
				r := AckResultOf(ack.Result)
				switch r {
				case AckInProgress:
					timer.Reset(s.opts.CommandTimeout)
					continue
				case AckTemporarilyRejected:
					last = r
					continue // resend when the timer fires
				}
				s.m.commands.With(commandName(command), string(r)).Inc()
				return r, sent, nil
			case <-timer.C:
				break wait
			}
		}
	}
	s.m.commands.With(commandName(command), string(last)).Inc()
	return last, sent, nil
}
