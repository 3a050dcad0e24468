// Package audit owns borderwatch's audit log: an append-only, hash-chained
// record of every sign-in, view of a protected record, change, dispatch,
// alert dismissal, crossing status change and export, and of the
// administration of users, tokens and devices.
//
// The log is a file of JSON lines (DataDir/audit/audit.jsonl, mode 0600).
// Each entry carries the hash of the previous one and its own hash over
// its content and that previous hash, so altering, removing or reordering
// any entry breaks the chain at that entry. A head file beside it
// (audit.jsonl.head) holds the last sequence number and hash, so entries
// removed from the end are detected too. Verify (and `borderwatch audit
// verify`) walks the chain. Every append is written and synced before
// Append returns.
//
// What the chain cannot stop: someone who can rewrite the whole file and
// the head file can compute a fresh, consistent chain. Record the head
// (printed by `borderwatch audit verify`, logged at every start) off the
// node to detect that; see docs/security.md.
package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Action names what an entry records.
type Action string

// Actions.
const (
	ActSignIn           Action = "sign_in"
	ActSignInFailed     Action = "sign_in_failed"
	ActSignOut          Action = "sign_out"
	ActPasswordChange   Action = "password_change"
	ActBootstrap        Action = "bootstrap"      // the first admin was created
	ActViewProtected    Action = "view_protected" // a record with a handling note was shown
	ActChange           Action = "change"
	ActDispatch         Action = "dispatch"
	ActAlertAcknowledge Action = "alert_acknowledge"
	ActAlertDismiss     Action = "alert_dismiss"
	ActCrossingStatus   Action = "crossing_status"
	ActExport           Action = "export"
	ActUserCreate       Action = "user_create"
	ActUserUpdate       Action = "user_update"
	ActTokenCreate      Action = "token_create"
	ActTokenRevoke      Action = "token_revoke"
	ActDeviceEnrol      Action = "device_enrol"
	ActDenied           Action = "denied" // a refused request for a protected action
	ActAuditReview      Action = "audit_review"
)

// Outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

