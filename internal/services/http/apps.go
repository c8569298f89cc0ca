package http

import (
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
)

// Fake applications of the fake_app key. none serves the persona's default
// page on every path; the *_default values pin one server's page whatever
// the Server header says (the original's hidden bodies, made selectable).
const (
	appNone       = "none"
	appWordPress  = "wordpress"
	appPMA        = "phpmyadmin"
	appTomcat     = "tomcat"
	appJenkins    = "jenkins"
	appApache     = "apache_default"
	appNginx      = "nginx_default"
	appIIS        = "iis_default"
	ctypeHTML     = "text/html; charset=UTF-8"
	ctypeJSON     = "application/json; charset=UTF-8"
	ctypeXML      = "text/xml; charset=UTF-8"
	maxXMLRPCToks = 512
)

var appNames = []string{appNone, appWordPress, appPMA, appTomcat, appJenkins, appApache, appNginx, appIIS}

// response is what a route answers, before the transport frames it.
type response struct {
	status int
	ctype  string
	hdrs   []header
	body   []byte
	// cred is a credential the app itself decoded (XML-RPC); login marks
	// a request the app refused as a login, so captured credentials get
	// outcome failure rather than observed.
	cred  *Credential
	login bool
}

// persona holds the seeded values of the fake apps: versions, names, the
// admin user WordPress leaks.
type persona struct {
	wpVersion, phpVersion, pmaVersion, tomcatVersion, jenkinsVersion, jettyVersion string
	siteName, adminUser                                                            string
}

func newPersona(rng *rand.Rand, hostname string) persona {
	pick := func(l ...string) string { return l[rng.IntN(len(l))] }
	site := strings.Split(hostname, ".")[0]
	return persona{
		wpVersion:      pick("6.4.3", "6.5.2", "6.5.5", "6.6.1", "6.6.2"),
		phpVersion:     pick("PHP/8.1.2-1ubuntu2.18", "PHP/8.2.7", "PHP/8.2.18", "PHP/7.4.33"),
		pmaVersion:     pick("5.2.1", "5.1.1", "5.2.0", "4.9.11"),
		tomcatVersion:  pick("9.0.85", "9.0.83", "10.1.18", "8.5.98"),
		jenkinsVersion: pick("2.426.3", "2.440.1", "2.452.2", "2.414.3"),
		jettyVersion:   pick("10.0.18", "10.0.20", "12.0.6"),
		siteName:       strings.ToUpper(site[:1]) + site[1:] + pick(" Intranet", " Blog", " News", " Portal"),
		adminUser:      pick("admin", "webmaster", "wpadmin", "editor", site),
	}
}

// sessions remembers, per session cookie, the last user name a login form
// was sent with, so a POST followed by a GET shows a consistent page (the
// login form pre-filled, still not logged in). It is bounded: past
// maxSessions the oldest entry is forgotten.
type sessions struct {
	mu    sync.Mutex
	m     map[string]string
	order []string
	next  int
}

const maxSessions = 4096

func newSessions() *sessions { return &sessions{m: make(map[string]string)} }

func (s *sessions) get(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.m[id]
	return u, ok
}

func (s *sessions) put(id, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; !ok {
		if len(s.order) < maxSessions {
			s.order = append(s.order, id)
		} else {
			delete(s.m, s.order[s.next])
			s.order[s.next] = id
			s.next = (s.next + 1) % maxSessions
		}
	}
	s.m[id] = user
}

// cookie returns the value of cookie name in r.
func cookie(r *request, name string) string {
	for _, h := range r.headers {
		if !strings.EqualFold(h.name, "Cookie") {
			continue
		}
		for part := range strings.SplitSeq(h.value, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k == name {
				return v
			}
		}
	}
	return ""
}

