/* Unit tests for src/route.c: one route per set of THANOS_FCGI_* request
 * parameters, cached and bounded. */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "route.h"
#include "upstream.h"
#include "check_main.h"

static struct conf base;
static struct upstream_pool pool;
static struct buf key;

static void setup(void)
{
	static char a0[] = "thanos-fcgi", a1[] = "--upstream", a2[] = "http://127.0.0.1:1";
	char *argv[] = {a0, a1, a2, NULL};
	char *envp[] = {NULL};
	char err[256];

	ck_assert_int_eq(conf_load(&base, 3, argv, envp, err, sizeof(err)), 0);
	ck_assert_int_eq(upstream_pool_init(&pool, base.upstream, err, sizeof(err)), 0);
	buf_init(&key, 65536);
}

static void teardown(void)
{
	buf_free(&key);
	upstream_pool_free(&pool);
	conf_free(&base);
}

/* route_find on the request of params; returns the kind, *r the route
 * (NULL: base).  err: NULL, or where the cause goes. */
static enum route_kind find_err(struct route_cache *rc, char **params, struct route *own,
				const struct route **r, char *err)
{
	static struct request rq; /* freed by the process's end */
	char tmp[256] = "";

	request_read(&rq, params, 1);
	return route_find(rc, &rq, &key, own, r, err ? err : tmp, 256);
}

static enum route_kind find(struct route_cache *rc, char **params, struct route *own,
			    const struct route **r)
{
	return find_err(rc, params, own, r, NULL);
}

START_TEST(test_base_hit_miss_bound)
{
	static char p_ok[] = "REQUEST_URI=/x", up_a[] = "THANOS_FCGI_UPSTREAM=http://a:1,http://b:2",
		    up_b[] = "THANOS_FCGI_UPSTREAM=http://c:3", rp[] = "THANOS_FCGI_ROUTE_PREFIX=/r",
		    threads[] = "THANOS_FCGI_THREADS=4";
	char *none[] = {p_ok, NULL}, *a[] = {p_ok, up_a, NULL}, *b[] = {up_b, NULL},
	     *c[] = {rp, NULL}, *proc[] = {threads, NULL};
	struct route_cache *rc = route_cache_new(&base, &pool, 2);
	struct route own;
	const struct route *r1, *r2, *r3;

	ck_assert_int_eq(find(rc, none, &own, &r1), ROUTE_BASE);
	ck_assert_ptr_null(r1);
	/* miss, then hit: the same route, its own pool of two replicas */
	ck_assert_int_eq(find(rc, a, &own, &r1), ROUTE_CACHED);
	ck_assert_int_eq(find(rc, a, &own, &r2), ROUTE_CACHED);
	ck_assert_ptr_eq(r1, r2);
	ck_assert_uint_eq(r1->pool->n, 2);
	ck_assert_ptr_ne(r1->pool, &pool);
	/* another set: another route; one that keeps the upstream shares the
	 * process's pool (its down marks) */
	ck_assert_int_eq(find(rc, c, &own, &r3), ROUTE_CACHED);
	ck_assert_ptr_ne(r3, r1);
	ck_assert_ptr_eq(r3->pool, &pool);
	ck_assert_str_eq(r3->conf.route_prefix, "/r");
	/* past the bound (2): built for the request alone, each time */
	ck_assert_int_eq(find(rc, b, &own, &r2), ROUTE_OWN);
	ck_assert_ptr_eq(r2, &own);
	ck_assert_str_eq(r2->conf.upstream, "http://c:3");
	route_release(&own);
	ck_assert_int_eq(find(rc, b, &own, &r2), ROUTE_OWN);
	route_release(&own);
	/* the cached ones are still there */
	ck_assert_int_eq(find(rc, a, &own, &r2), ROUTE_CACHED);
	ck_assert_ptr_eq(r1, r2);
	/* a process-only option as a request parameter: the base, full or not */
	ck_assert_int_eq(find(rc, proc, &own, &r1), ROUTE_BASE);
	ck_assert_ptr_null(r1);
	route_cache_free(rc);
	/* with room it is kept as a marker of the base: found again without
	 * building, still the base, and it takes one of the slots */
	rc = route_cache_new(&base, &pool, 2);
	ck_assert_int_eq(find(rc, proc, &own, &r1), ROUTE_BASE);
	ck_assert_int_eq(find(rc, proc, &own, &r1), ROUTE_BASE);
	ck_assert_ptr_null(r1);
	ck_assert_int_eq(find(rc, a, &own, &r1), ROUTE_CACHED);
	ck_assert_int_eq(find(rc, c, &own, &r2), ROUTE_OWN);
	route_release(&own);
	route_cache_free(rc);
}
END_TEST

