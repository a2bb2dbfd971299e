/* api.c — the endpoints of server.md: routing, keys and roles, tenant and customer isolation,
 * and each handler over the engine (ingest, service, settle). Errors are
 * {"error":{"code","message","details":[{"path","message"}]}} with the statuses of
 * server.md; whatever is not the caller's answers 404 exactly like what does not exist.
 */
#include "server/api.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "base/map.h"
#include "contract/contract.h"
#include "evidence/bundle.h"
#include "ingest/ingest.h"
#include "raas/time.h"
#include "server/keys.h"
#include "server/webhooks.h"
#include "service/service.h"
#include "settle/load.h"
#include "settle/settle.h"
#include "store/store.h"

/* Dates and clocks a request may ask about: 1970-01-01 up to 2299-12-31 (UTC). Settling a
 * period costs time linear in the periods before it, so a far-away date is work any reader
 * could ask for; these bounds keep every answer under a second (docs/decisions.md). */
#define FIRST_DAY 0              /* 1970-01-01 */
#define LAST_DAY INT64_C(120529) /* 2299-12-31 */

struct tenant {
	char *name;
	pthread_mutex_t mu;       /* one request of this tenant at a time (but see flushing) */
	struct raas_store *store; /* opened on first use, kept */
	pthread_mutex_t keys_mu;  /* keys and keys_stamp (held briefly, never while waiting) */
	struct raas_keyring keys;
	uint64_t keys_stamp[3]; /* of the keys file keys was read from */
	/* Group commit of event batches: requests append their events to the store's pending
	 * batch under mu; one of them (the leader) makes it durable with mu released meanwhile,
	 * so the next requests append while the disk works. Batches are numbered: the one being
	 * filled is batch_no; durable_no and lost_no are the last made durable and the last
	 * whose events were dropped by a failed commit. */
	pthread_cond_t cv;
	bool flushing;
	unsigned preparing;            /* event requests between taking their clock and accepting */
	uint64_t next_ticket, serving; /* event requests accept in the order of their clocks */
	int64_t last_clock;            /* the latest clock given to an event request, or the floor a
	                                  settling pass set (its clock + 1 µs) */
	struct {
		uint64_t lo, hi;
	} lost[16]; /* batches dropped by failed commits, the latest 16 failures */
	size_t nlost;
	uint64_t batch_no, durable_no, lost_no;
	int64_t batch_clock; /* the latest clock of the requests in the batch being filled */
	/* A settling pass signs the checkpoints of invoices it stored without the lock: until it
	 * is done, evidence requests wait (on cv), so a locked invoice is never seen without the
	 * checkpoint covering it. */
	bool signing;
	struct raas_webhooks *webhooks; /* read on first use */
	/* Rate limiting: a token bucket per key id (the map's values index buckets). */
	struct raas_strmap bucket_of;
	struct bucket {
		char id[RAAS_KEY_ID_HEX + 1];
		double tokens;
		int64_t at_us;
	} * buckets;
	size_t nbuckets, cap_buckets;
};

struct raas_api {
	char *dir;
	size_t max_body, max_batch;
	int64_t webhook_backoff_us;
	int webhook_timeout_ms;
	const char *webhook_ca;
	unsigned rate_limit;
	bool fixed_clock;
	int64_t clock_us;

	_Atomic bool stopping; /* raas_api_stop: passes and deliveries end early */

	pthread_mutex_t mu; /* the tenant list and its key index */
	struct tenant **tenants;
	size_t ntenants, cap_tenants;

	/* Counters for /metrics. */
	_Atomic uint64_t requests[6]; /* by status class: 1xx..5xx, index 0 unused */
	_Atomic uint64_t latency_us_sum, latency_count;
	_Atomic uint64_t latency_buckets[8];
	_Atomic uint64_t events_accepted, events_duplicate, events_rejected, events_conflict,
	        events_unmatched, invoices_locked, webhook_delivered, webhook_failed_attempts;
};

static const double latency_bounds[8] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};

/* ---- requests ---- */

/* Percent-decodes n bytes at s into a new string ("+" is a space in a query). NULL for bad
 * encoding or a NUL byte. */
static char *decode(const char *s, size_t n, bool query)
{
	char *out = raas_malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad;
			hi = raas_hex_digit((unsigned char)s[i + 1]);
			lo = raas_hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && query) {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		*o++ = c;
	}
	*o = '\0';
	return out;
bad:
	raas_free(out);
	return NULL;
}

void raas_http_request_free(struct raas_http_request *req)
{
	for (size_t i = 0; i < req->nsegments; i++)
		raas_free(req->segments[i]);
	raas_free(req->segments);
	for (size_t i = 0; i < req->nargs; i++) {
		raas_free(req->args[i].name);
		raas_free(req->args[i].value);
	}
	raas_free(req->args);
	req->segments = NULL;
	req->args = NULL;
	req->nsegments = req->nargs = 0;
}

bool raas_http_request_parse(struct raas_http_request *req, const char *path, const char *query)
{
	size_t n = 0;

	req->segments = NULL;
	req->args = NULL;
	req->nsegments = req->nargs = 0;
	if (!path || path[0] != '/')
		return false;
	for (const char *p = path; *p; p++)
		n += *p == '/';
	if (!(req->segments = raas_calloc(n, sizeof *req->segments)))
		return false;
	for (const char *p = path + 1;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (!(req->segments[req->nsegments] = decode(p, len, false)))
			goto bad;
		req->nsegments++;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (query && *query) {
		n = 1;
		for (const char *p = query; *p; p++)
			n += *p == '&';
		if (!(req->args = raas_calloc(n, sizeof *req->args)))
			goto bad;
		for (const char *p = query;;) {
			const char *amp = strchr(p, '&'), *eq;
			size_t len = amp ? (size_t)(amp - p) : strlen(p);
			eq = memchr(p, '=', len);
			if (len) {
				struct raas_http_arg *a = &req->args[req->nargs];
				a->name = decode(p, eq ? (size_t)(eq - p) : len, true);
				a->value = eq ? decode(eq + 1, len - (size_t)(eq + 1 - p), true)
				              : raas_strdup("");
				req->nargs++;
				if (!a->name || !a->value)
					goto bad;
			}
			if (!amp)
				break;
			p = amp + 1;
		}
	}
	return true;
bad:
	raas_http_request_free(req);
	return false;
}

static const char *arg(const struct raas_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nargs; i++)
		if (!strcmp(req->args[i].name, name))
			return req->args[i].value;
	return NULL;
}

/* ---- responses ---- */

void raas_http_response_init(struct raas_http_response *res)
{
	memset(res, 0, sizeof *res);
	res->status = 500;
	res->content_type = "application/json";
	raas_buf_init(&res->body, (size_t)1 << 32);
}

void raas_http_response_free(struct raas_http_response *res)
{
	raas_buf_free(&res->body);
}

struct detail {
	const char *path;
	const char *message;
};

static void fail_details(struct raas_http_response *res, unsigned status, const char *code,
                         const struct detail *details, size_t n, const char *fmt, ...)
        RAAS_PRINTF(6, 7);

static void fail_details(struct raas_http_response *res, unsigned status, const char *code,
                         const struct detail *details, size_t n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	raas_rc rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	res->status = status;
	res->content_type = "application/json";
	raas_buf_reset(&res->body);
	rc = raas_buf_printf(&res->body, "{\"error\":{\"code\":\"%s\",\"message\":", code);
	if (!rc)
		rc = raas_json_write_text(&res->body, msg, strlen(msg));
	if (!rc)
		rc = raas_buf_puts(&res->body, ",\"details\":[");
	for (size_t i = 0; i < n && !rc; i++) {
		rc = raas_buf_puts(&res->body, i ? ",{\"path\":" : "{\"path\":");
		if (!rc)
			rc = raas_json_write_text(&res->body, details[i].path,
			                          strlen(details[i].path));
		if (!rc)
			rc = raas_buf_puts(&res->body, ",\"message\":");
		if (!rc)
			rc = raas_json_write_text(&res->body, details[i].message,
			                          strlen(details[i].message));
		if (!rc)
			rc = raas_buf_putc(&res->body, '}');
	}
	if (!rc)
		rc = raas_buf_puts(&res->body, "]}}");
	if (rc) {
		res->status = 500;
		raas_buf_reset(&res->body);
		if (raas_buf_puts(&res->body, "{\"error\":{\"code\":\"internal\",\"message\":"
		                              "\"out of memory\",\"details\":[]}}"))
			res->body.len = 0; /* an empty 500 then */
	}
}

#define fail(res, status, code, ...) fail_details(res, status, code, NULL, 0, __VA_ARGS__)

static void fail_err(struct raas_http_response *res, const struct raas_err *err)
{
	const char *msg = err->message;
	char full[1024];

	if (err->path[0]) {
		snprintf(full, sizeof full, "%s: %s", err->path, err->message);
		msg = full;
	}
	switch (err->code) {
	case RAAS_E_INPUT:
		fail(res, 422, "invalid", "%s", msg);
		break;
	case RAAS_E_NOMEM:
		fail(res, 503, "overloaded", "out of memory");
		break;
	default:
		fail(res, 500, "storage", "%s", msg);
		break;
	}
}

static void oom(struct raas_http_response *res)
{
	fail(res, 503, "overloaded", "out of memory");
}

static void ok_json(struct raas_http_response *res, unsigned status)
{
	res->status = status;
	res->content_type = "application/json";
}

/* The start of the last line of the n bytes at s (which do not end in a newline). */
static const char *memrchr_compat(const char *s, size_t n)
{
	while (n && s[n - 1] != '\n')
		n--;
	return s + n;
}

/* Turns NDJSON (one document per line) in b into a JSON array, in place. */
static raas_rc ndjson_to_array(struct raas_buf *b)
{
	size_t n = b->len;
	raas_rc rc;

	while (n && b->data[n - 1] == '\n')
		n--;
	b->len = n;
	for (size_t i = 0; i < n; i++)
		if (b->data[i] == '\n')
			b->data[i] = ',';
	if ((rc = raas_buf_reserve(b, 2)))
		return rc;
	memmove(b->data + 1, b->data, n);
	b->data[0] = '[';
	b->data[n + 1] = ']';
	b->len = n + 2;
	b->data[b->len] = '\0';
	return RAAS_OK;
}

/* ---- tenants and keys ---- */

static int64_t real_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t api_clock(const struct raas_api *api)
{
	return api->fixed_clock ? api->clock_us : real_clock();
}

static void tenant_free(struct tenant *t)
{
	if (!t)
		return;
	raas_store_close(t->store);
	raas_webhooks_free(t->webhooks);
	raas_strmap_free(&t->bucket_of);
	raas_free(t->buckets);
	raas_keys_free(&t->keys);
	pthread_mutex_destroy(&t->mu);
	pthread_mutex_destroy(&t->keys_mu);
	pthread_cond_destroy(&t->cv);
	raas_free(t->name);
	raas_free(t);
}

static struct tenant *tenant_named(struct raas_api *api, const char *name)
{
	for (size_t i = 0; i < api->ntenants; i++)
		if (!strcmp(api->tenants[i]->name, name))
			return api->tenants[i];
	return NULL;
}

/* Adds the tenants that appeared since the last look and re-reads every key file (under
 * api->mu; a tenant's keyring is replaced under its own lock). */
