package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secret returns the secret in file when given, else the one generated
// once into DataDir/secrets/name (mode 0600). There are no default
// passwords: a secret nobody configured is random and written where only
// the server's user can read it.
func (s *Server) secret(file, name string) (value, path string, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", file, fmt.Errorf("secret %s: %w", name, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", file, fmt.Errorf("secret %s: file %s is empty", name, file)
		}
		return v, file, nil
	}
	dir := filepath.Join(s.opts.DataDir, "secrets")
	path = filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), path, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", path, fmt.Errorf("secret %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", path, fmt.Errorf("secret %s: %w", name, err)
	}
	v := randomToken(18)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", path, fmt.Errorf("secret %s: %w", name, err)
	}
	return v, path, nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("server: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
