// Package geo owns the geometry of the border: WGS84 geodesics (distance,
// azimuth, direct problem), the local east/north tangent plane used for
// tracking, the border line with its chainage (border km), the side of the
// line a point lies on, whether and where a movement crosses the line, a
// spatial index over segments and zones, and sensor footprints.
//
// The package is pure: no I/O, no clocks, no randomness, no logging. It
// imports only the standard library and the root domain package (for
// LatLon). Every value it returns is computed from its arguments; a *Line,
// a *Plane and a fully built *Index are immutable and safe for concurrent
// use by many goroutines.
//
// Conventions: positions are WGS84 geodetic degrees (LatLon); azimuths are
// degrees clockwise from true north; distances are metres except chainage,
// which is kilometres along the line from its first vertex. A line's
// direction of travel is from its first vertex to its last; Right and Left
// are relative to that direction. The Iraq–Syria border runs north→south
// with Iraq on the Left and Syria on the Right.
//
// Accuracy (measured in the tests): Inverse and Direct agree with
// GeographicLib's published test values to better than 1 mm (in practice
// ~10 nm); Plane round trips are below 1 µm within 100 km of the origin.
// Line segments are geodesics; for the fast side and crossing predicates
// each segment is replaced by the plane section through its endpoints that
// contains the surface normal at the segment's geodesic midpoint, which
// stays within 1 mm of the geodesic for segments up to 100 km (15 µm on the
// Iraq–Syria border, whose longest segment is 34 km); the departure grows
// as the cube of the length: ~8 cm at 500 km, < 1 m at the 1000 km limit
// (see TestArcPlaneFollowsGeodesic and docs/performance/geo.md).
package geo
