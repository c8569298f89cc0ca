package api

import (
	"fmt"
	"net/http"

	"github.com/decnet/decnet/internal/store"
)

// routes lists every API route and the access it requires. It is the one
// place to read what the API exposes to whom.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/api/v1/openapi.json", AccessPublic, s.openAPI},
		{http.MethodPost, "/api/v1/auth/login", AccessPublic, s.login},
		{http.MethodPost, "/api/v1/auth/logout", AccessAuthenticated, s.logout},
		{http.MethodPost, "/api/v1/auth/change-password", AccessAuthenticated, s.changePasswordHandler},
		{http.MethodGet, "/api/v1/health", AccessViewer, s.healthHandler},
		{http.MethodPost, "/api/v1/auth/sse-ticket", AccessViewer, s.sseTicket},
		{http.MethodGet, pathStream, AccessViewer, s.logStream},
		{http.MethodGet, pathAttackerEvents, AccessViewer, s.entityRoute(s.attackerEvents)},
		{http.MethodGet, pathIdentityEvents, AccessViewer, s.entityRoute(s.identityEvents)},
		{http.MethodGet, pathCampaignEvents, AccessViewer, s.entityRoute(s.campaignEvents)},
		{http.MethodGet, pathTTPEvents, AccessViewer, s.entityRoute(s.ttpEvents)},
		{http.MethodGet, "/api/v1/config", AccessViewer, s.getConfig},
		{http.MethodPost, "/api/v1/config/users", AccessAdmin, s.createUser},
		{http.MethodDelete, "/api/v1/config/users/{user_uuid}", AccessAdmin, s.deleteUser},
		{http.MethodPut, "/api/v1/config/users/{user_uuid}/role", AccessAdmin, s.setUserRole},
		{http.MethodPut, "/api/v1/config/users/{user_uuid}/reset-password", AccessAdmin, s.resetUserPassword},
		{http.MethodGet, "/api/v1/workers", AccessViewer, s.listWorkers},
		{http.MethodPost, "/api/v1/workers/{name}/stop", AccessAdmin, s.stopWorker},
		{http.MethodPost, "/api/v1/workers/{name}/start", AccessAdmin, s.startWorker},
		{http.MethodGet, "/api/v1/logs", AccessViewer, s.listLogs},
		{http.MethodGet, "/api/v1/logs/histogram", AccessViewer, s.logHistogram},
		{http.MethodGet, "/api/v1/stats", AccessViewer, s.stats},
		{http.MethodGet, "/api/v1/attackers", AccessViewer, s.listAttackers},
		{http.MethodGet, "/api/v1/attackers/{uuid}", AccessViewer, s.getAttacker},
		{http.MethodGet, "/api/v1/attackers/{uuid}/commands", AccessViewer, s.listAttackerCommands},
		{http.MethodGet, "/api/v1/attackers/{uuid}/credentials", AccessViewer, s.listAttackerCredentials},
		{http.MethodGet, "/api/v1/attackers/{uuid}/artifacts", AccessViewer, s.attackerLogRows("file_captured")},
		{http.MethodGet, "/api/v1/attackers/{uuid}/transcripts", AccessViewer, s.attackerLogRows("session_recorded")},
		{http.MethodGet, "/api/v1/artifacts/{decky}/{stored_as}", AccessAdmin, s.downloadArtifact},
		{http.MethodGet, "/api/v1/transcripts/{decky}/{sid}", AccessAdmin, s.transcript},
		{http.MethodGet, "/api/v1/credentials", AccessViewer, s.listCredentials},
		{http.MethodGet, "/api/v1/bounty", AccessViewer, s.listBounty},
		{http.MethodGet, "/api/v1/identities", AccessViewer, s.listIdentities},
		{http.MethodGet, "/api/v1/identities/{uuid}", AccessViewer, s.getIdentity},
		{http.MethodGet, "/api/v1/identities/{uuid}/observations", AccessViewer, s.listIdentityObservations},
		{http.MethodGet, "/api/v1/campaigns", AccessViewer, s.listCampaigns},
		{http.MethodGet, "/api/v1/campaigns/{uuid}", AccessViewer, s.getCampaign},
		{http.MethodGet, "/api/v1/campaigns/{uuid}/identities", AccessViewer, s.listCampaignIdentities},
		{http.MethodGet, "/api/v1/credential-reuse", AccessViewer, s.listCredentialReuse},
		{http.MethodGet, "/api/v1/credential-reuse/{id}", AccessViewer, s.getCredentialReuse},
		{http.MethodGet, "/api/v1/attackers/export/stix", AccessViewer, s.exportFleet("stix")},
		{http.MethodGet, "/api/v1/attackers/export/misp", AccessViewer, s.exportFleet("misp")},
		{http.MethodGet, "/api/v1/attackers/{uuid}/export/stix", AccessViewer, s.exportAttacker("stix")},
		{http.MethodGet, "/api/v1/attackers/{uuid}/export/misp", AccessViewer, s.exportAttacker("misp")},
		{http.MethodGet, "/api/v1/identities/{uuid}/export/stix", AccessViewer, s.exportIdentity("stix")},
		{http.MethodGet, "/api/v1/identities/{uuid}/export/misp", AccessViewer, s.exportIdentity("misp")},
		{http.MethodGet, "/api/v1/campaigns/{uuid}/export/stix", AccessViewer, s.exportCampaign("stix")},
		{http.MethodGet, "/api/v1/campaigns/{uuid}/export/misp", AccessViewer, s.exportCampaign("misp")},
		{http.MethodGet, "/api/v1/ttp/techniques", AccessViewer, s.listTechniques},
		{http.MethodGet, "/api/v1/ttp/techniques/{technique_id}/groups", AccessViewer, s.techniqueGroups},
		{http.MethodGet, "/api/v1/ttp/by-identity/{id}", AccessViewer, s.ttpByScope(store.ScopeIdentity)},
		{http.MethodGet, "/api/v1/ttp/by-attacker/{id}", AccessViewer, s.ttpByScope(store.ScopeAttacker)},
		{http.MethodGet, "/api/v1/ttp/by-session/{id}", AccessViewer, s.ttpByScope(store.ScopeSession)},
		{http.MethodGet, "/api/v1/ttp/by-campaign/{id}", AccessViewer, s.ttpByScope("campaign")},
		{http.MethodGet, "/api/v1/ttp/tags/{scope}/{uuid}/{technique_id}", AccessViewer, s.listTagsByScope},
		{http.MethodGet, "/api/v1/ttp/rules", AccessViewer, s.listRules},
		{http.MethodPost, "/api/v1/ttp/rules/{rule_id}/state", AccessAdmin, s.setRuleState},
		{http.MethodDelete, "/api/v1/ttp/rules/{rule_id}/state", AccessAdmin, s.clearRuleState},
		{http.MethodGet, "/api/v1/ttp/export/navigator", AccessViewer, s.navigatorFleet},
		{http.MethodGet, "/api/v1/ttp/export/navigator/identity/{uuid}", AccessViewer, s.navigatorIdentity},
		{http.MethodGet, "/api/v1/ttp/export/navigator/campaign/{uuid}", AccessViewer, s.navigatorCampaign},
		{http.MethodGet, "/api/v1/webhooks", AccessAdmin, s.listWebhooks},
		{http.MethodPost, "/api/v1/webhooks", AccessAdmin, s.createWebhook},
		{http.MethodGet, "/api/v1/webhooks/{uuid}", AccessAdmin, s.getWebhook},
		{http.MethodPatch, "/api/v1/webhooks/{uuid}", AccessAdmin, s.patchWebhook},
		{http.MethodDelete, "/api/v1/webhooks/{uuid}", AccessAdmin, s.deleteWebhook},
		{http.MethodPost, "/api/v1/webhooks/{uuid}/test", AccessAdmin, s.testWebhook},
		{http.MethodGet, "/api/v1/deckies", AccessViewer, s.listDeckies},
		{http.MethodPost, "/api/v1/deckies/deploy", AccessAdmin, s.deployDeckies},
		{http.MethodGet, "/api/v1/deckies/lifecycle", AccessViewer, s.getLifecycles},
		{http.MethodPost, "/api/v1/deckies/{decky_name}/mutate", AccessAdmin, s.mutateDecky},
		{http.MethodPut, "/api/v1/deckies/{decky_name}/mutate-interval", AccessAdmin, s.setMutateInterval},
		{http.MethodPost, "/api/v1/deckies/{decky_name}/services", AccessAdmin, s.addService},
		{http.MethodPut, "/api/v1/deckies/{decky_name}/services/{service_name}/config", AccessAdmin, s.putServiceConfig},
		{http.MethodPost, "/api/v1/deckies/{decky_name}/services/{service_name}/apply", AccessAdmin, s.applyServiceConfig},
		{http.MethodDelete, "/api/v1/deckies/{decky_name}/services/{service_name}", AccessAdmin, s.deleteService},
		{http.MethodDelete, "/api/v1/deckies/{decky_name}", AccessAdmin, s.deleteDecky},
		{http.MethodPut, "/api/v1/config/deployment-limit", AccessAdmin, s.setDeploymentLimit},
		{http.MethodPut, "/api/v1/config/global-mutation-interval", AccessAdmin, s.setGlobalMutationInterval},
	}
}

