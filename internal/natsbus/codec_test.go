package natsbus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadSamples(t testing.TB) []borderwatch.Observation {
	t.Helper()
	data, err := os.ReadFile("testdata/observations.json")
	if err != nil {
		t.Fatal(err)
	}
	var obs []borderwatch.Observation
	if err := json.Unmarshal(data, &obs); err != nil {
		t.Fatalf("testdata/observations.json: %v", err)
	}
	return obs
}

func TestCodecRoundTrip(t *testing.T) {
	samples := loadSamples(t)
	for i, o := range samples {
		t.Run(strconv.Itoa(i)+"/"+o.ID, func(t *testing.T) {
			b := natsbus.EncodeObservations(nil, []borderwatch.Observation{o})
			got, err := natsbus.DecodeObservations(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || fmtObs(got[0]) != fmtObs(o) {
				t.Fatalf("round trip:\n got %s\nwant %s", fmtObs(got[0]), fmtObs(o))
			}
		})
	}
	t.Run("compressed", func(t *testing.T) {
		obs := append(samples, sampleObs("c", 500)...)
		raw := natsbus.EncodeObservations(nil, obs)
		comp := natsbus.CompressObservations(raw)
		if len(comp) >= len(raw)/2 || string(comp[:4]) != "BWO\x02" {
			t.Fatalf("compressed %d → %d bytes, header %q", len(raw), len(comp), comp[:4])
		}
		got, err := natsbus.DecodeObservations(comp, nil)
		if err != nil || len(got) != len(obs) {
			t.Fatalf("decoded %d, %v", len(got), err)
		}
		for i := range obs {
			if fmtObs(got[i]) != fmtObs(obs[i]) {
				t.Fatalf("observation %d differs", i)
			}
		}
		if n, err := natsbus.CountObservations(comp); err != nil || n != len(obs) {
			t.Fatalf("count %d, %v", n, err)
		}
	})
	t.Run("all", func(t *testing.T) {
		b := natsbus.EncodeObservations(nil, samples)
		if n, err := natsbus.CountObservations(b); err != nil || n != len(samples) {
			t.Fatalf("count %d, %v", n, err)
		}
		got, err := natsbus.DecodeObservations(b, nil)
		if err != nil || len(got) != len(samples) {
			t.Fatalf("decoded %d, %v", len(got), err)
		}
	})
}

// TestCodecGolden pins the wire format: a change that alters the bytes
// must bump the version (rewrite with -update only for additive changes).
func TestCodecGolden(t *testing.T) {
	b := natsbus.EncodeObservations(nil, loadSamples(t))
	path := filepath.Join("testdata", "observations.bwob")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoding changed (%d bytes, golden %d): bump the version or run with -update", len(b), len(want))
	}
}

func TestCodecMalformed(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "observations.bwob"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad magic", []byte("XYZ\x01")},
		{"future version", []byte("BWO\x02")},
		{"truncated", good[:len(good)-3]},
		{"huge length", append([]byte("BWO\x01"), 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"record too short", append([]byte("BWO\x01"), 2, 0, 0)},
		{"bad nanos", append([]byte("BWO\x01"), 6, 0, 0, 0, 0x80, 0x94, 0xeb)},
		{"bad s2 block", []byte("BWO\x02\x05garbage")},
		{"s2 bomb", append([]byte("BWO\x02"), 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"unknown version", []byte("BWO\x03")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := natsbus.DecodeObservations(tt.in, nil); !errors.Is(err, natsbus.ErrBadBatch) {
				t.Fatalf("err %v, want ErrBadBatch", err)
			}
		})
	}
	// An empty batch (header only) is valid and holds nothing.
	if got, err := natsbus.DecodeObservations([]byte("BWO\x01"), nil); err != nil || len(got) != 0 {
		t.Fatalf("empty batch: %v %v", got, err)
	}
}

// FuzzDecodeObservations feeds arbitrary bytes to the batch decoder: it
// must never panic, and what it decodes must re-encode stably.
func FuzzDecodeObservations(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "observations.bwob"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("BWO\x01"))
	f.Add(natsbus.EncodeObservations(nil, sampleObs("f", 3)))
	f.Add(natsbus.CompressObservations(good))
	f.Fuzz(func(t *testing.T, in []byte) {
		obs, err := natsbus.DecodeObservations(in, nil)
		if n, cerr := natsbus.CountObservations(in); err == nil && (cerr != nil || n != len(obs)) {
			t.Fatalf("count %d (%v) but decoded %d", n, cerr, len(obs))
		}
		if err != nil && !errors.Is(err, natsbus.ErrBadBatch) {
			t.Fatalf("error %v is not ErrBadBatch", err)
		}
		enc1 := natsbus.EncodeObservations(nil, obs)
		obs2, err := natsbus.DecodeObservations(enc1, nil)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if enc2 := natsbus.EncodeObservations(nil, obs2); !bytes.Equal(enc1, enc2) {
			t.Fatalf("re-encode not stable")
		}
	})
}
