package model

import "time"

// Lifecycle operations (decky_lifecycle.operation).
const (
	// LifecycleDeploy is a decky added by a deploy.
	LifecycleDeploy = "deploy"
	// LifecycleMutate is a service rotation by the mutator.
	LifecycleMutate = "mutate"
	// LifecycleTeardown is a decky removed from the fleet.
	LifecycleTeardown = "teardown"
	// LifecycleService is one live service edit (add, remove, config).
	LifecycleService = "service"
)

// Lifecycle statuses, in order: pending → running → succeeded | failed.
const (
	// LifecyclePending is recorded, not yet picked up by the fleet runtime.
	LifecyclePending = "pending"
	// LifecycleRunning is being applied by the fleet runtime.
	LifecycleRunning = "running"
	// LifecycleSucceeded is applied; Error may still describe a degraded start.
	LifecycleSucceeded = "succeeded"
	// LifecycleFailed is not applied; Error says why.
	LifecycleFailed = "failed"
)

// Lifecycle is one asynchronous fleet operation on one decky, the row of
// decky_lifecycle. API calls return its ID at once (202) and clients poll
// it; terminal rows (succeeded, failed) never change again.
type Lifecycle struct {
	ID          string    `json:"id"`
	DeckyName   string    `json:"decky_name"`
	HostUUID    string    `json:"host_uuid"`
	Operation   string    `json:"operation"`
	Status      string    `json:"status"`
	Error       string    `json:"error,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
}

// Terminal reports whether the row reached succeeded or failed.
func (l Lifecycle) Terminal() bool {
	return l.Status == LifecycleSucceeded || l.Status == LifecycleFailed
}
