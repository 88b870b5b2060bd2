/* outcome: the cause of a failed upstream attempt; see outcome.h. */
#include "outcome.h"

enum outcome_cause outcome_cause(CURLcode rc, int timed_out, int bad_header)
{
	if (bad_header)
		return CAUSE_BAD_HEADER;
	if (timed_out)
		return CAUSE_TIMEOUT;
	switch (rc) {
	case CURLE_OK:
		return CAUSE_NONE;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return CAUSE_REFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return CAUSE_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return CAUSE_TLS;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return CAUSE_RESET;
	default:
		return CAUSE_OTHER;
	}
}

const char *outcome_cause_name(enum outcome_cause c)
{
	static const char *const names[CAUSE_MAX] = {
		[CAUSE_NONE] = "none",       [CAUSE_REFUSED] = "refused",
		[CAUSE_TIMEOUT] = "timeout", [CAUSE_TLS] = "tls",
		[CAUSE_RESET] = "reset",     [CAUSE_BAD_HEADER] = "bad_header",
		[CAUSE_OTHER] = "other",
	};
	return c >= 0 && c < CAUSE_MAX ? names[c] : "other";
}
