/* status: result codes, their HTTP answers and texts. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static const struct {
	int http;
	const char *text;
} status_table[TF_STATUS_MAX] = {
	[TF_OK] = {200, "ok"},
	[TF_BAD_PATH] = {400, "bad path"},
	[TF_BAD_REQUEST] = {400, "bad request"},
	[TF_BODY_TOO_LARGE] = {413, "request body too large"},
	[TF_URI_TOO_LONG] = {414, "request URI too long"},
	[TF_HEADERS_TOO_LARGE] = {431, "request headers too large"},
	[TF_FORBIDDEN] = {403, "forbidden"},
	[TF_CONFIG] = {500, "bad configuration"},
	[TF_UPSTREAM] = {502, "upstream failed"},
	[TF_UPSTREAM_HEADER] = {502, "bad upstream header"},
	[TF_TIMEOUT] = {504, "upstream timed out"},
	[TF_CLIENT_GONE] = {499, "client closed the connection"},
};

int status_http(enum tf_status s)
{
	if ((unsigned)s >= TF_STATUS_MAX || status_table[s].text == 0)
		return 500;
	return status_table[s].http;
}

const char *status_str(enum tf_status s)
{
	if ((unsigned)s >= TF_STATUS_MAX || status_table[s].text == 0)
		return "internal error";
	return status_table[s].text;
}

int status_page(struct buf *b, int code, const char *line, int head)
{
	buf_reset(b);
	if (buf_printf(b, "Status: %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			  "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n%s%s\n",
		       code, status_reason(code), strlen(line) + 14,
		       head ? "" : "thanos-fcgi: ", head ? "" : line) != 0) {
		buf_reset(b);
		return -1;
	}
	if (head) /* HEAD: the same headers, no body */
		b->len -= 1;
	return 0;
}

const char *status_reason(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/* status_errf: see status.h. */
int status_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	r = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (r < 0) {
		err[0] = '\0';
		return -1;
	}
	if ((size_t)r >= errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4);
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return -1;
}
