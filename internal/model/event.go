package model

import "time"

// UnknownIP is the attacker address recorded when an event names no source
// address anywhere (the original's sentinel, kept so queries carry over).
const UnknownIP = "Unknown"

// Event is one attacker-facing observation made by a service in a decky. It is
// what services publish to the bus (subject events.<decky>.<service>) and what
// the ingest worker turns into rows.
type Event struct {
	// ID is a UUIDv7; it is the idempotency key of the logs row.
	ID string `json:"id"`
	// TS is the time of the observation, UTC with nanoseconds.
	TS        time.Time `json:"ts"`
	Decky     string    `json:"decky"`
	Service   string    `json:"service"`
	EventType string    `json:"event_type"`
	// SrcIP is the attacker's address, or UnknownIP when it cannot be told.
	SrcIP     string `json:"src_ip"`
	SrcPort   int    `json:"src_port,omitempty"`
	DstIP     string `json:"dst_ip,omitempty"`
	DstPort   int    `json:"dst_port,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	// Fields are the structured parameters (the RFC 5424 SD params).
	Fields map[string]string `json:"fields,omitempty"`
	Msg    string            `json:"msg,omitempty"`
	// Raw is the original RFC 5424 line when the event arrived as one; empty
	// for events emitted natively.
	Raw string `json:"raw,omitempty"`
}
