// Package loginshell runs what happens after a successful SSH or Telnet
// login: the emulated shell over the decky's virtual filesystem, one
// command event per executed command, download attempts, the asciinema
// transcript, and at the end the session_recorded event and the
// attacker.session.ended notification carrying every command — built from
// the session itself, not reassembled from log lines as the original did.
package loginshell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/terminal"
	"github.com/decnet/decnet/internal/shell"
)

// maxCommands bounds the commands one session.ended notification carries;
// the command events themselves are all emitted.
const maxCommands = 2000

// notifyTimeout bounds the session.ended publish.
const notifyTimeout = 5 * time.Second

// Session is one logged-in user's shell session.
type Session struct {
	env  *services.Env
	conn *services.Session
	user string
	sh   *shell.Session
	cast *terminal.Cast

	mu       sync.Mutex
	commands []Command
	dropped  int
	lastExit int
}

// Command is one executed command as attacker.session.ended carries it.
type Command struct {
	ID          string `json:"id"`
	CommandText string `json:"command_text"`
	TS          string `json:"ts"`
	User        string `json:"user"`
	PWD         string `json:"pwd"`
	Decky       string `json:"decky"`
	Service     string `json:"service"`
}

// Ended is the attacker.session.ended payload (pipeline.md §2 shape plus
// the transcript path).
type Ended struct {
	SessionID    string    `json:"session_id"`
	AttackerUUID *string   `json:"attacker_uuid"`
	AttackerIP   string    `json:"attacker_ip"`
	Decky        string    `json:"decky"`
	DeckyID      string    `json:"decky_id"`
	Service      string    `json:"service"`
	User         string    `json:"user"`
	StartedAt    string    `json:"started_at"`
	EndedAt      string    `json:"ended_at"`
	DurationS    float64   `json:"duration_s"`
	Commands     []Command `json:"commands"`
	Truncated    bool      `json:"commands_truncated,omitempty"`
	Transcript   string    `json:"transcript,omitempty"`
	ShardPath    string    `json:"shard_path,omitempty"`
}

// New starts a shell session for user on conn's decky; StartTranscript
// starts its recording.
func New(env *services.Env, conn *services.Session, user string) *Session {
	s := &Session{env: env, conn: conn, user: user}
	s.sh = shell.NewSession(shell.Config{
		FS:         env.FS,
		Persona:    Persona(env),
		User:       user,
		Recorder:   s,
		RemoteAddr: net.JoinHostPort(conn.SrcIP, strconv.Itoa(conn.SrcPort)),
	})
	return s
}

// Persona is the shell persona of env's decky.
func Persona(env *services.Env) shell.Persona {
	return shell.Persona{
		Hostname: env.Decky.Hostname,
		Distro:   env.Decky.Distro,
		Seed:     env.Decky.Seed,
	}
}

// StartTranscript begins recording to the quarantine's transcripts
// directory; a failure is logged and the session continues unrecorded.
func (s *Session) StartTranscript(width, height int, term string) {
	if s.env.Quarantine == nil {
		return
	}
	path := filepath.Join(s.env.Quarantine.Dir(), "transcripts", s.conn.ID+".cast")
	if err := mkdirFor(path); err != nil {
		s.env.Logger.Warn("loginshell: no transcript", "err", err)
		return
	}
	c, err := terminal.CreateCast(path, terminal.CastHeader{
		Width: width, Height: height,
		Title: fmt.Sprintf("%s@%s %s from %s", s.user, s.env.Decky.Hostname, s.env.Emitter.Service(), s.conn.SrcIP),
		Env:   map[string]string{"TERM": term, "SHELL": "/bin/bash"},
	}, time.Now(), 0)
	if err != nil {
		s.env.Logger.Warn("loginshell: no transcript", "err", err)
		return
	}
	s.cast = c
}

// Cast is the running transcript, nil when none is recorded.
func (s *Session) Cast() *terminal.Cast { return s.cast }

// Interactive runs the prompt loop on term until the user exits, the
// client goes away or ctx ends.
func (s *Session) Interactive(ctx context.Context, term *terminal.Terminal, banner string, echo bool) {
	if banner != "" {
		term.WriteString(banner)
	}
	for ctx.Err() == nil {
		// A pending sudo/su/passwd question hides what is typed.
		term.SetEcho(echo && s.sh.Echo())
		line, err := term.ReadLine(s.sh.Prompt())
		if errors.Is(err, terminal.ErrInterrupt) {
			continue
		}
		if err != nil {
			return
		}
		if s.sh.Run(ctx, line, term) {
			return
		}
	}
}