// Entry is one audit record. Seq, Time, Prev and Hash are set by Append.
type Entry struct {
	Seq    uint64             `json:"seq"`
	Time   time.Time          `json:"time"`
	Actor  string             `json:"actor"`            // user, token or device name; "" for the system
	Agency borderwatch.Agency `json:"agency,omitempty"` // the actor's agency
	Action Action             `json:"action"`
	// Object names what was acted on, e.g. "alert:a-17", "user:amal".
	Object  string `json:"object,omitempty"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
	Remote  string `json:"remote,omitempty"` // client address
	Prev    string `json:"prev"`
	Hash    string `json:"hash"`
}

// genesis is the Prev of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// maxField bounds each text field so that one entry stays one modest line.
const maxField = 2048

// sum is the entry's hash: SHA-256 over a length-prefixed encoding of
// every field but Hash, including Prev.
func sum(e *Entry) string {
	var b bytes.Buffer
	b.WriteString("borderwatch-audit-v1\n")
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
		b.WriteByte(',')
	}
	field(strconv.FormatUint(e.Seq, 10))
	field(e.Time.UTC().Format(time.RFC3339Nano))
	field(e.Actor)
	field(string(e.Agency))
	field(string(e.Action))
	field(e.Object)
	field(e.Outcome)
	field(e.Detail)
	field(e.Remote)
	field(e.Prev)
	h := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(h[:])
}

// PathIn is where a node keeps its audit log under its data directory.
func PathIn(dataDir string) string { return filepath.Join(dataDir, "audit", "audit.jsonl") }

// Head is where a chain ends: the last sequence number and hash.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func (h Head) String() string { return fmt.Sprintf("%d %s", h.Seq, h.Hash) }

// Log is an open audit log. It is safe for concurrent use.
type Log struct {
	path string
	now  func() time.Time

	mu   sync.Mutex
	f    *os.File
	head Head
}

// Open opens (creating if needed) the log at path. It reads the last
// entry to continue the chain; it does not verify the chain (Verify does).
// now is the clock (nil: time.Now).
func Open(path string, now func() time.Time) (*Log, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	head := Head{Hash: genesis}
	if last, err := lastEntry(path); err != nil {
		return nil, err
	} else if last != nil {
		head = Head{Seq: last.Seq, Hash: last.Hash}
	} else if h, err := readHead(path); err == nil && h.Seq > 0 {
		// The file is empty but the head says entries were written: keep
		// the chain going from the head so the loss stays visible.
		head = h
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Log{path: path, now: now, f: f, head: head}, nil
}

// Path is the log file.
func (l *Log) Path() string { return l.path }

// Head returns the current end of the chain.
func (l *Log) Head() Head {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Append stamps e (sequence number, time, previous hash, hash), writes
// and syncs it, and returns it as written.
func (l *Log) Append(e Entry) (Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return Entry{}, errors.New("audit: log is closed")
	}
	e.Seq = l.head.Seq + 1
	e.Time = l.now().UTC()
	e.Prev = l.head.Hash
	for _, s := range []*string{&e.Actor, &e.Object, &e.Detail, &e.Remote, &e.Outcome} {
		if len(*s) > maxField {
			*s = (*s)[:maxField]
		}
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	e.Hash = sum(&e)
	line, err := jsonLine(e)
	if err != nil {
		return Entry{}, err
	}
	if _, err := l.f.Write(line); err != nil {
		return Entry{}, fmt.Errorf("audit: write %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return Entry{}, fmt.Errorf("audit: sync %s: %w", l.path, err)
	}
	l.head = Head{Seq: e.Seq, Hash: e.Hash}
	if err := writeHead(l.path, l.head); err != nil {
		return Entry{}, err
	}
	return e, nil
}

func jsonLine(e Entry) ([]byte, error) {
	line, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("audit: encode: %w", err)
	}
	return append(line, '\n'), nil
}

// Close closes the file; Append fails afterwards.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func headPath(path string) string { return path + ".head" }

func writeHead(path string, h Head) error {
	tmp := headPath(path) + ".tmp"
	if err := os.WriteFile(tmp, []byte(h.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	if err := os.Rename(tmp, headPath(path)); err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	return nil
}

// readHead reads the head file of the log at path; fs.ErrNotExist when
// there is none.
func readHead(path string) (Head, error) {
	b, err := os.ReadFile(headPath(path))
	if err != nil {
		return Head{}, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return Head{}, fmt.Errorf("audit: head file %s: want \"<seq> <hash>\", got %q", headPath(path), strings.TrimSpace(string(b)))
	}
	n, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return Head{}, fmt.Errorf("audit: head file %s: seq %q: %v", headPath(path), f[0], err)
	}
	return Head{Seq: n, Hash: f[1]}, nil
}

// lastEntry returns the last entry of the file, nil if it is empty or
// missing.
func lastEntry(path string) (*Entry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var last *Entry
	err = scan(f, func(n int, e *Entry, err error) error {
		if err != nil {
			return fmt.Errorf("audit: %s line %d: %w (run `borderwatch audit verify`)", path, n, err)
		}
		last = e
		return nil
	})
	return last, err
}

// scan calls fn for each line of r with its 1-based number and the
// decoded entry or the reason it could not be decoded.
func scan(r io.Reader, fn func(line int, e *Entry, err error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var e Entry
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			derr := dec.Decode(&e)
			if derr != nil {
				derr = fmt.Errorf("not an audit entry: %v", derr)
			} else if line[len(line)-1] != '\n' {
				derr = errors.New("incomplete last line")
			}
			if ferr := fn(n, &e, derr); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Problem is where and why a chain is broken.
type Problem struct {
	Line   int    // 1-based line of the file; 0 for the file as a whole
	Seq    uint64 // sequence number found there, when readable
	Reason string
}

func (p Problem) Error() string {
	if p.Line == 0 {
		return "audit: " + p.Reason
	}
	return fmt.Sprintf("audit: line %d (seq %d): %s", p.Line, p.Seq, p.Reason)
}

// Report is what Verify found.
type Report struct {
	Entries int
	Head    Head
	// Problems lists every break found, in file order; empty means intact.
	Problems []Problem
}

// Err returns the first problem, or nil when the chain is intact.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return r.Problems[0]
}

// Verify walks a chain from r: every entry must decode, follow the
// previous entry's sequence number and hash, and hash to what it
// carries. want, when not nil, is the head the chain must end at (from
// the head file or recorded off the node): a shorter chain means entries
// were removed from the end.
func Verify(r io.Reader, want *Head) (Report, error) {
	rep := Report{Head: Head{Hash: genesis}}
	err := scan(r, func(n int, e *Entry, derr error) error {
		if derr != nil {
			rep.Problems = append(rep.Problems, Problem{Line: n, Reason: derr.Error()})
			return nil //nolint:nilerr // a bad line is a finding of the report, not a failure of the scan
		}
		rep.Entries++
		switch {
		case e.Seq != rep.Head.Seq+1 && e.Prev != rep.Head.Hash:
			rep.Problems = append(rep.Problems, Problem{Line: n, Seq: e.Seq,
				Reason: fmt.Sprintf("out of sequence after seq %d and not chained to it: an entry was removed, inserted or moved", rep.Head.Seq)})
		case e.Seq != rep.Head.Seq+1:
			rep.Problems = append(rep.Problems, Problem{Line: n, Seq: e.Seq,
				Reason: fmt.Sprintf("sequence number altered: want %d", rep.Head.Seq+1)})
		case e.Prev != rep.Head.Hash:
			rep.Problems = append(rep.Problems, Problem{Line: n, Seq: e.Seq,
				Reason: "previous hash does not match the entry before: an entry was removed, inserted or moved"})
		}
		if got := sum(e); got != e.Hash {
			rep.Problems = append(rep.Problems, Problem{Line: n, Seq: e.Seq, Reason: "content does not match its hash: the entry was altered"})
		}
		rep.Head = Head{Seq: e.Seq, Hash: e.Hash}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("audit: read: %w", err)
	}
	if want != nil && (want.Seq != rep.Head.Seq || want.Hash != rep.Head.Hash) {
		reason := fmt.Sprintf("chain ends at %s but the head records %s", rep.Head, *want)
		if want.Seq > rep.Head.Seq {
			reason += ": entries were removed from the end"
		}
		rep.Problems = append(rep.Problems, Problem{Reason: reason})
	}
	return rep, nil
}

// VerifyFile verifies the log at path against its head file (a missing
// head file is itself a problem once the log has entries).
func VerifyFile(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	h, herr := readHead(path)
	var want *Head
	if herr == nil {
		want = &h
	}
	rep, err := Verify(f, want)
	if err != nil {
		return rep, err
	}
	if herr != nil && rep.Entries > 0 {
		reason := "head file " + headPath(path) + ": " + herr.Error()
		if errors.Is(herr, fs.ErrNotExist) {
			reason = "head file " + headPath(path) + " is missing: the end of the chain cannot be checked"
		}
		rep.Problems = append(rep.Problems, Problem{Reason: reason})
	}
	return rep, nil
}

// Query selects entries for review.
type Query struct {
	After  uint64 // entries with Seq > After
	Limit  int    // at most this many (default 100, max 1000)
	Actor  string // exact actor, "" for any
	Action Action // exact action, "" for any
}

// Read returns the entries of the log at path that match q, oldest first.
func Read(path string, q Query) ([]Entry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var out []Entry
	done := errors.New("done")
	err = scan(f, func(_ int, e *Entry, derr error) error {
		if derr != nil || e.Seq <= q.After || (q.Actor != "" && e.Actor != q.Actor) || (q.Action != "" && e.Action != q.Action) {
			return nil //nolint:nilerr // unreadable lines are skipped here; Verify reports them
		}
		out = append(out, *e)
		if len(out) >= q.Limit {
			return done
		}
		return nil
	})
	if err != nil && err != done {
		return out, fmt.Errorf("audit: read %s: %w", path, err)
	}
	return out, nil
}
