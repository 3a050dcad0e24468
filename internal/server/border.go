package server

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/tracker"
)

// loadDeployment loads the configured deployment folder, or the embedded
// reference when none is configured.
func loadDeployment(dir string) (*deployment.Folder, error) {
	if dir == "" {
		return deployment.Open(deployments.FS, deployments.Reference, deployment.Options{DisplayDir: "(embedded)/" + deployments.Reference})
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", dir, err)
	}
	return deployment.Open(os.DirFS(abs), ".", deployment.Options{DisplayDir: dir})
}

// sectorIndex finds the sector of a position by its border chainage.
type sectorIndex struct {
	line    *geo.Line
	sectors []borderwatch.Sector // sorted by FromKm
}

func newSectorIndex(line *geo.Line, d *borderwatch.Deployment) *sectorIndex {
	s := append([]borderwatch.Sector(nil), d.Sectors...)
	sort.Slice(s, func(i, j int) bool { return s[i].FromKm < s[j].FromKm })
	return &sectorIndex{line: line, sectors: s}
}

// of returns the sector containing the chainage of p ("" for none).
func (x *sectorIndex) of(p borderwatch.LatLon) string {
	return x.atKm(x.line.Locate(p).Chainage)
}

func (x *sectorIndex) atKm(km float64) string {
	i := sort.Search(len(x.sectors), func(i int) bool { return x.sectors[i].ToKm > km })
	if i == len(x.sectors) {
		if n := len(x.sectors); n > 0 && km <= x.sectors[n-1].ToKm {
			return x.sectors[n-1].ID
		}
		return ""
	}
	if km < x.sectors[i].FromKm {
		return ""
	}
	return x.sectors[i].ID
}

// sectorDepthM is how far either side of the line a sector's tracking
// area reaches.
const sectorDepthM = 40_000

// routerSectors builds one tracker sector per deployment sector, its area
// the band sectorDepthM either side of the line between its chainage
// bounds (sampled every 2 km), its tangent plane centred on the band.
func routerSectors(line *geo.Line, d *borderwatch.Deployment) []tracker.RouterSector {
	out := make([]tracker.RouterSector, 0, len(d.Sectors))
	for _, s := range d.Sectors {
		var left, right []borderwatch.LatLon
		for km := s.FromKm; ; km += 2 {
			if km > s.ToKm {
				km = s.ToKm
			}
			left = append(left, deployment.StationPoint(line, km, -sectorDepthM))
			right = append(right, deployment.StationPoint(line, km, sectorDepthM))
			if km == s.ToKm {
				break
			}
		}
		ring := append([]borderwatch.LatLon(nil), left...)
		for i := len(right) - 1; i >= 0; i-- {
			ring = append(ring, right[i])
		}
		ring = append(ring, ring[0])
		out = append(out, tracker.RouterSector{
			Options: tracker.SectorOptions{
				ID:     s.ID,
				Origin: line.PointAt((s.FromKm + s.ToKm) / 2),
				Border: line,
			},
			Area: ring,
		})
	}
	return out
}
