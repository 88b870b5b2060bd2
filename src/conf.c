/*
 * conf: every setting of thanos-fcgi, driven by the one option table below.
 * The table gives each option its flag (--name), its environment and
 * request parameter name (THANOS_FCGI_*), its config file key (the flag
 * name), its type, its default (parsed like a user value), its --help and
 * README text, and whether a request may override it.
 *
 * Config file: one `key = value` a line, keys are the flag names without
 * "--".  Blank lines and lines whose first non-blank is '#' are skipped;
 * blanks around key and value are trimmed; a value wholly in double quotes
 * loses them (`key = ""` is the empty value).  There is no escaping and no
 * comment after a value.  A list key given twice appends, as a repeated
 * flag does.
 *
 * Lists (upstream, root paths) are comma-separated.  The first --flag
 * replaces what the environment, the file or the default gave; each further
 * one appends.  A set but empty variable is a value: the empty list.
 */
#include "conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "conf_table.h"
#include "list.h"
#include "status.h"
#include "units.h"

#define ENV_PREFIX "THANOS_FCGI_"
#define ENV_PREFIX_LEN (sizeof(ENV_PREFIX) - 1)

/* What is wrong with a value: why, then the offending part, quoted. */
struct fault {
	char why[64]; /* "bad duration ", "not a number in 1..256: " */
	const char *bad;
	size_t badlen;
};

/* Config file and joined-list strings, freed by conf_free(). */
struct owned {
	struct owned *next;
	char s[];
};

static int fault_set(struct fault *f, const char *why, const char *bad,
		     size_t badlen)
{
	size_t n = strlen(why);

	if (n >= sizeof(f->why))
		n = sizeof(f->why) - 1;
	memcpy(f->why, why, n);
	f->why[n] = '\0';
	f->bad = bad;
	f->badlen = badlen;
	return -1;
}


/* "WHERE: why 'bad'", WHERE being "--flag", "ENV_NAME" or "FILE:N: key". */
static void report(char *err, size_t errlen, const char *file, long line,
		   const char *dash, const char *name, const struct fault *f)
{
	int badlen = f->badlen > 4096 ? 4096 : (int)f->badlen;

	if (file != NULL)
		status_errf(err, errlen, "%s:%ld: %s: %s'%.*s'", file, line, name,
		     f->why, badlen, f->bad);
	else
		status_errf(err, errlen, "%s%s: %s'%.*s'", dash, name, f->why, badlen,
		     f->bad);
}

/* A string of n bytes owned by c, freed by conf_free(). */
static char *owned_new(struct conf *c, size_t n)
{
	struct owned *o = xmalloc(sizeof(*o) + n + 1);

	o->next = c->owned;
	c->owned = o;
	o->s[n] = '\0';
	return o->s;
}

/* The option whose flag name (env 0) or env name (env 1) is n bytes at s. */
static const struct opt *opt_find(const char *s, size_t n, int env)
{
	for (size_t i = 0; i < conf_n_opts; i++) {
		const char *name = env ? conf_opts[i].env : conf_opts[i].name;
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return &conf_opts[i];
	}
	return NULL;
}

/* Checks every entry of a comma-separated list. */
static int list_check(const struct opt *o, const char *v, struct fault *f)
{
	struct list_iter it = list_start(v);
	const char *why;

	if (*v == '\0')
		return (o->flags & O_NONEMPTY) ?
			fault_set(f, "needs at least one entry, not ", v, 0) : 0;
	while (list_next(&it)) {
		if (it.n == 0)
			return fault_set(f, "empty entry in ", v, strlen(v));
		if (o->check != NULL && o->check(it.p, it.n, &why) != 0)
			return fault_set(f, why, it.p, it.n);
	}
	return 0;
}

/* Sets string option o (at *str) to v, or to NULL when empty means unset. */
static int set_string(const struct opt *o, const char *v, const char **str,
		      struct fault *f)
{
	const char *why;

	if (*v == '\0' && (o->flags & O_EMPTY_NULL)) {
		*str = NULL;
		return 0;
	}
	if (o->check != NULL && o->check(v, strlen(v), &why) != 0)
		return fault_set(f, why, v, strlen(v));
	*str = v;
	return 0;
}

