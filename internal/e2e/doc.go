// Package e2e holds the end-to-end browser tests: the whole node
// (internal/server, started in-process on loopback port 0 with a
// temporary data directory and the reference deployment) driven through
// its own web UI in Debian's headless chromium (internal/web/webtest).
// It has no code of its own; it is a separate package because the server
// imports web, so web's tests cannot start the server.
package e2e