/* Threads that look up the same mounts at once (the lookup takes no
 * lock) all get the one route of each mount, and the cache holds one a
 * mount, never a second copy. */
#define RACERS 4
#define MOUNTS 3

struct racer {
	struct route_cache *rc;
	const struct route *got[MOUNTS];
};

static void *race(void *arg)
{
	static char m0[] = "THANOS_FCGI_ROUTE_PREFIX=/m0", m1[] = "THANOS_FCGI_ROUTE_PREFIX=/m1",
		    m2[] = "THANOS_FCGI_ROUTE_PREFIX=/m2";
	char *mounts[MOUNTS][2] = {{m0, NULL}, {m1, NULL}, {m2, NULL}};
	struct racer *r = arg;
	struct request rq;
	struct buf k;
	struct route own;
	char err[256];

	request_init(&rq);
	buf_init(&k, 65536);
	for (int round = 0; round < 2000; round++) {
		int m = round % MOUNTS;
		const struct route *got;

		request_read(&rq, mounts[m], 1);
		if (route_find(r->rc, &rq, &k, &own, &got, err, sizeof(err)) != ROUTE_CACHED)
			got = NULL;
		if (r->got[m] == NULL)
			r->got[m] = got;
		else if (r->got[m] != got)
			r->got[m] = (const struct route *)(void *)&own; /* a mismatch */
	}
	buf_free(&k);
	request_free(&rq);
	return NULL;
}

START_TEST(test_threads)
{
	struct route_cache *rc = route_cache_new(&base, &pool, 8);
	struct racer rs[RACERS];
	pthread_t t[RACERS];

	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < RACERS; i++) {
		rs[i].rc = rc;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (int m = 0; m < MOUNTS; m++) {
		ck_assert_ptr_nonnull(rs[0].got[m]);
		for (int i = 1; i < RACERS; i++)
			ck_assert_msg(rs[i].got[m] == rs[0].got[m], "mount %d: thread %d saw another route", m, i);
	}
	ck_assert_ptr_ne(rs[0].got[0], rs[0].got[1]);
	route_cache_free(rc);
}
END_TEST

START_TEST(test_bad)
{
	static char bad[] = "THANOS_FCGI_ROUTE_PREFIX=thanos", typo[] = "THANOS_FCGI_UPSTREM=x";
	char *p1[] = {bad, NULL}, *p2[] = {typo, NULL};
	struct route_cache *rc = route_cache_new(&base, &pool, 4);
	struct route own;
	const struct route *r;
	char err[256] = "";

	ck_assert_int_eq(find_err(rc, p1, &own, &r, err), ROUTE_BAD);
	ck_assert_msg(strncmp(err, "THANOS_FCGI_ROUTE_PREFIX: ", 26) == 0, "err '%s'", err);
	ck_assert_int_eq(find_err(rc, p2, &own, &r, err), ROUTE_BAD);
	ck_assert_str_eq(err, "THANOS_FCGI_UPSTREM: unknown variable");
	route_cache_free(rc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("core");
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_base_hit_miss_bound);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	rc = check_run(s);
	curl_global_cleanup();
	return rc;
}