/* "a,v", a new string owned by c. */
static const char *list_join(struct conf *c, const char *a, const char *v)
{
	/* Both are in memory: the sum cannot overflow. */
	size_t an = strlen(a), n = strlen(v);
	char *s = owned_new(c, an + 1 + n);

	memcpy(s, a, an);
	s[an] = ',';
	memcpy(s + an + 1, v, n);
	return s;
}

/* Sets list option o of c to v; append: v is added to a non-empty list. */
static int set_list(struct conf *c, const struct opt *o, const char *v,
		    int append, struct fault *f)
{
	const char **str = (const char **)(void *)((char *)c + o->off);

	if (list_check(o, v, f) != 0)
		return -1;
	if (append && **str != '\0' && *v != '\0')
		*str = list_join(c, *str, v);
	else if (!append || **str == '\0')
		*str = v;
	return 0;
}

/* Sets *out from v, a number in o's range; -1 with f naming the range. */
static int set_long(const struct opt *o, const char *v, long *out,
		    struct fault *f)
{
	long l;

	if (units_long(v, o->min, o->max, &l) != 0) {
		/* why holds 63 bytes: two longs and 19 more fit. */
		if (snprintf(f->why, sizeof(f->why),
			     "not a number in %ld..%ld: ", o->min,
			     o->max) < 0)
			f->why[0] = '\0';
		f->bad = v;
		f->badlen = strlen(v);
		return -1;
	}
	*out = l;
	return 0;
}

/* Sets *out from v, a log level name. */
static int set_level(const char *v, int *out, struct fault *f)
{
	enum log_level lv;

	if (log_parse_level(v, &lv) != 0)
		return fault_set(f, "not error, warn, info or debug: ", v,
				 strlen(v));
	*out = (int)lv;
	return 0;
}

/*
 * Sets option o of c from v, which must outlive c.  append: the same
 * source already set this option, so a list grows (a joined copy owned by
 * c) instead of being replaced.  Without append nothing is allocated.
 * Returns 0, or -1 with f filled and c unchanged.
 */
static int set_opt(struct conf *c, const struct opt *o, const char *v,
		   int append, struct fault *f)
{
	char *field = (char *)c + o->off;
	int64_t ms;
	uint64_t size;
	int b;

	switch (o->type) {
	case T_STRING:
		return set_string(o, v, (const char **)(void *)field, f);
	case T_LIST:
		return set_list(c, o, v, append, f);
	case T_LONG:
		return set_long(o, v, (long *)(void *)field, f);
	case T_DURATION:
		if (units_duration_ms(v, &ms) != 0)
			return fault_set(f, "bad duration ", v, strlen(v));
		*(int64_t *)(void *)field = ms;
		return 0;
	case T_SIZE:
		if (units_size(v, &size) != 0)
			return fault_set(f, "bad size ", v, strlen(v));
		if (size == 0 && (o->flags & O_NONZERO))
			return fault_set(f, "must not be 0: ", v, strlen(v));
		*(uint64_t *)(void *)field = size;
		return 0;
	case T_BOOL:
		if (units_bool(v, &b) != 0)
			return fault_set(f, "not true or false: ", v, strlen(v));
		*(int *)(void *)field = b;
		return 0;
	case T_LEVEL:
		return set_level(v, (int *)(void *)field, f);
	}
	return fault_set(f, "internal error: bad option type for ", v,
			 strlen(v));
}

static int apply_defaults(struct conf *c, char *err, size_t errlen)
{
	struct fault f;

	for (size_t i = 0; i < conf_n_opts; i++) {
		if (conf_opts[i].def == NULL)
			continue;
		if (set_opt(c, &conf_opts[i], conf_opts[i].def, 0, &f) != 0) {
			report(err, errlen, NULL, 0, "default of --",
			       conf_opts[i].name, &f);
			return -1;
		}
	}
	return 0;
}

/* 1 (c->action set) when a is -h, --help, -V or --version, else 0. */
static int action_flag(struct conf *c, const char *a)
{
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		c->action = CONF_HELP;
		return 1;
	}
	if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
		c->action = CONF_VERSION;
		return 1;
	}
	return 0;
}

