/* cmd_serve.c — `raas serve`: the multi-tenant HTTP API of server.md over the --data
 * directory (src/server). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "server/webhooks.h"

static const struct raas_cli_option options[] = {
        {"listen", 0, "HOST:PORT",
         "the address to listen on (default 127.0.0.1:8080; port 0 picks a free port; "
         "[V6]:PORT for IPv6)"},
        {"max-body", 0, "BYTES", "largest request body (default 16777216, events.md's limit)"},
        {"max-batch", 0, "N", "most events in one POST /v1/events (default 10000)"},
        {"max-connections", 0, "N", "connections served at once; more wait (default 256)"},
        {"request-timeout", 0, "SECONDS",
         "longest time a request may take to arrive, slow uploads included (default 60)"},
        {"idle-timeout", 0, "SECONDS", "an idle connection is closed after it (default 30)"},
        {"shutdown-timeout", 0, "SECONDS",
         "on SIGINT/SIGTERM, how long requests in flight may still run (default 30)"},
        {"settle-interval", 0, "SECONDS",
         "lock every period whose lock time has come, store its invoice and sign "
         "checkpoints: at start, then every SECONDS (default 60; 0: never)"},
        {"webhook-backoff", 0, "SECONDS",
         "wait before the first retry of a failed webhook delivery; doubling up to an hour, "
         "for at least 24 hours (default 10)"},
        {"webhook-timeout", 0, "SECONDS",
         "per step (connect, TLS handshake, send, answer) of a webhook "
         "delivery (default 10)"},
        {"webhook-ca", 0, "FILE",
         "PEM certificates that https webhook endpoints' certificates must chain to "
         "(default: the system's trusted certificates)"},
        {"rate-limit", 0, "N",
         "requests a second one key may make, in bursts of as many (default 1000; 0: no "
         "limit); more answer 429 with Retry-After"},
        {"access-log", 0, "FILE",
         "append one JSON line per request to FILE (- : stderr, "
         "the default; none: no log)"},
        {"now", 0, "T",
         "a fixed clock (RFC 3339) for every request instead of the real one (tests, demos)"},
        {NULL, 0, NULL, NULL},
};

/* A whole number option from 1 to max (0 when absent); exit 2 on a bad value. */
static int number(struct raas_cli *cli, const char *name, unsigned long long max,
                  unsigned long long *out)
{
	const char *v = raas_cli_option_value(cli, name);
	char *end;

	*out = 0;
	if (!v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (!*v || *end || errno || *out < 1 || *out > max) {
		fprintf(cli->err, "--%s: must be a whole number from 1 to %llu\n", name, max);
		return 2;
	}
	return 0;
}

static int run_serve(struct raas_cli *cli)
{
	struct raas_server_options opt;
	unsigned long long body, batch, conns, rt, it, st, si = 60, wb, wt, rl = 1000;
	const char *rl_opt = raas_cli_option_value(cli, "rate-limit");
	const char *si_opt = raas_cli_option_value(cli, "settle-interval");
	const char *log = raas_cli_option_value(cli, "access-log");
	struct raas_err err;
	FILE *logf = cli->err;
	int rc;

	memset(&opt, 0, sizeof opt);
	raas_err_clear(&err);
	if ((rc = number(cli, "max-body", (size_t)1 << 34, &body)) ||
	    (rc = number(cli, "max-batch", 10000000, &batch)) ||
	    (rc = number(cli, "max-connections", 65536, &conns)) ||
	    (rc = number(cli, "request-timeout", 86400, &rt)) ||
	    (rc = number(cli, "idle-timeout", 86400, &it)) ||
	    (rc = number(cli, "shutdown-timeout", 86400, &st)) ||
	    (rc = number(cli, "webhook-backoff", 3600, &wb)) ||
	    (rc = number(cli, "webhook-timeout", 3600, &wt)))
		return rc;
	if (si_opt && strcmp(si_opt, "0") && (rc = number(cli, "settle-interval", 86400, &si)))
		return rc;
	if (si_opt && !strcmp(si_opt, "0"))
		si = 0;
	if (rl_opt && strcmp(rl_opt, "0") && (rc = number(cli, "rate-limit", 1000000000, &rl)))
		return rc;
	if (rl_opt && !strcmp(rl_opt, "0"))
		rl = 0;
	if (raas_cli_option_value(cli, "now")) {
		if ((rc = raas_cli_now(cli, &opt.api.clock_us)))
			return rc;
		opt.api.fixed_clock = true;
	}
	if (log && !strcmp(log, "none"))
		logf = NULL;
	else if (log && strcmp(log, "-") && !(logf = fopen(log, "a"))) {
		fprintf(cli->err, "--access-log: %s: cannot open: %s\n", log, strerror(errno));
		return 2;
	}
	opt.api.dir = cli->data_dir;
	opt.api.max_body = (size_t)body;
	opt.api.max_batch = (size_t)batch;
	opt.listen = raas_cli_option_value(cli, "listen");
	if (!opt.listen)
		opt.listen = "127.0.0.1:8080";
	opt.max_connections = (unsigned)conns;
	opt.request_timeout = rt ? (unsigned)rt : 60;
	opt.idle_timeout = (unsigned)it;
	opt.shutdown_timeout = (unsigned)st;
	opt.settle_interval = (unsigned)si;
	opt.api.webhook_backoff_us = (int64_t)wb * 1000000;
	opt.api.webhook_timeout_ms = (int)wt * 1000;
	opt.api.webhook_ca = raas_cli_option_value(cli, "webhook-ca");
	if (opt.api.webhook_ca && raas_webhook_check_ca(opt.api.webhook_ca, &err) != RAAS_OK) {
		if (logf && logf != cli->err)
			fclose(logf);
		return raas_cli_fail(cli, &err);
	}
	opt.api.rate_limit = (unsigned)rl;
	opt.announce = cli->out;
	opt.access_log = logf;
	rc = raas_server_run(&opt, &err) ? raas_cli_fail(cli, &err) : 0;
	if (logf && logf != cli->err)
		fclose(logf);
	return rc;
}

const struct raas_cli_command raas_cmd_serve = {
        .name = "serve",
        .synopsis = "",
        .summary = "serve the data directory's tenants over HTTP (server.md)",
        .description =
                "Serves every tenant of the --data directory over the JSON API of server.md\n"
                "(docs/server.md): keys with roles (raas tenant create/key make them), events,\n"
                "contracts, invoices, results, keys, /healthz and /metrics. Prints\n"
                "{\"listening\":\"HOST:PORT\"} on stdout once it accepts connections, then one\n"
                "JSON line per request on the access log. SIGINT or SIGTERM stops accepting,\n"
                "lets the requests in flight finish and exits 0. While it runs it holds each\n"
                "tenant it served; other raas commands on those tenants wait for it.\n",
        .options = options,
        .min_args = 0,
        .max_args = 0,
        .run = run_serve,
};
