// Package bus is decnet's message bus: a NATS client plus, when no external
// server is configured, an embedded nats-server with JetStream running in the
// same process.
//
// Two kinds of traffic share it (ARCHITECTURE.md §4):
//
//   - Attacker events go to the JetStream stream EVENTS on events.<decky>.<service>
//     (PublishEvent, PublishEventAsync) and are read by durable pull consumers
//     (EventConsumer) that ack only after their database commit, so nothing is lost
//     between a service and the store.
//   - Notifications (attacker.*, ttp.*, identity.*, system.* …) are plain core NATS
//     (Publish, Subscribe). Delivery is at most once: the database is the source
//     of truth and every consumer also polls.
//
// Every message carries the envelope {v, id, topic, type, ts, payload} of the
// original Python bus; on receive the topic is taken from the NATS subject,
// never from the body. Subject names are those of pipeline.md §2.1 and are built
// with the helpers in subjects.go, which reject tokens that would change a
// subject's shape.
package bus