// session returns the request's session id under cookie name, minting one
// (and the Set-Cookie header for it) when the client has none or one we
// never issued.
func (h *handler) session(r *request, name string, resp *response) (id, user string) {
	id = cookie(r, name)
	if id != "" {
		if u, ok := h.sessions.get(id); ok {
			return id, u
		}
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	id = hex.EncodeToString(b[:])
	h.sessions.put(id, "")
	resp.hdrs = append(resp.hdrs, header{"Set-Cookie", name + "=" + id + "; path=/; HttpOnly"})
	return id, ""
}

func formValue(r *request, key string) string {
	v, _ := url.ParseQuery(string(r.body))
	return v.Get(key)
}

func htmlResp(status int, body string) response {
	return response{status: status, ctype: ctypeHTML, body: []byte(body)}
}

func redirect(loc string) response {
	return response{status: 302, ctype: ctypeHTML, hdrs: []header{{"Location", loc}}}
}

// wordpress answers the WordPress paths attackers probe; ok=false passes
// the request to the catch-all.
func (h *handler) wordpress(r *request) (response, bool) {
	p := h.persona
	switch {
	case r.path == "/" || r.path == "/index.php":
		return htmlResp(200, h.wpHome), true
	case r.path == "/wp-login.php":
		if r.method == "POST" {
			user := formValue(r, "log")
			msg := fmt.Sprintf(`<strong>Error:</strong> The password you entered for the username <strong>%s</strong> is incorrect. <a href="/wp-login.php?action=lostpassword">Lost your password?</a>`, html.EscapeString(user))
			if user == "" {
				msg = `<strong>Error:</strong> The username field is empty.`
			}
			resp := htmlResp(200, wpLogin(p, user, msg))
			resp.login = true
			resp.hdrs = []header{{"Set-Cookie", "wordpress_test_cookie=WP%20Cookie%20check; path=/; secure"}}
			return resp, true
		}
		return htmlResp(200, wpLogin(p, "", "")), true
	case r.path == "/wp-admin" || strings.HasPrefix(r.path, "/wp-admin/"):
		if r.path == "/wp-admin/admin-ajax.php" {
			return response{status: 400, ctype: ctypeHTML, body: []byte("0")}, true
		}
		// Never logged in: every admin page sends the client back to the
		// login form, whatever it posted before.
		return redirect("/wp-login.php?redirect_to=" + url.QueryEscape("http://"+h.host+r.path) + "&reauth=1"), true
	case r.path == "/xmlrpc.php":
		if r.method != "POST" {
			return response{status: 405, ctype: "text/plain;charset=UTF-8", body: []byte("XML-RPC server accepts POST requests only.")}, true
		}
		return h.xmlrpc(r), true
	case r.path == "/wp-json" || r.path == "/wp-json/":
		return response{status: 200, ctype: ctypeJSON, body: []byte(fmt.Sprintf(
			`{"name":%q,"description":"","url":"http:\/\/%s","home":"http:\/\/%s","gmt_offset":"0","timezone_string":"","namespaces":["oembed\/1.0","wp\/v2","wp-site-health\/v1","wp-block-editor\/v1"],"authentication":{"application-passwords":{"endpoints":{"authorization":"http:\/\/%s\/wp-admin\/authorize-application.php"}}},"routes":{}}`,
			p.siteName, h.host, h.host, h.host))}, true
	case strings.HasPrefix(r.path, "/wp-json/wp/v2/users"):
		return response{status: 200, ctype: ctypeJSON, body: []byte(fmt.Sprintf(
			`[{"id":1,"name":%q,"url":"","description":"","link":"http:\/\/%s\/author\/%s\/","slug":%q,"avatar_urls":{}}]`,
			p.adminUser, h.host, p.adminUser, p.adminUser))}, true
	case r.path == "/readme.html":
		return htmlResp(200, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n\t<title>WordPress &#8250; ReadMe</title>\n</head>\n<body>\n<h1 id=\"logo\">WordPress</h1>\n<p style=\"text-align: center\">Semantic Personal Publishing Platform</p>\n</body>\n</html>\n"), true
	}
	return response{}, false
}

func wpHome(p persona, host string) string {
	return fmt.Sprintf(`<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name='robots' content='max-image-preview:large' />
<title>%s</title>
<link rel="alternate" type="application/rss+xml" title="%s &raquo; Feed" href="http://%s/feed/" />
<link rel="https://api.w.org/" href="http://%s/wp-json/" />
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="http://%s/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress %s" />
<link rel='stylesheet' id='wp-block-library-css' href='http://%s/wp-includes/css/dist/block-library/style.min.css?ver=%s' media='all' />
</head>
<body class="home blog wp-embed-responsive">
<div class="wp-site-blocks">
<header class="wp-block-template-part"><h1 class="wp-block-site-title"><a href="http://%s" rel="home">%s</a></h1></header>
<main class="wp-block-group"><h2 class="wp-block-post-title"><a href="http://%s/?p=1">Hello world!</a></h2>
<p>Welcome to WordPress. This is your first post. Edit or delete it, then start writing!</p></main>
<footer class="wp-block-template-part"><p class="has-text-align-center">Proudly powered by <a href="https://wordpress.org" rel="nofollow">WordPress</a></p></footer>
</div>
</body>
</html>
`, p.siteName, p.siteName, host, host, host, p.wpVersion, host, p.wpVersion, host, p.siteName, host)
}

func wpLogin(p persona, user, errMsg string) string {
	box := ""
	if errMsg != "" {
		box = `<div id="login_error" class="notice notice-error"><p>` + errMsg + "</p></div>\n"
	}
	return fmt.Sprintf(`<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Log In &lsaquo; %s &#8212; WordPress</title>
<meta name='robots' content='max-image-preview:large, noindex, noarchive' />
<link rel='stylesheet' id='login-css' href='/wp-admin/css/login.min.css?ver=%s' media='all' />
</head>
<body class="login no-js login-action-login wp-core-ui locale-en-us">
<div id="login">
<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
%s<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">Username or Email Address</label>
<input type="text" name="log" id="user_login" class="input" value="%s" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
<div class="user-pass-wrap"><label for="user_pass">Password</label>
<div class="wp-pwd"><input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" /></div></div>
<p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever" /> <label for="rememberme">Remember Me</label></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
<input type="hidden" name="redirect_to" value="/wp-admin/" /><input type="hidden" name="testcookie" value="1" /></p>
</form>
<p id="nav"><a class="wp-login-lost-password" href="/wp-login.php?action=lostpassword">Lost your password?</a></p>
</div>
</body>
</html>
`, p.siteName, p.wpVersion, box, html.EscapeString(user))
}

// xmlrpc answers an XML-RPC call. Brute-forcers use wp.getUsersBlogs (and
// system.multicall wrapping it) with user and password as the first two
// string params, so those become a credential.
func (h *handler) xmlrpc(r *request) response {
	method, params := parseXMLRPC(r.body)
	resp := response{status: 200, ctype: ctypeXML}
	fault := func(code int, msg string) []byte {
		return []byte(fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse>\n  <fault>\n    <value>\n      <struct>\n        <member>\n          <name>faultCode</name>\n          <value><int>%d</int></value>\n        </member>\n        <member>\n          <name>faultString</name>\n          <value><string>%s</string></value>\n        </member>\n      </struct>\n    </value>\n  </fault>\n</methodResponse>\n", code, msg))
	}
	switch {
	case method == "":
		resp.body = fault(-32700, "parse error. not well formed")
	case method == "system.listMethods":
		resp.body = []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse><params><param><value><array><data>\n" +
			"<value><string>system.multicall</string></value>\n<value><string>system.listMethods</string></value>\n" +
			"<value><string>wp.getUsersBlogs</string></value>\n<value><string>pingback.ping</string></value>\n" +
			"</data></array></value></param></params></methodResponse>\n")
	case len(params) >= 2:
		resp.cred = &Credential{Principal: params[0], Secret: []byte(params[1]), Kind: "plaintext", Source: "xmlrpc"}
		resp.login = true
		resp.body = fault(403, "Incorrect username or password.")
	default:
		resp.body = fault(-32601, "server error. requested method "+html.EscapeString(method)+" does not exist.")
	}
	return resp
}

// parseXMLRPC returns the method name and the string values of a
// methodCall, reading at most maxXMLRPCToks tokens of a body that is
// already capped at bodyKeep bytes.
func parseXMLRPC(body []byte) (method string, params []string) {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	d.Strict = false
	var path []string
	for i := 0; i < maxXMLRPCToks; i++ {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) < 32 {
				path = append(path, t.Name.Local)
			}
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			switch path[len(path)-1] {
			case "methodName":
				if method == "" {
					method = strings.TrimSpace(string(t))
				}
			case "string":
				if len(params) < 8 {
					params = append(params, string(t))
				}
			}
		}
	}
	return method, params
}

