package ssh

import (
	"context"
	"encoding/binary"
	"io"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/loginshell"
	"github.com/decnet/decnet/internal/services/terminal"
)

// nowFunc is the clock for banners; a seam for tests.
var nowFunc = time.Now

// maxEnvRequests bounds the env requests recorded per channel.
const maxEnvRequests = 64

// session is one "session" channel: pty, env, then a shell, an exec or a
// subsystem.
type session struct {
	h    *handler
	c    *services.Conn
	user string
	ch   gossh.Channel
	reqs <-chan *gossh.Request

	mu            sync.Mutex
	pty           bool
	term          string
	width, height int
	cast          *terminal.Cast
	envCount      int
	started       bool
	done          chan struct{}
}

func newSession(h *handler, c *services.Conn, user string, ch gossh.Channel, reqs <-chan *gossh.Request) *session {
	return &session{h: h, c: c, user: user, ch: ch, reqs: reqs, term: "xterm", width: 80, height: 24, done: make(chan struct{})}
}

// serve answers the channel's requests until the program (shell, exec or
// subsystem) ends or the client closes the channel.
func (s *session) serve(ctx context.Context) {
	defer s.ch.Close()
	for {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return
			}
			s.request(ctx, r)
		case <-s.done:
			// Drain late requests (window-change, eow@openssh.com) so
			// the library's channel does not block.
			go gossh.DiscardRequests(s.reqs)
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *session) request(ctx context.Context, r *gossh.Request) {
	reply := func(ok bool) {
		if r.WantReply {
			r.Reply(ok, nil)
		}
	}
	switch r.Type {
	case "pty-req":
		var p struct {
			Term                 string
			Cols, Rows, PxW, PxH uint32
			Modes                string
		}
		if gossh.Unmarshal(r.Payload, &p) != nil {
			reply(false)
			return
		}
		s.mu.Lock()
		s.pty, s.term = true, clip(p.Term, 64)
		s.width, s.height = clampDim(p.Cols, 80), clampDim(p.Rows, 24)
		s.mu.Unlock()
		reply(true)
	case "window-change":
		if len(r.Payload) >= 8 {
			w, h := clampDim(binary.BigEndian.Uint32(r.Payload), 80), clampDim(binary.BigEndian.Uint32(r.Payload[4:]), 24)
			s.mu.Lock()
			s.width, s.height = w, h
			cast := s.cast
			s.mu.Unlock()
			cast.Resize(w, h)
		}
		reply(true)
	case "env":
		var p struct{ Name, Value string }
		if gossh.Unmarshal(r.Payload, &p) != nil {
			reply(false)
			return
		}
		s.mu.Lock()
		s.envCount++
		record := s.envCount <= maxEnvRequests
		s.mu.Unlock()
		if record {
			s.c.Emit("env_request", map[string]string{"name": clip(p.Name, 128), "value": clip(p.Value, 1024)}, "env "+clip(p.Name, 128))
		}
		// OpenSSH accepts only AcceptEnv names (LANG, LC_*) and refuses
		// the rest.
		reply(strings.HasPrefix(p.Name, "LC_") || p.Name == "LANG")
	case "shell":
		if !s.start() {
			reply(false)
			return
		}
		reply(true)
		go s.run(ctx, func() int { return s.shell(ctx) })
	case "exec":
		var p struct{ Command string }
		if gossh.Unmarshal(r.Payload, &p) != nil || !s.start() {
			reply(false)
			return
		}
		reply(true)
		go s.run(ctx, func() int { return s.exec(ctx, p.Command) })
	case "subsystem":
		var p struct{ Name string }
		gossh.Unmarshal(r.Payload, &p)
		s.c.Emit("subsystem_request", map[string]string{"subsystem": clip(p.Name, 64)}, "subsystem "+clip(p.Name, 64))
		if p.Name != "sftp" || !s.start() {
			reply(false)
			return
		}
		reply(true)
		go s.run(ctx, func() int { return s.sftp(ctx) })
	default:
		reply(false)
	}
}

// clampDim keeps a client-claimed terminal dimension sane.
func clampDim(v uint32, def int) int {
	if v == 0 {
		return def
	}
	return int(min(v, 1000))
}

// start marks the channel's one program as started.
func (s *session) start() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return false
	}
	s.started = true
	return true
}

// run runs the program, then sends its exit status and ends the channel.
func (s *session) run(ctx context.Context, program func() int) {
	defer close(s.done)
	status := program()
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(status))
	s.ch.SendRequest("exit-status", false, b[:])
	s.ch.CloseWrite()
}

// recorded wraps the channel so the transcript sees both directions.
type recorded struct {
	ch   gossh.Channel
	cast *terminal.Cast
}

func (r recorded) Read(p []byte) (int, error) {
	n, err := r.ch.Read(p)
	r.cast.Input(p[:n])
	return n, err
}

func (r recorded) Write(p []byte) (int, error) {
	r.cast.Output(p)
	return r.ch.Write(p)
}

func (s *session) loginShell() *loginshell.Session {
	ls := loginshell.New(s.h.env, s.c.Session, s.user)
	// Every shell or exec session is recorded; without a pty the size is
	// the 80x24 a player assumes.
	s.mu.Lock()
	w, h, term := s.width, s.height, s.term
	s.mu.Unlock()
	ls.StartTranscript(w, h, term)
	s.mu.Lock()
	s.cast = ls.Cast()
	s.mu.Unlock()
	return ls
}

func (s *session) shell(ctx context.Context) int {
	ls := s.loginShell()
	defer ls.End(ctx)
	rw := recorded{ch: s.ch, cast: ls.Cast()}
	term := terminal.New(rw, rw)
	term.SetMaxLine(s.c.Limits().MaxLine)
	s.mu.Lock()
	pty := s.pty
	s.mu.Unlock()
	banner := ""
	if pty {
		banner = s.h.motd() + s.h.lastLogin()
	} else {
		term.SetRaw()
	}
	ls.Interactive(ctx, term, banner, pty)
	return 0
}

func (s *session) exec(ctx context.Context, command string) int {
	command = clip(command, s.c.Limits().MaxLine)
	s.c.Emit("exec_request", map[string]string{"command": command}, "exec "+command)
	if fields := strings.Fields(command); len(fields) > 1 && fields[0] == "scp" {
		return s.scp(ctx, fields[1:])
	}
	ls := s.loginShell()
	defer ls.End(ctx)
	var out io.Writer = recorded{ch: s.ch, cast: ls.Cast()}
	s.mu.Lock()
	pty := s.pty
	s.mu.Unlock()
	if pty {
		out = terminal.New(strings.NewReader(""), out)
	}
	return ls.Exec(ctx, command, out)
}