/* Puts into err why a, an argument without a leading "--", is refused. */
static void not_long_flag(const char *a, char *err, size_t errlen)
{
	if (a[0] == '-' && a[1] != '\0')
		status_errf(err, errlen, "%s: unknown option", a);
	else
		status_errf(err, errlen, "'%s': unexpected argument "
		     "(options start with --)", a);
}

/* Reads --name[=value] at argv[*i] into *o, *v (*i past a separate value); -1 with err. */
static int flag_read(int argc, char *const argv[], int *i,
		     const struct opt **o, const char **v, char *err,
		     size_t errlen)
{
	const char *a = argv[*i], *name, *eq;
	size_t n;

	if (strncmp(a, "--", 2) != 0) {
		not_long_flag(a, err, errlen);
		return -1;
	}
	name = a + 2;
	eq = strchr(name, '=');
	n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	*o = opt_find(name, n, 0);
	if (*o == NULL) {
		status_errf(err, errlen, "--%.*s: unknown option", (int)n, name);
		return -1;
	}
	if (eq != NULL) {
		*v = eq + 1;
	} else if ((*o)->type == T_BOOL) {
		*v = "true";
	} else if (*i + 1 < argc) {
		*v = argv[++*i];
	} else {
		status_errf(err, errlen, "--%s: missing value", (*o)->name);
		return -1;
	}
	return 0;
}

/*
 * One walk over argv.  With apply 0 it only finds syntax errors, --help,
 * --version (returns 1) and the last --config value (into *config).
 * With apply 1 it sets the options.  Returns 0, 1 or -1 with err.
 */
static int argv_pass(struct conf *c, int argc, char *const argv[], int apply,
		     const char **config, char *err, size_t errlen)
{
	unsigned char seen[CONF_MAX_OPTS] = {0};

	for (int i = 1; i < argc; i++) {
		const struct opt *o;
		const char *v;
		struct fault f;

		if (action_flag(c, argv[i]))
			return 1;
		if (flag_read(argc, argv, &i, &o, &v, err, errlen) != 0)
			return -1;
		if (!apply) {
			if (o->off == offsetof(struct conf, config))
				*config = v;
			continue;
		}
		if (set_opt(c, o, v, seen[o - conf_opts], &f) != 0) {
			report(err, errlen, NULL, 0, "--", o->name, &f);
			return -1;
		}
		seen[o - conf_opts] = 1;
	}
	return 0;
}