// Access is the authorisation a route requires.
type Access int

// Access levels, weakest first.
const (
	// AccessPublic needs no token (login).
	AccessPublic Access = iota
	// AccessAuthenticated needs a valid token for any user, even one who must
	// still change their password (logout, change-password).
	AccessAuthenticated
	// AccessViewer needs a viewer or admin who has no pending password change.
	AccessViewer
	// AccessAdmin needs an admin who has no pending password change.
	AccessAdmin
)

// String returns the level's name as used in route listings.
func (a Access) String() string {
	switch a {
	case AccessPublic:
		return "public"
	case AccessAuthenticated:
		return "authenticated"
	case AccessViewer:
		return "viewer"
	case AccessAdmin:
		return "admin"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Route describes one registered route, for RBAC and OpenAPI conformance tests.
type Route struct {
	Method string
	Path   string
	Access Access
}

// Pattern returns the Go 1.22 ServeMux pattern, "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Routes lists the registered routes in registration order.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.table))
	for i, rt := range s.table {
		out[i] = Route{Method: rt.method, Path: rt.path, Access: rt.access}
	}
	return out
}

// handlerFunc is the shape of every handler: it writes a success response or
// returns an error for serveRoute to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the route table.
type route struct {
	method  string
	path    string
	access  Access
	handler handlerFunc
}

// register mounts rt behind its access check and the error renderer.
func (s *Server) register(rt route) {
	s.table = append(s.table, rt)
	s.mux.Handle(rt.method+" "+rt.path, s.serveRoute(rt))
}
