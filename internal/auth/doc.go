// Package auth holds decnet's account security primitives, free of HTTP: the
// password policy, bcrypt hashing, HS256 access tokens, first-start admin
// bootstrap, secret generation and the in-memory attempt limiter used by the
// API's login and change-password routes.
package auth
