// Package mavlink owns borderwatch's MAVLink edge: the MAVLink 1/2 wire
// format (framing, CRC-16/MCRF4XX with per-message CRC_EXTRA, trailing-zero
// payload truncation), the few messages a ground station needs to watch and
// task a drone, and a UDP server that turns vehicles into drones.
//
// The server keys a vehicle by its channel (the remote UDP address) and its
// MAVLink system id. Telemetry (HEARTBEAT, GLOBAL_POSITION_INT, SYS_STATUS,
// VFR_HUD, ATTITUDE, GPS_RAW_INT, BATTERY_STATUS) updates a Drone snapshot
// and every position report becomes a friendly self-report
// borderwatch.Observation handed, in batches, to the caller's Handler.
// Heartbeat loss marks a drone offline and is reported as an Event.
//
// Tasking is "go to a point and loiter" (Server.GoTo): COMMAND_INT carrying
// MAV_CMD_DO_REPOSITION with the change-mode flag, acknowledged by
// COMMAND_ACK, resent on timeout and falling back to COMMAND_LONG, using
// the ArduPilot or PX4 convention chosen from the vehicle's HEARTBEAT.
//
// MAVLink as spoken here has no authentication: frames are not signed and
// signed frames are accepted without checking their signature. Bind the
// listener only where the radio/companion network is trusted.
package mavlink
