/* own: the answers the adapter gives itself in place of the replicas,
 * never forwarded: the check answer and the metrics page; see relay_int.h. */
#include "relay_int.h"

#include "buf.h"
#include "diag.h"
#include "metrics.h"

/* The adapter's own answer to E/-/thanos-fcgi/check (diag.h), with the
 * token; never forwarded.  TF_OK once sent, else the status to answer. */
enum tf_status own_check(struct xfer *x)
{
	struct relay_worker *w = x->w;

	if (!diag_token_ok(x->c->check_token, diag_http(x->rq, "HTTP_X_THANOS_FCGI_CHECK_TOKEN")))
		return buf_appends(&w->msg, "check token missing or wrong (--web.check-token)"),
		       TF_FORBIDDEN;
	if (diag_page(&w->out, x->rq, buf_str(&w->e), buf_str(&w->t), x->head) != 0)
		return buf_appends(&w->msg, "check answer too long"), TF_URI_TOO_LONG;
	x->headers_sent = 1;
	if (x->io->write(x->io->ctx, w->out.ptr, w->out.len) != 0)
		return TF_CLIENT_GONE;
	x->io->flush(x->io->ctx);
	return TF_OK;
}

/* The adapter's own answer at --web.metrics-path (metrics.h), in place of
 * the replicas: never forwarded; x->own tells answer() not to count it. */
enum tf_status own_metrics(struct xfer *x)
{
	struct buf page;
	enum tf_status s = TF_CLIENT_GONE;

	x->own = 1;
	buf_init(&page, METRICS_PAGE_MAX);
	if (metrics_page(x->rq->method, &page) == 0 &&
	    x->io->write(x->io->ctx, page.ptr, page.len) == 0 && x->io->flush(x->io->ctx) == 0)
		s = TF_OK;
	buf_free(&page);
	return s;
}
