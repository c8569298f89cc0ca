// Package ingest turns attacker events into database rows: one logs row per
// event, a credential upsert when the event carries a captured secret, and
// the bounty rows (fingerprints, IP leaks, artifacts) the dashboard and the
// correlation workers read.
//
// Derive is pure and never fails, so a hostile event can cost at most a
// bounded amount of CPU and can never stop ingestion. Worker pulls batches
// from the durable bus consumer, commits them through
// store.IngestRepository and acknowledges a batch only after its commit, so
// an acknowledged event is always in the database; redelivered events are
// harmless because the repository skips event ids it already holds.
package ingest
