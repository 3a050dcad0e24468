//go:build !(linux && (amd64 || arm64))

package mavlink

import "net"

// batchSender falls back to one write per datagram.
type batchSender struct{ c *net.UDPConn }

func newBatchSender(c *net.UDPConn, _ int) (*batchSender, error) { return &batchSender{c}, nil }

func (s *batchSender) send(dgrams [][]byte) (int, error) {
	for i, d := range dgrams {
		if _, err := s.c.Write(d); err != nil {
			return i, err
		}
	}
	return len(dgrams), nil
}
