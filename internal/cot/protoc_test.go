package cot

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// protoc is Debian's protobuf-compiler: an independent protobuf
// implementation. The test checks our hand-written wire codec against it
// in both directions, using testdata/tak.proto.
func protoc(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("protoc", append([]string{"--proto_path=testdata"}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("protoc %v: %v: %s", args, err, stderr.String())
	}
	return out
}

const takMessage = "--decode=atakmap.commoncommo.protobuf.v1.TakMessage"

func needProtoc(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("protoc is missing: apt-get install protobuf-compiler")
		}
		t.Skip("protoc not installed (apt-get install protobuf-compiler)")
	}
}

func TestProtocDecodesOurFrames(t *testing.T) {
	needProtoc(t)
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var ev Event
			if err := DecodeXML(readCapture(t, name), &ev); err != nil {
				t.Fatal(err)
			}
			frame := AppendMeshFrame(nil, &ev)
			text := string(protoc(t, frame[3:], takMessage, "tak.proto"))
			for _, want := range []string{`uid: "` + ev.UID + `"`, `type: "` + ev.Type + `"`} {
				if !strings.Contains(text, want) {
					t.Errorf("protoc decoded\n%s\nwithout %s", text, want)
				}
			}
			if ev.Detail.Contact.Callsign != "" && ev.Detail.Raw&ElemContact == 0 &&
				!strings.Contains(text, `callsign: "`+ev.Detail.Contact.Callsign+`"`) {
				t.Errorf("typed contact missing:\n%s", text)
			}
		})
	}
}

func TestProtocEncodedReadsBack(t *testing.T) {
	needProtoc(t)
	in, err := os.ReadFile(filepath.Join("testdata", "protoc-spot.txtpb"))
	if err != nil {
		t.Fatal(err)
	}
	theirs := protoc(t, in, "--encode=atakmap.commoncommo.protobuf.v1.TakMessage", "tak.proto")
	var ev Event
	if err := DecodeProto(theirs, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev.Detail
	if ev.UID != "protoc-made" || ev.Point.Lat != -12.5 || d.Contact.Callsign != "OBS-1" ||
		d.Contact.Endpoint != "10.0.0.2:4242:tcp" || d.Has&ElemStatus == 0 || d.Track.Course != 90 ||
		d.Remarks.Text != "two on foot" || d.XML != `<__video url="rtsp://x"/>` {
		t.Fatalf("decoded %+v", ev)
	}
	// Our encoding of it decodes, in protoc, to the same message
	// (submissionTime, which we do not carry, aside).
	ours := protoc(t, AppendProto(nil, &ev), takMessage, "tak.proto")
	want := protoc(t, theirs, takMessage, "tak.proto")
	want = bytes.Replace(want, []byte("submissionTime: 5\n"), nil, 1)
	if !bytes.Equal(ours, want) {
		t.Fatalf("protoc reads our encoding as\n%s\nwant\n%s", ours, want)
	}
}