static raas_rc reload(struct raas_api *api, struct raas_err *err)
{
	char **names;
	size_t n;
	raas_rc rc;

	if ((rc = raas_store_tenants(api->dir, &names, &n, err)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		struct tenant *t = tenant_named(api, names[i]);
		struct raas_keyring k;
		if (!t) {
			if (api->ntenants == api->cap_tenants) {
				size_t cap = api->cap_tenants ? api->cap_tenants * 2 : 8;
				struct tenant **l = raas_realloc(api->tenants, cap * sizeof *l);
				if (!l) {
					rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
					break;
				}
				api->tenants = l;
				api->cap_tenants = cap;
			}
			if (!(t = raas_calloc(1, sizeof *t)) ||
			    !(t->name = raas_strdup(names[i]))) {
				raas_free(t);
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
				break;
			}
			pthread_mutex_init(&t->mu, NULL);
			pthread_mutex_init(&t->keys_mu, NULL);
			pthread_cond_init(&t->cv, NULL);
			t->batch_no = 1;
			t->batch_clock = INT64_MIN;
			api->tenants[api->ntenants++] = t;
		}
		uint64_t stamp[3];
		bool same;
		raas_store_tenant_file_stamp(api->dir, t->name, "keys", stamp);
		pthread_mutex_lock(&t->keys_mu);
		same = !memcmp(stamp, t->keys_stamp, sizeof stamp) && stamp[0];
		pthread_mutex_unlock(&t->keys_mu);
		if (same)
			continue; /* unchanged since it was read */
		if (raas_keys_load(api->dir, t->name, &k, err) != RAAS_OK) {
			/* One tenant's damaged keys file must not stop the others. */
			fprintf(stderr, "{\"keys_unreadable\":\"%s\"}\n", t->name);
			continue;
		}
		pthread_mutex_lock(&t->keys_mu);
		raas_keys_free(&t->keys);
		t->keys = k;
		memcpy(t->keys_stamp, stamp, sizeof stamp);
		pthread_mutex_unlock(&t->keys_mu);
	}
	for (size_t i = 0; i < n; i++)
		raas_free(names[i]);
	raas_free(names);
	return rc;
}

raas_rc raas_api_new(const struct raas_api_options *opt, struct raas_api **out,
                     struct raas_err *err)
{
	struct raas_api *api = raas_calloc(1, sizeof *api);
	raas_rc rc;

	if (!api || !(api->dir = raas_strdup(opt->dir))) {
		raas_free(api);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	api->max_body = opt->max_body ? opt->max_body : RAAS_API_DEFAULT_MAX_BODY;
	api->max_batch = opt->max_batch ? opt->max_batch : RAAS_API_DEFAULT_MAX_BATCH;
	api->webhook_backoff_us =
	        opt->webhook_backoff_us ? opt->webhook_backoff_us : INT64_C(10) * 1000000;
	api->webhook_timeout_ms = opt->webhook_timeout_ms ? opt->webhook_timeout_ms : 10000;
	api->webhook_ca = opt->webhook_ca;
	api->rate_limit = opt->rate_limit;
	api->fixed_clock = opt->fixed_clock;
	api->clock_us = opt->clock_us;
	pthread_mutex_init(&api->mu, NULL);
	if ((rc = reload(api, err))) {
		raas_api_free(api);
		return rc;
	}
	*out = api;
	return RAAS_OK;
}

void raas_api_free(struct raas_api *api)
{
	if (!api)
		return;
	for (size_t i = 0; i < api->ntenants; i++)
		tenant_free(api->tenants[i]);
	raas_free(api->tenants);
	pthread_mutex_destroy(&api->mu);
	raas_free(api->dir);
	raas_free(api);
}

/* The caller of a request: its tenant (locked while the request runs) and a copy of what
 * its key says (the keyring may be replaced meanwhile). */
struct caller {
	struct tenant *t;
	enum raas_role role;
	const char *customer; /* the key's customer (in customer_buf), or NULL */
	char customer_buf[RAAS_EVENT_MAX_TEXT + 1];
	char id[RAAS_KEY_ID_HEX + 1];
};

/* Finds the key of the Authorization header; on success the tenant is locked. */
static bool authenticate(struct raas_api *api, const struct raas_http_request *req,
                         struct caller *c, struct raas_http_response *res)
{
	const char *h = req->authorization, *text;
	char id[RAAS_KEY_ID_HEX + 1];
	size_t len;

	if (!h) {
		fail(res, 401, "unauthorized", "an Authorization: Bearer KEY header is required");
		return false;
	}
	if (strncmp(h, "Bearer ", 7)) {
		fail(res, 401, "unauthorized", "the Authorization header must be: Bearer KEY");
		return false;
	}
	text = h + 7;
	len = strlen(text);
	if (!raas_key_text_id(text, len, id)) {
		fail(res, 401, "unauthorized", "not a raas key");
		return false;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		pthread_mutex_lock(&api->mu);
		if (attempt == 1) {
			/* A tenant or key made by the CLI since: look for new tenants and re-read
			 * the key files that changed (a directory listing and a stat per tenant).
			 */
			struct raas_err err;
			if (reload(api, &err) != RAAS_OK) {
				pthread_mutex_unlock(&api->mu);
				break;
			}
		}
		for (size_t i = 0; i < api->ntenants; i++) {
			struct tenant *t = api->tenants[i];
			const struct raas_key *k;
			pthread_mutex_lock(&t->keys_mu);
			if (raas_keys_find(&t->keys, id)) {
				pthread_mutex_unlock(&api->mu);
				k = raas_keys_check(&t->keys, text, len);
				if (k) {
					c->t = t;
					c->role = k->role;
					snprintf(c->id, sizeof c->id, "%s", k->id);
					c->customer = k->customer ? c->customer_buf : NULL;
					snprintf(c->customer_buf, sizeof c->customer_buf, "%s",
					         k->customer ? k->customer : "");
				}
				pthread_mutex_unlock(&t->keys_mu);
				if (!k) {
					fail(res, 401, "unauthorized", "the key is not valid");
					return false;
				}
				/* Only now the tenant: waiting for it holds up nobody else. */
				pthread_mutex_lock(&t->mu);
				snprintf(res->tenant, sizeof res->tenant, "%s", t->name);
				snprintf(res->key_id, sizeof res->key_id, "%s", c->id);
				return true;
			}
			pthread_mutex_unlock(&t->keys_mu);
		}
		pthread_mutex_unlock(&api->mu);
	}
	fail(res, 401, "unauthorized", "the key is not valid");
	return false;
}

/* Waits (the tenant locked) until no commit is running and, when alone, until no request's
 * events are waiting for one: readers scan the log files, which a running commit is still
 * writing; whoever stores or drops a batch itself must not take others' events with it. */
static void quiesce(struct tenant *t, bool alone)
{
	while (t->flushing ||
	       (alone && (t->preparing || (t->store && raas_store_pending(t->store)))))
		pthread_cond_wait(&t->cv, &t->mu);
}

static void settle_held(struct raas_api *api, struct tenant *t);

/* Opens the tenant's store on first use (the tenant is locked) and waits as quiesce(t,
 * true) does. */
static bool tenant_store(struct raas_api *api, struct tenant *t, struct raas_http_response *res)
{
	struct raas_err err;

	quiesce(t, true);
	if (t->store)
		return true;
	raas_err_clear(&err);
	if (raas_store_open_tenant(api->dir, t->name, true, &t->store, &err) != RAAS_OK) {
		fail_err(res, &err);
		return false;
	}
	settle_held(api, t); /* held by a server that died around its commit */
	return true;
}

/* The tenant's webhooks, read on first use (the tenant is locked); NULL after a failure
 * (err says why). */
static struct raas_webhooks *tenant_webhooks(struct raas_api *api, struct tenant *t,
                                             struct raas_err *err)
{
	if (!t->webhooks && raas_webhooks_load(api->dir, t->name, &t->webhooks, err) != RAAS_OK)
		return NULL;
	return t->webhooks;
}

/* Queues an event for the tenant's webhooks (the tenant is locked): pending at once (mark
 * NULL), or held for mark. The events of a commit are held before it and settled after it
 * (webhooks.h), so that a server that dies between the commit and the queue loses none and
 * sends none for what was not stored; settle_held() releases or drops them by what the
 * store holds. A failure to queue is logged, never the request's failure. */
/* Writes one problem line {"WHAT":"TENANT","error":"MESSAGE"} to f (the message, path first,
 * as a JSON string: it may hold quotes); message NULL: err's. */
static void log_problem(FILE *f, const char *what, const char *tenant, const struct raas_err *err,
                        const char *message)
{
	char text[RAAS_ERR_PATH_MAX + RAAS_ERR_MESSAGE_MAX + 4];
	struct raas_buf line;

	if (message)
		snprintf(text, sizeof text, "%s", message);
	else
		snprintf(text, sizeof text, "%s%s%s", err->path, err->path[0] ? ": " : "",
		         err->message);
	raas_buf_init(&line, 1 << 16);
	if (!raas_buf_printf(&line, "{\"%s\":\"%s\",\"error\":", what, tenant) &&
	    !raas_json_write_text(&line, text, strlen(text)) && !raas_buf_puts(&line, "}\n"))
		fwrite(line.data, 1, line.len, f);
	raas_buf_free(&line);
}

static void emit_many(struct raas_api *api, struct tenant *t, const struct raas_webhook_event *evs,
                      size_t n, const struct raas_store_mark *mark)
{
	struct raas_err err;
	struct raas_webhooks *w;

	raas_err_clear(&err);
	if (n && (!(w = tenant_webhooks(api, t, &err)) ||
	          raas_webhooks_emit_many(w, evs, n, api_clock(api), mark, &err) != RAAS_OK))
		log_problem(stderr, "webhook_queue_failed", t->name, &err, NULL);
}

static void emit(struct raas_api *api, struct tenant *t, unsigned type, const char *data,
                 size_t len, const struct raas_store_mark *mark)
{
	struct raas_webhook_event ev = {type, data, len};

	emit_many(api, t, &ev, 1, mark);
}

static enum raas_mark_state mark_state(void *store, const struct raas_store_mark *m)
{
	return raas_store_mark_state(store, m);
}

/* (the tenant is locked, its store open) */
static void settle_held(struct raas_api *api, struct tenant *t)
{
	struct raas_err err;
	struct raas_webhooks *w;

	raas_err_clear(&err);
	if (!t->store || !(w = tenant_webhooks(api, t, &err)) || !raas_webhooks_holding(w))
		return;
	if (raas_webhooks_settle_held(w, mark_state, t->store, &err) != RAAS_OK)
		log_problem(stderr, "webhook_queue_failed", t->name, &err, NULL);
}

/* What one request's commit holds (raas_store_before_commit): one document of type, the
 * locked invoices of a settling pass, or the unmatched events of an atomic ingest. */
struct commit_events {
	struct raas_api *api;
	struct tenant *t;
	unsigned type;
	const struct raas_buf *doc;
	struct raas_locked *const *locked;
	const size_t *nlocked;
	const struct raas_buf *docs;
	struct raas_ingest *in;
};

static void hold_unmatched(struct raas_api *api, struct tenant *t, struct raas_ingest *in,
                           const struct raas_store_mark *mark)
{
	struct raas_ingest_counts counts;
	struct raas_buf u;

	raas_ingest_get_counts(in, &counts);
	if (!counts.unmatched)
		return;
	raas_buf_init(&u, (size_t)1 << 30);
	if (raas_ingest_write_unmatched(in, &u) == RAAS_OK)
		emit(api, t, RAAS_WH_EVENTS_UNMATCHED, u.data, u.len, mark);
	raas_buf_free(&u);
}

static void hold_for_commit(void *p, const struct raas_store_mark *last)
{
	const struct commit_events *ce = p;

	if (ce->doc)
		emit(ce->api, ce->t, ce->type, ce->doc->data, ce->doc->len, last);
	if (ce->locked && *ce->nlocked) {
		size_t n = *ce->nlocked;
		struct raas_webhook_event *evs = raas_calloc(n, sizeof *evs);
		if (!evs) {
			log_problem(stderr, "webhook_queue_failed", ce->t->name, NULL,
			            "out of memory");
		} else {
			for (size_t k = 0; k < n; k++)
				evs[k] = (struct raas_webhook_event){RAAS_WH_INVOICE_LOCKED,
				                                     ce->docs->data +
				                                             (*ce->locked)[k].off,
				                                     (*ce->locked)[k].len};
			emit_many(ce->api, ce->t, evs, n, last);
			raas_free(evs);
		}
	}
	if (ce->in)
		hold_unmatched(ce->api, ce->t, ce->in, last);
}

/* Takes one token of the caller's bucket (the tenant is locked): false, with a 429, when it
 * is empty. A bucket holds rate_limit tokens and refills rate_limit per second (real time,
 * whatever the request clock). */
static bool take_token(struct raas_api *api, const struct caller *c, struct raas_http_response *res)
{
	struct tenant *t = c->t;
	int64_t now = real_clock();
	uint32_t i;
	struct bucket *b;

	if (!api->rate_limit)
		return true;
	if (!raas_strmap_get(&t->bucket_of, c->id, strlen(c->id), &i)) {
		if (t->nbuckets == t->cap_buckets) {
			size_t cap = t->cap_buckets ? 2 * t->cap_buckets : 16;
			struct bucket *p = raas_realloc(t->buckets, cap * sizeof *p);
			if (!p)
				return true; /* no memory to count with: let it through */
			/* The map's keys point into the buckets: put them again. */
			t->buckets = p;
			t->cap_buckets = cap;
			raas_strmap_free(&t->bucket_of);
			for (size_t k = 0; k < t->nbuckets; k++)
				if (raas_strmap_put(&t->bucket_of, t->buckets[k].id,
				                    strlen(t->buckets[k].id), (uint32_t)k))
					return true;
		}
		i = (uint32_t)t->nbuckets;
		b = &t->buckets[i];
		snprintf(b->id, sizeof b->id, "%s", c->id);
		b->tokens = api->rate_limit;
		b->at_us = now;
		if (raas_strmap_put(&t->bucket_of, b->id, strlen(b->id), i))
			return true;
		t->nbuckets++;
	}
	b = &t->buckets[i];
	b->tokens += (double)(now - b->at_us) / 1e6 * api->rate_limit;
	if (b->tokens > api->rate_limit)
		b->tokens = api->rate_limit;
	b->at_us = now;
	if (b->tokens < 1) {
		res->retry_after = 1;
		fail(res, 429, "rate_limited", "more than %u requests a second with this key",
		     api->rate_limit);
		return false;
	}
	b->tokens -= 1;
	return true;
}

/* ---- roles ---- */

enum access {
	READ,         /* read everything (a client: its customer's) */
	OPEN_DISPUTE, /* POST /v1/results/{id}/disputes */
	RESOLVE,      /* POST /v1/disputes/{id}/resolution */
	READ_KEYS,    /* list keys */
	READ_HOOKS,   /* list webhooks and their deliveries */
	WRITE_EVENTS, /* POST /v1/events */
	WRITE_CONTRACT /* PUT /v1/contracts */,
	MANAGE_KEYS, /* create and revoke keys */
};

static bool role_may(enum raas_role r, enum access a)
{
	switch (a) {
	case READ:
		return r != RAAS_ROLE_INGEST;
	case OPEN_DISPUTE:
		return r == RAAS_ROLE_ADMIN || r == RAAS_ROLE_CLIENT;
	case RESOLVE:
		return r == RAAS_ROLE_ADMIN || r == RAAS_ROLE_FINANCE;
	case READ_HOOKS: /* "read everything" (csm: everything but keys) */
		return r != RAAS_ROLE_INGEST && r != RAAS_ROLE_CLIENT;
	case READ_KEYS:
		return r == RAAS_ROLE_ADMIN || r == RAAS_ROLE_FINANCE || r == RAAS_ROLE_AUDITOR;
	case WRITE_EVENTS:
		return r == RAAS_ROLE_ADMIN || r == RAAS_ROLE_INGEST;
	case WRITE_CONTRACT:
		return r == RAAS_ROLE_ADMIN || r == RAAS_ROLE_FINANCE;
	case MANAGE_KEYS:
		return r == RAAS_ROLE_ADMIN;
	}
	return false;
}

static bool allow(const struct caller *c, enum access a, struct raas_http_response *res)
{
	if (role_may(c->role, a))
		return true;
	fail(res, 403, "forbidden", "a %s key may not do this", raas_role_name(c->role));
	return false;
}

/* Whether the caller may see what belongs to customer (a client only its own). */
static bool sees(const struct caller *c, const char *customer)
{
	return c->role != RAAS_ROLE_CLIENT || !strcmp(c->customer, customer);
}

/* ---- handlers ---- */

static bool method(const struct raas_http_request *req, const char *m);
static int64_t write_clock(struct raas_api *api, struct tenant *t);

/* The positions of the elements of a JSON array body (a syntax check of the structure
 * only: each element is checked as an event afterwards). */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Ends one JSON value starting at i; returns its end, or 0 on bad structure. */
static size_t value_end(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	do {
		if (i >= n)
			return 0;
		switch (s[i]) {
		case '"':
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (i >= n)
				return 0;
			i++;
			break;
		case '[':
		case '{':
			depth++;
			i++;
			break;
		case ']':
		case '}':
			if (!depth)
				return 0;
			depth--;
			i++;
			break;
		default:
			if (depth) {
				i++;
			} else {
				while (i < n && !strchr(" \t\r\n,]}", s[i]))
					i++;
			}
			break;
		}
	} while (depth);
	return i;
}

static bool array_spans(const char *s, size_t n, struct raas_ingest_span **out, size_t *count,
                        size_t max, bool *too_many, size_t *bad_at)
{
	size_t i = skip_ws(s, n, 0), k = 0, cap = 0;
	struct raas_ingest_span *v = NULL;

	*out = NULL;
	*count = 0;
	*too_many = false;
	*bad_at = 0;
	if (i >= n || s[i] != '[')
		goto bad;
	i = skip_ws(s, n, i + 1);
	if (i < n && s[i] == ']') {
		i = skip_ws(s, n, i + 1);
		if (i != n)
			goto bad;
		return true;
	}
	for (;;) {
		size_t end = value_end(s, n, i);
		if (!end || end == i)
			goto bad;
		if (k == max) {
			*too_many = true;
			raas_free(v);
			return false;
		}
		if (k == cap) {
			struct raas_ingest_span *p =
			        raas_realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof *p);
			if (!p)
				goto bad;
			v = p;
		}
		v[k].off = i;
		v[k].len = end - i;
		k++;
		i = skip_ws(s, n, end);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, n, i + 1);
			continue;
		}
		if (i < n && s[i] == ']') {
			i = skip_ws(s, n, i + 1);
			if (i != n)
				goto bad;
			break;
		}
		goto bad;
	}
	*out = v;
	*count = k;
	return true;