// Exec runs one command line (ssh host 'cmd') writing its output to out,
// and returns the exit status to report.
func (s *Session) Exec(ctx context.Context, line string, out io.Writer) int {
	s.sh.Run(ctx, line, out)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastExit
}

// Command implements shell.Recorder: one command event per executed
// command.
func (s *Session) Command(c shell.Command) {
	fields := map[string]string{
		"command": c.Text, "line": c.Line, "cwd": c.CWD, "user": c.User,
		"exit_code": strconv.Itoa(c.ExitCode),
	}
	if !c.Known {
		fields["unknown_command"] = "true"
	}
	s.conn.Emit("command", fields, "CMD user="+c.User+" pwd="+c.CWD+" cmd="+c.Text)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastExit = c.ExitCode
	if len(s.commands) >= maxCommands {
		s.dropped++
		return
	}
	s.commands = append(s.commands, Command{
		ID: fmt.Sprintf("%s#%d", s.conn.ID, len(s.commands)), CommandText: c.Text,
		TS: c.At.UTC().Format(time.RFC3339Nano), User: c.User, PWD: c.CWD,
		Decky: s.env.Decky.Name, Service: s.env.Emitter.Service(),
	})
}

// Download implements shell.Recorder: a download_attempt event.
func (s *Session) Download(d shell.Download) {
	f := map[string]string{"url": d.URL, "host": d.Host, "path": d.Path, "tool": d.Tool, "command": d.Command}
	if d.Size > 0 {
		f["size"] = strconv.FormatInt(d.Size, 10)
	}
	if d.Err != "" {
		f["error"] = d.Err
	}
	s.conn.Emit("download_attempt", f, d.Tool+" "+d.URL)
}

// Answer implements shell.AnswerRecorder: a password typed at a sudo, su
// or passwd prompt inside the session is a credential the intruder holds
// (or is setting), recorded like any other with outcome "observed".
func (s *Session) Answer(a shell.Answer) {
	if !a.Secret {
		s.conn.Emit("prompt_answer", map[string]string{"prompt": a.Prompt, "answer": a.Text, "line": a.Line, "user": a.User}, a.Prompt)
		return
	}
	f := services.CredentialFields(map[string]string{"prompt": a.Prompt, "line": a.Line, "method": promptMethod(a.Line)},
		a.User, []byte(a.Text), services.KindPlaintext, model.OutcomeObserved)
	s.conn.Emit("password_prompt", f, "password typed at "+a.Prompt)
}

// promptMethod names the command that asked for a password.
func promptMethod(line string) string {
	for _, m := range []string{"sudo", "su", "passwd", "chpasswd", "adduser", "useradd"} {
		if strings.Contains(line, m) {
			return m
		}
	}
	return "prompt"
}

// End closes the transcript, emits session_recorded and publishes
// attacker.session.ended with the session's commands.
func (s *Session) End(ctx context.Context) {
	ended := time.Now().UTC()
	dur := ended.Sub(s.conn.Started).Seconds()
	var size int64
	truncated := false
	transcript := ""
	if s.cast != nil {
		s.cast.Close()
		size, truncated, transcript = s.cast.Size(), s.cast.Truncated(), s.cast.Path()
	}
	s.conn.Emit("session_recorded", map[string]string{
		"sid": s.conn.ID, "service": s.env.Emitter.Service(), "user": s.user,
		"duration_s": strconv.FormatFloat(dur, 'f', 3, 64), "bytes": strconv.FormatInt(size, 10),
		"truncated": strconv.FormatBool(truncated), "transcript": baseName(transcript),
	}, "session recorded")
	if s.env.Notify == nil {
		return
	}
	s.mu.Lock()
	cmds := append([]Command(nil), s.commands...)
	dropped := s.dropped
	s.mu.Unlock()
	if cmds == nil {
		cmds = []Command{}
	}
	payload := Ended{
		SessionID: s.conn.ID, AttackerIP: s.conn.SrcIP, Decky: s.env.Decky.Name, DeckyID: s.env.Decky.Name,
		Service: s.env.Emitter.Service(), User: s.user,
		StartedAt: s.conn.Started.Format(time.RFC3339Nano), EndedAt: ended.Format(time.RFC3339Nano),
		DurationS: dur, Commands: cmds, Truncated: dropped > 0, Transcript: transcript, ShardPath: transcript,
	}
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	if err := s.env.Notify.Publish(nctx, bus.AttackerSessionEnded, "session.ended", payload); err != nil {
		s.env.Logger.Warn("loginshell: attacker.session.ended not published", "session", s.conn.ID, "err", err)
	}
}

func mkdirFor(path string) error {
	return os.MkdirAll(filepath.Dir(path), 0o700)
}

// baseName is filepath.Base without its "." for an empty path.
func baseName(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Base(p)
}
