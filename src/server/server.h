/* server.h — `raas serve`: the HTTP/1.1 server of server.md on libmicrohttpd (http.c),
 * answering with the API of api.h. One thread per connection (handlers may wait for the
 * disk), bounded by max_connections; a request that takes longer than request_timeout
 * (slow upload included) or a connection idle for idle_timeout is closed. SIGINT or SIGTERM
 * stops accepting, lets the requests in flight finish (their batches are durable before
 * they are answered) for up to shutdown_timeout, then closes every store. A settler thread
 * settles every tenant at start and every settle_interval seconds (api.h raas_api_settle).
 */
#ifndef RAAS_SERVER_SERVER_H
#define RAAS_SERVER_SERVER_H

#include <stdio.h>

#include "raas/error.h"
#include "server/api.h"

struct raas_server_options {
	struct raas_api_options api;
	const char *listen;        /* HOST:PORT; port 0 picks a free one */
	unsigned max_connections;  /* default 256 */
	unsigned request_timeout;  /* seconds, default 60 */
	unsigned idle_timeout;     /* seconds, default 30 */
	unsigned shutdown_timeout; /* seconds, default 30 */
	unsigned settle_interval;  /* seconds between settling every tenant; 0: never */
	FILE *announce;            /* gets {"listening":"HOST:PORT"} once listening */
	FILE *access_log;          /* one JSON line per request; NULL: none */
};

/* Serves until SIGINT or SIGTERM. RAAS_E_INPUT for a bad listen address, RAAS_E_STORAGE
 * when the address cannot be bound or the data directory cannot be served. */
RAAS_WUR raas_rc raas_server_run(const struct raas_server_options *opt, struct raas_err *err);

#endif