bad:
	*bad_at = i + 1;
	raas_free(v);
	return false;
}

static size_t count_lines(const char *s, size_t n, size_t max, bool *too_many)
{
	size_t events = 0;

	*too_many = false;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		bool blank = true;
		for (size_t j = i; j < end && blank; j++)
			blank = s[j] == ' ' || s[j] == '\t' || s[j] == '\r';
		if (!blank && ++events > max) {
			*too_many = true;
			break;
		}
		i = end + 1;
	}
	return events;
}

static bool is_ndjson(const char *content_type)
{
	return content_type && !strncmp(content_type, "application/x-ndjson", 20);
}

static void count_report(struct raas_api *api, const struct raas_ingest *in)
{
	struct raas_ingest_counts n;

	raas_ingest_get_counts(in, &n);
	api->events_accepted += n.accepted;
	api->events_duplicate += n.duplicates;
	api->events_rejected += n.rejected;
	api->events_conflict += n.conflicts;
	api->events_unmatched += n.unmatched;
}

/* Opens the store for a request that only reads: it waits only for a running commit. */
static bool reader_store(struct raas_api *api, struct tenant *t, struct raas_http_response *res)
{
	quiesce(t, false);
	if (t->store)
		return true;
	return tenant_store(api, t, res);
}

/* Opens the store like tenant_store, but lets the request append while a commit runs. */
static bool events_store(struct raas_api *api, struct tenant *t, struct raas_http_response *res)
{
	if (t->store)
		return true;
	return tenant_store(api, t, res);
}

/* Makes the events this request appended durable, together with whatever other requests
 * appended meanwhile (the tenant is locked; it is released while the disk works). */
static raas_rc group_commit(struct tenant *t, int64_t now, struct raas_err *err)
{
	uint64_t mine = t->batch_no;

	if (now > t->batch_clock)
		t->batch_clock = now;
	while (t->durable_no < mine && t->lost_no < mine) {
		uint64_t no;
		raas_rc rc;
		if (t->flushing) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		no = t->batch_no++;
		t->flushing = true;
		rc = raas_store_commit_begin(t->store, t->batch_clock, err);
		if (rc == RAAS_OK) {
			pthread_mutex_unlock(&t->mu);
			raas_store_commit_join(t->store);
			pthread_mutex_lock(&t->mu);
			rc = raas_store_commit_wait(t->store, err);
		}
		if (rc == RAAS_OK) {
			t->durable_no = no;
		} else {
			/* A failed commit drops the batch and everything added since. */
			raas_store_discard(t->store); /* (in case the failure left some pending) */
			if (t->nlost == sizeof t->lost / sizeof *t->lost) {
				memmove(t->lost, t->lost + 1, sizeof t->lost - sizeof *t->lost);
				t->nlost--;
			}
			t->lost[t->nlost].lo = no;
			t->lost[t->nlost].hi = t->batch_no;
			t->nlost++;
			t->lost_no = t->batch_no;
			t->batch_no++;
		}
		t->flushing = false;
		pthread_cond_broadcast(&t->cv);
		if (rc && no == mine)
			return rc;
	}
	/* A batch is either lost or durable; a later durable batch says nothing of this one. */
	for (size_t i = 0; i < t->nlost; i++)
		if (mine >= t->lost[i].lo && mine <= t->lost[i].hi)
			return raas_err_set(err, RAAS_E_STORAGE, NULL,
			                    "the batch could not be made durable: nothing of it is "
			                    "acknowledged, send it again");
	if (t->durable_no >= mine)
		return RAAS_OK;
	return raas_err_set(err, RAAS_E_STORAGE, NULL,
	                    "the batch could not be made durable: nothing of it is acknowledged, "
	                    "send it again");
}

static void post_events(struct raas_api *api, const struct caller *c,
                        const struct raas_http_request *req, struct raas_http_response *res)
{
	struct raas_ingest_options opt = {0};
	struct raas_ingest *in = NULL;
	struct raas_ingest_body *body = NULL;
	struct raas_err err;
	char only[RAAS_EVENT_MAX_TEXT + 1];
	const char *atomic = arg(req, "atomic");
	struct raas_ingest_span *spans = NULL;
	size_t n = 0, bad_at;
	bool too_many, failed_atomic = false;
	raas_rc rc = RAAS_OK;

	raas_err_clear(&err);
	if (atomic && strcmp(atomic, "true") && strcmp(atomic, "false")) {
		fail(res, 400, "malformed", "atomic: must be true or false");
		return;
	}
	if (is_ndjson(req->content_type)) {
		n = count_lines(req->body, req->body_len, api->max_batch, &too_many);
	} else if (!array_spans(req->body, req->body_len, &spans, &n, api->max_batch, &too_many,
	                        &bad_at)) {
		if (too_many)
			fail(res, 413, "too_large", "a batch holds at most %zu events",
			     api->max_batch);
		else
			fail(res, 400, "malformed",
			     "the body must be a JSON array of events (or NDJSON with "
			     "Content-Type: application/x-ndjson); the structure breaks at byte "
			     "%zu",
			     bad_at);
		return;
	}
	if (too_many) {
		fail(res, 413, "too_large", "a batch holds at most %zu events", api->max_batch);
		goto out;
	}
	opt.atomic = atomic && !strcmp(atomic, "true");
	/* An atomic batch may drop what it added: it runs alone, with its own commit. The
	 * others share the group commit. */
	opt.no_commit = !opt.atomic;
	if (opt.atomic ? !tenant_store(api, c->t, res) : !events_store(api, c->t, res))
		goto out;
	/* The received time: never behind the tenant's clock nor the last one given out, so
	 * that each customer's log stays in received order (the tickets below keep the accepts
	 * in this order). */
	opt.now_us = api_clock(api);
	if (!api->fixed_clock && opt.now_us < raas_store_clock(c->t->store))
		opt.now_us = raas_store_clock(c->t->store); /* the real clock stepped back */
	if (!api->fixed_clock && opt.now_us < c->t->last_clock)
		opt.now_us = c->t->last_clock;
	opt.lines = false;
	if (c->role == RAAS_ROLE_INGEST && c->customer) {
		/* A copy: the keyring may be re-read while the tenant is not held. */
		snprintf(only, sizeof only, "%s", c->customer);
		opt.only_customer = only;
	}
	if ((rc = raas_store_check_clock(c->t->store, opt.now_us, &err))) {
		fail_err(res, &err);
		goto out;
	}
	if ((rc = raas_ingest_begin(c->t->store, &opt, &in, &err)))
		goto failed;
	if (opt.atomic) {
		/* Alone from start to end, with its own commit. */
		struct commit_events ce = {.api = api, .t = c->t, .in = in};
		raas_store_before_commit(c->t->store, hold_for_commit, &ce);
		if (!(rc = raas_ingest_prepare(in, req->body, req->body_len,
		                               !is_ndjson(req->content_type), spans, n, &body,
		                               &err)) &&
		    !(rc = raas_ingest_accept(in, body, &err)))
			rc = raas_ingest_finish(in, &failed_atomic, &err);
		raas_store_before_commit(c->t->store, NULL, NULL);
		settle_held(api, c->t);
		if (rc)
			goto failed;
	} else {
		/* The parallel stage runs without the tenant, so that other requests are accepted
		 * meanwhile; what it reads changes only when a contract version is applied, which
		 * waits for every such request. The accepts then happen in ticket order: the
		 * order of the received times. */
		uint64_t ticket = c->t->next_ticket++;
		raas_rc arc;
		c->t->last_clock = opt.now_us;
		c->t->preparing++;
		pthread_mutex_unlock(&c->t->mu);
		rc = raas_ingest_prepare(in, req->body, req->body_len,
		                         !is_ndjson(req->content_type), spans, n, &body, &err);
		pthread_mutex_lock(&c->t->mu);
		while (c->t->serving != ticket)
			pthread_cond_wait(&c->t->cv, &c->t->mu);
		if (!rc && !(rc = raas_ingest_accept(in, body, &err)))
			rc = raas_ingest_finish(in, &failed_atomic, &err);
		c->t->serving++;
		c->t->preparing--;
		pthread_cond_broadcast(&c->t->cv);
		/* Still alone with the store since the accept: its last entry is this request's
		 * (unmatched events are stored, so there is one). */
		if (!rc && !failed_atomic) {
			struct raas_store_mark last;
			if (raas_store_last_pending(c->t->store, &last))
				hold_unmatched(api, c->t, in, &last);
		}
		/* Whatever was appended is committed, also after a failure: nothing may stay
		 * pending with nobody to commit it. */
		arc = raas_store_pending(c->t->store) ? group_commit(c->t, opt.now_us, &err)
		                                      : RAAS_OK;
		settle_held(api, c->t);
		if (rc || (rc = arc))
			goto failed;
	}
	if (raas_ingest_write_report(in, &res->body)) {
		oom(res);
		goto out;
	}
	count_report(api, in);
	ok_json(res, failed_atomic ? 422 : 200);
	goto out;
failed:
	fail_err(res, &err);
out:
	raas_ingest_body_free(body);
	raas_ingest_free(in);
	raas_free(spans);
}