// phpMyAdmin answers every path with its login page; a POST is a failed
// login whose user name the next GET shows again, as phpMyAdmin's pmaUser
// cookie does.
func (h *handler) phpMyAdmin(r *request) (response, bool) {
	if !(r.path == "/" || r.path == "/index.php" || strings.HasPrefix(r.path, "/phpmyadmin") || strings.HasPrefix(r.path, "/pma")) {
		return response{}, false
	}
	var resp response
	id, user := h.session(r, "phpMyAdmin", &resp)
	errMsg := ""
	if r.method == "POST" {
		user = formValue(r, "pma_username")
		h.sessions.put(id, user)
		errMsg = fmt.Sprintf("mysqli::real_connect(): (HY000/1045): Access denied for user '%s'@'localhost' (using password: YES)", html.EscapeString(user))
		resp.login = true
	}
	token := hex.EncodeToString([]byte(id))[:32]
	resp.status, resp.ctype = 200, ctypeHTML
	resp.body = []byte(pmaLogin(h.persona, user, errMsg, token))
	return resp, true
}

func pmaLogin(p persona, user, errMsg, token string) string {
	box := ""
	if errMsg != "" {
		box = `<div class="alert alert-danger" role="alert"><img src="themes/dot.gif" title="" alt="" class="icon ic_s_error"> Cannot log in to the MySQL server</div><div class="alert alert-danger" role="alert"><img src="themes/dot.gif" title="" alt="" class="icon ic_s_error"> ` + errMsg + "</div>\n"
	}
	return fmt.Sprintf(`<!DOCTYPE HTML>
<html lang="en" dir="ltr">
<head>
  <link rel="icon" href="favicon.ico" type="image/x-icon">
  <meta charset="utf-8">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex,nofollow">
  <title>phpMyAdmin</title>
  <link rel="stylesheet" type="text/css" href="./themes/pmahomme/css/theme.css?v=%s">
</head>
<body id="loginform">
<div class="container">
<a href="./url.php?url=https%%3A%%2F%%2Fwww.phpmyadmin.net%%2F" target="_blank" rel="noopener noreferrer" class="logo"><img src="./themes/pmahomme/img/logo_right.png" id="imLogo" name="imLogo" alt="phpMyAdmin" border="0"></a>
<h1>Welcome to <bdo dir="ltr" lang="en">phpMyAdmin</bdo></h1>
%s<form method="post" id="login_form" action="index.php?route=/" name="login_form" class="disableAjax hide js-show">
<fieldset class="pma-fieldset"><legend>Log in</legend>
<div class="item"><label for="input_username">Username:</label>
<input type="text" name="pma_username" id="input_username" value="%s" size="24" class="textfield" autocomplete="username"></div>
<div class="item"><label for="input_password">Password:</label>
<input type="password" name="pma_password" id="input_password" value="" size="24" class="textfield" autocomplete="current-password"></div>
<input type="hidden" name="server" value="1">
</fieldset>
<fieldset class="pma-fieldset tblFooters">
<input class="btn btn-primary" value="Go" type="submit" id="input_go">
<input type="hidden" name="route" value="/"><input type="hidden" name="token" value="%s">
</fieldset>
</form>
</div>
</body>
</html>
`, p.pmaVersion, box, html.EscapeString(user), token)
}

