/*
 * conf_table: the one option table behind conf.c (parsing) and
 * conf_help.c (--help, the README reference).  Private to those two.
 */
#ifndef THANOS_FCGI_CONF_TABLE_H
#define THANOS_FCGI_CONF_TABLE_H

#include <stddef.h>

enum opt_type {
	T_STRING,   /* const char * */
	T_LIST,     /* const char *, comma-separated */
	T_LONG,     /* long in min..max */
	T_DURATION, /* int64_t milliseconds */
	T_SIZE,     /* uint64_t bytes */
	T_BOOL,     /* int 0 or 1 */
	T_LEVEL,    /* int, enum log_level */
};

#define O_REQUEST 1u    /* a request parameter may override it */
#define O_EMPTY_NULL 2u /* an empty value means unset (NULL) */
#define O_NONEMPTY 4u   /* a list that must hold at least one entry */
#define O_NONZERO 8u    /* a size that must not be 0 */

struct opt {
	const char *name;  /* flag without "--", also the config file key */
	const char *env;   /* environment and request parameter name */
	enum opt_type type;
	unsigned flags;    /* O_* */
	size_t off;        /* of the field in struct conf */
	const char *def;   /* parsed like a user value; NULL: unset */
	const char *shown; /* default as --help shows it; NULL: def */
	const char *arg;   /* value placeholder in --help */
	long min, max;     /* T_LONG range */
	/* Checks a string value or each list entry (units.h). */
	int (*check)(const char *v, size_t n, const char **why);
	const char *help;
};

/* The table and its length, counted from it (conf_table.c). */
extern const struct opt conf_opts[];
extern const size_t conf_n_opts;

/* Room for a mark per option (conf.c's "seen"); the table is checked
 * against it when it is compiled. */
#define CONF_MAX_OPTS 64

#endif
