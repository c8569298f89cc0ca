package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/decnet/decnet/internal/store"
)

// Operator settings kept in the state table (api_db.md §3.8), read by every
// process so a change made through one API reaches the whole deployment.
const (
	// StateDeploymentLimit holds the largest fleet a deploy may create, a
	// JSON number.
	StateDeploymentLimit = "deployment_limit"
	// StateGlobalMutationInterval holds the rotation period of deckies
	// without one of their own, a JSON string such as "30m".
	StateGlobalMutationInterval = "global_mutation_interval"

	// DefaultDeploymentLimit is the original's default fleet size cap.
	DefaultDeploymentLimit = 10
	// MaxDeploymentLimit is the largest limit an operator may set.
	MaxDeploymentLimit = 500
	// DefaultGlobalMutationInterval is the original's 30-minute rotation.
	DefaultGlobalMutationInterval = "30m"
)

// intervalRE is an interval as operators write it: a positive count and a
// unit, m minutes, d days, M months, y or Y years.
var intervalRE = regexp.MustCompile(`^[1-9][0-9]*[mdMyY]$`)

// unitMinutes are the units' lengths in minutes (a month is 30 days, a year
// 365, as in the original).
var unitMinutes = map[byte]int{'m': 1, 'd': 1440, 'M': 43200, 'y': 525600, 'Y': 525600}

// ErrInterval is wrapped by every error of ParseInterval.
var ErrInterval = errors.New("invalid interval")

// ParseInterval converts an interval such as "30m" or "2d" to minutes.
func ParseInterval(s string) (int, error) {
	if !intervalRE.MatchString(s) {
		return 0, fmt.Errorf("%w %q: write a positive number and a unit m, d, M or y (e.g. 30m, 2d)", ErrInterval, s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	unit := unitMinutes[s[len(s)-1]]
	if err != nil || n > math.MaxInt32/unit {
		return 0, fmt.Errorf("%w %q: too long", ErrInterval, s)
	}
	return n * unit, nil
}

// DeploymentLimit returns the stored deployment limit, or the default.
func DeploymentLimit(ctx context.Context, st store.StateRepository) (int, error) {
	raw, err := st.GetState(ctx, StateDeploymentLimit)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultDeploymentLimit, nil
	}
	if err != nil {
		return 0, err
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 1 || n > MaxDeploymentLimit {
		// A hand-edited value out of range falls back rather than
		// blocking every deploy.
		return DefaultDeploymentLimit, nil
	}
	return n, nil
}

// SetDeploymentLimit stores n, which must be 1 to MaxDeploymentLimit.
func SetDeploymentLimit(ctx context.Context, st store.StateRepository, n int) error {
	if n < 1 || n > MaxDeploymentLimit {
		return fmt.Errorf("deployment limit %d is outside 1 to %d", n, MaxDeploymentLimit)
	}
	return st.SetState(ctx, StateDeploymentLimit, []byte(strconv.Itoa(n)))
}

// GlobalMutationInterval returns the stored global interval as written and
// in minutes, or the default.
func GlobalMutationInterval(ctx context.Context, st store.StateRepository) (string, int, error) {
	raw, err := st.GetState(ctx, StateGlobalMutationInterval)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", 0, err
	}
	var s string
	if err == nil && json.Unmarshal(raw, &s) == nil {
		if m, err := ParseInterval(s); err == nil {
			return s, m, nil
		}
	}
	m, _ := ParseInterval(DefaultGlobalMutationInterval)
	return DefaultGlobalMutationInterval, m, nil
}

// SetGlobalMutationInterval stores s after checking it parses.
func SetGlobalMutationInterval(ctx context.Context, st store.StateRepository, s string) error {
	if _, err := ParseInterval(s); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.SetState(ctx, StateGlobalMutationInterval, raw)
}
