/* method: what the request method allows; see method.h. */
#include "method.h"

#include <string.h>

int method_is_token(const char *m)
{
	if (*m == '\0')
		return 0;
	for (; *m != '\0'; m++)
		if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') ||
		      (*m >= '0' && *m <= '9') || strchr("!#$%&'*+-.^_`|~", *m)))
			return 0;
	return 1;
}

int method_may_repeat(const char *m)
{
	return strcmp(m, "POST") != 0 && strcmp(m, "PATCH") != 0 &&
	       strcmp(m, "LOCK") != 0;
}
