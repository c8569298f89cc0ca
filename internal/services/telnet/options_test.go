package telnet

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestOptionReaderStripsCommandsAndLearnsTheClient(t *testing.T) {
	in := []byte{
		iac, will, optNAWS, iac, sb, optNAWS, 0, 132, 0, 43, iac, se,
		'r', 'o', iac, iac, 'o', 't',
		iac, will, optTType, iac, sb, optTType, ttypeIs, 'x', 't', 'e', 'r', 'm', '\x01', iac, se,
		iac, 241, // NOP
		'\r', 0,
	}
	var reply bytes.Buffer
	// One byte per read: every state must survive a split.
	o := newOptionReader(iotest.OneByteReader(bytes.NewReader(in)), &reply)
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{'r', 'o', iac, 'o', 't', '\r', 0}; !bytes.Equal(data, want) {
		t.Errorf("data %q, want %q", data, want)
	}
	if o.Width != 132 || o.Height != 43 || o.TermType != "xterm" {
		t.Errorf("client %dx%d %q", o.Width, o.Height, o.TermType)
	}
	if diff := cmp.Diff([]string{"WILL NAWS", "WILL TTYPE"}, o.Options); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if want := []byte{iac, sb, optTType, ttypeSend, iac, se}; !bytes.Equal(reply.Bytes(), want) {
		t.Errorf("reply %v, want TTYPE SEND", reply.Bytes())
	}
}

func TestOptionReaderBoundsHostileNegotiation(t *testing.T) {
	var in []byte
	in = append(in, iac, sb, optTType, ttypeIs)
	in = append(in, bytes.Repeat([]byte{'A'}, 1<<16)...)
	in = append(in, iac, se)
	for range 1000 {
		in = append(in, iac, do, 99)
	}
	in = append(in, 'o', 'k')
	o := newOptionReader(bytes.NewReader(in), io.Discard)
	data, _ := io.ReadAll(o)
	if string(data) != "ok" {
		t.Errorf("data %q", data)
	}
	if o.TermType != "" || len(o.Options) != maxOptions || len(o.sub) > maxSubneg {
		t.Errorf("term %q, %d options, sub %d", o.TermType, len(o.Options), len(o.sub))
	}
}

func TestEscapeIACDoublesFF(t *testing.T) {
	var out bytes.Buffer
	escapeIAC{w: &out}.Write([]byte{'a', iac, 'b'})
	if !bytes.Equal(out.Bytes(), []byte{'a', iac, iac, 'b'}) {
		t.Errorf("%v", out.Bytes())
	}
}

func FuzzOptionReader(f *testing.F) {
	f.Add([]byte{iac, will, optNAWS, iac, sb, optNAWS, 0, 80, 0, 24, iac, se, 'x'})
	f.Add([]byte{iac, sb, iac, iac, iac, se, iac})
	f.Fuzz(func(t *testing.T, in []byte) {
		o := newOptionReader(bytes.NewReader(in), io.Discard)
		data, err := io.ReadAll(o)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > len(in) {
			t.Fatalf("%d data bytes from %d input bytes", len(data), len(in))
		}
		if len(o.Options) > maxOptions || len(o.sub) > maxSubneg || len(o.TermType) > 64 {
			t.Fatalf("unbounded state: %d options, sub %d, term %d", len(o.Options), len(o.sub), len(o.TermType))
		}
	})
}
