//go:build !(linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le || s390x || mips64 || mips64le))

package mavlink

import (
	"errors"
	"net"
)

type batchReader struct{}

func newBatchReader(*net.UDPConn) (*batchReader, error) {
	return nil, errors.New("recvmmsg is only used on 64-bit Linux")
}

func (*batchReader) read() ([]datagram, error) { return nil, errors.ErrUnsupported }
