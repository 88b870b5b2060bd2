/*
 * cabundle: where the system's CA bundle is when --upstream.tls.ca-file is
 * not set.  A libcurl linked static (make static) knows only the path it
 * was built with; on another distribution that file is missing and every
 * https upstream fails.  So, as Go's crypto/x509 does, the adapter tries
 * the well-known paths of the distributions in turn and uses the first
 * readable file, unless SSL_CERT_FILE is set or libcurl's own built-in
 * file is readable (a distribution's libcurl): those then apply.
 *
 * cabundle_find is pure (the test of a path is a callback, for table
 * tests); cabundle_system and cabundle_log look at this machine.
 */
#ifndef THANOS_FCGI_CABUNDLE_H
#define THANOS_FCGI_CABUNDLE_H

/* The paths tried, in order, NULL-terminated. */
extern const char *const cabundle_paths[];

/* An access(2)-like test: 0 when path can be opened with mode. */
typedef int (*cabundle_access_fn)(const char *path, int mode);

/*
 * The first of paths (NULL-terminated) for which ok(path, R_OK) is 0, or
 * NULL when none is.  Calls ok in order and stops at the first success.
 */
const char *cabundle_find(const char *const *paths, cabundle_access_fn ok);

/*
 * This machine's bundle: the first of cabundle_paths that is a readable
 * regular file, looked up once per process (thread-safe), the same answer
 * after.  NULL when there is none, or when SSL_CERT_FILE or libcurl's
 * own readable built-in file applies.
 * The string is static: never freed.
 */
const char *cabundle_system(void);

/* Logs which bundle cabundle_system chose (info), or a warning naming
 * the paths looked at when none was found. */
void cabundle_log(void);

#endif
