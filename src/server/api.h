/* api.h — the JSON API of server.md, independent of the HTTP library: a request (method,
 * path segments, arguments, headers that matter, body) goes in, a response (status, body)
 * comes out. src/server/http.c feeds it from libmicrohttpd; tests and the fuzzer call it
 * directly.
 *
 * Tenants are served from one data directory: each tenant's store is opened (for writing)
 * on its first request and kept open, and its requests run one at a time under the
 * tenant's lock. Keys are found by their id across tenants; a tenant or key made by the CLI
 * while the server runs is found on its first use.
 */
#ifndef RAAS_SERVER_API_H
#define RAAS_SERVER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "raas/error.h"

#define RAAS_API_DEFAULT_MAX_BODY ((size_t)16 << 20) /* events.md: 16 MiB per batch */
#define RAAS_API_DEFAULT_MAX_BATCH 10000             /* events.md: 10,000 events */

struct raas_api_options {
	const char *dir;  /* the data directory */
	size_t max_body;  /* bytes; 0: RAAS_API_DEFAULT_MAX_BODY */
	size_t max_batch; /* events per POST /v1/events; 0: RAAS_API_DEFAULT_MAX_BATCH */
	bool fixed_clock; /* tests: the clock is clock_us, always */
	int64_t clock_us;
	int64_t webhook_backoff_us; /* the first retry interval; 0: 10 s */
	int webhook_timeout_ms;     /* per step of a delivery; 0: 10 s */
	const char *webhook_ca;     /* PEM certificates https endpoints are checked against;
	                               NULL: the system's (borrowed: must outlive the API) */
	unsigned rate_limit;        /* requests per second per key (burst as many); 0: none */
};

struct raas_http_arg {
	char *name; /* percent-decoded */
	char *value;
};

struct raas_http_request {
	const char *method;
	const char *path; /* as received (percent-encoded), for messages and logs */
	char **segments;  /* the path's segments, percent-decoded */
	size_t nsegments;
	struct raas_http_arg *args; /* the query's arguments, percent-decoded */
	size_t nargs;
	const char *authorization; /* header values, or NULL */
	const char *content_type;
	const char *body;
	size_t body_len;
};

struct raas_http_response {
	unsigned status;
	const char *content_type;
	struct raas_buf body;
	const char *allow;    /* the Allow header of a 405 */
	unsigned retry_after; /* the Retry-After header (seconds) of a 429, 0: none */
	/* For the access log: */
	char tenant[130];
	char key_id[24];
};

struct raas_api;

RAAS_WUR raas_rc raas_api_new(const struct raas_api_options *opt, struct raas_api **out,
                              struct raas_err *err);
/* Closes every tenant's store (in-flight requests must be over). */
void raas_api_free(struct raas_api *api);

/* Parses a request target's path and query (path: from the first '/', query: after '?',
 * or NULL) into req's segments and args (new; free with raas_http_request_free). Returns
 * false for a target that is not well-formed (bad percent-encoding, NUL bytes). */
bool raas_http_request_parse(struct raas_http_request *req, const char *path, const char *query);
void raas_http_request_free(struct raas_http_request *req);

void raas_http_response_init(struct raas_http_response *res);
void raas_http_response_free(struct raas_http_response *res);

/* Answers req (any thread; requests of one tenant run one at a time). */
void raas_api_handle(struct raas_api *api, const struct raas_http_request *req,
                     struct raas_http_response *res);

/* Settles every tenant at the clock (service.h raas_svc_settle: locks what is due, stores
 * the invoices, signs checkpoints), one tenant at a time, holding each alone only to take
 * its clock and a view and to store what it locked (api.c settle_one, docs/server.md); one
 * JSON line per tenant that locked something or failed goes to log (may be NULL). */
void raas_api_settle(struct raas_api *api, FILE *log);

/* Reads every tenant's webhooks, so that deliveries pending from before a restart go out. */
void raas_api_load_webhooks(struct raas_api *api);
/* Attempts every webhook delivery that is due (real time), one at a time, without holding a
 * tenant during the HTTP exchange. */
void raas_api_deliver(struct raas_api *api);
/* Asks raas_api_settle and raas_api_deliver (in other threads) to end early: a pass after
 * the tenant it is settling, deliveries after the attempt under way (what is left is done
 * after the next start). */
void raas_api_stop(struct raas_api *api);

/* Appends the Prometheus text of the server's counters. */
RAAS_WUR raas_rc raas_api_metrics(struct raas_api *api, struct raas_buf *b);
/* Counts a request for /metrics (the HTTP layer calls it once per answered request). */
void raas_api_count_request(struct raas_api *api, unsigned status, double seconds);

#endif
