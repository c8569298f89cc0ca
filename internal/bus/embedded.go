package bus

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startEmbedded runs nats-server with JetStream inside this process and
// connects to it in-process. Without Listen the server binds no socket at
// all, so it can never collide with a NATS server already on the host; the
// store lives under DataDir, which only this process uses.
func (b *Bus) startEmbedded() error {
	dir := b.opts.DataDir
	if dir == "" {
		return fmt.Errorf("bus: embedded NATS needs a data directory (Options.DataDir), or set %s to use an external server", envURL)
	}
	if err := checkDir(dir); err != nil {
		return err
	}

	sopts := &server.Options{
		ServerName:         "decnet-embedded",
		JetStream:          true,
		StoreDir:           dir, // the server appends "jetstream"
		JetStreamMaxMemory: embeddedMaxMemory,
		MaxPayload:         MaxMessageSize,
		NoSigs:             true,
		DontListen:         b.opts.Listen == "",
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		HTTPPort:           0,
	}
	if b.opts.Listen != "" {
		host, port, err := net.SplitHostPort(b.opts.Listen)
		if err != nil {
			return fmt.Errorf("bus: invalid listen address %q (want host:port): %w", b.opts.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("bus: invalid listen port in %q", b.opts.Listen)
		}
		if host != "" {
			sopts.Host = host
		}
		// nats-server reads port 0 as "the default 4222"; decnet means random.
		if p != 0 {
			sopts.Port = p
		}
	}

	s, err := server.NewServer(sopts)
	if err != nil {
		return fmt.Errorf("bus: embedded NATS: %w", err)
	}
	sl := &serverLogger{log: b.log.With("component", "nats-server")}
	s.SetLogger(sl, false, false)
	b.srv = s
	s.Start()
	if msg := sl.fatalMsg(); msg != "" {
		return fmt.Errorf("bus: embedded NATS failed to start (data dir %s, listen %q): %s", dir, b.opts.Listen, msg)
	}
	if !s.ReadyForConnections(readyTimeout) {
		msg := sl.fatalMsg()
		if msg == "" {
			msg = "not ready after " + readyTimeout.String()
		}
		return fmt.Errorf("bus: embedded NATS failed to start (data dir %s, listen %q): %s", dir, b.opts.Listen, msg)
	}
	if !s.JetStreamEnabled() {
		return fmt.Errorf("bus: embedded NATS started without JetStream (data dir %s): %s", dir, sl.fatalMsg())
	}

	opts := append(b.natsOptions(), nats.InProcessServer(s))
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return fmt.Errorf("bus: connect to embedded NATS: %w", err)
	}
	b.nc = nc
	if b.opts.Listen != "" {
		b.url = s.ClientURL()
	}
	return nil
}

func (b *Bus) shutdownServer() {
	if b.srv == nil {
		return
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}

// checkDir makes sure dir exists and is writable before nats-server gets it,
// because the server reports such failures only as a log line.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bus: data dir %s is not usable: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("bus: data dir %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// serverLogger routes nats-server logs into slog. Notices (the startup banner,
// JetStream limits) go to Debug so an embedded server is quiet at Info. Fatal
// messages are kept so Open can return them: the server's own Fatalf would
// exit the process.
type serverLogger struct {
	log   *slog.Logger
	mu    sync.Mutex
	fatal string
}

func (l *serverLogger) fatalMsg() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  {}
func (l *serverLogger) Tracef(format string, v ...any)  {}

func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	if l.fatal == "" {
		l.fatal = msg
	}
	l.mu.Unlock()
}
