package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Bounds of the artifact and transcript routes (api_db.md §3.12).
const (
	maxAttackerArtifacts = 200
	maxTranscriptLine    = 1 << 20
	defaultTranscriptPg  = 500
	maxTranscriptPg      = 5000
)

// Names a path may be built from: checked before the file system is
// touched, so no request names a file outside the artifacts directory.
var (
	deckyName    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	serviceName  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`)
	storedName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)
	sessionIDArg = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

var errNoArtifacts = newError(http.StatusServiceUnavailable, "captured files are not available in this process", nil)

// attackerLogRows serves GET /attackers/{uuid}/artifacts and /transcripts:
// the attacker's file_captured or session_recorded events, newest first.
func (s *Server) attackerLogRows(eventType string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.logs == nil {
			return errNoLogStore
		}
		a, err := s.attackerOf(r)
		if err != nil {
			return err
		}
		rows, total, err := s.logs.SearchLogs(r.Context(), store.LogSearch{Limit: maxAttackerArtifacts, Terms: []store.LogTerm{
			{Kind: store.LogTermColumn, Key: store.LogColumnEventType, Value: eventType},
			{Kind: store.LogTermColumn, Key: store.LogColumnAttackerIP, Value: a.IP},
		}})
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []model.LogEntry{}
		}
		middleware.WriteJSON(w, http.StatusOK, struct {
			Total int64            `json:"total"`
			Data  []model.LogEntry `json:"data"`
		}{total, rows})
		return nil
	}
}

// artifactPath joins the artifacts directory with decky/service[/sub]/name
// after checking each part, and refuses a result that resolves (through
// links) outside the directory. sub is a constant of the caller's.
func (s *Server) artifactPath(decky, service, sub, name string) (string, error) {
	if !deckyName.MatchString(decky) || !serviceName.MatchString(service) || !storedName.MatchString(name) ||
		strings.Contains(name, "..") {
		return "", newError(http.StatusBadRequest, "decky, service or file name is not a valid name", nil)
	}
	root, err := filepath.EvalSymlinks(s.artifactsDir)
	if err != nil {
		return "", newError(http.StatusNotFound, "File not found", err)
	}
	p, err := filepath.EvalSymlinks(filepath.Join(root, decky, service, sub, name))
	if err != nil {
		return "", newError(http.StatusNotFound, "File not found", err)
	}
	if rel, err := filepath.Rel(root, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", newError(http.StatusNotFound, "File not found", errors.New("resolves outside the artifacts directory"))
	}
	return p, nil
}

// downloadArtifact is GET /artifacts/{decky}/{stored_as}?service=ssh
// (admin): a captured file as an attachment, never rendered.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request) error {
	if s.artifactsDir == "" {
		return errNoArtifacts
	}
	service := queryValue(r.URL.Query(), "service")
	if service == "" {
		service = "ssh"
	}
	name := r.PathValue("stored_as")
	p, err := s.artifactPath(r.PathValue("decky"), service, "", name)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return newError(http.StatusNotFound, "File not found", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return newError(http.StatusNotFound, "File not found", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, f)
	return err
}

// transcriptPage is GET /transcripts/{decky}/{sid}.
type transcriptPage struct {
	SID       string            `json:"sid"`
	Service   string            `json:"service"`
	Header    map[string]any    `json:"header"`
	Events    []json.RawMessage `json:"events"`
	Offset    int               `json:"offset"`
	Limit     int               `json:"limit"`
	Total     int               `json:"total"`
	HasMore   bool              `json:"has_more"`
	Truncated bool              `json:"truncated"`
}

// transcript is GET /transcripts/{decky}/{sid} (admin): one page of a
// recorded session's asciicast events, located through its
// session_recorded event.
func (s *Server) transcript(w http.ResponseWriter, r *http.Request) error {
	if s.artifactsDir == "" {
		return errNoArtifacts
	}
	if s.logs == nil {
		return errNoLogStore
	}
	decky, sid := r.PathValue("decky"), r.PathValue("sid")
	if !deckyName.MatchString(decky) || !sessionIDArg.MatchString(sid) {
		return newError(http.StatusBadRequest, "decky or session id is not a valid name", nil)
	}
	q := r.URL.Query()
	offset, err := intParam(queryValue(q, "offset"), "offset", 0, 0, maxOffset)
	if err != nil {
		return err
	}
	limit, err := intParam(queryValue(q, "limit"), "limit", defaultTranscriptPg, 1, maxTranscriptPg)
	if err != nil {
		return err
	}
	rows, _, err := s.logs.SearchLogs(r.Context(), store.LogSearch{Limit: 1, Terms: []store.LogTerm{
		{Kind: store.LogTermColumn, Key: store.LogColumnDecky, Value: decky},
		{Kind: store.LogTermColumn, Key: store.LogColumnEventType, Value: "session_recorded"},
		{Kind: store.LogTermField, Key: "sid", Value: sid},
	}})
	if err != nil {
		return err
	}
	if len(rows) == 0 || rows[0].Fields["transcript"] == "" {
		return newError(http.StatusNotFound, "Transcript not found", nil)
	}
	rec := rows[0]
	// The login shell records transcripts under the service's quarantine
	// directory, in transcripts/.
	p, err := s.artifactPath(decky, rec.Service, "transcripts", rec.Fields["transcript"])
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return newError(http.StatusNotFound, "Transcript not found", err)
	}
	defer f.Close()
	page := transcriptPage{SID: sid, Service: rec.Service, Header: map[string]any{}, Events: []json.RawMessage{},
		Offset: offset, Limit: limit, Truncated: rec.Fields["truncated"] == "true"}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxTranscriptLine)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			first = false
			if err := json.Unmarshal(line, &page.Header); err == nil {
				continue
			}
		}
		if len(line) == 0 || line[0] != '[' {
			continue
		}
		if page.Total >= offset && len(page.Events) < limit {
			page.Events = append(page.Events, json.RawMessage(append([]byte(nil), line...)))
		}
		page.Total++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	page.HasMore = offset+len(page.Events) < page.Total
	middleware.WriteJSON(w, http.StatusOK, page)
	return nil
}
