package cluster

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// lease is the stored state of one sector: the value of its key in the
// leases bucket. The key's KV revision is the fencing token: every change
// is a compare-and-set on the revision the writer last saw.
type lease struct {
	// Owner is the node holding the sector; "" when it is free.
	Owner string `json:"owner"`
	// Epoch counts acquisitions of the sector; a release keeps it.
	Epoch uint64 `json:"epoch"`
	// Seq is the last stream sequence whose processing was committed
	// (0: nothing yet). The next owner resumes at Seq+1.
	Seq uint64 `json:"seq"`
}

// heartbeat is a node's liveness record: the value of its key in the nodes
// bucket, rewritten every LeaseTTL/4.
type heartbeat struct {
	Node string `json:"node"`
	// Incarnation is random per Run, so two processes started with the
	// same node ID are told apart.
	Incarnation string `json:"inc"`
	// Sectors is a digest of the sorted sector list: only nodes that
	// agree on the sectors share them.
	Sectors string `json:"sectors"`
}

var nodeIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidNodeID reports whether id can name a node: 1 to 64 ASCII letters,
// digits, '-' or '_' (it is a KV key).
func ValidNodeID(id string) bool { return nodeIDRE.MatchString(id) }

func encodeLease(l lease) []byte {
	b, _ := json.Marshal(l) // cannot fail: strings and integers
	return b
}

// decodeLease parses a leases-bucket value. Unknown fields are ignored (a
// newer node may add some); a bad owner or an owned lease without an
// epoch is an error.
func decodeLease(b []byte) (lease, error) {
	var l lease
	if err := json.Unmarshal(b, &l); err != nil {
		return lease{}, fmt.Errorf("lease record: %w", err)
	}
	if l.Owner != "" && !ValidNodeID(l.Owner) {
		return lease{}, fmt.Errorf("lease record: owner %q: not a node ID", l.Owner)
	}
	if l.Owner != "" && l.Epoch == 0 {
		return lease{}, fmt.Errorf("lease record: owner %q with epoch 0", l.Owner)
	}
	return l, nil
}

func encodeHeartbeat(h heartbeat) []byte {
	b, _ := json.Marshal(h)
	return b
}

// decodeHeartbeat parses a nodes-bucket value stored under key.
func decodeHeartbeat(key string, b []byte) (heartbeat, error) {
	var h heartbeat
	if err := json.Unmarshal(b, &h); err != nil {
		return heartbeat{}, fmt.Errorf("heartbeat %q: %w", key, err)
	}
	if h.Node != key || !ValidNodeID(h.Node) {
		return heartbeat{}, fmt.Errorf("heartbeat %q: node %q: does not match its key", key, h.Node)
	}
	if h.Incarnation == "" {
		return heartbeat{}, fmt.Errorf("heartbeat %q: empty incarnation", key)
	}
	return h, nil
}

var kvSafeRE = regexp.MustCompile(`^[A-Za-z0-9_=-]{1,200}$`)

// sectorKey is the leases-bucket key of a sector: the sector itself when it
// is a plain token, else "b64-" and its URL-safe base64 (KV keys allow
// fewer characters than subjects).
func sectorKey(sector string) string {
	if kvSafeRE.MatchString(sector) && !strings.HasPrefix(sector, "b64-") {
		return sector
	}
	return "b64-" + base64.RawURLEncoding.EncodeToString([]byte(sector))
}
