/* peer: FCGI_WEB_SERVER_ADDRS; see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <string.h>

#include "list.h"

int peer_list_parse(const char *s, struct peer_list *out)
{
	char one[INET_ADDRSTRLEN];
	struct list_iter it = list_start(s);

	out->n = 0;
	if (s == NULL || s[strspn(s, " \t")] == '\0')
		return 0;
	while (list_next(&it)) {
		if (it.n == 0 || it.n >= sizeof(one) || out->n == PEER_MAX)
			goto bad;
		memcpy(one, it.p, it.n);
		one[it.n] = '\0';
		if (inet_pton(AF_INET, one, &out->a[out->n]) != 1)
			goto bad;
		out->n++;
	}
	return 0;
bad:
	out->n = 0;
	return -1;
}

int peer_allowed(const struct peer_list *l, const struct sockaddr *sa)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

	if (l->n == 0 || sa->sa_family != AF_INET)
		return 1;
	for (size_t i = 0; i < l->n; i++)
		if (l->a[i].s_addr == in->sin_addr.s_addr)
			return 1;
	return 0;
}
