// Package apidoc embeds the OpenAPI document of decnet's REST API
// (openapi.yaml, maintained by hand next to this file) so the server can
// serve it.
package apidoc

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document, as YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