/* The contract of the path (a client sees only its customer's): NULL after a 404. */
static const struct raas_store_contract *contract_of(const struct caller *c, const char *id,
                                                     struct raas_http_response *res)
{
	const struct raas_store_contract *m = raas_store_contract_latest(c->t->store, id);

	if (!m || !sees(c, m->customer)) {
		fail(res, 404, "not_found", "no such contract: %s", id);
		return NULL;
	}
	return m;
}

static void put_contract(struct raas_api *api, const struct caller *c, const char *id,
                         const struct raas_http_request *req, struct raas_http_response *res)
{
	struct raas_problems problems = {0};
	struct raas_contract *next = NULL;
	struct raas_apply_result out;
	struct raas_err err;
	const char *effective = arg(req, "effective");
	raas_rc rc;

	raas_err_clear(&err);
	if (raas_contract_parse(req->body, req->body_len, &next, &problems) == RAAS_OK &&
	    strcmp(next->id, id))
		raas_problems_add(&problems, "id", "must be the id of the path (%s)", id);
	if (problems.count || !next) {
		struct detail *d = raas_calloc(problems.count + 1, sizeof *d);
		if (!d) {
			oom(res);
			goto out;
		}
		for (size_t i = 0; i < problems.count; i++) {
			d[i].path = problems.items[i].path;
			d[i].message = problems.items[i].message;
		}
		fail_details(res, 422, "invalid_contract", d, problems.count,
		             "the contract has %zu problem%s", problems.count,
		             problems.count == 1 ? "" : "s");
		raas_free(d);
		goto out;
	}
	if (!tenant_store(api, c->t, res))
		goto out;
	/* Alone: no request in the parallel stage (it reads the contracts' event types), none
	 * waiting for a commit (a failed commit here must not drop their events). */
	while (c->t->preparing || c->t->flushing || raas_store_pending(c->t->store))
		pthread_cond_wait(&c->t->cv, &c->t->mu);
	rc = raas_svc_apply(c->t->store, next, effective != NULL, effective, write_clock(api, c->t),
	                    &out, &problems, &err);
	if (rc == RAAS_E_INPUT && problems.count) {
		struct detail *d = raas_calloc(problems.count, sizeof *d);
		if (!d) {
			oom(res);
			goto out;
		}
		for (size_t i = 0; i < problems.count; i++) {
			/* The CLI's option is the API's argument. */
			d[i].path = !strcmp(problems.items[i].path, "--effective")
			                    ? "effective"
			                    : problems.items[i].path;
			d[i].message = problems.items[i].message;
		}
		fail_details(res, 422, "invalid_contract", d, problems.count,
		             "the new version breaks %zu rule%s", problems.count,
		             problems.count == 1 ? "" : "s");
		raas_free(d);
		goto out;
	}
	if (rc) {
		fail_err(res, &err);
		goto out;
	}
	if (raas_svc_write_applied(&res->body, next->id, out.version)) {
		oom(res);
		goto out;
	}
	ok_json(res, out.unchanged ? 200 : 201);
out:
	raas_problems_free(&problems);
	raas_contract_free(next);
}

static void get_contracts(struct raas_api *api, const struct caller *c,
                          struct raas_http_response *res)
{
	const struct raas_store_contract **all;
	size_t n;

	if (!reader_store(api, c->t, res))
		return;
	if (raas_svc_latest_versions(c->t->store, c->role == RAAS_ROLE_CLIENT ? c->customer : NULL,
	                             &all, &n) ||
	    raas_buf_putc(&res->body, '[')) {
		oom(res);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if ((i && raas_buf_putc(&res->body, ',')) ||
		    raas_svc_write_listing(&res->body, all[i])) {
			raas_free(all);
			oom(res);
			return;
		}
	raas_free(all);
	if (raas_buf_putc(&res->body, ']')) {
		oom(res);
		return;
	}
	ok_json(res, 200);
}

static void get_contract(struct raas_api *api, const struct caller *c, const char *id,
                         const struct raas_http_request *req, struct raas_http_response *res)
{
	const struct raas_store_contract *m;
	const char *v = arg(req, "version");
	struct raas_err err;

	raas_err_clear(&err);
	if (!reader_store(api, c->t, res) || !(m = contract_of(c, id, res)))
		return;
	if (v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || n < 1 || n > UINT32_MAX) {
			fail(res, 400, "malformed",
			     "version: must be a version number (1, 2, ...)");
			return;
		}
		if (!(m = raas_store_contract_version(c->t->store, id, (uint32_t)n))) {
			fail(res, 404, "not_found", "contract %s has no version %s", id, v);
			return;
		}
	}
	if (raas_svc_write_version(c->t->store, m, &res->body, &err)) {
		fail_err(res, &err);
		return;
	}
	ok_json(res, 200);
}

/* Parses a clock argument (RFC 3339); false after a 400. */
static bool clock_arg(const struct raas_http_request *req, const char *name, int64_t *us,
                      struct raas_http_response *res)
{
	const char *v = arg(req, name);
	struct raas_err err;

	if (!v)
		return true;
	raas_err_clear(&err);
	if (raas_time_parse(v, strlen(v), us, &err) != RAAS_OK) {
		fail(res, 400, "malformed", "%s: %s", name, err.message);
		return false;
	}
	if (*us < FIRST_DAY * 86400 * INT64_C(1000000) ||
	    *us >= (LAST_DAY + 1) * 86400 * INT64_C(1000000)) {
		fail(res, 422, "invalid", "%s: must be from 1970-01-01 to 2299-12-31", name);
		return false;
	}
	return true;
}

/* YYYY-MM-DD or YYYY-MM (its first day); false after a 400. */
static bool date_value(const char *name, const char *s, int64_t *day,
                       struct raas_http_response *res)
{
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_date_parse_day_or_month(s, strlen(s), day, &err) != RAAS_OK) {
		fail(res, 400, "malformed", "%s: %s (expected YYYY-MM-DD or YYYY-MM)", name,
		     err.message);
		return false;
	}
	if (*day < FIRST_DAY || *day > LAST_DAY) {
		fail(res, 422, "invalid", "%s: must be from 1970-01-01 to 2299-12-31", name);
		return false;
	}
	return true;
}

static void get_invoice(struct raas_api *api, const struct caller *c, const char *id,
                        const char *date, const struct raas_http_request *req,
                        struct raas_http_response *res)
{
	struct raas_ledgers ls = {0};
	struct raas_contract *doc = NULL;
	struct raas_period p;
	struct raas_err err;
	int64_t now = api_clock(api), day;
	const struct raas_store_contract *m;

	raas_err_clear(&err);
	if (!clock_arg(req, "as_of", &now, res) || !date_value("date", date, &day, res) ||
	    !reader_store(api, c->t, res) || !(m = contract_of(c, id, res)))
		return;
	if (raas_ledgers_load(c->t->store, id, NULL, &ls, &err) ||
	    raas_load_version(c->t->store, m, &doc, &err)) {
		fail_err(res, &err);
		goto out;
	}
	if (ls.n != 1) {
		fail(res, 404, "not_found", "no such contract: %s", id);
		goto out;
	}
	if (raas_ledger_period(ls.v[0], raas_date_midnight(day, doc->tz_offset_min), now, &p,
	                       &err)) {
		if (err.code == RAAS_E_INPUT)
			fail(res, 404, "not_found", "%s", err.message);
		else
			fail_err(res, &err);
		goto out;
	}
	if (raas_svc_invoice(c->t->store, ls.v[0], &p, now, &res->body, &err)) {
		if (err.code == RAAS_E_INPUT)
			fail(res, 404, "not_found", "%s", err.message);
		else
			fail_err(res, &err);
		goto out;
	}
	ok_json(res, 200);
out:
	raas_contract_free(doc);
	raas_ledgers_free(&ls);
}

static void get_results(struct raas_api *api, const struct caller *c,
                        const struct raas_http_request *req, struct raas_http_response *res)
{
	const char *contract = arg(req, "contract"), *period = arg(req, "period"),
	           *status = arg(req, "status");
	struct raas_results_filter filter = {0};
	struct raas_ledgers ls = {0};
	struct raas_err err;
	int64_t now = api_clock(api), day = 0;

	raas_err_clear(&err);
	if (!clock_arg(req, "as_of", &now, res) ||
	    (period && !date_value("period", period, &day, res)))
		return;
	if (status) {
		if (raas_result_status_parse(status, &filter.status) != RAAS_OK) {
			fail(res, 400, "malformed",
			     "status: unknown status '%s' (one of invalid, reversed, voided, "
			     "disputed, confirmed, pending)",
			     status);
			return;
		}
		filter.by_status = true;
	}
	if (!reader_store(api, c->t, res) || (contract && !contract_of(c, contract, res)))
		return;
	if (raas_ledgers_load(c->t->store, contract,
	                      c->role == RAAS_ROLE_CLIENT ? c->customer : NULL, &ls, &err)) {
		fail_err(res, &err);
		return;
	}
	for (size_t i = 0; i < ls.n; i++) {
		struct raas_err e;
		raas_err_clear(&e);
		if (period) {
			struct raas_contract *doc = NULL;
			if (raas_load_version(c->t->store,
			                      raas_store_contract_latest(
			                              c->t->store, raas_ledger_contract(ls.v[i])),
			                      &doc, &err)) {
				fail_err(res, &err);
				goto out;
			}
			filter.by_period = true;
			filter.period_instant = raas_date_midnight(day, doc->tz_offset_min);
			raas_contract_free(doc);
		}
		if (raas_ledger_results(ls.v[i], now, &filter, &res->body, &e) &&
		    e.code != RAAS_E_INPUT) {
			/* RAAS_E_INPUT: no version visible at that clock, so no results */
			fail_err(res, &e);
			goto out;
		}
	}
	if (ndjson_to_array(&res->body)) {
		oom(res);
		goto out;
	}
	ok_json(res, 200);
out:
	raas_ledgers_free(&ls);
}

static void get_keys(struct raas_api *api, const struct caller *c, struct raas_http_response *res)
{
	raas_rc rc;
	uint64_t stamp[3];
	bool changed;

	/* The operator's `raas tenant key` may have added keys since they were read. */
	raas_store_tenant_file_stamp(api->dir, c->t->name, "keys", stamp);
	pthread_mutex_lock(&c->t->keys_mu);
	changed = memcmp(stamp, c->t->keys_stamp, sizeof stamp) != 0;
	pthread_mutex_unlock(&c->t->keys_mu);
	if (changed) {
		struct raas_keyring k;
		struct raas_err err;
		raas_err_clear(&err);
		if (raas_keys_load(api->dir, c->t->name, &k, &err)) {
			fail_err(res, &err);
			return;
		}
		pthread_mutex_lock(&c->t->keys_mu);
		raas_keys_free(&c->t->keys);
		c->t->keys = k;
		memcpy(c->t->keys_stamp, stamp, sizeof stamp);
		pthread_mutex_unlock(&c->t->keys_mu);
	}
	rc = raas_buf_putc(&res->body, '[');
	pthread_mutex_lock(&c->t->keys_mu);
	for (size_t i = 0; i < c->t->keys.n && !rc; i++) {
		if (i)
			rc = raas_buf_putc(&res->body, ',');
		if (!rc)
			rc = raas_key_write_json(&res->body, &c->t->keys.keys[i]);
	}
	pthread_mutex_unlock(&c->t->keys_mu);
	if (rc || raas_buf_putc(&res->body, ']')) {
		oom(res);
		return;
	}
	ok_json(res, 200);
}

