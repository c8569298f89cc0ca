// Package model holds the plain domain types shared by decnet's packages:
// events, log rows, credentials, bounties, attackers and users. It does no I/O
// and imports nothing else from decnet.
package model
