package exercise

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: a scenario file never panics the parser, and what it accepts
// is an exercise the simulator can inject.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	d := referenceDeployment(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse("fuzz.yaml", b, d)
		if err != nil {
			return
		}
		if len(sc.Events) == 0 || sc.DetectRadiusM <= 0 || sc.InterceptRadiusM <= 0 {
			t.Fatalf("accepted %+v", sc)
		}
		for _, e := range sc.Events {
			if e.ID == "" || e.FromOffsetM == e.ToOffsetM || e.CrossKm < 0 || e.CrossKm > d.Border.LengthKm || !e.Spec().Exercise {
				t.Fatalf("accepted event %+v", e)
			}
		}
	})
}
