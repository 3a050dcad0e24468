package web

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// FuzzDecodeObservations: whatever the bytes, DecodeObservations returns
// either observations that all validate, or an EINVALID error.
func FuzzDecodeObservations(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "observations", "*.json"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"observations":null}`))
	f.Add([]byte(`[{}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		obs, err := DecodeObservations(data, 1000)
		if err != nil {
			if c := borderwatch.ErrorCodeOf(err); c != borderwatch.EINVALID {
				t.Fatalf("error code %s for %q: %v", c, data, err)
			}
			return
		}
		if len(obs) == 0 {
			t.Fatalf("no error and no observations for %q", data)
		}
		for i := range obs {
			if err := obs[i].Validate(); err != nil {
				t.Fatalf("returned invalid observation %d: %v", i, err)
			}
		}
	})
}
