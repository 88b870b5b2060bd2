/* cabundle: the system CA bundle at the well-known paths; see cabundle.h. */
#include "cabundle.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Go's crypto/x509 list (root_linux.go) and OpenSUSE's newer path. */
const char *const cabundle_paths[] = {
	"/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Gentoo, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",                  /* Fedora, RHEL 6 */
	"/etc/ssl/ca-bundle.pem",                            /* SUSE, OpenSUSE */
	"/etc/pki/tls/cacert.pem",                           /* OpenELEC */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* CentOS, RHEL 7+ */
	"/etc/ssl/cert.pem",                                 /* Alpine */
	"/var/lib/ca-certificates/ca-bundle.pem",            /* OpenSUSE */
	NULL,
};

const char *cabundle_find(const char *const *paths, cabundle_access_fn ok)
{
	for (size_t i = 0; paths[i] != NULL; i++)
		if (ok(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

/* access(2), and a regular file (a directory is readable too). */
static int regular_access(const char *path, int mode)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return access(path, mode);
}

static pthread_once_t system_once = PTHREAD_ONCE_INIT;
static const char *system_bundle;
static int system_defers; /* SSL_CERT_FILE or libcurl's own file applies */

/* libcurl's built-in CA file when it is there (a Debian libcurl's), so
 * a distribution's own choice is kept; a static libcurl has none. */
static int curl_default_readable(void)
{
	CURL *h = curl_easy_init();
	char *p = NULL;
	int ok;

	if (h == NULL)
		return 0;
	ok = curl_easy_getinfo(h, CURLINFO_CAINFO, &p) == CURLE_OK && p != NULL &&
	     regular_access(p, R_OK) == 0;
	curl_easy_cleanup(h);
	return ok;
}

static void system_lookup(void)
{
	const char *env = getenv("SSL_CERT_FILE");

	system_defers = (env != NULL && *env != '\0') || curl_default_readable();
	if (!system_defers)
		system_bundle = cabundle_find(cabundle_paths, regular_access);
}

const char *cabundle_system(void)
{
	pthread_once(&system_once, system_lookup);
	return system_bundle;
}

void cabundle_log(void)
{
	const char *ca = cabundle_system();
	struct buf b;

	if (system_defers)
		return; /* SSL_CERT_FILE or libcurl's built-in file: their own */
	if (ca != NULL) {
		log_msg(LOG_INFO, "upstream CA bundle: %s (found; --upstream.tls.ca-file not set)",
			ca);
		return;
	}
	buf_init(&b, 1024);
	for (size_t i = 0; cabundle_paths[i] != NULL; i++)
		if (buf_printf(&b, "%s%s", i > 0 ? ", " : "", cabundle_paths[i]) != 0)
			break;
	log_msg(LOG_WARN,
		"upstream CA bundle not found (looked at %s): verifying https "
		"upstreams will fail; set --upstream.tls.ca-file",
		buf_str(&b));
	buf_free(&b);
}