static void post_key(struct raas_api *api, const struct caller *c,
                     const struct raas_http_request *req, struct raas_http_response *res)
{
	struct raas_arena arena;
	struct raas_json *doc;
	struct raas_err err;
	const struct raas_json *role, *customer;
	enum raas_role r;
	char text[RAAS_KEY_TEXT_LEN + 1];

	raas_err_clear(&err);
	raas_arena_init(&arena, 0);
	if (raas_json_parse(&arena, req->body, req->body_len, NULL, &doc, &err) != RAAS_OK ||
	    doc->type != RAAS_JSON_OBJECT) {
		fail(res, 400, "malformed", "the body must be {\"role\":R,\"customer\":C}%s%s",
		     err.message[0] ? ": " : "", err.message);
		goto out;
	}
	for (uint32_t i = 0; i < doc->len; i++) {
		const char *k = doc->u.members[i].key;
		if (strcmp(k, "role") && strcmp(k, "customer")) {
			struct detail d = {k, "unknown field"};
			fail_details(res, 422, "invalid", &d, 1, "the key request has 1 problem");
			goto out;
		}
	}
	role = raas_json_get(doc, "role");
	customer = raas_json_get(doc, "customer");
	if (!role || role->type != RAAS_JSON_STRING ||
	    raas_role_parse(role->u.str, role->len, &r) != RAAS_OK) {
		struct detail d = {"role", "one of admin, finance, csm, ingest, client, auditor"};
		fail_details(res, 422, "invalid", &d, 1, "the key request has 1 problem");
		goto out;
	}
	if (customer && customer->type != RAAS_JSON_NULL && customer->type != RAAS_JSON_STRING) {
		struct detail d = {"customer", "must be a customer id or null"};
		fail_details(res, 422, "invalid", &d, 1, "the key request has 1 problem");
		goto out;
	}
	{
		struct raas_keys_make_args a = {
		        .role = r,
		        .customer = customer && customer->type == RAAS_JSON_STRING ? customer->u.str
		                                                                   : NULL,
		        .now = api_clock(api)};
		struct raas_keyring fresh;
		/* Read, change and save under the file's lock (the operator's `raas tenant key`
		 * may write it too), then serve the keyring as saved. */
		if (raas_keys_update(api->dir, c->t->name, raas_keys_make_change, &a, &fresh,
		                     &err)) {
			struct detail d = {err.path, err.message};
			if (err.code == RAAS_E_INPUT)
				fail_details(res, 422, "invalid", &d, 1,
				             "the key request has 1 problem");
			else
				fail_err(res, &err);
			goto out;
		}
		memcpy(text, a.text, sizeof text);
		if (raas_buf_printf(&res->body, "{\"key\":\"%s\",\"info\":", text) ||
		    raas_key_write_json(&res->body, &fresh.keys[fresh.n - 1]) ||
		    raas_buf_putc(&res->body, '}')) {
			raas_keys_free(&fresh);
			oom(res);
			goto out;
		}
		pthread_mutex_lock(&c->t->keys_mu);
		raas_keys_free(&c->t->keys);
		c->t->keys = fresh;
		raas_store_tenant_file_stamp(api->dir, c->t->name, "keys", c->t->keys_stamp);
		pthread_mutex_unlock(&c->t->keys_mu);
	}
	ok_json(res, 201);
out:
	raas_arena_free(&arena);
}

struct revoke_args {
	const char *id;
	int64_t now;
};

static raas_rc revoke_change(struct raas_keyring *k, void *ctx, struct raas_err *err)
{
	struct revoke_args *a = ctx;
	struct raas_key *key = raas_keys_find(k, a->id);

	if (!key)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no such key: %s", a->id);
	if (key->revoked_us == RAAS_KEY_NOT_REVOKED)
		key->revoked_us = a->now;
	return RAAS_OK;
}

static void delete_key(struct raas_api *api, const struct caller *c, const char *id,
                       struct raas_http_response *res)
{
	struct revoke_args a = {.id = id, .now = api_clock(api)};
	struct raas_keyring fresh;
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_keys_update(api->dir, c->t->name, revoke_change, &a, &fresh, &err)) {
		if (err.code == RAAS_E_INPUT)
			fail(res, 404, "not_found", "%s", err.message);
		else
			fail_err(res, &err);
		return;
	}
	if (raas_key_write_json(&res->body, raas_keys_find(&fresh, id))) {
		raas_keys_free(&fresh);
		oom(res);
		return;
	}
	pthread_mutex_lock(&c->t->keys_mu);
	raas_keys_free(&c->t->keys);
	c->t->keys = fresh;
	raas_store_tenant_file_stamp(api->dir, c->t->name, "keys", c->t->keys_stamp);
	pthread_mutex_unlock(&c->t->keys_mu);
	ok_json(res, 200);
}

/* ---- customers ---- */

/* Appends {"id","entries","contracts":[{listing…,"draft":{"period","status","total",
 * "currency"} or null}]} of customer no, the drafts from ls (the customer's ledgers). */
static raas_rc write_customer(struct raas_store *store, uint32_t no, struct raas_ledgers *ls,
                              int64_t now, struct raas_buf *b, struct raas_err *err)
{
	const char *id = raas_store_customer_id(store, no);
	const struct raas_store_contract **all = NULL;
	struct raas_buf doc;
	size_t n = 0;
	raas_rc rc;

	raas_buf_init(&doc, (size_t)1 << 30);
	if ((rc = raas_svc_latest_versions(store, id, &all, &n)) ||
	    (rc = raas_buf_puts(b, "{\"id\":")) ||
	    (rc = raas_json_write_string(b, id, strlen(id))) ||
	    (rc = raas_buf_printf(b, ",\"entries\":%llu,\"contracts\":[",
	                          (unsigned long long)raas_store_customer_entries(store, no))))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		struct raas_ledger *l = NULL;
		struct raas_period p;
		struct raas_err e;
		raas_err_clear(&e);
		for (size_t k = 0; k < ls->n && !l; k++)
			if (!strcmp(raas_ledger_contract(ls->v[k]), all[i]->id))
				l = ls->v[k];
		if ((rc = raas_buf_puts(b, i ? "," : "")) ||
		    (rc = raas_svc_write_listing(b, all[i])))
			break;
		b->len--; /* reopen the listing object for the draft */
		raas_buf_reset(&doc);
		if (l && raas_ledger_period(l, now, now, &p, &e) == RAAS_OK &&
		    raas_svc_invoice(store, l, &p, now, &doc, &e) == RAAS_OK) {
			struct raas_arena arena;
			struct raas_json *d;
			const struct raas_json *f;
			raas_arena_init(&arena, 0);
			rc = raas_json_parse(&arena, doc.data, doc.len, NULL, &d, err);
			if (!rc)
				rc = raas_buf_puts(b, ",\"draft\":{\"period\":");
			if (!rc && (f = raas_json_get(d, "period")))
				rc = raas_json_write(b, f);
			for (const char *const *k =
			             (const char *const[]){"status", "total", "currency", NULL};
			     *k && !rc; k++)
				if ((f = raas_json_get(d, *k)))
					rc = raas_buf_printf(b, ",\"%s\":", *k) ||
					     raas_json_write(b, f);
			if (!rc)
				rc = raas_buf_puts(b, "}}");
			raas_arena_free(&arena);
		} else if (e.code && e.code != RAAS_E_INPUT) {
			*err = e;
			rc = e.code;
		} else {
			rc = raas_buf_puts(b, ",\"draft\":null}");
		}
	}
	if (!rc)
		rc = raas_buf_puts(b, "]}");
out:
	raas_free(all);
	raas_buf_free(&doc);
	return rc;
}

static void get_customers(struct raas_api *api, const struct caller *c, const char *one,
                          struct raas_http_response *res)
{
	struct raas_store *store;
	struct raas_ledgers ls = {0};
	struct raas_err err;
	int64_t now = api_clock(api);
	const char *only = c->role == RAAS_ROLE_CLIENT ? c->customer : NULL;
	uint32_t no;
	raas_rc rc = RAAS_OK;
	bool first = true;

	raas_err_clear(&err);
	if (!reader_store(api, c->t, res))
		return;
	store = c->t->store;
	if (one && ((only && strcmp(one, only)) ||
	            raas_store_customer(store, one, strlen(one), false, &no) != RAAS_OK)) {
		fail(res, 404, "not_found", "no such customer: %s", one);
		return;
	}
	if (raas_ledgers_load(store, NULL, one ? one : only, &ls, &err)) {
		fail_err(res, &err);
		return;
	}
	if (one) {
		rc = write_customer(store, no, &ls, now, &res->body, &err);
	} else {
		rc = raas_buf_putc(&res->body, '[');
		for (size_t i = 0; i < raas_store_customer_count(store) && !rc; i++) {
			if (only && strcmp(raas_store_customer_id(store, (uint32_t)i), only))
				continue;
			if (!first)
				rc = raas_buf_putc(&res->body, ',');
			first = false;
			if (!rc)
				rc = write_customer(store, (uint32_t)i, &ls, now, &res->body, &err);
		}
		if (!rc)
			rc = raas_buf_putc(&res->body, ']');
	}
	raas_ledgers_free(&ls);
	if (rc == RAAS_E_NOMEM || (rc && !err.message[0]))
		oom(res);
	else if (rc)
		fail_err(res, &err);
	else
		ok_json(res, 200);
}

/* ---- evidence ---- */

/* A count argument (a whole number); false after a 400. */
static bool count_arg(const struct raas_http_request *req, const char *name, bool required,
                      uint64_t *out, struct raas_http_response *res)
{
	const char *v = arg(req, name);
	char *end;

	if (!v) {
		if (required)
			fail(res, 400, "malformed", "%s: required", name);
		return !required;
	}
	*out = strtoull(v, &end, 10);
	if (!*v || *end || v[0] < '0' || v[0] > '9' || (*out == UINT64_MAX)) {
		fail(res, 400, "malformed", "%s: must be a whole number", name);
		return false;
	}
	return true;
}

static void get_evidence(struct raas_api *api, const struct caller *c, const char *customer,
                         const char *what, const struct raas_http_request *req,
                         struct raas_http_response *res)
{
	struct raas_store *store;
	struct raas_err err;
	uint32_t no;
	raas_rc rc;

	raas_err_clear(&err);
	while (c->t->signing || c->t->flushing)
		pthread_cond_wait(&c->t->cv, &c->t->mu);
	if (!reader_store(api, c->t, res))
		return;
	store = c->t->store;
	if (!sees(c, customer) ||
	    raas_store_customer(store, customer, strlen(customer), false, &no) != RAAS_OK) {
		fail(res, 404, "not_found", "no such customer: %s", customer);
		return;
	}
	if (!strcmp(what, "checkpoint")) {
		struct raas_buf all;
		const char *last;
		raas_buf_init(&all, (size_t)1 << 34);
		if (raas_store_checkpoints(store, customer, &all, &err)) {
			raas_buf_free(&all);
			fail_err(res, &err);
			return;
		}
		/* A last line without its newline is still being appended (the settling pass
		 * signs without the tenant's lock) or was cut by a crash: not a checkpoint. */
		while (all.len && all.data[all.len - 1] != '\n')
			all.len--;
		while (all.len && all.data[all.len - 1] == '\n')
			all.len--;
		if (!all.len) {
			raas_buf_free(&all);
			fail(res, 404, "not_found",
			     "no checkpoint of %s yet (one is signed whenever an invoice of the "
			     "customer locks)",
			     customer);
			return;
		}
		last = memrchr_compat(all.data, all.len);
		rc = raas_buf_append(&res->body, last, all.len - (size_t)(last - all.data));
		raas_buf_free(&all);
		if (rc) {
			oom(res);
			return;
		}
		ok_json(res, 200);
		return;
	}
	if (!strcmp(what, "proof")) {
		uint64_t index = 0, size = UINT64_MAX;
		if (!count_arg(req, "index", true, &index, res) ||
		    !count_arg(req, "size", false, &size, res))
			return;
		rc = raas_svc_proof(store, customer, index, size, "index", "size", &res->body,
		                    &err);
	} else if (!strcmp(what, "consistency")) {
		uint64_t m = 0, n = 0;
		if (!count_arg(req, "from", true, &m, res) || !count_arg(req, "to", true, &n, res))
			return;
		rc = raas_svc_consistency(store, customer, m, n, "from", "to", &res->body, &err);
	} else {
		const char *contract = arg(req, "contract"), *date = arg(req, "date");
		const struct raas_store_contract *m;
		struct raas_contract *doc = NULL;
		int64_t day;
		if (!contract || !date) {
			fail(res, 400, "malformed", "%s: required", contract ? "date" : "contract");
			return;
		}
		if (!date_value("date", date, &day, res))
			return;
		m = raas_store_contract_latest(store, contract);
		if (!m || strcmp(m->customer, customer)) {
			fail(res, 404, "not_found", "no such contract: %s", contract);
			return;
		}
		if (raas_load_version(store, m, &doc, &err)) {
			fail_err(res, &err);
			return;
		}
		rc = raas_evidence_bundle(store, contract,
		                          raas_date_midnight(day, doc->tz_offset_min), &res->body,
		                          &err);
		raas_contract_free(doc);
	}
	if (rc == RAAS_E_INPUT && strcmp(what, "bundle")) {
		/* An index or size out of range. */
		fail(res, 422, "invalid", "%s%s%s", err.path, err.path[0] ? ": " : "", err.message);
		return;
	}
	if (rc == RAAS_E_INPUT) {
		/* Nothing locked and signed for that period yet. */
		fail(res, 404, "not_found", "%s", err.message);
		return;
	}
	if (rc) {
		fail_err(res, &err);
		return;
	}
	ok_json(res, 200);
}

/* GET /v1/invoices[?contract=ID][&customer=C][&period=DATE]: the locked invoices at the
 * clock, in the order of `raas invoices`. */