/* The value of name in envp, or NULL. */
static const char *env_get(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Where THANOS_FCGI_* variables come from, for vars_pass(). */
enum vars_from {
	VARS_PROCESS, /* a process environment: an unknown name is a warning */
	VARS_CGI,     /* a CGI request's environment: an unknown name is an error */
	VARS_REQUEST, /* FastCGI request parameters: request options only */
};

/*
 * Every THANOS_FCGI_* entry of vars (NAME=VALUE).  An unknown name is an
 * error, except in a process environment; request parameters skip the
 * process-only options.  *found counts the options set.
 */
static int vars_pass(struct conf *c, char *const vars[], enum vars_from from,
		     int *found, char *err, size_t errlen)
{
	int request = from == VARS_REQUEST;

	for (char *const *e = vars; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		const struct opt *o;
		struct fault f;

		if (eq == NULL || strncmp(*e, ENV_PREFIX, ENV_PREFIX_LEN) != 0)
			continue;
		o = opt_find(*e, (size_t)(eq - *e), 1);
		if (o == NULL && from == VARS_PROCESS) {
			/* The process environment holds whatever the service
			 * manager or a test harness put there: warn, go on. */
			log_msg(LOG_WARN, "%.*s: unknown variable, ignored",
				(int)(eq - *e), *e);
			continue;
		}
		if (o == NULL) {
			status_errf(err, errlen, "%.*s: unknown variable",
			     (int)(eq - *e), *e);
			return -1;
		}
		if (request && !(o->flags & O_REQUEST))
			continue;
		if (set_opt(c, o, eq + 1, 0, &f) != 0) {
			report(err, errlen, NULL, 0, "", o->env, &f);
			return -1;
		}
		(*found)++;
	}
	return 0;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The value after a config line's '=' at eq, trimmed and unquoted; its length in *n. */
static const char *line_value(const char *eq, size_t *n)
{
	const char *v, *v_end;

	for (v = eq + 1; is_blank(*v); v++)
		;
	for (v_end = v + strlen(v); v_end > v && is_blank(v_end[-1]); v_end--)
		;
	if (v_end - v >= 2 && v[0] == '"' && v_end[-1] == '"') {
		v++;
		v_end--;
	}
	*n = (size_t)(v_end - v);
	return v;
}

/* One line of the config file (already without its end of line). */
static int file_line(struct conf *c, const char *path, long lineno, char *p,
		     unsigned char seen[], char *err, size_t errlen)
{
	char *eq, *k_end, *val;
	const char *v;
	const struct opt *o;
	struct fault f;
	size_t vn;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	eq = strchr(p, '=');
	if (eq == NULL) {
		status_errf(err, errlen, "%s:%ld: expected 'key = value'", path, lineno);
		return -1;
	}
	for (k_end = eq; k_end > p && is_blank(k_end[-1]); k_end--)
		;
	v = line_value(eq, &vn);
	o = opt_find(p, (size_t)(k_end - p), 0);
	if (o == NULL) {
		status_errf(err, errlen, "%s:%ld: unknown key '%.*s'", path, lineno,
		     (int)(k_end - p), p);
		return -1;
	}
	if (o->off == offsetof(struct conf, config)) {
		status_errf(err, errlen, "%s:%ld: 'config' cannot be set in a config "
		     "file", path, lineno);
		return -1;
	}
	val = owned_new(c, vn);
	memcpy(val, v, vn);
	if (set_opt(c, o, val, seen[o - conf_opts], &f) != 0) {
		report(err, errlen, path, lineno, "", o->name, &f);
		return -1;
	}
	seen[o - conf_opts] = 1;
	return 0;
}

/* Reads the config file at path into c. */
static int file_pass(struct conf *c, const char *path, char *err,
		     size_t errlen)
{
	unsigned char seen[CONF_MAX_OPTS] = {0};
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = -1;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL) {
		status_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t len = getline(&line, &cap, fp);

		if (len < 0)
			break;
		lineno++;
		if (strlen(line) != (size_t)len) {
			status_errf(err, errlen, "%s:%ld: NUL byte in line", path,
			     lineno);
			goto out;
		}
		if (file_line(c, path, lineno, line, seen, err, errlen) != 0)
			goto out;
	}
	if (ferror(fp)) {
		status_errf(err, errlen, "%s: read failed: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

static int load(struct conf *c, int argc, char *const argv[],
		char *const envp[], enum vars_from from, char *err,
		size_t errlen)
{
	const char *path = NULL;
	int r, found = 0;

	memset(c, 0, sizeof(*c));
	c->action = CONF_RUN;
	c->owned = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (apply_defaults(c, err, errlen) != 0)
		return -1;
	r = argv_pass(c, argc, argv, 0, &path, err, errlen);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (path == NULL)
		path = env_get(envp, "THANOS_FCGI_CONFIG");
	if (path != NULL && *path != '\0' &&
	    file_pass(c, path, err, errlen) != 0)
		return -1;
	if (vars_pass(c, envp, from, &found, err, errlen) != 0)
		return -1;
	return argv_pass(c, argc, argv, 1, NULL, err, errlen);
}

int conf_load(struct conf *c, int argc, char *const argv[],
	      char *const envp[], char *err, size_t errlen)
{
	return load(c, argc, argv, envp, VARS_PROCESS, err, errlen);
}

int conf_load_cgi(struct conf *c, int argc, char *const argv[],
		  char *const envp[], char *err, size_t errlen)
{
	return load(c, argc, argv, envp, VARS_CGI, err, errlen);
}

int conf_overlay(const struct conf *base, char *const params[],
		 struct conf *out, char *err, size_t errlen)
{
	struct conf tmp = *base;
	int found = 0;

	tmp.owned = NULL; /* base keeps owning its strings */
	if (vars_pass(&tmp, params, VARS_REQUEST, &found, err, errlen) != 0)
		return -1;
	if (found == 0)
		return 0;
	*out = tmp;
	return 1;
}

void conf_free(struct conf *c)
{
	struct owned *o, *next;

	if (c == NULL)
		return;
	for (o = c->owned; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	c->owned = NULL;
}
