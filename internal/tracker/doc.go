// Package tracker owns multi-target tracking: it fuses detections from
// cameras, radars, drones, ground sensors and patrol phones into one track
// per object, friend or unknown, with its predicted border contact.
//
// It is pure and deterministic: no I/O, no clock (time is passed in), no
// logging (counts are in Engine.Stats). Three layers:
//
//   - Engine: the tracker in a local plane (metres, seconds): IMM of two
//     constant-velocity models, Mahalanobis gating on a spatial hash,
//     clustering, GNN (Hungarian) or JIPDA association, existence-based
//     confirmation that adapts to the clutter density, coasting, deletion,
//     bearing(-range) EKF updates and out-of-sequence updates.
//   - Sector: borderwatch.Observation in, borderwatch.Track out, for one
//     sector's tangent plane: scans, friendly units, class fusion, sources,
//     border chainage and predicted contact.
//   - Router: one goroutine per Sector, observation routing and track
//     handover between neighbouring sectors.
//
// RunScenario drives an Engine on the mtt-jsonl/1 benchmark format. See
// docs/tracker.md for the model and parameters.
package tracker
