// Package all links every built-in service into the registry; binaries
// import it for its side effect.
package all

import (
	// Each import registers its service from init.
	_ "github.com/decnet/decnet/internal/services/ftp"
	_ "github.com/decnet/decnet/internal/services/http"
	_ "github.com/decnet/decnet/internal/services/mysql"
	_ "github.com/decnet/decnet/internal/services/postgres"
	_ "github.com/decnet/decnet/internal/services/redis"
	_ "github.com/decnet/decnet/internal/services/smtp"
	_ "github.com/decnet/decnet/internal/services/ssh"
	_ "github.com/decnet/decnet/internal/services/telnet"
)
