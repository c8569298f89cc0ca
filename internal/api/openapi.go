package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"

	apidoc "github.com/decnet/decnet/docs/api"
)

// openAPIJSON renders the embedded OpenAPI document as JSON once.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(apidoc.OpenAPI, &doc); err != nil {
		return nil, fmt.Errorf("docs/api/openapi.yaml: %w", err)
	}
	return json.Marshal(jsonKeys(doc))
}

// jsonKeys turns the maps YAML decodes with non-string keys (response codes
// such as 200) into string-keyed ones JSON can encode.
func jsonKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonKeys(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonKeys(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = jsonKeys(e)
		}
		return x
	}
	return v
}

// openAPI is GET /openapi.json: the API's OpenAPI 3.1 document.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(s.openAPIDoc)
	return err
}
