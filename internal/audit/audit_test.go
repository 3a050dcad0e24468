package audit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// writeLog writes n entries and returns the log's path.
func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit", "audit.jsonl")
	c := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	l, err := Open(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	acts := []Action{ActSignIn, ActViewProtected, ActAlertDismiss, ActDispatch, ActCrossingStatus, ActExport, ActChange}
	for i := range n {
		if _, err := l.Append(Entry{Actor: "amal", Agency: "ibg", Action: acts[i%len(acts)], Object: "alert:a-" + string(rune('a'+i)),
			Remote: "127.0.0.1", Detail: "line\nwith \"quotes\""}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

func rewrite(t *testing.T, path string, ls []string) {
	t.Helper()
	s := strings.Join(ls, "")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIntactChainVerifiesAndReopens(t *testing.T) {
	path := writeLog(t, 7)
	rep, err := VerifyFile(path)
	if err != nil || rep.Err() != nil || rep.Entries != 7 || rep.Head.Seq != 7 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v, want 0600", fi.Mode(), err)
	}
	// Reopening continues the chain.
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(Entry{Actor: "omar", Action: ActSignIn})
	if err != nil || e.Seq != 8 || e.Prev != rep.Head.Hash {
		t.Fatalf("append after reopen: %+v %v", e, err)
	}
	l.Close()
	if rep, _ := VerifyFile(path); rep.Err() != nil || rep.Entries != 8 {
		t.Fatalf("after reopen: %+v", rep)
	}
}

// TestTamperDetected alters, removes, inserts and reorders entries, the
// way someone covering their tracks would, and checks that every change
// is found at the right line.
func TestTamperDetected(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func([]string) []string
		wantLine int
		reason   string
	}{
		{"altered field", func(ls []string) []string {
			ls[2] = strings.Replace(ls[2], `"actor":"amal"`, `"actor":"omar"`, 1)
			return ls
		}, 3, "altered"},
		{"altered time", func(ls []string) []string {
			ls[4] = strings.Replace(ls[4], `T08:00:05`, `T09:00:05`, 1)
			return ls
		}, 5, "altered"},
		{"altered outcome, rehashed", func(ls []string) []string {
			// Someone recomputes the entry's own hash: the next entry's
			// link then breaks.
			e := decode(t, ls[1])
			e.Outcome = OutcomeDenied
			e.Hash = sum(&e)
			ls[1] = encode(t, e)
			return ls
		}, 3, "previous hash"},
		{"removed middle", func(ls []string) []string { return append(ls[:3:3], ls[4:]...) }, 4, "removed"},
		{"removed first", func(ls []string) []string { return ls[1:] }, 1, "removed"},
		{"removed last", func(ls []string) []string { return ls[:len(ls)-1] }, 0, "removed from the end"},
		{"reordered", func(ls []string) []string { ls[2], ls[3] = ls[3], ls[2]; return ls }, 3, "moved"},
		{"duplicated", func(ls []string) []string { return append(ls[:3:3], ls[2:]...) }, 4, "moved"},
		{"garbage line", func(ls []string) []string { ls[5] = "{\"seq\":6}\n"; return ls }, 6, ""},
		{"not json", func(ls []string) []string { ls[0] = "hello\n"; return ls }, 1, "not an audit entry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeLog(t, 7)
			rewrite(t, path, c.tamper(lines(t, path)))
			rep, err := VerifyFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 {
				t.Fatal("tampering not detected")
			}
			p := rep.Problems[0]
			if p.Line != c.wantLine || !strings.Contains(p.Reason, c.reason) {
				t.Fatalf("first problem %v, want line %d mentioning %q (all: %v)", p, c.wantLine, c.reason, rep.Problems)
			}
		})
	}
}

func TestMissingHeadIsAProblem(t *testing.T) {
	path := writeLog(t, 3)
	if err := os.Remove(headPath(path)); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyFile(path)
	if err != nil || rep.Err() == nil || !strings.Contains(rep.Err().Error(), "missing") {
		t.Fatalf("report %+v err %v, want missing head", rep, err)
	}
}

func TestEmptiedLogKeepsItsHead(t *testing.T) {
	path := writeLog(t, 3)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, _ := VerifyFile(path)
	if rep.Err() == nil {
		t.Fatal("emptied log verified")
	}
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := l.Append(Entry{Action: ActSignIn})
	l.Close()
	if e.Seq != 4 {
		t.Fatalf("seq after emptying %d, want 4 (the loss stays visible)", e.Seq)
	}
	if rep, _ := VerifyFile(path); rep.Err() == nil {
		t.Fatal("log with lost entries verified")
	}
}

func TestConcurrentAppendsChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				if _, err := l.Append(Entry{Actor: string(rune('a' + i)), Action: ActChange}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	rep, err := VerifyFile(path)
	if err != nil || rep.Err() != nil || rep.Entries != 80 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := l.Append(Entry{}); err == nil {
		t.Fatal("append after close succeeded")
	}
}

func TestRead(t *testing.T) {
	path := writeLog(t, 7)
	got, err := Read(path, Query{After: 2, Limit: 3})
	if err != nil || len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 {
		t.Fatalf("%+v %v", got, err)
	}
	got, _ = Read(path, Query{Action: ActDispatch})
	if len(got) != 1 || got[0].Action != ActDispatch {
		t.Fatalf("by action: %+v", got)
	}
	if got, err := Read(filepath.Join(t.TempDir(), "none"), Query{}); err != nil || got != nil {
		t.Fatalf("missing log: %v %v", got, err)
	}
}

func decode(t *testing.T, line string) Entry {
	t.Helper()
	var out Entry
	scan(strings.NewReader(line), func(_ int, e *Entry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		out = *e
		return nil
	})
	return out
}

func encode(t *testing.T, e Entry) string {
	t.Helper()
	b, err := jsonLine(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzVerify feeds arbitrary bytes to the verifier: it must not panic,
// and a chain it calls intact must re-verify identically.
func FuzzVerify(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "audit.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Verify(bytes.NewReader(b), nil)
		if err != nil {
			return
		}
		if rep.Err() == nil && rep.Entries > 0 {
			rep2, _ := Verify(bytes.NewReader(b), &rep.Head)
			if rep2.Err() != nil {
				t.Fatalf("intact chain fails against its own head: %v", rep2.Err())
			}
		}
	})
}

var update = flag.Bool("update", false, "rewrite testdata/audit.jsonl")

// TestSeedIsIntact keeps the fuzz seed a valid chain (-update rewrites it).
func TestSeedIsIntact(t *testing.T) {
	seed := filepath.Join("testdata", "audit.jsonl")
	if *update {
		path := writeLog(t, 7)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(seed, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(bytes.NewReader(b), nil)
	if err != nil || rep.Err() != nil || rep.Entries != 7 {
		t.Fatalf("%+v %v", rep, err)
	}
}
