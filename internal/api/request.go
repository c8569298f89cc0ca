package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
)

// decodeJSON reads exactly one JSON value from the body into dst. Unknown
// fields are refused so a typo in a field name fails loudly instead of being
// ignored. Every failure is a 400, except an oversized body (413).
func decodeJSON(r *http.Request, dst any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if err != nil {
			if de := decodeError(err); de.status == http.StatusRequestEntityTooLarge {
				return de
			}
		}
		return newError(http.StatusBadRequest, "Bad Request: unexpected data after the JSON body", err)
	}
	return nil
}

func decodeError(err error) *httpError {
	var (
		tooBig  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
		synErr  *json.SyntaxError
	)
	switch {
	case errors.As(err, &tooBig):
		return newError(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Request body too large (limit %d bytes)", tooBig.Limit), err)
	case errors.Is(err, io.EOF):
		return newError(http.StatusBadRequest, "Bad Request: empty body, expected a JSON object", err)
	case errors.As(err, &typeErr):
		// The default message names Go types; say it in the client's terms.
		if typeErr.Field == "" {
			return newError(http.StatusBadRequest, "Bad Request: expected a JSON object", err)
		}
		return newError(http.StatusBadRequest,
			fmt.Sprintf("Bad Request: field %q must be a %s", typeErr.Field, jsonKind(typeErr.Type.Kind())), err)
	case errors.As(err, &synErr):
		return newError(http.StatusBadRequest, fmt.Sprintf("Bad Request: malformed JSON at byte %d", synErr.Offset), err)
	}
	// What is left (unknown field, truncated body) describes only the
	// client's own input.
	return newError(http.StatusBadRequest, "Bad Request: "+strings.TrimPrefix(err.Error(), "json: "), err)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "number"
}

// missingField is the 400 for a required field absent from the body.
func missingField(name string) *httpError {
	return newError(http.StatusBadRequest, fmt.Sprintf("Bad Request: missing field %q", name), nil)
}

// clientIP is the TCP peer address. Forwarding headers are not trusted: the
// API binds to loopback or sits behind a proxy the operator controls, and an
// attacker could otherwise pick a fresh rate-limit bucket per request.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