// tomcat answers the default Tomcat page and protects the manager apps
// with Basic auth that never succeeds.
func (h *handler) tomcat(r *request) (response, bool) {
	p := h.persona
	switch {
	case r.path == "/" || r.path == "/index.jsp":
		return htmlResp(200, fmt.Sprintf(`<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="UTF-8" />
        <title>Apache Tomcat/%s</title>
        <link href="favicon.ico" rel="icon" type="image/x-icon" />
        <link href="tomcat.css" rel="stylesheet" type="text/css" />
    </head>
    <body>
        <div id="wrapper">
            <div id="navigation" class="curved container">
                <span id="nav-home"><a href="https://tomcat.apache.org/">Home</a></span>
                <br class="separator" />
            </div>
            <div id="asf-box">
                <h1>Apache Tomcat/%s</h1>
            </div>
            <div id="congrats" class="curved container">
                <h2>If you're seeing this, you've successfully installed Tomcat. Congratulations!</h2>
            </div>
            <div class="col25"><div class="container"><div class="button">
                <a class="container shadow" href="/manager/status"><span>Server Status</span></a>
                <a class="container shadow" href="/manager/html"><span>Manager App</span></a>
                <a class="container shadow" href="/host-manager/html"><span>Host Manager</span></a>
            </div></div></div>
        </div>
    </body>
</html>
`, p.tomcatVersion, p.tomcatVersion)), true
	case strings.HasPrefix(r.path, "/manager") || strings.HasPrefix(r.path, "/host-manager"):
		realm := "Tomcat Manager Application"
		if strings.HasPrefix(r.path, "/host-manager") {
			realm = "Tomcat Host Manager Application"
		}
		resp := htmlResp(401, `<!doctype html><html lang="en"><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>
<p>You are not authorized to view this page. If you have not changed any configuration files, please examine the file <tt>conf/tomcat-users.xml</tt> in your installation. That file must contain the credentials to let you use this webapp.</p>
</body></html>`)
		resp.hdrs = []header{{"WWW-Authenticate", `Basic realm="` + realm + `"`}}
		resp.login = true
		return resp, true
	}
	return htmlResp(404, fmt.Sprintf(`<!doctype html><html lang="en"><head><title>HTTP Status 404 – Not Found</title></head><body><h1>HTTP Status 404 – Not Found</h1><hr class="line" /><p><b>Type</b> Status Report</p><p><b>Description</b> The origin server did not find a current representation for the target resource or is not willing to disclose that one exists.</p><hr class="line" /><h3>Apache Tomcat/%s</h3></body></html>`, p.tomcatVersion)), true
}