static void get_invoices(struct raas_api *api, const struct caller *c,
                         const struct raas_http_request *req, struct raas_http_response *res)
{
	const char *contract = arg(req, "contract"), *customer = arg(req, "customer"),
	           *period = arg(req, "period");
	struct raas_ledgers ls = {0};
	struct raas_locked *v = NULL;
	struct raas_buf docs;
	struct raas_err err;
	int64_t day = 0;
	size_t n = 0;
	bool first = true;

	raas_err_clear(&err);
	raas_buf_init(&docs, (size_t)1 << 34);
	if ((period && !date_value("period", period, &day, res)) || !reader_store(api, c->t, res) ||
	    (contract && !contract_of(c, contract, res)))
		goto out;
	if (c->role == RAAS_ROLE_CLIENT) {
		if (customer && strcmp(customer, c->customer)) {
			/* Another customer's invoices: none to see. */
			if (raas_buf_puts(&res->body, "[]"))
				oom(res);
			else
				ok_json(res, 200);
			goto out;
		}
		customer = c->customer;
	}
	if (raas_ledgers_load(c->t->store, contract, customer, &ls, &err) ||
	    raas_svc_collect_locked(c->t->store, &ls, api_clock(api), false, &v, &n, &docs, &err)) {
		fail_err(res, &err);
		goto out;
	}
	if (raas_buf_putc(&res->body, '[')) {
		oom(res);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (period) {
			/* The period in the contract's zone: its start day at or before DATE, its
			 * end after it. */
			struct raas_contract *doc = NULL;
			const struct raas_store_contract *m =
			        raas_store_contract_latest(c->t->store, v[i].contract);
			int64_t t;
			if (raas_load_version(c->t->store, m, &doc, &err)) {
				fail_err(res, &err);
				goto out;
			}
			t = raas_date_midnight(day, doc->tz_offset_min);
			raas_contract_free(doc);
			if (t < v[i].period.start_us || t >= v[i].period.end_us)
				continue;
		}
		if ((!first && raas_buf_putc(&res->body, ',')) ||
		    raas_buf_append(&res->body, docs.data + v[i].off, v[i].len)) {
			oom(res);
			goto out;
		}
		first = false;
	}
	if (raas_buf_putc(&res->body, ']')) {
		oom(res);
		goto out;
	}
	ok_json(res, 200);
out:
	raas_free(v);
	raas_ledgers_free(&ls);
	raas_buf_free(&docs);
}

/* A copy of the tenant list (tenants live as long as the API): new, free with raas_free;
 * NULL when out of memory. */
static struct tenant **snapshot_tenants(struct raas_api *api, size_t *n)
{
	struct tenant **ts;

	pthread_mutex_lock(&api->mu);
	*n = api->ntenants;
	ts = raas_calloc(*n + 1, sizeof *ts);
	if (ts)
		memcpy(ts, api->tenants, *n * sizeof *ts);
	pthread_mutex_unlock(&api->mu);
	return ts;
}

/* The status of each result of the listing text (NDJSON) into map: id → status (keys live in
 * arena). */
static raas_rc statuses(const char *text, size_t len, struct raas_arena *arena,
                        struct raas_strmap *map)
{
	for (const char *p = text; p && p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		struct raas_json *r;
		struct raas_err e;
		const struct raas_json *id, *st;
		enum raas_result_status s;
		if (raas_json_parse(arena, p, n, NULL, &r, &e) != RAAS_OK)
			return RAAS_E_STORAGE;
		id = raas_json_get(r, "id");
		st = raas_json_get(r, "status");
		if (!id || id->type != RAAS_JSON_STRING || !st || st->type != RAAS_JSON_STRING ||
		    raas_result_status_parse(st->u.str, &s) != RAAS_OK)
			return RAAS_E_STORAGE;
		if (raas_strmap_put(map, id->u.str, id->len, (uint32_t)s))
			return RAAS_E_NOMEM;
		p += n + 1;
	}
	return RAAS_OK;
}

static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The result.confirmed and result.reversed events of a settling pass, found without the
 * tenant's lock and queued with it: each is data[off, off + len) of type. */
struct watched {
	struct raas_buf data;
	struct watched_event {
		unsigned type;
		size_t off, len;
	} * v;
	size_t n, cap;
};

static raas_rc watched_add(struct watched *w, unsigned type, const char *doc, size_t len)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct watched_event *v = raas_realloc(w->v, cap * sizeof *v);
		if (!v)
			return RAAS_E_NOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n] = (struct watched_event){.type = type, .off = w->data.len, .len = len};
	if (raas_buf_append(&w->data, doc, len))
		return RAAS_E_NOMEM;
	w->n++;
	return RAAS_OK;
}

/* Finds every result whose status became confirmed or reversed since the last look (the
 * clock kept in the tenant file "watched", which only the settling pass writes) into out;
 * ls holds every ledger. A first look finds nothing: nothing before a subscription is sent.
 * Runs without the tenant's lock. */
static void watch_results(struct raas_api *api, struct tenant *t, struct raas_ledgers *ls,
                          int64_t now, struct watched *out)
{
	struct raas_err err;
	struct raas_buf file, then, cur;
	int64_t prev = now;

	raas_err_clear(&err);
	raas_buf_init(&file, 4096);
	raas_buf_init(&then, (size_t)1 << 34);
	raas_buf_init(&cur, (size_t)1 << 34);
	if (raas_store_read_tenant_file(api->dir, t->name, "watched", &file, &err) == RAAS_OK &&
	    file.len > 11 && !strncmp(file.data, "{\"until\":\"", 10)) {
		const char *q = memchr(file.data + 10, '"', file.len - 10);
		if (!q || raas_time_parse(file.data + 10, (size_t)(q - file.data - 10), &prev,
		                          &err) != RAAS_OK)
			prev = now;
	}
	for (size_t i = 0; i < ls->n && prev < now; i++) {
		struct raas_arena arena;
		struct raas_strmap before = {0};
		raas_arena_init(&arena, 0);
		raas_buf_reset(&then);
		raas_buf_reset(&cur);
		raas_err_clear(&err);
		if ((raas_ledger_results(ls->v[i], prev, NULL, &then, &err) == RAAS_OK ||
		     err.code == RAAS_E_INPUT) &&
		    raas_ledger_results(ls->v[i], now, NULL, &cur, &err) == RAAS_OK &&
		    statuses(then.data, then.len, &arena, &before) == RAAS_OK) {
			for (const char *p = cur.data; p && p < cur.data + cur.len;) {
				const char *nl = memchr(p, '\n', (size_t)(cur.data + cur.len - p));
				size_t len =
				        nl ? (size_t)(nl - p) : (size_t)(cur.data + cur.len - p);
				struct raas_strmap one = {0};
				uint32_t old = UINT32_MAX, s = UINT32_MAX;
				const char *id =
				        strstr(p, "\"id\":\""); /* the listing's first key */
				if (statuses(p, len, &arena, &one) == RAAS_OK && id) {
					const char *e = strchr(id + 6, '"');
					(void)raas_strmap_get(&one, id + 6, (size_t)(e - id - 6),
					                      &s);
					(void)raas_strmap_get(&before, id + 6, (size_t)(e - id - 6),
					                      &old);
				}
				raas_strmap_free(&one);
				if ((s == RAAS_RESULT_CONFIRMED && old != RAAS_RESULT_CONFIRMED &&
				     watched_add(out, RAAS_WH_RESULT_CONFIRMED, p, len)) ||
				    (s == RAAS_RESULT_REVERSED && old != RAAS_RESULT_REVERSED &&
				     watched_add(out, RAAS_WH_RESULT_REVERSED, p, len)))
					log_problem(stderr, "webhook_queue_failed", t->name, NULL,
					            "out of memory");
				p += len + 1;
			}
		}
		raas_strmap_free(&before);
		raas_arena_free(&arena);
	}
	raas_buf_free(&file);
	raas_buf_free(&then);
	raas_buf_free(&cur);
}

/* Queues what watch_results found and records the clock it looked at (the tenant is
 * locked). */
static void watched_emit(struct raas_api *api, struct tenant *t, const struct watched *w,
                         int64_t now)
{
	char doc[64], stamp[RAAS_TIME_FORMAT_MAX];
	struct raas_err err;
	int n;

	struct raas_webhook_event *evs = raas_calloc(w->n + 1, sizeof *evs);

	if (!evs)
		log_problem(stderr, "webhook_queue_failed", t->name, NULL, "out of memory");
	for (size_t i = 0; evs && i < w->n; i++)
		evs[i] = (struct raas_webhook_event){w->v[i].type, w->data.data + w->v[i].off,
		                                     w->v[i].len};
	if (evs)
		emit_many(api, t, evs, w->n, NULL);
	raas_free(evs);
	raas_time_format(now, 0, stamp);
	n = snprintf(doc, sizeof doc, "{\"until\":\"%s\"}\n", stamp);
	raas_err_clear(&err);
	if (raas_store_write_tenant_file(api->dir, t->name, "watched", doc, (size_t)n, &err))
		log_problem(stderr, "watch_failed", t->name, &err, NULL);
}

/* raas_svc_store_locked with the invoice.locked deliveries held for its commit (the tenant
 * is locked and alone, its store open). */
static raas_rc store_locked(struct raas_api *api, struct tenant *t, struct raas_locked *v,
                            size_t *got, const struct raas_buf *docs, int64_t now,
                            struct raas_err *err)
{
	struct commit_events ce = {.api = api, .t = t, .locked = &v, .nlocked = got, .docs = docs};
	raas_rc rc;

	/* Requests accepted during the pass carry later clocks: the batch takes the latest, so
	 * that the log's clocks never go back (the invoices do not depend on it). */
	int64_t at = raas_store_clock(t->store) > now ? raas_store_clock(t->store) : now;

	raas_store_before_commit(t->store, hold_for_commit, &ce);
	rc = raas_svc_store_locked(t->store, v, got, docs, at, err);
	raas_store_before_commit(t->store, NULL, NULL);
	settle_held(api, t);
	return rc;
}

/* Settles one tenant in four steps, so that its requests wait only for the short ones.
 * Alone: the clock, and a view of the store (raas_store_view). Without the lock, on the
 * view: the ledgers are loaded and the new locked invoices computed — a locked invoice
 * depends only on entries older than its lock time, which is not after the clock, while
 * whatever is accepted meanwhile gets a later clock —, and so are the results that
 * changed. Alone again: the invoices are stored (those stored meanwhile left out), the
 * webhook events queued and a new view taken. Without the lock: the checkpoints covering
 * the new invoices are signed from that view, while evidence requests wait (signing). */
static void settle_one(struct raas_api *api, struct tenant *t, FILE *log)
{
	struct raas_ledgers ls = {0};
	struct raas_store *view = NULL;
	struct raas_locked *v = NULL;
	struct watched watched = {0};
	struct raas_buf docs;
	struct raas_err err;
	size_t got = 0;
	int64_t now;
	double began = mono_seconds(), held = 0, since;
	bool watch = false;
	raas_rc rc;

	raas_err_clear(&err);
	raas_buf_init(&docs, (size_t)1 << 34);
	raas_buf_init(&watched.data, (size_t)1 << 34);
	pthread_mutex_lock(&t->mu);
	quiesce(t, true);
	since = mono_seconds();
	/* The clock once alone: batches committed while waiting may have moved the tenant's
	 * clock (and the real clock may step back). */
	now = write_clock(api, t);
	if (!(rc = t->store ? RAAS_OK
	                    : raas_store_open_tenant(api->dir, t->name, true, &t->store, &err)) &&
	    !(rc = raas_store_check_clock(t->store, now, &err)) &&
	    !(rc = raas_store_view(t->store, &view, &err))) {
		struct raas_err ignored; /* (logged when the deliveries are queued) */
		struct raas_webhooks *w = tenant_webhooks(api, t, &ignored);
		watch = w &&
		        raas_webhooks_wants(w, RAAS_WH_RESULT_CONFIRMED | RAAS_WH_RESULT_REVERSED);
		/* Whatever is accepted from now on is later than the pass's clock. */
		if (!api->fixed_clock && t->last_clock <= now)
			t->last_clock = now + 1;
	}
	held += mono_seconds() - since;
	pthread_mutex_unlock(&t->mu);

	if (!rc && !(rc = raas_ledgers_load(view, NULL, NULL, &ls, &err)))
		rc = raas_svc_collect_locked(view, &ls, now, true, &v, &got, &docs, &err);
	if (!rc && watch)
		watch_results(api, t, &ls, now, &watched);

	pthread_mutex_lock(&t->mu);
	quiesce(t, true);
	since = mono_seconds();
	if (!rc && !(rc = store_locked(api, t, v, &got, &docs, now, &err))) {
		struct raas_err merge_err;
		api->invoices_locked += got;
		watched_emit(api, t, &watched, now);
		raas_store_close(view);
		view = NULL;
		rc = raas_store_view(t->store, &view, &err); /* with the new invoices */
		t->signing = !rc;
		if (rc) {
			/* Stored: the next pass signs what no checkpoint covers. */
			char msg[2 * RAAS_ERR_MESSAGE_MAX];
			snprintf(msg, sizeof msg, "%s%s%s", err.path, err.path[0] ? ": " : "",
			         err.message);
			raas_err_clear(&err);
			raas_err_set(&err, rc, NULL,
			             "the invoices are stored, but their checkpoints are not yet "
			             "(the next pass signs them): %s",
			             msg);
		}
		/* Alone (no lookups in the older index run): keep the recent index small, as
		 * every writing open of the CLI does. */
		if (raas_store_merge_recent(t->store, &merge_err) != RAAS_OK && log)
			fprintf(log, "{\"merge_failed\":\"%s\"}\n", t->name);
	} else if (t->store) {
		/* Alone: what the failed pass added and did not commit goes. */
		raas_store_discard(t->store);
	}
	held += mono_seconds() - since;
	pthread_mutex_unlock(&t->mu);

	/* Without the lock again, evidence requests waiting: the logs hashed and the
	 * checkpoints signed and appended from the new view (only this thread appends them). */
	if (!rc)
		rc = raas_svc_sign_locked(view, v, got, &err);
	pthread_mutex_lock(&t->mu);
	t->signing = false;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);

	if (log && (rc || got)) {
		if (!rc)
			fprintf(log,
			        "{\"settled\":\"%s\",\"invoices\":%zu,\"seconds\":%.3f,"
			        "\"held_seconds\":%.3f}\n",
			        t->name, got, mono_seconds() - began, held);
		else
			log_problem(log, "settle_failed", t->name, &err, NULL);
		fflush(log);
	}
	raas_free(v);
	raas_free(watched.v);
	raas_buf_free(&watched.data);
	raas_ledgers_free(&ls);
	raas_store_close(view);
	raas_buf_free(&docs);
}

