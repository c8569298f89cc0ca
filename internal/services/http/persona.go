package http

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/decnet/decnet/internal/model"
)

// serverHeaders are the Server strings a decky may claim, by distro: the
// versions each distro really ships, so the banner agrees with the OS
// fingerprint and the SSH banner of the same decky.
var serverHeaders = map[string][]string{
	"debian":   {"Apache/2.4.57 (Debian)", "Apache/2.4.62 (Debian)", "nginx/1.22.1"},
	"ubuntu22": {"Apache/2.4.52 (Ubuntu)", "nginx/1.18.0 (Ubuntu)"},
	"ubuntu20": {"Apache/2.4.41 (Ubuntu)", "nginx/1.18.0 (Ubuntu)"},
	"rocky9":   {"Apache/2.4.57 (Rocky Linux)", "nginx/1.20.1"},
	"centos7":  {"Apache/2.4.6 (CentOS)", "nginx/1.20.1"},
	"fedora":   {"Apache/2.4.58 (Fedora Linux)", "nginx/1.24.0"},
	"alpine":   {"nginx/1.24.0", "nginx"},
	"":         {"Apache/2.4.58 (Unix)", "nginx/1.24.0", "nginx/1.25.3", "Apache"},
	"windows":  {"Microsoft-IIS/10.0", "Microsoft-IIS/8.5"},
}

// pickServer chooses the persona's Server header from the decky's seed.
func pickServer(d model.Decky, rng *rand.Rand) string {
	key := d.Distro
	if strings.HasPrefix(d.NmapOS, "windows") {
		key = "windows"
	}
	list, ok := serverHeaders[key]
	if !ok {
		list = serverHeaders[""]
	}
	return list[rng.IntN(len(list))]
}

// family is the web server a Server string names; it decides which
// default and error pages the decky serves.
type family int

const (
	famApache family = iota
	famNginx
	famIIS
)

func familyOf(server string) family {
	s := strings.ToLower(server)
	switch {
	case strings.Contains(s, "nginx"):
		return famNginx
	case strings.Contains(s, "iis"):
		return famIIS
	}
	return famApache
}

// defaultPage is the "it works" page of a freshly installed server.
func defaultPage(f family, host string) string {
	switch f {
	case famNginx:
		return nginxDefault
	case famIIS:
		return iisDefault
	}
	return strings.ReplaceAll(apacheDefault, "{{host}}", host)
}

// errorPage is the server's own error page for status, as scanners see it
// for unknown paths and bad requests.
func errorPage(f family, status int, server, host string, port int) string {
	text := statusText(status)
	switch f {
	case famNginx:
		return fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
			status, text, status, text, server)
	case famIIS:
		return fmt.Sprintf("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n"+
			"<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n"+
			"<title>%d - %s</title>\r\n</head>\r\n<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n"+
			" <div class=\"content-container\"><fieldset>\r\n  <h2>%d - %s</h2>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n",
			status, text, status, text)
	}
	what := map[int]string{
		400: "Your browser sent a request that this server could not understand.<br />\n",
		401: "This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n",
		403: "You don't have permission to access this resource.",
		404: "The requested URL was not found on this server.",
		405: "The requested method is not allowed for this URL.",
		413: "The requested resource does not allow request data with this method, or the amount of data provided exceeds the capacity limit.",
		414: "The requested URL's length exceeds the capacity\nlimit for this server.<br />\n",
		431: "Your browser sent a request that this server could not understand.<br />\nSize of a request header field exceeds server limit.<br />\n",
		501: "This method is not implemented.",
		505: "The HTTP version is not supported.",
	}[status]
	if what == "" {
		what = text + "."
	}
	return fmt.Sprintf("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>%d %s</title>\n</head><body>\n<h1>%s</h1>\n<p>%s</p>\n<hr>\n<address>%s Server at %s Port %d</address>\n</body></html>\n",
		status, text, text, what, server, host, port)
}

const nginxDefault = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

const iisDefault = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>IIS Windows Server</title>
<style type="text/css">
<!--
body {
	color:#000000;
	background-color:#0072C6;
	margin:0;
}

#container {
	margin-left:auto;
	margin-right:auto;
	text-align:center;
	}

a img {
	border:none;
}

-->
</style>
</head>
<body>
<div id="container">
<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" /></a>
</div>
</body>
</html>`

const apacheDefault = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 Default Page: It works</title>
    <style type="text/css" media="screen">
  * { margin: 0px 0px 0px 0px; padding: 0px 0px 0px 0px; }
  body, html { padding: 3px 3px 3px 3px; background-color: #D8DBE2;
    font-family: Ubuntu, Verdana, sans-serif; font-size: 11pt; text-align: center; }
  div.main_page { position: relative; display: table; width: 800px; margin-bottom: 3px;
    margin-left: auto; margin-right: auto; padding: 0px 0px 0px 0px; border-width: 2px;
    border-color: #212738; border-style: solid; background-color: #FFFFFF; text-align: center; }
  div.section_header { padding: 3px 6px 3px 6px; background-color: #8E9CB2; color: #FFFFFF;
    font-weight: bold; font-size: 112%; text-align: center; }
  div.content_section_text { padding: 4px 8px 4px 8px; color: #000000; font-size: 100%; }
    </style>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <span class="floating_element">
          Apache2 Default Page
        </span>
      </div>
      <div class="content_section floating_element">
        <div class="section_header section_header_red">
          <div id="about"></div>
          It works!
        </div>
        <div class="content_section_text">
          <p>
                This is the default welcome page used to test the correct
                operation of the Apache2 server after installation on {{host}}.
                You should <b>replace this file</b> (located at
                <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.
          </p>
          <p>
                If you are a normal user of this web site and don't know what this page is
                about, this probably means that the site is currently unavailable due to
                maintenance.
                If the problem persists, please contact the site's administrator.
          </p>
        </div>
        <div class="section_header">
          <div id="changes"></div>
                Configuration Overview
        </div>
        <div class="content_section_text">
          <p>
                The configuration layout for an Apache2 web server installation is
                split into several files optimized for interaction with the system tools.
          </p>
          <pre>
/etc/apache2/
|-- apache2.conf
|       ` + "`" + `--  ports.conf
|-- mods-enabled
|       |-- *.load
|       ` + "`" + `-- *.conf
|-- conf-enabled
|       ` + "`" + `-- *.conf
|-- sites-enabled
|       ` + "`" + `-- *.conf
          </pre>
        </div>
      </div>
    </div>
    <div class="validator">
    </div>
  </body>
</html>
`
