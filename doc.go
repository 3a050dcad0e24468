// Package borderwatch is the domain of a border command-and-control system:
// the values every other package speaks — observations from sensors and
// patrols, fused tracks, alerts and incidents, the deployment of a border
// (sectors, barriers, crossings, sites, sensors, units) and the
// releasability labels that decide who may see each record.
//
// It imports only the standard library. Adapters (CoT, MAVLink, MQTT,
// NATS, SQL, the web) translate to and from these types at the edge; pure
// logic packages (geo, tracker, rules, sim) compute on them.
package borderwatch
