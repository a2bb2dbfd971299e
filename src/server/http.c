/* http.c — libmicrohttpd glue for `raas serve`: the listening socket, bodies collected up to
 * the limit, the request handed to api.c, the access log, limits and graceful shutdown.
 *
 * URLs are given to the API undecoded (an identity unescape callback): a result id's "%2F"
 * must stay inside its path segment, so api.c decodes each segment and argument itself.
 *
 * libmicrohttpd is loaded (dlopen) when the server starts, not linked: with it and the TLS
 * libraries it pulls in (gnutls, nettle, gmp, ...), every other command — `raas ingest`
 * runs once per chunk of events — took 1.9 ms longer to start (measured: 3.8 ms against
 * 1.8 ms for a program linked with libcrypto alone).
 */
#include "server/server.h"

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "raas/time.h"

#define HOST_TEXT_MAX 1025 /* NI_MAXHOST, which POSIX leaves out */

/* The libmicrohttpd functions the server uses, from the shared library (see the top). */
#define MHD_SONAME "libmicrohttpd.so.12"
static struct {
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_get_connection_values) *get_connection_values;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_quiesce_daemon) *quiesce_daemon;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
} mhd;

/* POSIX's way to store what dlsym returns into a function pointer. */
#define LOAD_MHD(lib, name) (*(void **)&mhd.name = dlsym(lib, "MHD_" #name))