void raas_api_settle(struct raas_api *api, FILE *log)
{
	size_t n;
	struct tenant **ts = snapshot_tenants(api, &n);

	if (!ts)
		return;
	for (size_t i = 0; i < n && !api->stopping; i++)
		settle_one(api, ts[i], log); /* tenants live as long as the API */
	raas_free(ts);
}

void raas_api_stop(struct raas_api *api)
{
	api->stopping = true;
}

/* POST /v1/webhooks {"url","events"}, GET /v1/webhooks, DELETE /v1/webhooks/{id},
 * GET /v1/webhooks/{id}/deliveries. */
static void webhooks(struct raas_api *api, const struct caller *c,
                     const struct raas_http_request *req, struct raas_http_response *res)
{
	struct raas_webhooks *w;
	struct raas_err err;
	const char *id = req->nsegments >= 3 ? req->segments[2] : NULL;
	raas_rc rc;

	raas_err_clear(&err);
	if (!(w = tenant_webhooks(api, c->t, &err))) {
		fail_err(res, &err);
		return;
	}
	if (method(req, "GET") && !id) {
		if (raas_webhooks_list(w, &res->body))
			oom(res);
		else
			ok_json(res, 200);
		return;
	}
	if (method(req, "GET")) {
		rc = raas_webhooks_log(w, id, &res->body, &err);
		if (rc == RAAS_E_INPUT)
			fail(res, 404, "not_found", "%s", err.message);
		else if (rc)
			fail_err(res, &err);
		else
			ok_json(res, 200);
		return;
	}
	if (method(req, "DELETE")) {
		rc = raas_webhooks_remove(w, id, &err);
		if (rc == RAAS_E_INPUT)
			fail(res, 404, "not_found", "%s", err.message);
		else if (rc)
			fail_err(res, &err);
		else if (raas_buf_printf(&res->body, "{\"id\":") ||
		         raas_json_write_string(&res->body, id, strlen(id)) ||
		         raas_buf_puts(&res->body, ",\"deleted\":true}"))
			oom(res);
		else
			ok_json(res, 200);
		return;
	}
	{
		struct raas_arena arena;
		struct raas_json *doc;
		const struct raas_json *url, *events;
		unsigned mask = 0;
		raas_arena_init(&arena, 0);
		if (raas_json_parse(&arena, req->body, req->body_len, NULL, &doc, &err) !=
		            RAAS_OK ||
		    doc->type != RAAS_JSON_OBJECT) {
			fail(res, 400, "malformed",
			     "the body must be {\"url\":URL,\"events\":[TYPE...]}");
			raas_arena_free(&arena);
			return;
		}
		url = raas_json_get(doc, "url");
		events = raas_json_get(doc, "events");
		for (uint32_t i = 0; events && events->type == RAAS_JSON_ARRAY && i < events->len;
		     i++) {
			const struct raas_json *t = &events->u.items[i];
			unsigned bit = t->type == RAAS_JSON_STRING
			                       ? raas_webhook_type(t->u.str, t->len)
			                       : 0;
			if (!bit) {
				mask = 0;
				break;
			}
			mask |= bit;
		}
		if (!url || url->type != RAAS_JSON_STRING) {
			struct detail d = {"url", "required: an http:// URL"};
			fail_details(res, 422, "invalid", &d, 1, "the webhook has 1 problem");
		} else if ((rc = raas_webhooks_add(w, url->u.str, mask, api_clock(api), &res->body,
		                                   &err))) {
			struct detail d = {err.path, err.message};
			if (rc == RAAS_E_INPUT)
				fail_details(res, 422, "invalid", &d, 1,
				             "the webhook has 1 problem");
			else
				fail_err(res, &err);
		} else {
			ok_json(res, 201);
		}
		raas_arena_free(&arena);
	}
}

void raas_api_deliver(struct raas_api *api)
{
	size_t n;
	struct tenant **ts = snapshot_tenants(api, &n);

	if (!ts)
		return;
	for (size_t i = 0; i < n && !api->stopping; i++) {
		struct tenant *t = ts[i];
		struct raas_webhook_attempt a;
		struct raas_err err;
		raas_err_clear(&err);
		pthread_mutex_lock(&t->mu);
		/* Only tenants whose webhooks were read: events are queued through them. A
		 * backlog waits for the next start once the server stops. */
		while (!api->stopping && t->webhooks &&
		       raas_webhooks_due(t->webhooks, real_clock(), &a)) {
			char reason[256] = "";
			unsigned status;
			int64_t now;
			pthread_mutex_unlock(&t->mu);
			now = real_clock();
			status = raas_webhook_post(a.url, a.secret, a.body, a.body_len,
			                           now / 1000000, api->webhook_timeout_ms,
			                           api->webhook_ca, reason, sizeof reason);
			pthread_mutex_lock(&t->mu);
			if (status >= 200 && status < 300)
				api->webhook_delivered++;
			else
				api->webhook_failed_attempts++;
			if (t->webhooks &&
			    raas_webhooks_record(t->webhooks, a.delivery, status, reason,
			                         real_clock(), api->webhook_backoff_us,
			                         &err) != RAAS_OK)
				log_problem(stderr, "webhook_record_failed", t->name, &err, NULL);
			raas_webhook_attempt_free(&a);
		}
		pthread_mutex_unlock(&t->mu);
	}
	raas_free(ts);
}

void raas_api_load_webhooks(struct raas_api *api)
{
	pthread_mutex_lock(&api->mu);
	for (size_t i = 0; i < api->ntenants; i++) {
		struct tenant *t = api->tenants[i];
		struct raas_webhooks *w;
		struct raas_err err;
		raas_err_clear(&err);
		pthread_mutex_lock(&api->tenants[i]->mu);
		if (!(w = tenant_webhooks(api, t, &err)))
			log_problem(stderr, "webhooks_unreadable", t->name, &err, NULL);
		/* Deliveries held by a server that died around a commit: settled against the
		 * store now, before anything else is appended. */
		else if (raas_webhooks_holding(w) && !t->store &&
		         raas_store_open_tenant(api->dir, t->name, true, &t->store, &err) !=
		                 RAAS_OK)
			log_problem(stderr, "store_unreadable", t->name, &err, NULL);
		else
			settle_held(api, t);
		pthread_mutex_unlock(&api->tenants[i]->mu);
	}
	pthread_mutex_unlock(&api->mu);
}

/* The clock of a writing request: the server's; when it is the real clock (which may step
 * back), never behind the tenant's recorded one nor the latest one given out (to an event
 * request, or the floor a settling pass set). */
static int64_t write_clock(struct raas_api *api, struct tenant *t)
{
	int64_t now = api_clock(api);

	if (!api->fixed_clock && t->store && now < raas_store_clock(t->store))
		now = raas_store_clock(t->store);
	if (!api->fixed_clock && now < t->last_clock)
		now = t->last_clock;
	return now;
}

/* A dispute rule broken: 409 for what conflicts with the dispute's or result's state, 404
 * for what does not exist, 422 for the rest. */
static void fail_dispute(struct raas_http_response *res, const struct raas_err *err,
                         enum raas_dispute_refusal why)
{
	if (err->code != RAAS_E_INPUT) {
		fail_err(res, err);
		return;
	}
	if (why == RAAS_DISPUTE_CONFLICT) {
		fail(res, 409, "conflict", "%s: %s", err->path, err->message);
		return;
	}
	if (why == RAAS_DISPUTE_UNKNOWN) {
		fail(res, 404, "not_found", "%s: %s", err->message, err->path);
		return;
	}
	{
		struct detail d = {!strcmp(err->path, "--reason") ? "reason"
		                   : !strcmp(err->path, "--note") ? "note"
		                                                  : err->path,
		                   err->message};
		fail_details(res, 422, "invalid", &d, 1, "the dispute breaks 1 rule");
	}
}

/* Reads the JSON object body of a dispute action: its string members, by name. */
static bool dispute_body(const struct raas_http_request *req, struct raas_arena *arena,
                         const char *const *names, const char **values, size_t n,
                         struct raas_http_response *res)
{
	struct raas_json *doc;
	struct raas_err err;

	if (raas_json_parse(arena, req->body, req->body_len, NULL, &doc, &err) != RAAS_OK ||
	    doc->type != RAAS_JSON_OBJECT) {
		fail(res, 400, "malformed", "the body must be a JSON object");
		return false;
	}
	for (uint32_t i = 0; i < doc->len; i++) {
		const struct raas_json_member *m = &doc->u.members[i];
		bool known = false;
		for (size_t k = 0; k < n && !known; k++) {
			if (strcmp(m->key, names[k]))
				continue;
			known = true;
			if (m->value.type == RAAS_JSON_NULL) {
				values[k] = NULL;
			} else if (m->value.type == RAAS_JSON_STRING &&
			           strlen(m->value.u.str) == m->value.len) {
				values[k] = m->value.u.str;
			} else {
				struct detail d = {names[k], "must be a string"};
				fail_details(res, 422, "invalid", &d, 1,
				             "the request has 1 problem");
				return false;
			}
		}
		if (!known) {
			struct detail d = {m->key, "unknown field"};
			fail_details(res, 422, "invalid", &d, 1, "the request has 1 problem");
			return false;
		}
	}
	return true;
}

static void post_dispute(struct raas_api *api, const struct caller *c, const char *result,
                         const struct raas_http_request *req, struct raas_http_response *res)
{
	static const char *const names[] = {"reason", "note"};
	const char *values[2] = {NULL, NULL};
	const char *slash = strchr(result, '/');
	const struct raas_store_contract *m;
	struct raas_arena arena;
	struct raas_err err;
	struct commit_events ce = {.api = api, .t = c->t};
	enum raas_dispute_refusal why;
	raas_rc rc;
	char contract[256];

	raas_err_clear(&err);
	raas_arena_init(&arena, 0);
	if (!dispute_body(req, &arena, names, values, 2, res) || !tenant_store(api, c->t, res))
		goto out;
	if (!values[0]) {
		struct detail d = {"reason", "required: not_achieved, duplicate, not_attributable, "
		                             "already_reversed or other"};
		fail_details(res, 422, "invalid", &d, 1, "the dispute breaks 1 rule");
		goto out;
	}
	if (!slash || (size_t)(slash - result) >= sizeof contract) {
		fail(res, 404, "not_found", "no such result: %s", result);
		goto out;
	}
	memcpy(contract, result, (size_t)(slash - result));
	contract[slash - result] = '\0';
	m = raas_store_contract_latest(c->t->store, contract);
	if (!m || !sees(c, m->customer)) {
		fail(res, 404, "not_found", "no such result: %s", result);
		goto out;
	}
	ce.type = RAAS_WH_DISPUTE_OPENED;
	ce.doc = &res->body;
	raas_store_before_commit(c->t->store, hold_for_commit, &ce);
	rc = raas_svc_dispute_open(c->t->store, result, values[0], values[1],
	                           write_clock(api, c->t), &res->body, &why, &err);
	raas_store_before_commit(c->t->store, NULL, NULL);
	settle_held(api, c->t);
	if (rc) {
		raas_buf_reset(&res->body);
		fail_dispute(res, &err, why);
		goto out;
	}
	ok_json(res, 201);
out:
	raas_arena_free(&arena);
}

