/* list: comma-separated lists; see list.h. */
#include "list.h"

#include <string.h>
#include <strings.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

struct list_iter list_start(const char *s)
{
	struct list_iter it = {s, NULL, 0};

	return it;
}

int list_next(struct list_iter *it)
{
	const char *p = it->next, *end;

	if (p == NULL)
		return 0;
	end = p + strcspn(p, ",");
	it->next = *end == ',' ? end + 1 : NULL;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	it->p = p;
	it->n = (size_t)(end - p);
	return 1;
}

int list_has_token(const char *list, const char *name, size_t n)
{
	struct list_iter it = list_start(list);

	while (n > 0 && list_next(&it))
		if (it.n == n && strncasecmp(it.p, name, n) == 0)
			return 1;
	return 0;
}
