/* status: result codes, their HTTP answers and texts. */
#include "status.h"

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

const char *status_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}
