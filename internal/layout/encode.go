package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/borderwatch/borderwatch"
)

// Encode writes the layout as a deployment include file (the file named by
// layout.generated in deployment.yaml): one flow mapping per line, sites
// then sensors in generation order, positions as chainage and offset.
func Encode(l *Layout, rulesFile string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Generated from %s by `borderwatch deployment layout --write`. Do not edit:\n", rulesFile)
	b.WriteString("# change the rules and regenerate. Positions are chainage (km) and offset (m).\n")
	fmt.Fprintf(&b, "generated_by: %s\n", quote(fmt.Sprintf("borderwatch deployment layout, rules %s, density %s", rulesFile, num(l.Density))))
	b.WriteString("sites:\n")
	for _, s := range l.Sites {
		fmt.Fprintf(&b, "  - {id: %s, kind: %s, at: {km: %s, offset_m: %s}, height_m: %s, agency: %s}\n",
			s.ID, s.Kind, num(s.Chainage), num(s.OffsetM), num(s.HeightM), s.Agency)
	}
	b.WriteString("sensors:\n")
	for _, s := range l.Sensors {
		fmt.Fprintf(&b, "  - {id: %s, kind: %s, model: %s, ", s.ID, s.Kind, quote(s.Model))
		if s.Site != "" {
			fmt.Fprintf(&b, "site: %s, ", s.Site)
		} else {
			fmt.Fprintf(&b, "at: {km: %s, offset_m: %s}, ", num(s.Chainage), num(s.OffsetM))
		}
		fmt.Fprintf(&b, "mount_height_m: %s, heading_deg: %s, fov_deg: %s, range: %s, agency: %s}\n",
			num(s.MountHeightM), num(s.HeadingDeg), num(s.FOVDeg), ranges(s.Range), s.Agency)
	}
	return b.Bytes()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// quote writes a YAML double-quoted scalar (JSON string syntax is a subset).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func ranges(r map[borderwatch.Class]borderwatch.DetectionRange) string {
	var b bytes.Buffer
	b.WriteString("{")
	first := true
	for _, c := range []borderwatch.Class{borderwatch.ClassPerson, borderwatch.ClassVehicle, borderwatch.ClassAnimal, borderwatch.ClassAircraft, borderwatch.ClassUnknown} {
		d, ok := r[c]
		if !ok {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&b, "%s: {day_m: %s, night_m: %s}", c, num(d.DayM), num(d.NightM))
	}
	b.WriteString("}")
	return b.String()
}
