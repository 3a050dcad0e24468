// Package webtest drives Debian's chromium from Go tests: a minimal Chrome
// DevTools Protocol client over --remote-debugging-pipe (file descriptors
// 3 and 4, NUL-separated JSON) with the standard library only. It is used
// by the browser tests of internal/web and the end-to-end tests of
// internal/e2e; it is test support, never linked into the binary.
package webtest

// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe
// (file descriptors 3 and 4, NUL-separated JSON), enough to drive Debian's
// chromium in the browser tests without a third-party module: navigate,
// evaluate, type keys, intercept every request, capture screenshots.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one DevTools message: a response (ID) or an event (Method).
type Message struct {
	ID     int64           `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	SessionID string `json:"sessionId"`
}

// Browser is a running chromium driven over the DevTools pipe.
type Browser struct {
	cmd     *exec.Cmd
	w       *os.File
	stderr  strings.Builder
	wg      sync.WaitGroup
	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan Message
	on      map[string]func(Message)
	session string
}

// FindChromium returns the browser binary, or "" if there is none.
func FindChromium() string {
	if p := os.Getenv("BORDERWATCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NeedChromium fails under CI=true and skips elsewhere when chromium is
// missing.
func NeedChromium(t *testing.T) string {
	t.Helper()
	p := FindChromium()
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (apt-get install chromium, or set BORDERWATCH_CHROMIUM): the browser tests must run in CI")
		}
		t.Skip("chromium not found; install Debian's chromium to run the browser tests")
	}
	return p
}

// Launch starts a headless chromium with a fresh profile; it is closed
// when the test ends.
func Launch(t *testing.T, bin string) *Browser {
	t.Helper()
	return LaunchWith(t, bin)
}

// LaunchWith is Launch with extra command-line flags, e.g.
// --ignore-certificate-errors-spki-list=<hash> to trust one server key.
func LaunchWith(t *testing.T, bin string, flags ...string) *Browser {
	t.Helper()
	toChrome, ourW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourR, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{w: ourW, pending: map[int64]chan Message{}, on: map[string]func(Message){}}
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-default-browser-check", "--mute-audio",
		"--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
		"--autoplay-policy=no-user-gesture-required",
		"--user-data-dir=" + t.TempDir(), "--remote-debugging-pipe"}, flags...)
	b.cmd = exec.Command(bin, append(args, "about:blank")...)
	b.cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	toChrome.Close()
	fromChrome.Close()
	b.wg.Add(1)
	go b.read(ourR)
	t.Cleanup(func() { b.close(t) })
	return b
}

func (b *Browser) read(r io.ReadCloser) {
	defer b.wg.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m Message
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		h := b.on[m.Method]
		b.mu.Unlock()
		if h != nil {
			h(m) // must not block on a call: it runs on the reader
		}
	}
}

// Send writes a command and returns the channel its response arrives on.
func (b *Browser) Send(method string, params any, session bool) (chan Message, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan Message, 1)
	b.pending[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err == nil {
		_, err = b.w.Write(append(data, 0))
	}
	b.mu.Unlock()
	return ch, err
}

// Call sends a command (to the attached page when session is set) and
// waits for its result.
func (b *Browser) Call(ctx context.Context, method string, params any, session bool) (json.RawMessage, error) {
	if params == nil {
		params = struct{}{}
	}
	ch, err := b.Send(method, params, session)
	if err != nil {
		return nil, fmt.Errorf("cdp %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("cdp %s: browser closed the pipe", method)
		}
		if m.Error != nil {
			return nil, fmt.Errorf("cdp %s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("cdp %s: %w", method, ctx.Err())
	}
}

// Handle sets the handler of an event; it runs on the reader and must not
// block on a Call.
func (b *Browser) Handle(method string, f func(Message)) {
	b.mu.Lock()
	b.on[method] = f
	b.mu.Unlock()
}

func (b *Browser) close(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = b.Call(ctx, "Browser.close", nil, false) // a dead browser is killed below
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	var exit error
	select {
	case exit = <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill() // already gone is fine
		exit = <-done
	}
	if t.Failed() && exit != nil {
		t.Logf("chromium exit: %v", exit)
	}
	b.w.Close()
	b.wg.Wait()
	if t.Failed() && b.stderr.Len() > 0 {
		s := b.stderr.String()
		t.Logf("chromium stderr (tail):\n%s", s[max(0, len(s)-3000):])
	}
}

// Page is one tab attached in flat mode.
type Page struct {
	*Browser
	// T is the test the page reports to; a subtest may set it.
	T        *testing.T
	mu       sync.Mutex
	requests []string
	outside  []string
	console  []string
}

// OpenPage creates a tab of the given size that lets requests reach only
// allowedHost (host:port, over http or https); every other request is
// failed and recorded.
func (b *Browser) OpenPage(ctx context.Context, t *testing.T, allowedHost string, width, height int) *Page {
	t.Helper()
	p := &Page{Browser: b, T: t}
	res, err := b.Call(ctx, "Target.createTarget", map[string]any{"url": "about:blank"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var tg struct{ TargetID string }
	if err := json.Unmarshal(res, &tg); err != nil {
		t.Fatal(err)
	}
	res, err = b.Call(ctx, "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	var at struct{ SessionID string }
	if err := json.Unmarshal(res, &at); err != nil {
		t.Fatal(err)
	}
	b.session = at.SessionID
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = b.Call(ctx, "Target.closeTarget", map[string]any{"targetId": tg.TargetID}, false) // the browser may be closing
	})
	mine := func(m Message) bool { return m.SessionID == at.SessionID }

	b.Handle("Fetch.requestPaused", func(m Message) {
		if !mine(m) {
			return // an earlier page of this browser, being closed
		}
		var ev struct {
			RequestID string               `json:"requestId"`
			Request   struct{ URL string } `json:"request"`
		}
		if json.Unmarshal(m.Params, &ev) != nil {
			return
		}
		u := ev.Request.URL
		p.mu.Lock()
		p.requests = append(p.requests, u)
		local := strings.HasPrefix(u, "http://"+allowedHost+"/") || strings.HasPrefix(u, "https://"+allowedHost+"/")
		if !local {
			p.outside = append(p.outside, u)
		}
		p.mu.Unlock()
		if local {
			_, _ = b.Send("Fetch.continueRequest", map[string]any{"requestId": ev.RequestID}, true) // a write error ends the reader
		} else {
			_, _ = b.Send("Fetch.failRequest", map[string]any{"requestId": ev.RequestID, "errorReason": "BlockedByClient"}, true)
		}
	})
	record := func(kind string) func(Message) {
		return func(m Message) {
			if !mine(m) {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, kind+": "+string(m.Params))
			p.mu.Unlock()
		}
	}
	b.Handle("Runtime.exceptionThrown", record("exception"))
	b.Handle("Log.entryAdded", func(m Message) {
		if !mine(m) {
			return
		}
		var ev struct {
			Entry struct{ Level, Source, Text, URL string } `json:"entry"`
		}
		if json.Unmarshal(m.Params, &ev) != nil {
			return
		}
		if ev.Entry.Level == "error" || ev.Entry.Source == "security" {
			p.mu.Lock()
			p.console = append(p.console, "log: "+ev.Entry.Source+": "+ev.Entry.Text+" "+ev.Entry.URL)
			p.mu.Unlock()
		}
	})
	b.Handle("Runtime.consoleAPICalled", func(m Message) {
		if !mine(m) {
			return
		}
		var ev struct{ Type string }
		if json.Unmarshal(m.Params, &ev) != nil {
			return
		}
		if ev.Type == "error" || ev.Type == "assert" {
			record("console")(m)
		}
	})
	for _, c := range []struct {
		method string
		params any
	}{
		{"Fetch.enable", map[string]any{"patterns": []map[string]string{{"urlPattern": "*"}}}},
		{"Runtime.enable", nil},
		{"Log.enable", nil},
		{"Page.enable", nil},
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}},
	} {
		if _, err := b.Call(ctx, c.method, c.params, true); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Navigate loads url in the page.
func (p *Page) Navigate(ctx context.Context, url string) {
	p.T.Helper()
	if _, err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, true); err != nil {
		p.T.Fatal(err)
	}
}

// Eval evaluates a JavaScript expression (awaiting promises) into out.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	res, err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, true)
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("eval %s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(r.Result.Value) == 0 {
		return errors.New("eval " + expr + ": undefined")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// MustEval is Eval that fails the test on error.
func (p *Page) MustEval(ctx context.Context, expr string, out any) {
	p.T.Helper()
	if err := p.Eval(ctx, expr, out); err != nil {
		p.T.Fatal(err)
	}
}

// WaitFor polls a boolean expression until it holds or ctx ends. Polling a
// condition with a deadline, not sleeping for an assumed duration.
func (p *Page) WaitFor(ctx context.Context, what, expr string) {
	p.T.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		var ok bool
		if lastErr = p.Eval(ctx, "!!("+expr+")", &ok); lastErr == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			var errs []string
			_ = p.Eval(context.Background(), "JSON.stringify(window.bw && window.bw.errors)", &errs) // best effort, for the message
			p.T.Fatalf("waiting for %s (%s): %v; last error %v; page errors %v; console %v", what, expr, ctx.Err(), lastErr, errs, p.ConsoleLines())
		case <-tick.C:
		}
	}
}

// Key presses and releases one key (a DOM key name such as "a", "Enter").
func (p *Page) Key(ctx context.Context, key string) {
	p.T.Helper()
	for _, typ := range []string{"keyDown", "keyUp"} {
		params := map[string]any{"type": typ, "key": key}
		if len(key) == 1 && typ == "keyDown" {
			params["text"] = key
		}
		if _, err := p.Call(ctx, "Input.dispatchKeyEvent", params, true); err != nil {
			p.T.Fatal(err)
		}
	}
}

// Screenshot saves a PNG of the viewport to path.
func (p *Page) Screenshot(ctx context.Context, path string) {
	p.T.Helper()
	res, err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, true)
	if err != nil {
		p.T.Fatal(err)
	}
	var r struct{ Data string }
	if err := json.Unmarshal(res, &r); err != nil {
		p.T.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		p.T.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.T.Fatal(err)
	}
	p.T.Logf("screenshot %s (%d bytes)", path, len(png))
}

// ConsoleLines are the page's errors, exceptions and security messages.
func (p *Page) ConsoleLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// OutsideRequests are the requests refused for leaving the allowed host,
// and the number of requests seen.
func (p *Page) OutsideRequests() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.outside...), len(p.requests)
}

// Artefacts returns where screenshots go: $BORDERWATCH_ARTIFACTS/ui, or a
// temporary directory of the test.
func Artefacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if d := os.Getenv("BORDERWATCH_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Frames waits for two animation frames, so what changed is painted.
func (p *Page) Frames(ctx context.Context) {
	p.T.Helper()
	p.MustEval(ctx, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", nil)
}

// Type inserts text at the focused element, as typing would.
func (p *Page) Type(ctx context.Context, text string) {
	p.T.Helper()
	if _, err := p.Call(ctx, "Input.insertText", map[string]any{"text": text}, true); err != nil {
		p.T.Fatal(err)
	}
}

// SetViewport changes the page's size (a tablet: mobile true).
func (p *Page) SetViewport(ctx context.Context, width, height int, mobile bool) {
	p.T.Helper()
	if _, err := p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, true); err != nil {
		p.T.Fatal(err)
	}
}
