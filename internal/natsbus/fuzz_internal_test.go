package natsbus

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
)

type packet struct {
	typ, flags byte
	body       []byte
	topic      string
	id         uint16
	payload    []byte
	pubErr     bool
}

func readAll(r *bufio.Reader) ([]packet, error) {
	c := &mqttClient{r: r}
	var out []packet
	for {
		typ, flags, body, err := c.readPacket()
		if err != nil {
			return out, err
		}
		p := packet{typ: typ, flags: flags, body: body}
		if typ == pktPublish {
			topic, id, payload, err := parsePublish(flags, body)
			p.topic, p.id, p.payload, p.pubErr = topic, id, payload, err != nil
		}
		if len(body) > maxPacket {
			return out, nil
		}
		out = append(out, p)
	}
}

// FuzzMQTTPackets reads an MQTT byte stream as the bridge does, whole and
// one byte per read (frames split across reads): never a panic, and the
// same packets either way.
func FuzzMQTTPackets(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "mqtt_stream.bin"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, errW := readAll(bufio.NewReader(bytes.NewReader(in)))
		split, errS := readAll(bufio.NewReader(iotest.OneByteReader(bytes.NewReader(in))))
		if !reflect.DeepEqual(whole, split) || (errW == nil) != (errS == nil) {
			t.Fatalf("split reads differ: %d vs %d packets (%v / %v)", len(whole), len(split), errW, errS)
		}
	})
}

func TestMQTTStreamSeed(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "mqtt_stream.bin"))
	if err != nil {
		t.Fatal(err)
	}
	pkts, _ := readAll(bufio.NewReader(iotest.OneByteReader(bytes.NewReader(seed))))
	if len(pkts) != 5 || pkts[2].topic != "borderwatch/cameras/cam-07/detections" || pkts[2].id != 7 || pkts[3].id != 0 || pkts[4].typ != pktPingResp {
		t.Fatalf("packets %+v", pkts)
	}
	if err := checkSubAck(pkts[1].body, []string{"borderwatch/cameras/#"}); err != nil {
		t.Fatal(err)
	}
}
