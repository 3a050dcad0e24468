// Package sim is borderwatch's pure simulation core: actors moving over a
// deployment's real geography (infiltrator groups, smuggler vehicles,
// herders with their animals, legitimate traffic at open crossings,
// friendly patrols, QRFs and drones) and the deployment's sensors
// detecting them with range, field of view, day and night performance, a
// probability of detection falling with range, false alarms, terrain
// occlusion and outages.
//
// It does no I/O and reads no clock: a Sim is seeded and advanced one
// fixed step at a time by its owner, so the same seed and options give
// the same actors, detections and events, byte for byte. Sending what it
// produces through CoT, MAVLink and MQTT is internal/simnet's job; scoring
// scripted exercises is internal/exercise's.
//
// A Sim is not safe for concurrent use; its owner serialises Step,
// Dispatch, Task and Inject.
package sim
