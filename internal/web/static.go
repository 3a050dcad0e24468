package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// ui is the build-free map UI: plain ES modules, CSS, the vendored map
// library and the shipped geography. Nothing is fetched from outside.
//
//go:embed ui
var ui embed.FS

// openAPIDoc is the API's OpenAPI 3 description, served as-is.
//
//go:embed openapi.json
var openAPIDoc []byte

type staticFile struct {
	data  []byte
	etag  string
	ctype string
}

// staticFiles serves the embedded UI with strong ETags (content hashes),
// so browsers at a post on a thin link revalidate instead of refetching.
type staticFiles struct {
	files map[string]*staticFile
}

var extraTypes = map[string]string{
	".geojson": "application/geo+json",
	".json":    "application/json",
	".js":      "text/javascript; charset=utf-8",
	".css":     "text/css; charset=utf-8",
	".html":    "text/html; charset=utf-8",
	".png":     "image/png",
	".svg":     "image/svg+xml",
}

func newStaticFiles() (*staticFiles, error) {
	s := &staticFiles{files: make(map[string]*staticFile)}
	err := fs.WalkDir(ui, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := ui.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(p)
		ct := extraTypes[ext]
		if ct == "" {
			ct = mime.TypeByExtension(ext)
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		s.files[strings.TrimPrefix(p, "ui")] = &staticFile{data: data, ctype: ct,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: embedded ui: %w", err)
	}
	if s.files["/index.html"] == nil {
		return nil, fmt.Errorf("web: embedded ui: index.html missing")
	}
	return s, nil
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/" || p == "" {
		p = "/index.html"
	}
	if p == "/login" {
		p = "/login.html"
	}
	f := s.files[p]
	if f == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
