package ingest

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// volatileHeaders vary per request (body size, session cookies, credentials,
// proxy claims, tracing ids), so they are left out of the order fingerprint:
// the same client stack must hash the same on every request.
var volatileHeaders = map[string]bool{
	"content-length":    true,
	"cookie":            true,
	"authorization":     true,
	"x-forwarded-for":   true,
	"forwarded":         true,
	"x-real-ip":         true,
	"true-client-ip":    true,
	"cf-connecting-ip":  true,
	"x-request-id":      true,
	"x-correlation-id":  true,
	"x-amzn-trace-id":   true,
	"traceparent":       true,
	"tracestate":        true,
	"if-none-match":     true,
	"if-modified-since": true,
}

// Casing categories of header names.
const (
	casingUpper = "upper"
	casingLower = "lower"
	casingTitle = "title"
	casingMixed = "mixed"
	casingEmpty = "empty"
)

// maxHeaderName bounds a header name copied into the order list.
const maxHeaderName = 64

// quirkSignature is a client stack recognised by the exact order of its
// stable header names. Matching is exact (plus headers the client adds only
// for a body), because prefix matching mistakes browsers for curl: Firefox
// also starts with Host, User-Agent, Accept.
type quirkSignature struct {
	tool  string
	order []string
}

var quirkSignatures = []quirkSignature{
	{"curl", []string{"host", "user-agent", "accept"}},
	{"python-requests", []string{"host", "user-agent", "accept-encoding", "accept", "connection"}},
	{"go-http-client", []string{"host", "user-agent", "accept-encoding"}},
	{"wget", []string{"user-agent", "accept", "accept-encoding", "host", "connection"}},
	{"nmap-nse", []string{"host", "user-agent"}},
	{"nmap-nse", []string{"connection", "user-agent", "host"}},
}

// bodyHeaders may follow a signature when the request has a body.
var bodyHeaders = map[string]bool{"content-type": true, "expect": true}

// httpQuirksPayload is the fingerprint/http_quirks bounty: how a client
// stack orders and spells its header names, which tools rarely disguise
// even when they fake the User-Agent.
type httpQuirksPayload struct {
	FingerprintType string   `json:"fingerprint_type"`
	OrderHash       string   `json:"order_hash"`
	Order           []string `json:"order"`
	CasingHash      string   `json:"casing_hash"`
	CasingCategory  string   `json:"casing_category"`
	StableCount     int      `json:"stable_count"`
	ToolGuess       string   `json:"tool_guess"`
}

// httpQuirks builds the header-order fingerprint of a request.
func httpQuirks(hs []header) httpQuirksPayload {
	p := httpQuirksPayload{FingerprintType: "http_quirks", Order: make([]string, 0, len(hs))}
	lowered := make([]string, 0, len(hs))
	casings := make([]string, 0, len(hs))
	dominant := ""
	for _, h := range hs {
		lname := strings.ToLower(h.name)
		if volatileHeaders[lname] {
			continue
		}
		name := capString(h.name, maxHeaderName)
		p.Order = append(p.Order, name)
		lowered = append(lowered, capString(lname, maxHeaderName))
		c := casingOf(name)
		casings = append(casings, c)
		switch dominant {
		case "":
			dominant = c
		case c:
		default:
			dominant = casingMixed
		}
	}
	if dominant == "" {
		dominant = casingEmpty
	}
	p.OrderHash = shortHash(strings.Join(lowered, "\n"))
	p.CasingHash = shortHash(strings.Join(casings, "\n"))
	p.CasingCategory = dominant
	p.StableCount = len(p.Order)
	p.ToolGuess = guessToolFromOrder(lowered)
	return p
}

// guessToolFromOrder names the client stack whose signature the stable,
// lowercased header order matches, or "" when none does.
func guessToolFromOrder(lowered []string) string {
	for _, sig := range quirkSignatures {
		if len(lowered) < len(sig.order) {
			continue
		}
		match := true
		for i, n := range sig.order {
			if lowered[i] != n {
				match = false
				break
			}
		}
		for _, n := range lowered[len(sig.order):] {
			if !bodyHeaders[n] {
				match = false
				break
			}
		}
		if match {
			return sig.tool
		}
	}
	for _, n := range lowered {
		if strings.HasPrefix(n, "sec-fetch-") || strings.HasPrefix(n, "sec-ch-ua") {
			return "browser"
		}
	}
	return ""
}

// casingOf classifies how a header name is spelled: all upper, all lower,
// Title-Case per dash-separated word, or mixed.
func casingOf(name string) string {
	if name == "" {
		return casingEmpty
	}
	hasUpper, hasLower := false, false
	for _, r := range name {
		if unicode.IsUpper(r) {
			hasUpper = true
		} else if unicode.IsLower(r) {
			hasLower = true
		}
	}
	switch {
	case !hasLower:
		return casingUpper
	case !hasUpper:
		return casingLower
	}
	for word := range strings.SplitSeq(name, "-") {
		if word == "" {
			continue
		}
		first, size := utf8.DecodeRuneInString(word)
		if !unicode.IsUpper(first) {
			return casingMixed
		}
		rest := word[size:]
		if rest == "" {
			continue
		}
		cased := false
		for _, r := range rest {
			if unicode.IsUpper(r) {
				return casingMixed
			}
			if unicode.IsLower(r) {
				cased = true
			}
		}
		if !cased {
			return casingMixed
		}
	}
	return casingTitle
}

func (p httpQuirksPayload) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, true, "fingerprint_type", p.FingerprintType)
	dst = appendJSONField(dst, false, "order_hash", p.OrderHash)
	dst = append(dst, `,"order":`...)
	dst = appendJSONStrings(dst, p.Order)
	dst = appendJSONField(dst, false, "casing_hash", p.CasingHash)
	dst = appendJSONField(dst, false, "casing_category", p.CasingCategory)
	dst = append(dst, `,"stable_count":`...)
	dst = strconv.AppendInt(dst, int64(p.StableCount), 10)
	dst = appendJSONField(dst, false, "tool_guess", p.ToolGuess)
	return append(dst, '}')
}
