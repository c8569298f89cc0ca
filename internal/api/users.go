package api

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// maxUsername bounds a username, as the original did.
const maxUsername = 64

// userView is a user as the API shows it: never the hash.
type userView struct {
	UUID               string `json:"uuid"`
	Username           string `json:"username"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
}

func viewOf(u model.User) userView {
	return userView{UUID: u.UUID, Username: u.Username, Role: u.Role, MustChangePassword: u.MustChangePassword}
}

// configView is GET /config: the caller's role, and for admins the users.
type configView struct {
	Role string `json:"role"`
	// DeploymentLimit and GlobalMutationInterval are the stored fleet
	// settings (defaults 10 and "30m").
	DeploymentLimit        int        `json:"deployment_limit"`
	GlobalMutationInterval string     `json:"global_mutation_interval"`
	Users                  []userView `json:"users,omitempty"`
	DeveloperMode          bool       `json:"developer_mode,omitempty"`
}

// getConfig is GET /config.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) error {
	p, _ := principalFrom(r.Context())
	out := configView{Role: p.user.Role}
	var err error
	if out.DeploymentLimit, out.GlobalMutationInterval, err = s.fleetSettings(r.Context()); err != nil {
		return err
	}
	if p.user.Role == model.RoleAdmin {
		users, err := s.users.ListUsers(r.Context())
		if err != nil {
			return err
		}
		out.Users = make([]userView, len(users))
		for i, u := range users {
			out.Users[i] = viewOf(u)
		}
		out.DeveloperMode = s.developer
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

type createUserRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Role     string  `json:"role"`
}

// createUser is POST /config/users (admin): a new account that must
// change its password at first login.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Username == nil {
		return missingField("username")
	}
	if req.Password == nil {
		return missingField("password")
	}
	if n := utf8.RuneCountInString(*req.Username); n < 1 || n > maxUsername {
		return newError(http.StatusUnprocessableEntity, "username must be 1 to 64 characters", nil)
	}
	if err := auth.ValidatePassword(*req.Password); err != nil {
		return newError(http.StatusUnprocessableEntity, policyDetail(err), err)
	}
	role, err := roleParam(req.Role, model.RoleViewer)
	if err != nil {
		return err
	}
	hash, err := s.hasher.HashPassword(*req.Password)
	if err != nil {
		return err
	}
	u := model.User{UUID: uuid.NewString(), Username: *req.Username, PasswordHash: hash, Role: role,
		MustChangePassword: true}
	if err := s.users.CreateUser(r.Context(), u); errors.Is(err, store.ErrConflict) {
		return newError(http.StatusConflict, "Username already exists", err)
	} else if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusCreated, viewOf(u))
	return nil
}

func roleParam(v, def string) (string, error) {
	switch v {
	case "":
		return def, nil
	case model.RoleAdmin, model.RoleViewer:
		return v, nil
	}
	return "", newError(http.StatusUnprocessableEntity, "role must be admin or viewer", nil)
}

// targetUser loads {user_uuid} for an admin action that must not aim at
// the caller.
func (s *Server) targetUser(r *http.Request) (model.User, error) {
	p, _ := principalFrom(r.Context())
	id := r.PathValue("user_uuid")
	if id == p.user.UUID {
		return model.User{}, newError(http.StatusForbidden, "You cannot do this to your own account", nil)
	}
	u, err := s.users.GetUserByUUID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return u, newError(http.StatusNotFound, "User not found", err)
	}
	return u, err
}

// deleteUser is DELETE /config/users/{user_uuid} (admin; not oneself).
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.targetUser(r)
	if err != nil {
		return err
	}
	if err := s.users.DeleteUser(r.Context(), u.UUID); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "User deleted"})
	return nil
}

// setUserRole is PUT /config/users/{user_uuid}/role (admin; not oneself):
// the target's tokens die with the old role.
func (s *Server) setUserRole(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Role *string `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Role == nil {
		return missingField("role")
	}
	role, err := roleParam(*req.Role, "")
	if err != nil || role == "" {
		return newError(http.StatusUnprocessableEntity, "role must be admin or viewer", err)
	}
	u, err := s.targetUser(r)
	if err != nil {
		return err
	}
	if err := s.users.SetUserRole(r.Context(), u.UUID, role, s.now()); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "User role updated"})
	return nil
}

// resetUserPassword is PUT /config/users/{user_uuid}/reset-password
// (admin; not oneself): a new password the user must change at next login;
// older tokens die.
func (s *Server) resetUserPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		NewPassword *string `json:"new_password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.NewPassword == nil {
		return missingField("new_password")
	}
	if err := auth.ValidatePassword(*req.NewPassword); err != nil {
		return newError(http.StatusUnprocessableEntity, policyDetail(err), err)
	}
	u, err := s.targetUser(r)
	if err != nil {
		return err
	}
	hash, err := s.hasher.HashPassword(*req.NewPassword)
	if err != nil {
		return err
	}
	if err := s.users.UpdateUserPassword(r.Context(), u.UUID, hash, true, s.now()); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Password reset; the user must change it at next login"})
	return nil
}
