package mtt

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
)

// TracksWriter writes a tracks file: an optional header, then one line per
// scan. Positions are written to the centimetre, velocities to the
// millimetre per second.
type TracksWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

// NewTracksWriter returns a writer of a tracks file on w. Call Flush at the end.
func NewTracksWriter(w io.Writer) *TracksWriter {
	return &TracksWriter{w: bufio.NewWriterSize(w, 1<<16)}
}

// Header writes the optional header line; info is free-form run
// information as string pairs, written in key order.
func (w *TracksWriter) Header(info map[string]string) error {
	keys := make([]string, 0, len(info))
	for k := range info {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := append(w.buf[:0], `{"header": {`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, info[k])
	}
	b = append(b, "}}\n"...)
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
	}
	return w.err
}

// Write writes one scan's tracks. IDs that parse as integers are written as
// JSON numbers, others as strings.
func (w *TracksWriter) Write(t float64, tracks []Estimate) error {
	if w.err != nil {
		return w.err
	}
	b := append(w.buf[:0], `{"t": `...)
	b = appendFloat(b, t, -1)
	b = append(b, `, "tracks": [`...)
	for i, e := range tracks {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, `{"id": `...)
		if isInt(e.ID) {
			b = append(b, e.ID...)
		} else {
			b = strconv.AppendQuote(b, e.ID)
		}
		b = append(b, `, "x": `...)
		b = appendFloat(b, e.X, 2)
		b = append(b, `, "y": `...)
		b = appendFloat(b, e.Y, 2)
		b = append(b, `, "vx": `...)
		b = appendFloat(b, e.VX, 3)
		b = append(b, `, "vy": `...)
		b = appendFloat(b, e.VY, 3)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
	}
	return w.err
}

// WriteInts is Write for integer track ids without building strings.
func (w *TracksWriter) WriteInts(t float64, ids []int64, xs [][4]float64) error {
	if w.err != nil {
		return w.err
	}
	b := append(w.buf[:0], `{"t": `...)
	b = appendFloat(b, t, -1)
	b = append(b, `, "tracks": [`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ", "...)
		}
		s := xs[i]
		b = append(b, `{"id": `...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `, "x": `...)
		b = appendFloat(b, s[0], 2)
		b = append(b, `, "y": `...)
		b = appendFloat(b, s[1], 2)
		b = append(b, `, "vx": `...)
		b = appendFloat(b, s[2], 3)
		b = append(b, `, "vy": `...)
		b = appendFloat(b, s[3], 3)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
	}
	return w.err
}

// Flush writes buffered lines to the underlying writer.
func (w *TracksWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

func appendFloat(b []byte, v float64, prec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if prec < 0 {
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		// Keep a decimal point so the value reads as a float, like Python.
		for i := len(b) - 1; i >= 0 && b[i] != ' '; i-- {
			if b[i] == '.' || b[i] == 'e' {
				return b
			}
		}
		return append(b, ".0"...)
	}
	if prec <= 3 && math.Abs(v) < 1e12 {
		// Fixed point by integer rounding: much faster than the exact
		// decimal conversion, and exact to the last written digit but for
		// ties (which land on the larger magnitude).
		scale := [...]float64{1, 10, 100, 1000}[prec]
		n := int64(math.Round(math.Abs(v) * scale))
		if v < 0 && n != 0 {
			b = append(b, '-')
		}
		p := int64([...]float64{1, 10, 100, 1000}[prec])
		b = strconv.AppendInt(b, n/p, 10)
		if prec > 0 {
			b = append(b, '.')
			frac := n % p
			for d := p / 10; d > 0; d /= 10 {
				b = append(b, byte('0'+frac/d))
				frac %= d
			}
		}
		return b
	}
	return strconv.AppendFloat(b, v, 'f', prec, 64)
}

func isInt(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			if !(i == 0 && s[i] == '-' && len(s) > 1) {
				return false
			}
		}
	}
	return true
}