// jenkins answers like a Jenkins controller with security on: everything
// but the login page needs a login, and every login fails.
func (h *handler) jenkins(r *request) (response, bool) {
	var resp response
	id, user := h.session(r, "JSESSIONID."+h.jenkinsNode, &resp)
	resp.hdrs = append(resp.hdrs, header{"X-Content-Type-Options", "nosniff"}, header{"X-Jenkins", h.persona.jenkinsVersion},
		header{"X-Hudson", "1.395"}, header{"X-Jenkins-Session", h.jenkinsNode})
	switch {
	case r.path == "/login":
		errBox := ""
		if strings.Contains(r.query, "error") {
			errBox = `<div class="app-sign-in-register__error">Invalid username or password</div>`
		}
		resp.status, resp.ctype = 200, ctypeHTML
		resp.body = []byte(fmt.Sprintf(`<!DOCTYPE html><html><head resURL="/static/%s" data-rooturl="" data-resurl="/static/%s"><title>Sign in [Jenkins]</title></head>
<body><div class="app-sign-in-register"><div class="app-sign-in-register__content"><h1>Sign in to Jenkins</h1>%s
<form method="post" name="login" action="j_spring_security_check">
<div class="jenkins-form-item"><label class="jenkins-form-label" for="j_username">Username</label><input autocorrect="off" autocomplete="username" name="j_username" id="j_username" type="text" class="jenkins-input" value="%s" autocapitalize="off"></div>
<div class="jenkins-form-item"><label class="jenkins-form-label" for="j_password">Password</label><input name="j_password" id="j_password" type="password" class="jenkins-input" autocomplete="current-password"></div>
<div class="jenkins-checkbox"><input type="checkbox" id="remember_me" name="remember_me"><label for="remember_me">Keep me signed in</label></div>
<input name="from" type="hidden" value="/"><button type="submit" name="Submit" class="jenkins-button jenkins-button--primary">Sign in</button>
</form></div></div></body></html>`, h.jenkinsNode[:5], h.jenkinsNode[:5], errBox, html.EscapeString(user)))
		return resp, true
	case r.path == "/j_spring_security_check" || r.path == "/j_acegi_security_check":
		if r.method == "POST" {
			h.sessions.put(id, formValue(r, "j_username"))
		}
		resp.status, resp.ctype = 302, ctypeHTML
		resp.hdrs = append(resp.hdrs, header{"Location", "/loginError"})
		resp.login = true
		return resp, true
	case r.path == "/loginError":
		resp.status, resp.ctype = 302, ctypeHTML
		resp.hdrs = append(resp.hdrs, header{"Location", "/login?from=%2F&error"})
		return resp, true
	}
	resp.status, resp.ctype = 403, ctypeHTML
	resp.hdrs = append(resp.hdrs, header{"X-You-Are-Authenticated-As", "anonymous"}, header{"X-You-Are-In-Group-Disabled", "JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose"},
		header{"X-Required-Permission", "hudson.model.Hudson.Read"}, header{"X-Permission-Implied-By", "hudson.security.Permission.GenericRead"})
	resp.body = []byte(`<html><head><meta http-equiv='refresh' content='1;url=/login?from=` + url.QueryEscape(r.path) + `'/><script id='redirect' data-redirect-url='/login?from=` + url.QueryEscape(r.path) + `' src='/static/` + h.jenkinsNode[:5] + `/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>
Authentication required
</body></html>`)
	return resp, true
}
