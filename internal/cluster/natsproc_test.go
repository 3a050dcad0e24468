package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// needNATSServer returns the path of Debian's nats-server; missing, it
// fails the test under CI=true and skips it otherwise.
func needNATSServer(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
		if _, err := os.Stat(filepath.Join(dir, "nats-server")); err == nil {
			return filepath.Join(dir, "nats-server")
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nats-server not found: install Debian's nats-server package (CI must run this test)")
	}
	t.Skip("nats-server not installed (apt install nats-server); skipping (CI=true makes this a failure)")
	return ""
}

// freePorts reserves n loopback TCP ports and releases them for a server
// to bind (route URLs must be known before the servers start).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// natsProc is one nats-server process.
type natsProc struct {
	name   string
	conf   string
	bin    string
	url    string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	if bytes.Contains(s.b.Bytes(), []byte("Server is ready")) {
		s.once.Do(func() { close(s.ready) })
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the server and waits until it accepts clients.
func (p *natsProc) start() error {
	p.log = &syncBuffer{ready: make(chan struct{})}
	p.cmd = exec.Command(p.bin, "-c", p.conf)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.bin, err)
	}
	exited := make(chan struct{})
	p.exited = exited
	go func() {
		_ = p.cmd.Wait()
		close(exited)
	}()
	select {
	case <-p.log.ready:
		return nil
	case <-exited:
		return fmt.Errorf("nats-server %s exited before it was ready:\n%s", p.name, p.log.String())
	case <-time.After(30 * time.Second):
		return fmt.Errorf("nats-server %s not ready within 30s:\n%s", p.name, p.log.String())
	}
}

// kill ends the server with SIGKILL: no clean shutdown, as in a crash.
func (p *natsProc) kill() {
	if p.cmd == nil || p.cmd.Process == nil || p.exited == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// natsCluster is a 3-node JetStream cluster of Debian nats-server
// processes on loopback, with routes between them and temp store dirs.
type natsCluster struct {
	servers []*natsProc
}

func (c *natsCluster) URLs() []string {
	var out []string
	for _, s := range c.servers {
		out = append(out, s.url)
	}
	return out
}

func startNATSCluster(t testing.TB, n int) *natsCluster {
	t.Helper()
	bin := needNATSServer(t)
	ports := freePorts(t, 2*n)
	dir := t.TempDir()
	var routes []string
	for i := 0; i < n; i++ {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	c := &natsCluster{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("nats-%d", i+1)
		conf := filepath.Join(dir, name+".conf")
		body := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  max_memory_store: 256MB
  max_file_store: 4GB
}
cluster {
  name: borderwatch
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, ports[i], filepath.Join(dir, name), ports[n+i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c.servers = append(c.servers, nil)
		c.servers[i] = &natsProc{name: name, conf: conf, bin: bin, url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i])}
	}
	// Start them together: a JetStream cluster elects its meta leader
	// once the peers see each other.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, s := range c.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.start()
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, s := range c.servers {
			s.kill()
			if t.Failed() {
				t.Logf("%s log (tail):\n%s", s.name, tail(s.log.String(), 2000))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Wait for JetStream to answer (meta leader elected).
	nc, err := nats.Connect(strings.Join(c.URLs(), ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster not ready within 30s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return c
}
