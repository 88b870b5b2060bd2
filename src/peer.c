/* peer: FCGI_WEB_SERVER_ADDRS; see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <string.h>

int peer_list_parse(const char *s, struct peer_list *out)
{
	char one[INET_ADDRSTRLEN];

	out->n = 0;
	if (s == NULL || s[strspn(s, " \t")] == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(one) || out->n == PEER_MAX)
			goto bad;
		memcpy(one, s, n);
		one[n] = '\0';
		if (inet_pton(AF_INET, one, &out->a[out->n]) != 1)
			goto bad;
		out->n++;
		if (end == NULL)
			return 0;
		s = end + 1;
	}
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