static raas_rc load_mhd(struct raas_err *err)
{
	void *lib;

	if (mhd.start_daemon)
		return RAAS_OK;
	if (!(lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return raas_err_set(err, RAAS_E_STORAGE, NULL,
		                    "cannot load libmicrohttpd (%s), which `raas serve` needs: %s "
		                    "(Debian package libmicrohttpd12)",
		                    MHD_SONAME, dlerror());
	if (!(LOAD_MHD(lib, add_response_header) && LOAD_MHD(lib, create_response_from_buffer) &&
	      LOAD_MHD(lib, destroy_response) && LOAD_MHD(lib, get_connection_info) &&
	      LOAD_MHD(lib, get_connection_values) && LOAD_MHD(lib, get_daemon_info) &&
	      LOAD_MHD(lib, lookup_connection_value) && LOAD_MHD(lib, queue_response) &&
	      LOAD_MHD(lib, quiesce_daemon) && LOAD_MHD(lib, start_daemon) &&
	      LOAD_MHD(lib, stop_daemon))) {
		memset(&mhd, 0, sizeof mhd);
		return raas_err_set(err, RAAS_E_STORAGE, NULL, "%s lacks a function raas needs: %s",
		                    MHD_SONAME, dlerror());
	}
	return RAAS_OK;
}

struct server {
	const struct raas_server_options *opt;
	struct raas_api *api;
	size_t max_body;
	_Atomic int in_flight; /* requests being answered */
	pthread_mutex_t log_mu;
	/* The settler: settles every tenant every settle_interval seconds until stopping. */
	pthread_t settler, deliverer;
	bool settler_started, deliverer_started, stopping;
	pthread_mutex_t settle_mu;
	pthread_cond_t settle_cv;
};

/* The deliverer: attempts what is due, then looks again a fifth of a second later. */
static void *deliverer_main(void *arg)
{
	struct server *sv = arg;

	raas_api_load_webhooks(sv->api);
	pthread_mutex_lock(&sv->settle_mu);
	while (!sv->stopping) {
		struct timespec until;
		pthread_mutex_unlock(&sv->settle_mu);
		raas_api_deliver(sv->api);
		pthread_mutex_lock(&sv->settle_mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!sv->stopping &&
		       pthread_cond_timedwait(&sv->settle_cv, &sv->settle_mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&sv->settle_mu);
	return NULL;
}

static void *settler_main(void *arg)
{
	struct server *sv = arg;

	pthread_mutex_lock(&sv->settle_mu);
	while (!sv->stopping) {
		struct timespec until;
		pthread_mutex_unlock(&sv->settle_mu);
		raas_api_settle(sv->api, sv->opt->access_log);
		pthread_mutex_lock(&sv->settle_mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)sv->opt->settle_interval;
		while (!sv->stopping &&
		       pthread_cond_timedwait(&sv->settle_cv, &sv->settle_mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&sv->settle_mu);
	return NULL;
}

/* One request's state, from its first callback to its completion. */
struct pending {
	struct raas_buf body;
	bool too_large;
	bool counted; /* in in_flight */
	struct timespec started;
	struct raas_buf query; /* the raw query, rebuilt from MHD's arguments */
};

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Keeps URLs and arguments as they came. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct raas_buf *q = cls;

	(void)kind;
	if ((q->len && raas_buf_putc(q, '&')) || raas_buf_puts(q, key) ||
	    (value && (raas_buf_putc(q, '=') || raas_buf_puts(q, value))))
		return MHD_NO;
	return MHD_YES;
}

static void access_log(struct server *sv, struct MHD_Connection *conn, const char *method,
                       const char *url, const struct raas_http_response *res, double secs)
{
	const union MHD_ConnectionInfo *ci =
	        mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[HOST_TEXT_MAX] = "-", t[RAAS_TIME_FORMAT_MAX];
	struct timespec now;
	struct raas_buf b;

	if (!sv->opt->access_log)
		return;
	if (ci && ci->client_addr)
		(void)getnameinfo(ci->client_addr,
		                  ci->client_addr->sa_family == AF_INET6
		                          ? sizeof(struct sockaddr_in6)
		                          : sizeof(struct sockaddr_in),
		                  host, sizeof host, NULL, 0, NI_NUMERICHOST);
	clock_gettime(CLOCK_REALTIME, &now);
	raas_time_format((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000, 0, t);
	raas_buf_init(&b, 65536);
	if (!raas_buf_printf(&b, "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":", t, host) &&
	    !raas_json_write_text(&b, method, strlen(method)) && !raas_buf_puts(&b, ",\"path\":") &&
	    !raas_json_write_text(&b, url, strlen(url) > 2048 ? 2048 : strlen(url)) &&
	    !raas_buf_printf(&b, ",\"status\":%u,\"bytes\":%zu,\"seconds\":%.6f,\"tenant\":",
	                     res->status, res->body.len, secs) &&
	    !(res->tenant[0] ? raas_json_write_string(&b, res->tenant, strlen(res->tenant))
	                     : raas_buf_puts(&b, "null")) &&
	    !raas_buf_puts(&b, ",\"key\":") &&
	    !(res->key_id[0] ? raas_json_write_string(&b, res->key_id, strlen(res->key_id))
	                     : raas_buf_puts(&b, "null")) &&
	    !raas_buf_puts(&b, "}\n")) {
		pthread_mutex_lock(&sv->log_mu);
		fwrite(b.data, 1, b.len, sv->opt->access_log);
		fflush(sv->opt->access_log);
		pthread_mutex_unlock(&sv->log_mu);
	}
	raas_buf_free(&b);
}

static enum MHD_Result send_response(struct server *sv, struct MHD_Connection *conn,
                                     const char *method, const char *url,
                                     const struct raas_http_response *res, struct pending *p)
{
	struct MHD_Response *r = mhd.create_response_from_buffer(
	        res->body.len, res->body.data ? res->body.data : (void *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;
	double secs = seconds_since(&p->started);

	if (!r)
		return MHD_NO;
	(void)mhd.add_response_header(r, "Content-Type", res->content_type);
	if (res->allow)
		(void)mhd.add_response_header(r, "Allow", res->allow);
	if (res->retry_after) {
		char v[16];
		snprintf(v, sizeof v, "%u", res->retry_after);
		(void)mhd.add_response_header(r, "Retry-After", v);
	}
	ok = mhd.queue_response(conn, res->status, r);
	mhd.destroy_response(r);
	raas_api_count_request(sv->api, res->status, secs);
	access_log(sv, conn, method, url, res, secs);
	return ok;
}

static enum MHD_Result simple_error(struct server *sv, struct MHD_Connection *conn,
                                    const char *method, const char *url, struct pending *p,
                                    unsigned status, const char *code, const char *message)
{
	struct raas_http_response res;
	enum MHD_Result ok;

	raas_http_response_init(&res);
	res.status = status;
	if (raas_buf_printf(&res.body, "{\"error\":{\"code\":\"%s\",\"message\":", code) ||
	    raas_json_write_text(&res.body, message, strlen(message)) ||
	    raas_buf_puts(&res.body, ",\"details\":[]}}"))
		res.status = 500;
	ok = send_response(sv, conn, method, url, &res, p);
	raas_http_response_free(&res);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct server *sv = cls;
	struct pending *p = *con_cls;
	struct raas_http_request req;
	struct raas_http_response res;
	enum MHD_Result ok;

	(void)version;
	if (!p) {
		if (!(p = raas_calloc(1, sizeof *p)))
			return MHD_NO;
		raas_buf_init(&p->body, sv->max_body + 1);
		raas_buf_init(&p->query, 1 << 16);
		clock_gettime(CLOCK_MONOTONIC, &p->started);
		p->counted = true;
		sv->in_flight++;
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (seconds_since(&p->started) > sv->opt->request_timeout)
			return simple_error(sv, conn, method, url, p, 408, "timeout",
			                    "the request took too long to arrive");
		if (!p->too_large &&
		    raas_buf_append(&p->body, upload_data, *upload_data_size) != RAAS_OK) {
			p->too_large = true;
			raas_buf_free(&p->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (p->too_large) {
		char msg[96];
		snprintf(msg, sizeof msg, "the body is larger than %zu bytes", sv->max_body);
		return simple_error(sv, conn, method, url, p, 413, "too_large", msg);
	}
	if (mhd.get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &p->query) < 0)
		return MHD_NO;
	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = url;
	if (!raas_http_request_parse(&req, url, p->query.len ? p->query.data : NULL))
		return simple_error(
		        sv, conn, method, url, p, 400, "malformed",
		        "the request target is not well-formed (bad percent-encoding?)");
	req.authorization =
	        mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.content_type =
	        mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.body = p->body.data ? p->body.data : "";
	req.body_len = p->body.len;
	raas_http_response_init(&res);
	raas_api_handle(sv->api, &req, &res);
	ok = send_response(sv, conn, method, url, &res, p);
	raas_http_response_free(&res);
	raas_http_request_free(&req);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct server *sv = cls;
	struct pending *p = *con_cls;

	(void)conn;
	(void)toe;
	if (!p)
		return;
	if (p->counted)
		sv->in_flight--;
	raas_buf_free(&p->body);
	raas_buf_free(&p->query);
	raas_free(p);
	*con_cls = NULL;
}

/* HOST:PORT ([V6]:PORT for IPv6) into an address. */
static raas_rc resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                       struct raas_err *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hlen;
	struct addrinfo hints, *ai = NULL;
	int e;

	if (!colon || !colon[1])
		return raas_err_set(err, RAAS_E_INPUT, "--listen", "expected HOST:PORT, got '%s'",
		                    listen);
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (!hlen || hlen >= sizeof host)
		return raas_err_set(err, RAAS_E_INPUT, "--listen", "expected HOST:PORT, got '%s'",
		                    listen);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	for (const char *c = colon + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return raas_err_set(err, RAAS_E_INPUT, "--listen", "not a port: '%s'",
			                    colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(host, colon + 1, &hints, &ai)) != 0 || !ai)
		return raas_err_set(err, RAAS_E_INPUT, "--listen", "cannot resolve '%s': %s", host,
		                    gai_strerror(e));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return RAAS_OK;
}

raas_rc raas_server_run(const struct raas_server_options *opt, struct raas_err *err)
{
	struct server sv;
	struct MHD_Daemon *d;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	sigset_t stop;
	const union MHD_DaemonInfo *info;
	char host[HOST_TEXT_MAX];
	int sig = 0;
	raas_rc rc;

	memset(&sv, 0, sizeof sv);
	sv.opt = opt;
	pthread_mutex_init(&sv.settle_mu, NULL);
	pthread_cond_init(&sv.settle_cv, NULL);
	sv.max_body = opt->api.max_body ? opt->api.max_body : RAAS_API_DEFAULT_MAX_BODY;
	pthread_mutex_init(&sv.log_mu, NULL);
	if ((rc = load_mhd(err)) || (rc = resolve(opt->listen, &ss, &sslen, err)))
		goto out;
	if ((rc = raas_api_new(&opt->api, &sv.api, err)))
		goto out;
	/* The threads MHD starts inherit this mask: only sigwait below sees the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = mhd.start_daemon(
	        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	        0, NULL, NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	        MHD_OPTION_CONNECTION_LIMIT, opt->max_connections ? opt->max_connections : 256,
	        MHD_OPTION_CONNECTION_TIMEOUT, opt->idle_timeout ? opt->idle_timeout : 30,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv, MHD_OPTION_UNESCAPE_CALLBACK,
	        no_unescape, NULL, MHD_OPTION_END);
	if (!d) {
		rc = raas_err_set(err, RAAS_E_STORAGE, "--listen", "cannot listen on %s: %s",
		                  opt->listen, strerror(errno));
		goto out;
	}
	info = mhd.get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, NULL, 0,
	                NI_NUMERICHOST) != 0)
		snprintf(host, sizeof host, "?");
	if (opt->announce) {
		fprintf(opt->announce, "{\"listening\":\"%s%s%s:%u\"}\n",
		        ss.ss_family == AF_INET6 ? "[" : "", host,
		        ss.ss_family == AF_INET6 ? "]" : "", info ? (unsigned)info->port : 0u);
		fflush(opt->announce);
	}
	if (opt->settle_interval)
		sv.settler_started = pthread_create(&sv.settler, NULL, settler_main, &sv) == 0;
	sv.deliverer_started = pthread_create(&sv.deliverer, NULL, deliverer_main, &sv) == 0;
	while (sigwait(&stop, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	/* Stop accepting first; then the settler finishes the tenant it is settling (its batch
	 * is durable) and the deliverer its attempt, while requests in flight finish. */
	mhd.quiesce_daemon(d);
	raas_api_stop(sv.api);
	pthread_mutex_lock(&sv.settle_mu);
	sv.stopping = true;
	pthread_cond_broadcast(&sv.settle_cv);
	pthread_mutex_unlock(&sv.settle_mu);
	if (sv.settler_started)
		pthread_join(sv.settler, NULL);
	if (sv.deliverer_started) /* (an attempt under way ends within its timeouts) */
		pthread_join(sv.deliverer, NULL);
	for (unsigned waited = 0;
	     sv.in_flight > 0 &&
	     waited < 100 * (opt->shutdown_timeout ? opt->shutdown_timeout : 30);
	     waited++)
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	mhd.stop_daemon(d);
	rc = RAAS_OK;
out:
	raas_api_free(sv.api);
	pthread_mutex_destroy(&sv.log_mu);
	pthread_mutex_destroy(&sv.settle_mu);
	pthread_cond_destroy(&sv.settle_cv);
	return rc;
}
