package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Fixed claim values. Verification insists on them so a token minted for
// another service sharing the secret, or a future token type, is refused.
const (
	TokenIssuer   = "decnet"           // iss
	TokenAudience = "decnet-dashboard" // aud
	TokenType     = "access"           // typ; the only type decnet issues
)

// DefaultTokenTTL is the access-token lifetime when TokenOptions.TTL is zero.
const DefaultTokenTTL = 240 * time.Minute

// MinSecretBytes is the shortest accepted HS256 key; shorter keys are within
// reach of offline brute force once a single token leaks.
const MinSecretBytes = 32

// ErrInvalidToken is wrapped by every Verify failure. Callers answer all of
// them the same way, so the cause is for logs only.
var ErrInvalidToken = errors.New("invalid token")

// TokenOptions configures NewTokens.
type TokenOptions struct {
	// Secret is the HS256 key; at least MinSecretBytes long.
	Secret []byte
	// TTL is the token lifetime; 0 means DefaultTokenTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Tokens issues and verifies HS256 access tokens. It is safe for concurrent use.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// Claims is what a verified token says: who it is for, its id, and its
// validity window (second precision, as carried in the token).
type Claims struct {
	UUID      string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// NewTokens validates o and returns a Tokens.
func NewTokens(o TokenOptions) (*Tokens, error) {
	if len(o.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("jwt secret must be at least %d bytes, got %d", MinSecretBytes, len(o.Secret))
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("token ttl must be positive, got %s", o.TTL)
	}
	if o.TTL == 0 {
		o.TTL = DefaultTokenTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Tokens{
		secret: append([]byte(nil), o.Secret...),
		ttl:    o.TTL,
		now:    o.Now,
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(TokenIssuer),
		jwt.WithAudience(TokenAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(o.Now),
	)
	return t, nil
}

// TTL returns the lifetime of issued tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue mints an access token for the user with uuid userUUID.
func (t *Tokens) Issue(userUUID string) (string, Claims, error) {
	if userUUID == "" {
		return "", Claims{}, errors.New("issue token: empty user uuid")
	}
	id := uuid.New()
	now := t.now()
	c := Claims{
		UUID:      userUUID,
		JTI:       hex.EncodeToString(id[:]),
		IssuedAt:  time.Unix(now.Unix(), 0),
		ExpiresAt: time.Unix(now.Add(t.ttl).Unix(), 0),
	}
	// MapClaims so "aud" is a plain string, as the original emitted it;
	// RegisteredClaims would write a one-element array.
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"uuid": c.UUID,
		"jti":  c.JTI,
		"iat":  c.IssuedAt.Unix(),
		"exp":  c.ExpiresAt.Unix(),
		"iss":  TokenIssuer,
		"aud":  TokenAudience,
		"typ":  TokenType,
	})
	s, err := tok.SignedString(t.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return s, c, nil
}

// Verify checks the signature (HS256 only), iss, aud, exp, iat and the
// presence of uuid, jti and typ=access. It does not consult the user store or
// the denylist; that is the caller's job.
func (t *Tokens) Verify(token string) (Claims, error) {
	var c tokenClaims
	_, err := t.parser.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		// WithValidMethods already pins HS256; checking the type as well keeps
		// the key from ever being handed to a different algorithm family.
		if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %q", tok.Method.Alg())
		}
		return t.secret, nil
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return Claims{
		UUID:      c.UUID,
		JTI:       c.ID,
		IssuedAt:  c.IssuedAt.Time,
		ExpiresAt: c.ExpiresAt.Time,
	}, nil
}

// tokenClaims is the wire form parsed by Verify.
type tokenClaims struct {
	UUID string `json:"uuid"`
	Type string `json:"typ"`
	jwt.RegisteredClaims
}

// Validate adds decnet's required claims to the library's standard checks.
func (c tokenClaims) Validate() error {
	switch {
	case c.UUID == "":
		return errors.New("missing uuid claim")
	case c.ID == "":
		return errors.New("missing jti claim")
	case c.IssuedAt == nil:
		return errors.New("missing iat claim")
	case c.Type != TokenType:
		return fmt.Errorf("token type %q is not %q", c.Type, TokenType)
	}
	return nil
}

var _ jwt.ClaimsValidator = tokenClaims{}
