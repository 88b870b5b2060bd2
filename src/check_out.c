/* check_out: writing a check report; see check_out.h. */
#include "check_out.h"

#include <string.h>

#include "log.h"

static const char *shown(const char *p)
{
	return *p == '\0' ? "/" : p;
}

void check_assumed_line(const struct check_report *rep, char *out, size_t n)
{
	if (rep->e_from_url)
		snprintf(out, n, "public prefix %s (the path of --url), route prefix %s%s",
			 shown(rep->e), shown(rep->r), rep->r_assumed ? " (the same)" : "");
	else if (rep->r_assumed)
		snprintf(out, n, "neither --web.route-prefix nor --web.external-prefix is set: "
			 "both follow each request's prefix; assumed %s (give "
			 "--web.external-prefix=/PREFIX to check that one)", shown(rep->e));
	else if (rep->e_assumed)
		snprintf(out, n, "public prefix assumed %s (the route prefix; give "
			 "--web.external-prefix when the web server serves another)", shown(rep->e));
	else
		snprintf(out, n, "public prefix %s (--web.external-prefix), route prefix %s",
			 shown(rep->e), shown(rep->r));
}

/* "(Prometheus's --web.external-url)" */
static void whose(FILE *f, const struct check_finding *x)
{
	if (x->flag == NULL)
		return;
	if (strcmp(x->side, "thanos-fcgi") == 0)
		fprintf(f, " [thanos-fcgi %s]", x->flag);
	else
		fprintf(f, " [%s's own %s]", x->side, x->flag);
}

/* One finding as one line; 1 when it is a WARN or a FAIL. */
static int print_finding(FILE *f, const struct check_finding *x)
{
	fprintf(f, "%s: %s", check_level_name(x->level), x->what);
	if (x->fix[0] != '\0')
		fprintf(f, "; fix: %s", x->fix);
	whose(f, x);
	fputc('\n', f);
	return x->level >= CHECK_WARN;
}

void check_print_text(FILE *f, const struct check_report *rep)
{
	char line[512];
	size_t bad = 0;

	check_assumed_line(rep, line, sizeof(line));
	fprintf(f, "note: %s\n", line);
	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->u[i].n; k++)
			bad += print_finding(f, &rep->u[i].f[k]);
	for (size_t k = 0; rep->have_web && k < rep->web.n; k++)
		bad += print_finding(f, &rep->web.f[k]);
	if (bad == 0)
		fprintf(f, "everything looks right\n");
	else
		fprintf(f, "%zu problem(s) found\n", bad);
}

void check_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* "key":"value", with s NULL as null. */
static void field(FILE *f, const char *key, const char *s, int comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	if (s == NULL)
		fputs("null", f);
	else
		check_json_string(f, s);
}

static void json_upstream(FILE *f, const struct check_upstream *u)
{
	fputc('{', f);
	field(f, "url", u->url, 0);
	field(f, "kind", u->kind == CHECK_KIND_UNKNOWN ? "unknown" : check_kind_name(u->kind), 1);
	field(f, "route_prefix", u->route_known ? u->route_up : NULL, 1);
	fputs(",\"findings\":[", f);
	for (size_t k = 0; k < u->n; k++) {
		const struct check_finding *x = &u->f[k];

		fputs(k ? ",{" : "{", f);
		field(f, "level", check_level_name(x->level), 0);
		field(f, "id", x->id, 1);
		field(f, "what", x->what, 1);
		field(f, "fix", x->fix[0] ? x->fix : NULL, 1);
		field(f, "flag", x->flag, 1);
		field(f, "side", x->flag != NULL ? x->side : NULL, 1);
		fputc('}', f);
	}
	fputs("]}", f);
}

/* The "key=value" lines after the first of the adapter's check answer as
 * a JSON object. */
static void json_passed(FILE *f, const char *body)
{
	char key[64], val[1024];
	int first = 1;

	fputc('{', f);
	for (const char *p = strchr(body, '\n'); p != NULL && p[1] != '\0'; p = strchr(p + 1, '\n')) {
		size_t len = strcspn(p + 1, "\n"), k = strcspn(p + 1, "=");

		if (k >= len || k >= sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)k, p + 1);
		snprintf(val, sizeof(val), "%.*s", (int)(len - k - 1), p + 2 + k);
		field(f, key, val, !first);
		first = 0;
	}
	fputc('}', f);
}

void check_print_json(FILE *f, const struct check_report *rep)
{
	fprintf(f, "{\"ok\":%s", check_report_bad(rep) ? "false" : "true");
	field(f, "external_prefix", rep->e, 1);
	fprintf(f, ",\"external_prefix_assumed\":%s", rep->e_assumed ? "true" : "false");
	field(f, "route_prefix", rep->r, 1);
	fputs(",\"upstreams\":[", f);
	for (size_t i = 0; i < rep->n; i++) {
		if (i > 0)
			fputc(',', f);
		json_upstream(f, &rep->u[i]);
	}
	fputc(']', f);
	if (rep->have_web) {
		fputs(",\"web\":", f);
		json_upstream(f, &rep->web);
		fputs(",\"web_passed\":", f);
		if (rep->web_passed[0] != '\0')
			json_passed(f, rep->web_passed);
		else
			fputs("null", f);
	}
	fputs("}\n", f);
}

void check_log(const struct check_report *rep)
{
	char line[512];
	size_t bad = 0;

	check_assumed_line(rep, line, sizeof(line));
	log_msg(LOG_INFO, "check: %s", line);
	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->u[i].n; k++) {
			const struct check_finding *x = &rep->u[i].f[k];
			int w = x->level >= CHECK_WARN;

			bad += w;
			log_msg(w ? LOG_WARN : LOG_INFO, "check: %s%s%s", x->what,
				x->fix[0] ? "; fix: " : "", x->fix);
		}
	log_msg(bad ? LOG_WARN : LOG_INFO, "check: done, %zu problem(s) found (run "
		"`thanos-fcgi check` with the same settings for the details)", bad);
}
