package store

import (
	"context"

	"github.com/decnet/decnet/internal/model"
)

// LifecycleRepository stores decky_lifecycle rows: the progress of
// asynchronous fleet operations that the API starts and the fleet runtime
// completes.
type LifecycleRepository interface {
	// CreateLifecycle inserts l as pending, stamped with the store's clock
	// (an empty ID gets a fresh UUID), and returns the stored row.
	CreateLifecycle(ctx context.Context, l model.Lifecycle) (model.Lifecycle, error)
	// GetLifecycles returns the rows with the given ids, in the order asked,
	// each once; unknown ids are left out.
	GetLifecycles(ctx context.Context, ids []string) ([]model.Lifecycle, error)
	// MarkLifecycle moves a row to status (running, succeeded or failed)
	// with errText (cut to 2000 bytes) and returns it; reaching a terminal
	// status stamps completed_at. An unknown id is ErrNotFound; a row that
	// is already terminal is ErrConflict and stays as it was.
	MarkLifecycle(ctx context.Context, id, status, errText string) (model.Lifecycle, error)
	// OpenLifecycles returns a host's pending and running rows, oldest
	// first.
	OpenLifecycles(ctx context.Context, hostUUID string) ([]model.Lifecycle, error)
}
