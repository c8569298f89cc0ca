package mysql

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/decnet/decnet/internal/services"
)

// Commands of the command phase.
const (
	comQuit      = 0x01
	comInitDB    = 0x02
	comQuery     = 0x03
	comFieldList = 0x04
	comPing      = 0x0e
)

// bait is a decky's seeded schema: the databases SHOW DATABASES lists and
// the tables in them, with a users table whose rows look worth stealing.
type bait struct {
	dbs    []string
	tables map[string][]string
	users  [][]string
}

var systemDBs = []string{"information_schema", "mysql", "performance_schema", "sys"}

func newBait(rng *rand.Rand) *bait {
	apps := []string{"wordpress", "shop_prod", "crm", "billing", "app_production", "customers", "inventory", "hr_portal"}
	b := &bait{tables: map[string][]string{}}
	for _, i := range rng.Perm(len(apps))[:2+rng.IntN(2)] {
		b.dbs = append(b.dbs, apps[i])
	}
	sets := [][]string{
		{"users", "orders", "payments", "sessions", "api_keys"},
		{"users", "customers", "invoices", "audit_log"},
		{"users", "accounts", "password_resets", "settings"},
	}
	for _, db := range b.dbs {
		b.tables[db] = sets[rng.IntN(len(sets))]
	}
	first := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}
	domain := []string{"example.com", "corp.local", "mail.example.org"}[rng.IntN(3)]
	for i, n := range rng.Perm(len(first))[:4+rng.IntN(4)] {
		// bcrypt-looking hashes of nothing: bait for a cracker's time.
		hash := fmt.Sprintf("$2y$10$%022x%031x", rng.Uint64(), rng.Uint64())[:60]
		b.users = append(b.users, []string{fmt.Sprint(i + 1), first[n], first[n] + "@" + domain, hash})
	}
	return b
}

func (b *bait) known(db string) bool {
	return slices.Contains(systemDBs, db) || slices.Contains(b.dbs, db)
}

// session is an accepted login's command phase.
type session struct {
	h    *handler
	c    *services.Conn
	pc   *packetConn
	user string
	db   string
}

// maxQueries bounds the commands one session may run; a script hammering
// the decoy gets cut off like a server would after max_connect_errors.
const maxQueries = 10000

