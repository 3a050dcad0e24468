// Package simnet sends a simulated border (internal/sim) to a borderwatch
// server through the protocols real devices use: friendly patrols' TAK
// phones and watchtower observers' spot reports as CoT over TCP, drones as
// MAVLink 2 vehicles over UDP (each on its own socket, answering
// DO_REPOSITION go-to commands with COMMAND_ACK and flying there), and
// camera, radar, ground-sensor and drone-camera analytics as canonical
// c2.detection/v1 JSON over MQTT. Exercises may send detections over the
// HTTP API instead, which carries the exercise mark today.
//
// Runner drives a Sim against the wall clock at a speed factor and owns
// the goroutines; Sender does the sending.
package simnet
