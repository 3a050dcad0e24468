//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x || mips64 || mips64le)

package mavlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// batchReader reads up to batchSize datagrams per system call with
// recvmmsg(2), so a burst costs one wake-up and one syscall instead of one
// per datagram.
type batchReader struct {
	rc    syscall.RawConn
	msgs  []mmsghdr
	iov   []syscall.Iovec
	names []syscall.RawSockaddrAny
	bufs  [][]byte
	out   []datagram
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// mmsghdr is struct mmsghdr on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

const batchSize = 32

func newBatchReader(c *net.UDPConn) (*batchReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("mavlink: raw conn: %w", err)
	}
	r := &batchReader{
		rc:    rc,
		msgs:  make([]mmsghdr, batchSize),
		iov:   make([]syscall.Iovec, batchSize),
		names: make([]syscall.RawSockaddrAny, batchSize),
		bufs:  make([][]byte, batchSize),
		out:   make([]datagram, 0, batchSize),
	}
	// One more byte than MaxDatagram so an oversize datagram shows as
	// truncated (MSG_TRUNC) rather than fitting exactly.
	mem := make([]byte, batchSize*(MaxDatagram+1))
	for i := range r.msgs {
		r.bufs[i] = mem[i*(MaxDatagram+1) : (i+1)*(MaxDatagram+1)]
		r.iov[i].Base = &r.bufs[i][0]
		r.iov[i].SetLen(len(r.bufs[i]))
		r.msgs[i].hdr.Iov = &r.iov[i]
		r.msgs[i].hdr.Iovlen = 1
		r.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
	}
	r.fn = func(fd uintptr) bool {
		n, _, e := syscall.Syscall6(syscall.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])), uintptr(len(r.msgs)), 0, 0, 0)
		if e == syscall.EAGAIN || e == syscall.EWOULDBLOCK {
			return false // wait until readable
		}
		r.n, r.errno = int(n), e
		return true
	}
	return r, nil
}

// read blocks until at least one datagram arrived and returns all that
// were queued, up to batchSize. The datagrams alias the reader's buffers
// and are valid until the next read.
func (r *batchReader) read() ([]datagram, error) {
	for i := range r.msgs {
		r.msgs[i].hdr.Namelen = syscall.SizeofSockaddrAny
		r.msgs[i].hdr.Flags = 0
		r.msgs[i].n = 0
	}
	r.n, r.errno = 0, 0
	if err := r.rc.Read(r.fn); err != nil {
		return nil, err
	}
	if r.errno != 0 {
		if errors.Is(r.errno, syscall.EINTR) {
			return nil, nil
		}
		return nil, fmt.Errorf("mavlink: recvmmsg: %w", r.errno)
	}
	r.out = r.out[:0]
	for i := 0; i < r.n; i++ {
		m := &r.msgs[i]
		n := int(m.n)
		r.out = append(r.out, datagram{
			from:     sockaddrAddrPort(&r.names[i]),
			b:        r.bufs[i][:min(n, MaxDatagram)],
			tooLarge: n > MaxDatagram || m.hdr.Flags&syscall.MSG_TRUNC != 0,
		})
	}
	return r.out, nil
}

func sockaddrAddrPort(sa *syscall.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case syscall.AF_INET:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(p.Addr), port)
	case syscall.AF_INET6:
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(p.Addr), port)
	}
	return netip.AddrPort{}
}