static void post_resolution(struct raas_api *api, const struct caller *c, const char *dispute,
                            const struct raas_http_request *req, struct raas_http_response *res)
{
	static const char *const names[] = {"outcome", "note"};
	const char *values[2] = {NULL, NULL};
	struct raas_arena arena;
	struct raas_err err;
	struct commit_events ce = {.api = api, .t = c->t};
	enum raas_dispute_refusal why;
	raas_rc rc;

	raas_err_clear(&err);
	raas_arena_init(&arena, 0);
	if (!dispute_body(req, &arena, names, values, 2, res) || !tenant_store(api, c->t, res))
		goto out;
	if (!values[0] || (strcmp(values[0], "upheld") && strcmp(values[0], "voided"))) {
		struct detail d = {"outcome", "required: upheld or voided"};
		fail_details(res, 422, "invalid", &d, 1, "the resolution breaks 1 rule");
		goto out;
	}
	ce.type = RAAS_WH_DISPUTE_RESOLVED;
	ce.doc = &res->body;
	raas_store_before_commit(c->t->store, hold_for_commit, &ce);
	rc = raas_svc_dispute_resolve(c->t->store, dispute, !strcmp(values[0], "upheld"), values[1],
	                              write_clock(api, c->t), &res->body, &why, &err);
	raas_store_before_commit(c->t->store, NULL, NULL);
	settle_held(api, c->t);
	if (rc) {
		raas_buf_reset(&res->body);
		fail_dispute(res, &err, why);
		goto out;
	}
	ok_json(res, 200);
out:
	raas_arena_free(&arena);
}

static void get_disputes(struct raas_api *api, const struct caller *c,
                         const struct raas_http_request *req, struct raas_http_response *res)
{
	const char *customer = arg(req, "customer");
	struct raas_err err;

	raas_err_clear(&err);
	if (!reader_store(api, c->t, res))
		return;
	if (c->role == RAAS_ROLE_CLIENT) {
		if (customer && strcmp(customer, c->customer)) {
			if (raas_buf_puts(&res->body, "[]"))
				oom(res);
			else
				ok_json(res, 200);
			return;
		}
		customer = c->customer;
	}
	if (raas_svc_disputes(c->t->store, arg(req, "status"), arg(req, "contract"), customer,
	                      api_clock(api), &res->body, &err)) {
		raas_buf_reset(&res->body);
		if (err.code == RAAS_E_INPUT)
			fail(res, 400, "malformed", "status: %s", err.message);
		else
			fail_err(res, &err);
		return;
	}
	if (ndjson_to_array(&res->body)) {
		oom(res);
		return;
	}
	ok_json(res, 200);
}

/* GET /v1/evidence/key: {"verifier_key"}, what a client verifies bundles with. */
static void get_verifier_key(struct raas_api *api, const struct caller *c,
                             struct raas_http_response *res)
{
	struct raas_buf k;
	struct raas_err err;

	raas_err_clear(&err);
	raas_buf_init(&k, 4096);
	if (!reader_store(api, c->t, res))
		goto out;
	if (raas_evidence_verifier_key(c->t->store, &k, &err)) {
		fail_err(res, &err);
		goto out;
	}
	if (raas_buf_puts(&res->body, "{\"verifier_key\":") ||
	    raas_json_write_string(&res->body, k.data, k.len) || raas_buf_putc(&res->body, '}')) {
		oom(res);
		goto out;
	}
	ok_json(res, 200);
out:
	raas_buf_free(&k);
}

/* ---- metrics ---- */

void raas_api_count_request(struct raas_api *api, unsigned status, double seconds)
{
	unsigned cls = status / 100;

	api->requests[cls >= 1 && cls <= 5 ? cls : 5]++;
	api->latency_us_sum += (uint64_t)(seconds * 1e6);
	api->latency_count++;
	for (size_t i = 0; i < 8; i++)
		if (seconds <= latency_bounds[i])
			api->latency_buckets[i]++;
}

raas_rc raas_api_metrics(struct raas_api *api, struct raas_buf *b)
{
	raas_rc rc = raas_buf_puts(b, "# HELP raas_http_requests_total HTTP requests answered, "
	                              "by status class.\n"
	                              "# TYPE raas_http_requests_total counter\n");

	for (unsigned c = 1; c <= 5 && !rc; c++)
		rc = raas_buf_printf(b, "raas_http_requests_total{code=\"%uxx\"} %llu\n", c,
		                     (unsigned long long)api->requests[c]);
	if (!rc)
		rc = raas_buf_puts(b, "# HELP raas_http_request_seconds Time to answer a request.\n"
		                      "# TYPE raas_http_request_seconds histogram\n");
	for (size_t i = 0; i < 8 && !rc; i++)
		rc = raas_buf_printf(b, "raas_http_request_seconds_bucket{le=\"%g\"} %llu\n",
		                     latency_bounds[i],
		                     (unsigned long long)api->latency_buckets[i]);
	if (!rc)
		rc = raas_buf_printf(b,
		                     "raas_http_request_seconds_bucket{le=\"+Inf\"} %llu\n"
		                     "raas_http_request_seconds_sum %.6f\n"
		                     "raas_http_request_seconds_count %llu\n",
		                     (unsigned long long)api->latency_count,
		                     (double)api->latency_us_sum / 1e6,
		                     (unsigned long long)api->latency_count);
	if (!rc)
		rc = raas_buf_printf(
		        b,
		        "# HELP raas_events_total Events in ingest reports, by outcome.\n"
		        "# TYPE raas_events_total counter\n"
		        "raas_events_total{outcome=\"accepted\"} %llu\n"
		        "raas_events_total{outcome=\"duplicate\"} %llu\n"
		        "raas_events_total{outcome=\"rejected\"} %llu\n"
		        "raas_events_total{outcome=\"conflict\"} %llu\n"
		        "# HELP raas_events_unmatched_total Accepted events no contract names.\n"
		        "# TYPE raas_events_unmatched_total counter\n"
		        "raas_events_unmatched_total %llu\n"
		        "# HELP raas_invoices_locked_total Invoices this server locked and "
		        "stored.\n"
		        "# TYPE raas_invoices_locked_total counter\n"
		        "raas_invoices_locked_total %llu\n"
		        "# HELP raas_webhook_deliveries_total Webhook delivery attempts, by "
		        "result.\n"
		        "# TYPE raas_webhook_deliveries_total counter\n"
		        "raas_webhook_deliveries_total{result=\"delivered\"} %llu\n"
		        "raas_webhook_deliveries_total{result=\"failed\"} %llu\n",
		        (unsigned long long)api->events_accepted,
		        (unsigned long long)api->events_duplicate,
		        (unsigned long long)api->events_rejected,
		        (unsigned long long)api->events_conflict,
		        (unsigned long long)api->events_unmatched,
		        (unsigned long long)api->invoices_locked,
		        (unsigned long long)api->webhook_delivered,
		        (unsigned long long)api->webhook_failed_attempts);
	return rc;
}

/* ---- routing ---- */

static bool seg(const struct raas_http_request *req, size_t i, const char *s)
{
	return i < req->nsegments && !strcmp(req->segments[i], s);
}

static bool method(const struct raas_http_request *req, const char *m)
{
	return !strcmp(req->method, m);
}

static void not_allowed(struct raas_http_response *res, const char *allowed)
{
	res->allow = allowed;
	fail(res, 405, "method_not_allowed", "this path accepts %s", allowed);
}

void raas_api_handle(struct raas_api *api, const struct raas_http_request *req,
                     struct raas_http_response *res)
{
	struct caller c = {0};
	size_t n = req->nsegments;

	if (n == 1 && seg(req, 0, "healthz")) {
		if (!method(req, "GET") && !method(req, "HEAD")) {
			not_allowed(res, "GET, HEAD");
			return;
		}
		if (raas_buf_puts(&res->body, "{\"status\":\"ok\"}"))
			oom(res);
		else
			ok_json(res, 200);
		return;
	}
	if (n == 1 && seg(req, 0, "metrics")) {
		if (!method(req, "GET")) {
			not_allowed(res, "GET");
			return;
		}
		if (raas_api_metrics(api, &res->body)) {
			oom(res);
			return;
		}
		res->status = 200;
		res->content_type = "text/plain; version=0.0.4";
		return;
	}
	if (n < 2 || !seg(req, 0, "v1")) {
		fail(res, 404, "not_found", "no such endpoint: %s", req->path);
		return;
	}
	if (req->body_len > api->max_body) {
		fail(res, 413, "too_large", "the body is larger than %zu bytes", api->max_body);
		return;
	}
	if (!authenticate(api, req, &c, res))
		return;
	/* The tenant is locked from here on. */
	if (!take_token(api, &c, res)) {
		pthread_mutex_unlock(&c.t->mu);
		return;
	}
	if (seg(req, 1, "events") && n == 2) {
		if (!method(req, "POST"))
			not_allowed(res, "POST");
		else if (allow(&c, WRITE_EVENTS, res))
			post_events(api, &c, req, res);
	} else if (seg(req, 1, "contracts") && n == 2) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_contracts(api, &c, res);
	} else if (seg(req, 1, "contracts") && n == 3) {
		if (method(req, "PUT")) {
			if (allow(&c, WRITE_CONTRACT, res))
				put_contract(api, &c, req->segments[2], req, res);
		} else if (method(req, "GET")) {
			if (allow(&c, READ, res))
				get_contract(api, &c, req->segments[2], req, res);
		} else {
			not_allowed(res, "GET, PUT");
		}
	} else if (seg(req, 1, "contracts") && n == 5 && seg(req, 3, "invoices")) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_invoice(api, &c, req->segments[2], req->segments[4], req, res);
	} else if (seg(req, 1, "invoices") && n == 2) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_invoices(api, &c, req, res);
	} else if (seg(req, 1, "customers") && (n == 2 || n == 3)) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_customers(api, &c, n == 3 ? req->segments[2] : NULL, res);
	} else if (seg(req, 1, "evidence") && n == 3 && seg(req, 2, "key")) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_verifier_key(api, &c, res);
	} else if (seg(req, 1, "evidence") && n == 4 &&
	           (seg(req, 3, "checkpoint") || seg(req, 3, "proof") ||
	            seg(req, 3, "consistency") || seg(req, 3, "bundle"))) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_evidence(api, &c, req->segments[2], req->segments[3], req, res);
	} else if (seg(req, 1, "results") && n == 4 && seg(req, 3, "disputes")) {
		if (!method(req, "POST"))
			not_allowed(res, "POST");
		else if (allow(&c, OPEN_DISPUTE, res))
			post_dispute(api, &c, req->segments[2], req, res);
	} else if (seg(req, 1, "disputes") && n == 4 && seg(req, 3, "resolution")) {
		if (!method(req, "POST"))
			not_allowed(res, "POST");
		else if (allow(&c, RESOLVE, res))
			post_resolution(api, &c, req->segments[2], req, res);
	} else if (seg(req, 1, "disputes") && n == 2) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_disputes(api, &c, req, res);
	} else if (seg(req, 1, "results") && n == 2) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ, res))
			get_results(api, &c, req, res);
	} else if (seg(req, 1, "keys") && n == 2) {
		if (method(req, "GET")) {
			if (allow(&c, READ_KEYS, res))
				get_keys(api, &c, res);
		} else if (method(req, "POST")) {
			if (allow(&c, MANAGE_KEYS, res))
				post_key(api, &c, req, res);
		} else {
			not_allowed(res, "GET, POST");
		}
	} else if (seg(req, 1, "webhooks") && n == 2) {
		if (method(req, "GET")) {
			if (allow(&c, READ_HOOKS, res))
				webhooks(api, &c, req, res);
		} else if (method(req, "POST")) {
			if (allow(&c, MANAGE_KEYS, res))
				webhooks(api, &c, req, res);
		} else {
			not_allowed(res, "GET, POST");
		}
	} else if (seg(req, 1, "webhooks") && n == 3) {
		if (!method(req, "DELETE"))
			not_allowed(res, "DELETE");
		else if (allow(&c, MANAGE_KEYS, res))
			webhooks(api, &c, req, res);
	} else if (seg(req, 1, "webhooks") && n == 4 && seg(req, 3, "deliveries")) {
		if (!method(req, "GET"))
			not_allowed(res, "GET");
		else if (allow(&c, READ_HOOKS, res))
			webhooks(api, &c, req, res);
	} else if (seg(req, 1, "keys") && n == 3) {
		if (!method(req, "DELETE"))
			not_allowed(res, "DELETE");
		else if (allow(&c, MANAGE_KEYS, res))
			delete_key(api, &c, req->segments[2], res);
	} else {
		fail(res, 404, "not_found", "no such endpoint: %s", req->path);
	}
	pthread_mutex_unlock(&c.t->mu);
}
