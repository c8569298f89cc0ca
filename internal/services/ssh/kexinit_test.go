package ssh

import (
	"encoding/binary"
	"testing"
)

// kexInitPacket builds a client version line and an unencrypted KEXINIT
// packet with the given name-lists.
func kexInitPacket(lists [10]string) []byte {
	payload := []byte{msgKexInit}
	payload = append(payload, make([]byte, 16)...)
	for _, l := range lists {
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(l)))
		payload = append(payload, l...)
	}
	payload = append(payload, 0, 0, 0, 0, 0)
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	pkt = append(pkt, byte(pad))
	pkt = append(pkt, payload...)
	pkt = append(pkt, make([]byte, pad)...)
	return append([]byte("SSH-2.0-OpenSSH_9.6\r\n"), pkt...)
}

func TestHASSHOfAKnownKexInit(t *testing.T) {
	lists := [10]string{
		"curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519", "aes128-ctr", "aes128-ctr",
		"hmac-sha2-256", "hmac-sha2-256", "none", "none", "", "",
	}
	k, ok := parseClientKex(kexInitPacket(lists))
	if !ok {
		t.Fatal("KEXINIT not found")
	}
	if want := "curve25519-sha256,ecdh-sha2-nistp256;aes128-ctr;hmac-sha2-256;none"; k.Algorithms() != want {
		t.Errorf("algorithms %q", k.Algorithms())
	}
	// md5 of the string above, computed with coreutils md5sum.
	if want := "88189635a3ee7c7f0c02224b7a2e1292"; k.HASSH() != want {
		t.Errorf("hassh %q, want %s", k.HASSH(), want)
	}
}

func TestParseClientKexRejectsTruncatedAndLyingLengths(t *testing.T) {
	good := kexInitPacket([10]string{"a", "b", "c", "d", "e", "f", "g", "h", "", ""})
	for i := range len(good) {
		if _, ok := parseClientKex(good[:i]); ok {
			t.Fatalf("a %d-byte prefix parsed", i)
		}
	}
	lying := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(lying[len("SSH-2.0-OpenSSH_9.6\r\n")+22:], 1<<31)
	if _, ok := parseClientKex(lying); ok {
		t.Error("a name-list longer than the packet parsed")
	}
}

func FuzzParseClientKex(f *testing.F) {
	f.Add(kexInitPacket([10]string{"a", "b", "c", "d", "e", "f", "g", "h", "", ""}))
	f.Add([]byte("SSH-2.0-x\r\n\x00\x00\x00\x10\x04\x14"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := parseClientKex(b)
		if ok && len(k.Algorithms()) > len(b) {
			t.Fatalf("algorithms longer than the input")
		}
	})
}
