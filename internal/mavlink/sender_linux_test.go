//go:build linux && (amd64 || arm64)

package mavlink

import (
	"net"
	"runtime"
	"syscall"
	"unsafe"
)

// sendmmsg(2): the frozen syscall package lacks the constant.
var sysSendmmsg = map[string]uintptr{"amd64": 307, "arm64": 269}[runtime.GOARCH]

// batchSender writes several datagrams per system call (sendmmsg) on a
// connected socket: the benchmark's load generator, so the sender does not
// eat the core the server needs.
type batchSender struct {
	rc    syscall.RawConn
	msgs  []mmsghdr
	iov   []syscall.Iovec
	count int
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func newBatchSender(c *net.UDPConn, max int) (*batchSender, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &batchSender{rc: rc, msgs: make([]mmsghdr, max), iov: make([]syscall.Iovec, max)}
	for i := range s.msgs {
		s.msgs[i].hdr.Iov = &s.iov[i]
		s.msgs[i].hdr.Iovlen = 1
	}
	s.fn = func(fd uintptr) bool {
		r, _, e := syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&s.msgs[0])), uintptr(s.count), 0, 0, 0)
		if e == syscall.EAGAIN {
			return false
		}
		s.n, s.errno = int(r), e
		return true
	}
	return s, nil
}

// send writes dgrams (at most max) and returns how many were sent.
func (s *batchSender) send(dgrams [][]byte) (int, error) {
	for i, d := range dgrams {
		s.iov[i].Base = &d[0]
		s.iov[i].SetLen(len(d))
	}
	s.count, s.n, s.errno = len(dgrams), 0, 0
	if err := s.rc.Write(s.fn); err != nil {
		return 0, err
	}
	if s.errno != 0 {
		return s.n, s.errno
	}
	return s.n, nil
}
