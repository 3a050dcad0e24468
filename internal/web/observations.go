package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/borderwatch/borderwatch"
)

// ItemError is one bad item of a batch: its index in the batch and why.
type ItemError struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// itemsError is an EINVALID error that lists the bad items.
type itemsError struct {
	err   *borderwatch.Error
	items []ItemError
}

func (e *itemsError) Error() string { return e.err.Error() }
func (e *itemsError) Unwrap() error { return e.err }

// maxItemErrors bounds how many bad items a 400 lists.
const maxItemErrors = 100

// DecodeObservations parses a POST /api/v1/observations body: a JSON array
// of observations, or an object {"observations": [...]}. Unknown fields
// are errors (a misspelt field must not silently vanish). Every item is
// decoded and validated; if any is bad, the error lists the bad items by
// index (at most 100) and no observation is returned. maxItems bounds the
// batch.
func DecodeObservations(body []byte, maxItems int) ([]borderwatch.Observation, error) {
	body = bytes.TrimSpace(body)
	var raw []json.RawMessage
	switch {
	case len(body) == 0:
		return nil, borderwatch.Errorf(borderwatch.EINVALID, "empty body: want a JSON array of observations")
	case body[0] == '[':
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, borderwatch.Errorf(borderwatch.EINVALID, "body: %s", jsonReason(err))
		}
	case body[0] == '{':
		var env struct {
			Observations []json.RawMessage `json:"observations"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&env); err != nil {
			return nil, borderwatch.Errorf(borderwatch.EINVALID, "body: %s", jsonReason(err))
		}
		raw = env.Observations
	default:
		return nil, borderwatch.Errorf(borderwatch.EINVALID, "body: want a JSON array of observations or {\"observations\": [...]}")
	}
	if len(raw) == 0 {
		return nil, borderwatch.Errorf(borderwatch.EINVALID, "body: no observations")
	}
	if len(raw) > maxItems {
		return nil, borderwatch.Errorf(borderwatch.EINVALID, "body: %d observations, at most %d per request", len(raw), maxItems)
	}
	obs := make([]borderwatch.Observation, len(raw))
	var bad []ItemError
	nbad := 0
	for i, m := range raw {
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		err := dec.Decode(&obs[i])
		var reason string
		if err != nil {
			reason = jsonReason(err)
		} else if err := obs[i].Validate(); err != nil {
			reason = borderwatch.ErrorMessageOf(err)
		}
		if reason != "" {
			nbad++
			if len(bad) < maxItemErrors {
				bad = append(bad, ItemError{Index: i, Reason: reason})
			}
		}
	}
	if nbad > 0 {
		return nil, &itemsError{
			err:   borderwatch.Errorf(borderwatch.EINVALID, "%d of %d observations are invalid; none was accepted", nbad, len(raw)),
			items: bad,
		}
	}
	return obs, nil
}

// jsonReason turns a JSON error into a client-safe reason.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s: want %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return err.Error() // e.g. `json: unknown field "x"`, time parse errors
}

func (h *handler) observations(w http.ResponseWriter, r *http.Request, _ Principal) {
	if h.o.Ingest == nil {
		h.error(w, r, borderwatch.Errorf(borderwatch.EUNAVAILABLE, "ingest is not enabled on this node"))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]apiError{"error": {Code: borderwatch.EINVALID, Message: "Content-Type must be application/json"}})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]apiError{"error": {Code: borderwatch.EINVALID,
				Message: fmt.Sprintf("body larger than %d bytes: split the batch", mb.Limit)}})
			return
		}
		h.error(w, r, borderwatch.Errorf(borderwatch.EINVALID, "reading body: %v", err))
		return
	}
	obs, err := DecodeObservations(body, h.o.MaxBatch)
	if err != nil {
		h.error(w, r, err)
		return
	}
	if err := h.o.Ingest(r.Context(), obs); err != nil {
		h.error(w, r, fmt.Errorf("web: ingest %d observations: %w", len(obs), err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": len(obs)})
}
