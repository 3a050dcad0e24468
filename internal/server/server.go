// Package server is the one place that wires borderwatch together: it turns
// validated Options into running listeners, the event log, the tracker,
// the rules and the web UI, and stops them in order. Tests start it
// in-process on port 0 with a temporary data directory.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/internal/metrics"
)

// Server is a running borderwatch node.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics.Registry

	ready    chan struct{}
	httpSrv  *http.Server
	httpLn   net.Listener
	mu       sync.Mutex
	started  bool
	stopped  bool
	wg       sync.WaitGroup
	serveErr chan error
}

// New validates opts and prepares a server; nothing listens until Start.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("server: invalid options:\n%w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		metrics:  metrics.NewRegistry(),
		ready:    make(chan struct{}),
		serveErr: make(chan error, 8),
	}
	return s, nil
}

// Start opens the data directory and every configured listener, then
// returns; Ready is closed once all listeners accept. A failure to bind
// any listener stops what was started and returns the error.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("server: already started")
	}
	s.started = true
	if err := os.MkdirAll(s.opts.DataDir, 0o750); err != nil {
		return fmt.Errorf("server: data directory: %w", err)
	}
	if s.opts.HTTPAddr != "" {
		ln, err := net.Listen("tcp", s.opts.HTTPAddr)
		if err != nil {
			return fmt.Errorf("server: http listener %s: %w", s.opts.HTTPAddr, err)
		}
		s.httpLn = ln
		s.httpSrv = &http.Server{
			Handler:           s.handler(),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.serveErr <- fmt.Errorf("server: http: %w", err)
			}
		}()
		s.log.Info("listening", "listener", "http", "addr", ln.Addr().String())
	}
	close(s.ready)
	return nil
}

// Ready is closed when every listener accepts connections.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Err delivers a fatal error from a listener after Start.
func (s *Server) Err() <-chan error { return s.serveErr }

// HTTPAddr is the bound web address, or "" when disabled or not started.
func (s *Server) HTTPAddr() string {
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// Metrics is the server's metric registry.
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// Shutdown stops accepting, drains in-flight work within ctx and closes
// everything Start opened. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped || !s.started {
		s.stopped = true
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	var errs []error
	if s.httpSrv != nil {
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: http shutdown: %w", err))
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
