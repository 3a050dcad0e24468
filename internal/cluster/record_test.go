package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeLease(t *testing.T) {
	for _, tc := range []struct {
		file string
		want lease
		err  string
	}{
		{"owned.json", lease{Owner: "node-1", Epoch: 3, Seq: 1234}, ""},
		{"free.json", lease{Epoch: 7, Seq: 99}, ""},
		{"unknown-field.json", lease{Owner: "n2", Epoch: 1}, ""},
		{"bad-owner.json", lease{}, "not a node ID"},
		{"owned-epoch0.json", lease{}, "epoch 0"},
		{"negative.json", lease{}, "cannot unmarshal"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "lease", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeLease(b)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if again, err := decodeLease(encodeLease(got)); err != nil || again != got {
				t.Fatalf("round trip: %+v, %v", again, err)
			}
		})
	}
}

func TestDecodeHeartbeat(t *testing.T) {
	for _, tc := range []struct{ file, key, err string }{
		{"node-1.json", "node-1", ""},
		{"node-1.json", "node-2", "does not match its key"},
		{"node-1-empty-inc.json", "node-2", "empty incarnation"},
		{"node-1-wrong-key.json", "node-1", "does not match its key"},
	} {
		t.Run(tc.file+" as "+tc.key, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "heartbeat", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			h, err := decodeHeartbeat(tc.key, b)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if again, err := decodeHeartbeat(tc.key, encodeHeartbeat(h)); err != nil || again != h {
				t.Fatalf("round trip: %+v, %v", again, err)
			}
		})
	}
}

func TestSectorKey(t *testing.T) {
	for _, tc := range []struct{ sector, key string }{
		{"ninewa-rabia", "ninewa-rabia"},
		{"_", "_"},
		{"s_1=x", "s_1=x"},
		{"al Qaim", "b64-YWwgUWFpbQ"},
		{"b64-x", "b64-YjY0LXg"},
		{"a.b", "b64-YS5i"},
	} {
		t.Run(tc.sector, func(t *testing.T) {
			if got := sectorKey(tc.sector); got != tc.key {
				t.Errorf("sectorKey(%q) = %q, want %q", tc.sector, got, tc.key)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{NodeID: "n1", Sectors: []string{"a", "b"}}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		err  string
	}{
		{"valid", func(*Options) {}, ""},
		{"bad node", func(o *Options) { o.NodeID = "n 1" }, `node_id: "n 1"`},
		{"no sectors", func(o *Options) { o.Sectors = nil }, "sectors: empty"},
		{"empty sector", func(o *Options) { o.Sectors = []string{"a", ""} }, "sectors[1]: empty"},
		{"duplicate", func(o *Options) { o.Sectors = []string{"a", "b", "a"} }, `sectors[2]: "a": duplicate of sectors[0]`},
		{"bucket", func(o *Options) { o.Bucket = "a.b" }, `bucket: "a.b"`},
		{"replicas", func(o *Options) { o.Replicas = 7 }, "replicas: 7"},
		{"ttl", func(o *Options) { o.LeaseTTL = 1 }, "lease_ttl: 1ns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mod(&o)
			err := o.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func seedDir(f *testing.F, dir string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeLease: lease records come from the bus; a decoded record is
// valid and survives a round trip.
func FuzzDecodeLease(f *testing.F) {
	seedDir(f, "lease")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLease(b)
		if err != nil {
			return
		}
		if l.Owner != "" && (!ValidNodeID(l.Owner) || l.Epoch == 0) {
			t.Fatalf("accepted invalid %+v", l)
		}
		if again, err := decodeLease(encodeLease(l)); err != nil || again != l {
			t.Fatalf("round trip %+v: %+v, %v", l, again, err)
		}
	})
}

// FuzzDecodeHeartbeat: heartbeats come from the bus too.
func FuzzDecodeHeartbeat(f *testing.F) {
	seedDir(f, "heartbeat")
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeartbeat("node-1", b)
		if err != nil {
			return
		}
		if h.Node != "node-1" || h.Incarnation == "" {
			t.Fatalf("accepted invalid %+v", h)
		}
		if again, err := decodeHeartbeat("node-1", encodeHeartbeat(h)); err != nil || again != h {
			t.Fatalf("round trip %+v: %+v, %v", h, again, err)
		}
	})
}