func (s *session) run(ctx context.Context) string {
	for n := 0; n < maxQueries && ctx.Err() == nil; n++ {
		p, err := s.pc.read()
		if err != nil {
			if errors.Is(err, errProtocol) {
				s.c.Emit("protocol_error", map[string]string{"error": err.Error(), "phase": "command"}, "malformed MySQL command")
				s.pc.seq = 1
				s.pc.write(errPacket(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes"))
				s.pc.flush()
				return "protocol error"
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
				return "client closed the connection"
			}
			return "read failed: " + err.Error()
		}
		if len(p) == 0 {
			s.c.Emit("protocol_error", map[string]string{"error": "empty command packet", "phase": "command"}, "malformed MySQL command")
			return "protocol error"
		}
		switch p[0] {
		case comQuit:
			return "client quit"
		case comPing:
			s.pc.write(okPacket())
		case comInitDB:
			s.useDB(string(p[1:]))
		case comFieldList:
			s.pc.write(eofPacket())
		case comQuery:
			s.query(string(p[1:]))
		default:
			s.pc.write(errPacket(1047, "08S01", "Unknown command"))
		}
		if err := s.pc.flush(); err != nil {
			return "write failed"
		}
	}
	return "command limit reached"
}

func (s *session) useDB(db string) {
	db = strings.Trim(strings.TrimSpace(db), "`")
	s.c.Emit("query", map[string]string{"query": "USE " + clip(db, 256), "database": clip(db, 256), "user": s.user}, "mysql USE")
	if !s.h.bait.known(db) {
		s.pc.write(errPacket(1049, "42000", fmt.Sprintf("Unknown database '%s'", clip(db, 128))))
		return
	}
	s.db = db
	s.pc.write(okPacket())
}

var (
	reFrom     = regexp.MustCompile("(?i)\\bfrom\\s+`?([\\w$]+)`?(?:\\.`?([\\w$]+)`?)?")
	reUse      = regexp.MustCompile("(?i)^use\\s+`?([\\w$]+)`?$")
	reSpace    = regexp.MustCompile(`\s+`)
	reComments = regexp.MustCompile(`/\*.*?\*/`)
)

// query answers one COM_QUERY and records it as a query event (the TTP
// worker reads its query field as command text).
func (s *session) query(q string) {
	f := map[string]string{"query": q, "user": s.user}
	if s.db != "" {
		f["database"] = s.db
	}
	s.c.Emit("query", f, "mysql query")
	norm := strings.TrimSpace(reSpace.ReplaceAllString(reComments.ReplaceAllString(q, " "), " "))
	norm = strings.TrimRight(norm, "; ")
	low := strings.ToLower(norm)
	b := s.h.bait
	switch {
	case low == "select @@version_comment limit 1" || low == "select @@version_comment":
		comment := "MySQL Community Server - GPL"
		if !s.h.mysql8() {
			comment = "MySQL Community Server (GPL)"
		}
		s.resultSet([]string{"@@version_comment"}, [][]string{{comment}})
	case low == "select @@version" || low == "select version()":
		s.resultSet([]string{norm[len("select "):]}, [][]string{{s.h.version}})
	case low == "select database()":
		var row []string
		if s.db != "" {
			row = []string{s.db}
		} else {
			row = []string{"\x00null"}
		}
		s.resultSet([]string{"DATABASE()"}, [][]string{row})
	case low == "select user()" || low == "select current_user()" || low == "select current_user":
		s.resultSet([]string{norm[len("select "):]}, [][]string{{s.user + "@" + s.c.SrcIP}})
	case low == "show databases" || low == "show schemas":
		rows := [][]string{}
		for _, db := range append(slices.Clone(systemDBs[:1]), append(b.dbs, systemDBs[1:]...)...) {
			rows = append(rows, []string{db})
		}
		slices.SortFunc(rows, func(a, c []string) int { return strings.Compare(a[0], c[0]) })
		s.resultSet([]string{"Database"}, rows)
	case low == "show tables":
		if s.db == "" {
			s.pc.write(errPacket(1046, "3D000", "No database selected"))
			return
		}
		rows := [][]string{}
		for _, t := range b.tables[s.db] {
			rows = append(rows, []string{t})
		}
		s.resultSet([]string{"Tables_in_" + s.db}, rows)
	case reUse.MatchString(norm):
		s.useDB(reUse.FindStringSubmatch(norm)[1])
	case strings.HasPrefix(low, "set ") || low == "commit" || low == "rollback" || strings.HasPrefix(low, "start transaction"):
		s.pc.write(okPacket())
	case strings.HasPrefix(low, "select") && reFrom.MatchString(norm):
		m := reFrom.FindStringSubmatch(norm)
		db, table := s.db, m[1]
		if m[2] != "" {
			db, table = m[1], m[2]
		}
		switch {
		case db == "":
			s.pc.write(errPacket(1046, "3D000", "No database selected"))
		case !slices.Contains(b.tables[db], table):
			s.pc.write(errPacket(1146, "42S02", fmt.Sprintf("Table '%s.%s' doesn't exist", clip(db, 64), clip(table, 64))))
		case table == "users":
			s.resultSet([]string{"id", "username", "email", "password"}, b.users)
		default:
			s.resultSet([]string{"id"}, nil)
		}
	case strings.HasPrefix(low, "select"):
		s.pc.write(errPacket(1064, "42000", syntaxError(norm)))
	default:
		verb := strings.ToUpper(strings.Fields(norm + " x")[0])
		switch verb {
		case "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "TRUNCATE", "GRANT":
			s.pc.write(errPacket(1142, "42000", fmt.Sprintf("%s command denied to user '%s'@'%s' for table '%s'",
				verb, clip(s.user, 64), s.c.SrcIP, tableOf(norm))))
		default:
			s.pc.write(errPacket(1064, "42000", syntaxError(norm)))
		}
	}
}

// syntaxError is MySQL's 1064 text, quoting the statement from its start.
func syntaxError(q string) string {
	return fmt.Sprintf("You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s' at line 1", clip(q, 80))
}

// tableOf guesses the table a write statement names, for 1142's text.
func tableOf(q string) string {
	f := strings.Fields(q)
	for i, w := range f {
		switch strings.ToLower(w) {
		case "into", "table", "from", "update":
			if i+1 < len(f) {
				return clip(strings.Trim(f[i+1], "`;("), 64)
			}
		}
	}
	return "unknown"
}

// resultSet writes a text result set of VAR_STRING columns; a cell
// "\x00null" is SQL NULL.
func (s *session) resultSet(cols []string, rows [][]string) {
	s.pc.write(appendLenEncInt(nil, uint64(len(cols))))
	for _, c := range cols {
		b := appendLenEncString(nil, "def")
		b = appendLenEncString(b, s.db)
		b = appendLenEncString(b, "")
		b = appendLenEncString(b, "")
		b = appendLenEncString(b, c)
		b = appendLenEncString(b, "")
		b = append(b, 0x0c)
		b = binary.LittleEndian.AppendUint16(b, 0xff)
		b = binary.LittleEndian.AppendUint32(b, 1024)
		b = append(b, 0xfd, 0x00, 0x00, 0x1f, 0x00, 0x00)
		s.pc.write(b)
	}
	s.pc.write(eofPacket())
	for _, r := range rows {
		var b []byte
		for _, v := range r {
			if v == "\x00null" {
				b = append(b, 0xfb)
				continue
			}
			b = appendLenEncString(b, v)
		}
		s.pc.write(b)
	}
	s.pc.write(eofPacket())
}

func eofPacket() []byte { return []byte{0xfe, 0x00, 0x00, byte(statusAutoCmt), 0x00} }
