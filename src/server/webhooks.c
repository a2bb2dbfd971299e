/* webhooks.c — webhook endpoints, the persistent delivery queue with backoff, and the small
 * HTTP client that makes the deliveries (docs/formats/webhooks.md). */
#include "server/webhooks.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "evidence/crypto.h"
#include "raas/time.h"
#include "store/store.h"

#define MAX_BACKOFF_US (INT64_C(3600) * 1000000)

static const char *const type_names[] = {"invoice.locked", "result.confirmed", "result.reversed",
                                         "dispute.opened", "dispute.resolved", "events.unmatched"};
#define NTYPES (sizeof type_names / sizeof *type_names)

struct endpoint {
	char id[24];
	char *url;
	unsigned events;
	unsigned char secret[32];
	int64_t created;
};

struct attempt {
	int64_t at;
	unsigned status; /* 0: no answer (reason says why) */
	char *reason;
};

/* HELD: queued for a commit that has not returned yet (raas_webhooks_emit with a mark). */
enum { PENDING, DELIVERED, FAILED, HELD };

struct delivery {
	char id[40];
	char endpoint[24];
	unsigned type;
	int64_t created;
	int state;
	int64_t next;  /* the next attempt (PENDING) */
	int64_t first; /* the first attempt, INT64_MIN before it */
	char *body;
	size_t len;
	struct attempt *att;
	size_t natt;
	struct raas_store_mark mark; /* HELD: the last entry of the commit it waits for */
};

struct raas_webhooks {
	char *dir, *tenant;
	struct endpoint *ep;
	size_t nep;
	struct delivery *dl; /* oldest first */
	size_t ndl;
};

unsigned raas_webhook_type(const char *name, size_t len)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strlen(type_names[i]) == len && !memcmp(type_names[i], name, len))
			return 1u << i;
	return 0;
}

static void delivery_free(struct delivery *d)
{
	raas_free(d->body);
	for (size_t i = 0; i < d->natt; i++)
		raas_free(d->att[i].reason);
	raas_free(d->att);
}

void raas_webhooks_free(struct raas_webhooks *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nep; i++)
		raas_free(w->ep[i].url);
	raas_free(w->ep);
	for (size_t i = 0; i < w->ndl; i++)
		delivery_free(&w->dl[i]);
	raas_free(w->dl);
	raas_free(w->dir);
	raas_free(w->tenant);
	raas_free(w);
}

void raas_webhook_attempt_free(struct raas_webhook_attempt *a)
{
	raas_free(a->url);
	raas_free(a->body);
	memset(a, 0, sizeof *a);
}

/* ---- files ---- */

static raas_rc put_time(struct raas_buf *b, int64_t us)
{
	char t[RAAS_TIME_FORMAT_MAX];

	raas_time_format(us, 0, t);
	return raas_buf_printf(b, "\"%s\"", t);
}

static raas_rc put_events(struct raas_buf *b, unsigned events)
{
	raas_rc rc = raas_buf_putc(b, '[');
	bool first = true;

	for (size_t i = 0; i < NTYPES && !rc; i++)
		if (events & (1u << i)) {
			rc = raas_buf_printf(b, "%s\"%s\"", first ? "" : ",", type_names[i]);
			first = false;
		}
	return rc ? rc : raas_buf_putc(b, ']');
}

static raas_rc put_endpoint(struct raas_buf *b, const struct endpoint *e, bool secret)
{
	raas_rc rc;

	if ((rc = raas_buf_printf(b, "{\"id\":\"%s\",\"url\":", e->id)) ||
	    (rc = raas_json_write_string(b, e->url, strlen(e->url))) ||
	    (rc = raas_buf_puts(b, ",\"events\":")) || (rc = put_events(b, e->events)) ||
	    (rc = raas_buf_puts(b, ",\"created\":")) || (rc = put_time(b, e->created)))
		return rc;
	if (secret) {
		char hex[65];
		raas_hex_encode(e->secret, 32, hex);
		if ((rc = raas_buf_printf(b, ",\"secret\":\"%s\"", hex)))
			return rc;
	}
	return raas_buf_putc(b, '}');
}

static const char *state_name(int s)
{
	return s == PENDING     ? "pending"
	       : s == DELIVERED ? "delivered"
	       : s == HELD      ? "held"
	                        : "failed";
}

/* The delivery as its log shows it; with full, also what only the file keeps. */
static raas_rc put_delivery(struct raas_buf *b, const struct delivery *d, bool full)
{
	raas_rc rc;

	if ((rc = raas_buf_printf(
	             b, "{\"id\":\"%s\",\"endpoint\":\"%s\",\"type\":\"%s\",\"created\":", d->id,
	             d->endpoint, type_names[__builtin_ctz(d->type)])) ||
	    (rc = put_time(b, d->created)) ||
	    (rc = raas_buf_printf(b, ",\"status\":\"%s\",\"attempts\":[", state_name(d->state))))
		return rc;
	for (size_t i = 0; i < d->natt && !rc; i++) {
		rc = raas_buf_puts(b, i ? ",{\"at\":" : "{\"at\":");
		if (!rc)
			rc = put_time(b, d->att[i].at);
		if (!rc && d->att[i].status)
			rc = raas_buf_printf(b, ",\"result\":\"HTTP %u\"}", d->att[i].status);
		else if (!rc) {
			rc = raas_buf_puts(b, ",\"result\":");
			if (!rc)
				rc = raas_json_write_text(b, d->att[i].reason,
				                          strlen(d->att[i].reason));
			if (!rc)
				rc = raas_buf_putc(b, '}');
		}
	}
	if (!rc)
		rc = raas_buf_puts(b, "],\"next_attempt\":");
	if (!rc)
		rc = d->state == PENDING ? put_time(b, d->next) : raas_buf_puts(b, "null");
	if (!rc && full) {
		rc = raas_buf_puts(b, ",\"first\":");
		if (!rc)
			rc = d->first == INT64_MIN ? raas_buf_puts(b, "null")
			                           : put_time(b, d->first);
		if (!rc)
			rc = raas_buf_puts(b, ",\"body\":");
		if (!rc)
			rc = raas_json_write_string(b, d->body, d->len);
		if (!rc && d->state == HELD)
			rc = raas_buf_printf(
			        b, ",\"held_for\":{\"position\":%llu,\"checksum\":\"%016llx\"}",
			        (unsigned long long)d->mark.pos,
			        (unsigned long long)d->mark.checksum);
	}
	return rc ? rc : raas_buf_putc(b, '}');
}

static raas_rc save(struct raas_webhooks *w, struct raas_err *err)
{
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	raas_buf_init(&b, (size_t)1 << 34);
	for (size_t i = 0; i < w->nep && !rc; i++)
		if (!(rc = put_endpoint(&b, &w->ep[i], true)))
			rc = raas_buf_putc(&b, '\n');
	if (rc || (rc = raas_store_write_tenant_file(w->dir, w->tenant, "webhooks",
	                                             b.data ? b.data : "", b.len, err)))
		goto out;
	raas_buf_reset(&b);
	for (size_t i = 0; i < w->ndl && !rc; i++)
		if (!(rc = put_delivery(&b, &w->dl[i], true)))
			rc = raas_buf_putc(&b, '\n');
	if (!rc)
		rc = raas_store_write_tenant_file(w->dir, w->tenant, "deliveries",
		                                  b.data ? b.data : "", b.len, err);
out:
	if (rc == RAAS_E_NOMEM || rc == RAAS_E_INPUT)
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	raas_buf_free(&b);
	return rc;
}

static bool get_time(const struct raas_json *obj, const char *key, bool nullable, int64_t *us)
{
	const struct raas_json *v = raas_json_get(obj, key);
	struct raas_err e;

	if (v && nullable && v->type == RAAS_JSON_NULL) {
		*us = INT64_MIN;
		return true;
	}
	return v && v->type == RAAS_JSON_STRING && raas_time_parse(v->u.str, v->len, us, &e) == 0;
}

static const char *get_str(const struct raas_json *obj, const char *key)
{
	const struct raas_json *v = raas_json_get(obj, key);

	return v && v->type == RAAS_JSON_STRING ? v->u.str : NULL;
}

static unsigned get_events(const struct raas_json *obj)
{
	const struct raas_json *v = raas_json_get(obj, "events");
	unsigned m = 0;

	if (!v || v->type != RAAS_JSON_ARRAY)
		return 0;
	for (uint32_t i = 0; i < v->len; i++) {
		const struct raas_json *t = &v->u.items[i];
		unsigned bit =
		        t->type == RAAS_JSON_STRING ? raas_webhook_type(t->u.str, t->len) : 0;
		if (!bit)
			return 0;
		m |= bit;
	}
	return m;
}

static raas_rc parse_endpoint(const struct raas_json *o, struct endpoint *e)
{
	const char *id = get_str(o, "id"), *url = get_str(o, "url"), *secret = get_str(o, "secret");

	memset(e, 0, sizeof *e);
	if (!id || strlen(id) >= sizeof e->id || !url || !secret ||
	    raas_hex_decode(secret, strlen(secret), e->secret, 32) ||
	    !(e->events = get_events(o)) || !get_time(o, "created", false, &e->created))
		return RAAS_E_STORAGE;
	snprintf(e->id, sizeof e->id, "%s", id);
	return (e->url = raas_strdup(url)) ? RAAS_OK : RAAS_E_NOMEM;
}

static raas_rc parse_delivery(const struct raas_json *o, struct delivery *d)
{
	const char *id = get_str(o, "id"), *ep = get_str(o, "endpoint"), *type = get_str(o, "type"),
	           *status = get_str(o, "status");
	const struct raas_json *body = raas_json_get(o, "body"),
	                       *att = raas_json_get(o, "attempts");

	memset(d, 0, sizeof *d);
	if (!id || strlen(id) >= sizeof d->id || !ep || strlen(ep) >= sizeof d->endpoint || !type ||
	    !(d->type = raas_webhook_type(type, strlen(type))) || !status || !body ||
	    body->type != RAAS_JSON_STRING || !att || att->type != RAAS_JSON_ARRAY ||
	    !get_time(o, "created", false, &d->created) || !get_time(o, "first", true, &d->first))
		return RAAS_E_STORAGE;
	d->state = !strcmp(status, "pending")     ? PENDING
	           : !strcmp(status, "delivered") ? DELIVERED
	           : !strcmp(status, "held")      ? HELD
	                                          : FAILED;
	if (d->state == PENDING && !get_time(o, "next_attempt", false, &d->next))
		return RAAS_E_STORAGE;
	if (d->state == HELD) {
		const struct raas_json *h = raas_json_get(o, "held_for");
		const struct raas_json *pos = h ? raas_json_get(h, "position") : NULL;
		const char *sum = h ? get_str(h, "checksum") : NULL;
		char *end = NULL;
		if (!pos || pos->type != RAAS_JSON_NUMBER || !sum || strlen(sum) != 16)
			return RAAS_E_STORAGE;
		d->mark.pos = strtoull(pos->u.str, &end, 10);
		if (end != pos->u.str + pos->len)
			return RAAS_E_STORAGE;
		d->mark.checksum = strtoull(sum, &end, 16);
		if (end != sum + 16)
			return RAAS_E_STORAGE;
	}
	snprintf(d->id, sizeof d->id, "%s", id);
	snprintf(d->endpoint, sizeof d->endpoint, "%s", ep);
	if (!(d->body = raas_malloc(body->len + 1)))
		return RAAS_E_NOMEM;
	memcpy(d->body, body->u.str, body->len + 1);
	d->len = body->len;
	if (att->len && !(d->att = raas_calloc(att->len, sizeof *d->att)))
		return RAAS_E_NOMEM;
	for (uint32_t i = 0; i < att->len; i++) {
		const struct raas_json *a = &att->u.items[i];
		const char *r = get_str(a, "result");
		struct attempt *x = &d->att[d->natt];
		if (!r || !get_time(a, "at", false, &x->at))
			return RAAS_E_STORAGE;
		if (!strncmp(r, "HTTP ", 5))
			x->status = (unsigned)strtoul(r + 5, NULL, 10);
		else if (!(x->reason = raas_strdup(r)))
			return RAAS_E_NOMEM;
		d->natt++;
	}
	return RAAS_OK;
}

raas_rc raas_webhooks_load(const char *dir, const char *tenant, struct raas_webhooks **out,
                           struct raas_err *err)
{
	struct raas_webhooks *w = raas_calloc(1, sizeof *w);
	struct raas_buf b;
	struct raas_arena arena;
	raas_rc rc = RAAS_OK;

	*out = NULL;
	if (!w || !(w->dir = raas_strdup(dir)) || !(w->tenant = raas_strdup(tenant))) {
		raas_webhooks_free(w);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	raas_buf_init(&b, (size_t)1 << 34);
	raas_arena_init(&arena, 0);
	for (int file = 0; file < 2 && !rc; file++) {
		raas_buf_reset(&b);
		rc = raas_store_read_tenant_file(dir, tenant, file ? "deliveries" : "webhooks", &b,
		                                 err);
		if (rc == RAAS_E_INPUT) {
			rc = RAAS_OK;
			continue;
		}
		for (const char *p = b.data; !rc && p && p < b.data + b.len;) {
			const char *nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(b.data + b.len - p);
			struct raas_json *o;
			struct raas_err e;
			raas_arena_reset(&arena);
			if (raas_json_parse(&arena, p, n, NULL, &o, &e) != RAAS_OK) {
				rc = RAAS_E_STORAGE;
			} else if (!file) {
				struct endpoint *v = raas_realloc(w->ep, (w->nep + 1) * sizeof *v);
				if (!v)
					rc = RAAS_E_NOMEM;
				else if (!(rc = parse_endpoint(o, &(w->ep = v)[w->nep])))
					w->nep++;
				else
					raas_free(w->ep[w->nep].url);
			} else {
				struct delivery *v = raas_realloc(w->dl, (w->ndl + 1) * sizeof *v);
				if (!v)
					rc = RAAS_E_NOMEM;
				else if (!(rc = parse_delivery(o, &(w->dl = v)[w->ndl])))
					w->ndl++;
				else
					delivery_free(&w->dl[w->ndl]);
			}
			p += n + 1;
		}
		if (rc == RAAS_E_STORAGE)
			rc = raas_err_set(err, rc, NULL, "tenant %s: the %s file is damaged",
			                  tenant, file ? "deliveries" : "webhooks");
		else if (rc == RAAS_E_NOMEM)
			rc = raas_err_set(err, rc, NULL, "out of memory");
	}
	raas_buf_free(&b);
	raas_arena_free(&arena);
	if (rc) {
		raas_webhooks_free(w);
		return rc;
	}
	*out = w;
	return RAAS_OK;
}

/* ---- endpoints ---- */

/* http[s]://HOST[:PORT][/PATH]: host, port and path into the buffers, *tls for https. */
static bool split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
                      const char **path, bool *tls)
{
	const char *h, *end, *colon;
	size_t n;

	if (!strncmp(url, "http://", 7))
		*tls = false;
	else if (!strncmp(url, "https://", 8))
		*tls = true;
	else
		return false;
	h = url + (*tls ? 8 : 7);
	end = h + strcspn(h, "/?#");
	*path = *end == '/' ? end : "/";
	if (*end && *end != '/')
		return false;
	colon = memchr(h, ':', (size_t)(end - h));
	n = (size_t)((colon ? colon : end) - h);
	if (!n || n >= hcap)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon) {
		size_t pn = (size_t)(end - colon - 1);
		if (!pn || pn >= pcap || strspn(colon + 1, "0123456789") < pn)
			return false;
		memcpy(port, colon + 1, pn);
		port[pn] = '\0';
	} else {
		snprintf(port, pcap, *tls ? "443" : "80");
	}
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

raas_rc raas_webhooks_add(struct raas_webhooks *w, const char *url, unsigned events, int64_t now,
                          struct raas_buf *out, struct raas_err *err)
{
	char host[256], port[8];
	const char *path;
	struct endpoint *v, *e;
	unsigned char raw[8];
	bool tls;
	raas_rc rc;

	if (strlen(url) > 2048 ||
	    !split_url(url, host, sizeof host, port, sizeof port, &path, &tls))
		return raas_err_set(
		        err, RAAS_E_INPUT, "url",
		        "must be http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]");
	if (!events)
		return raas_err_set(err, RAAS_E_INPUT, "events",
		                    "a non-empty list of invoice.locked, result.confirmed, "
		                    "result.reversed, dispute.opened, dispute.resolved, "
		                    "events.unmatched");
	if (!(v = raas_realloc(w->ep, (w->nep + 1) * sizeof *v)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	w->ep = v;
	e = &v[w->nep];
	memset(e, 0, sizeof *e);
	if ((rc = raas_random_bytes(raw, sizeof raw, err)) ||
	    (rc = raas_random_bytes(e->secret, sizeof e->secret, err)))
		return rc;
	memcpy(e->id, "wh_", 3);
	raas_hex_encode(raw, sizeof raw, e->id + 3);
	if (!(e->url = raas_strdup(url)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	e->events = events;
	e->created = now;
	w->nep++;
	if ((rc = save(w, err))) {
		raas_free(e->url);
		w->nep--;
		return rc;
	}
	return put_endpoint(out, e, true) ? raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory")
	                                  : RAAS_OK;
}

raas_rc raas_webhooks_remove(struct raas_webhooks *w, const char *id, struct raas_err *err)
{
	size_t i, k = 0;

	for (i = 0; i < w->nep && strcmp(w->ep[i].id, id); i++)
		;
	if (i == w->nep)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no such webhook: %s", id);
	raas_free(w->ep[i].url);
	memmove(&w->ep[i], &w->ep[i + 1], (w->nep - i - 1) * sizeof *w->ep);
	w->nep--;
	for (size_t j = 0; j < w->ndl; j++) {
		if (!strcmp(w->dl[j].endpoint, id))
			delivery_free(&w->dl[j]);
		else
			w->dl[k++] = w->dl[j];
	}
	w->ndl = k;
	return save(w, err);
}

raas_rc raas_webhooks_list(const struct raas_webhooks *w, struct raas_buf *out)
{
	raas_rc rc = raas_buf_putc(out, '[');

	for (size_t i = 0; i < w->nep && !rc; i++)
		if (!(rc = i ? raas_buf_putc(out, ',') : RAAS_OK))
			rc = put_endpoint(out, &w->ep[i], false);
	return rc ? rc : raas_buf_putc(out, ']');
}

raas_rc raas_webhooks_log(const struct raas_webhooks *w, const char *id, struct raas_buf *out,
                          struct raas_err *err)
{
	bool known = false, first = true;
	raas_rc rc;

	for (size_t i = 0; i < w->nep && !known; i++)
		known = !strcmp(w->ep[i].id, id);
	if (!known)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "no such webhook: %s", id);
	rc = raas_buf_putc(out, '[');
	for (size_t i = w->ndl; i-- > 0 && !rc;)
		if (w->dl[i].state != HELD && !strcmp(w->dl[i].endpoint, id)) {
			if (!first)
				rc = raas_buf_putc(out, ',');
			first = false;
			if (!rc)
				rc = put_delivery(out, &w->dl[i], false);
		}
	if (!rc)
		rc = raas_buf_putc(out, ']');
	return rc ? raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory") : RAAS_OK;
}

/* ---- the queue ---- */

/* Keeps every pending delivery and each endpoint's newest RAAS_WEBHOOK_LOG_KEEP others: one
 * walk from the newest, counting per endpoint (few: a short list), not a comparison of every
 * delivery with every newer one. */
static void trim(struct raas_webhooks *w)
{
	struct seen {
		const char *endpoint;
		size_t finished;
	} *seen = NULL;
	size_t nseen = 0, k = w->ndl;

	for (size_t i = w->ndl; i-- > 0;) {
		struct delivery *d = &w->dl[i];
		size_t j;
		if (d->state == PENDING || d->state == HELD)
			continue;
		for (j = 0; j < nseen && strcmp(seen[j].endpoint, d->endpoint); j++)
			;
		if (j == nseen) {
			struct seen *more = raas_realloc(seen, (nseen + 1) * sizeof *more);
			if (!more)
				break; /* (out of memory: trimmed next time) */
			seen = more;
			seen[nseen++] = (struct seen){d->endpoint, 0};
		}
		if (seen[j].finished++ >= RAAS_WEBHOOK_LOG_KEEP) {
			delivery_free(d);
			d->type = 0; /* dropped */
			k--;
		}
	}
	raas_free(seen);
	if (k != w->ndl) {
		size_t n = 0;
		for (size_t i = 0; i < w->ndl; i++)
			if (w->dl[i].type)
				w->dl[n++] = w->dl[i];
		w->ndl = n;
	}
}

bool raas_webhooks_wants(const struct raas_webhooks *w, unsigned mask)
{
	for (size_t i = 0; i < w->nep; i++)
		if (w->ep[i].events & mask)
			return true;
	return false;
}

/* Queues one event for every endpoint subscribed to its type (in memory); *added counts the
 * deliveries. */
static raas_rc queue_event(struct raas_webhooks *w, const struct raas_webhook_event *ev,
                           int64_t now, const struct raas_store_mark *mark, size_t *added,
                           struct raas_err *err)
{
	for (size_t i = 0; i < w->nep; i++) {
		struct delivery *v, *d;
		struct raas_buf b;
		unsigned char raw[12];
		raas_rc rc;
		if (!(w->ep[i].events & ev->type))
			continue;
		if (!(v = raas_realloc(w->dl, (w->ndl + 1) * sizeof *v)))
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		w->dl = v;
		d = &v[w->ndl];
		memset(d, 0, sizeof *d);
		if ((rc = raas_random_bytes(raw, sizeof raw, err)))
			return rc;
		memcpy(d->id, "dl_", 3);
		raas_hex_encode(raw, sizeof raw, d->id + 3);
		memcpy(d->endpoint, w->ep[i].id, sizeof d->endpoint);
		d->type = ev->type;
		d->created = now;
		d->state = mark ? HELD : PENDING;
		if (mark)
			d->mark = *mark;
		d->next = INT64_MIN; /* at once */
		d->first = INT64_MIN;
		raas_buf_init(&b, (size_t)1 << 34);
		if (raas_buf_printf(&b, "{\"id\":\"%s\",\"type\":\"%s\",\"created\":", d->id,
		                    type_names[__builtin_ctz(ev->type)]) ||
		    put_time(&b, now) || raas_buf_puts(&b, ",\"data\":") ||
		    raas_buf_append(&b, ev->data, ev->len) || raas_buf_putc(&b, '}')) {
			raas_buf_free(&b);
			return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		}
		d->body = b.data; /* taken from b */
		d->len = b.len;
		w->ndl++;
		(*added)++;
	}
	return RAAS_OK;
}

raas_rc raas_webhooks_emit_many(struct raas_webhooks *w, const struct raas_webhook_event *evs,
                                size_t n, int64_t now, const struct raas_store_mark *mark,
                                struct raas_err *err)
{
	size_t added = 0;
	raas_rc rc = RAAS_OK;

	for (size_t i = 0; i < n && !rc; i++)
		rc = queue_event(w, &evs[i], now, mark, &added, err);
	if (!added)
		return rc;
	trim(w);
	/* One save for the lot: it rewrites the whole deliveries file. */
	return rc ? rc : save(w, err);
}

raas_rc raas_webhooks_emit(struct raas_webhooks *w, unsigned type, const char *data, size_t len,
                           int64_t now, const struct raas_store_mark *mark, struct raas_err *err)
{
	struct raas_webhook_event ev = {type, data, len};

	return raas_webhooks_emit_many(w, &ev, 1, now, mark, err);
}

bool raas_webhooks_holding(const struct raas_webhooks *w)
{
	for (size_t i = 0; i < w->ndl; i++)
		if (w->dl[i].state == HELD)
			return true;
	return false;
}

raas_rc raas_webhooks_settle_held(struct raas_webhooks *w,
                                  enum raas_mark_state (*state)(void *ctx,
                                                                const struct raas_store_mark *m),
                                  void *ctx, struct raas_err *err)
{
	size_t k = 0;
	bool changed = false;

	for (size_t i = 0; i < w->ndl; i++) {
		struct delivery *d = &w->dl[i];
		enum raas_mark_state st =
		        d->state == HELD ? state(ctx, &d->mark) : RAAS_MARK_WAITING;
		if (d->state == HELD && st == RAAS_MARK_LOST) {
			delivery_free(d);
			changed = true;
			continue;
		}
		if (d->state == HELD && st == RAAS_MARK_STORED) {
			d->state = PENDING;
			d->next = INT64_MIN; /* at once */
			changed = true;
		}
		w->dl[k++] = *d;
	}
	w->ndl = k;
	return changed ? save(w, err) : RAAS_OK;
}

bool raas_webhooks_due(struct raas_webhooks *w, int64_t now, struct raas_webhook_attempt *out)
{
	for (size_t i = 0; i < w->ndl; i++) {
		struct delivery *d = &w->dl[i];
		const struct endpoint *e = NULL;
		if (d->state != PENDING || d->next > now)
			continue;
		for (size_t k = 0; k < w->nep && !e; k++)
			if (!strcmp(w->ep[k].id, d->endpoint))
				e = &w->ep[k];
		if (!e)
			continue;
		memset(out, 0, sizeof *out);
		snprintf(out->delivery, sizeof out->delivery, "%s", d->id);
		out->url = raas_strdup(e->url);
		out->body = raas_malloc(d->len + 1);
		if (!out->url || !out->body) {
			raas_webhook_attempt_free(out);
			return false;
		}
		memcpy(out->body, d->body, d->len + 1);
		out->body_len = d->len;
		memcpy(out->secret, e->secret, sizeof out->secret);
		return true;
	}
	return false;
}

int64_t raas_webhooks_next_time(const struct raas_webhooks *w)
{
	int64_t t = INT64_MAX;

	for (size_t i = 0; i < w->ndl; i++)
		if (w->dl[i].state == PENDING && w->dl[i].next < t)
			t = w->dl[i].next;
	return t;
}

raas_rc raas_webhooks_record(struct raas_webhooks *w, const char *delivery, unsigned status,
                             const char *reason, int64_t now, int64_t base_us, struct raas_err *err)
{
	struct delivery *d = NULL;
	struct attempt *a;

	for (size_t i = 0; i < w->ndl && !d; i++)
		if (!strcmp(w->dl[i].id, delivery))
			d = &w->dl[i];
	if (!d || d->state != PENDING)
		return RAAS_OK; /* removed with its endpoint meanwhile */
	if (!(a = raas_realloc(d->att, (d->natt + 1) * sizeof *a)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	d->att = a;
	a = &a[d->natt];
	a->at = now;
	a->status = status;
	a->reason = status ? NULL : raas_strdup(reason ? reason : "no answer");
	d->natt++;
	if (d->first == INT64_MIN)
		d->first = now;
	if (status >= 200 && status < 300) {
		d->state = DELIVERED;
	} else if (now - d->first >= RAAS_WEBHOOK_GIVE_UP_US) {
		d->state = FAILED;
	} else {
		int64_t wait = base_us;
		for (size_t i = 1; i < d->natt && wait < MAX_BACKOFF_US; i++)
			wait *= 2;
		d->next = now + (wait < MAX_BACKOFF_US ? wait : MAX_BACKOFF_US);
	}
	trim(w);
	return save(w, err);
}

/* ---- the HTTP client ---- */

static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

raas_rc raas_webhook_check_ca(const char *ca_file, struct raas_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	bool ok = ctx && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) == 1;

	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ok ? RAAS_OK
	          : raas_err_set(err, RAAS_E_INPUT, "--webhook-ca",
	                         "%s: cannot be read as PEM certificates", ca_file);
}

/* One connection, plain or TLS over the non-blocking socket fd. */
struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int timeout_ms;
};

/* Waits for what the last TLS call r of c wants; false (reason set) when it failed. */
static bool tls_wait(struct conn *c, int r, const char *doing, char *reason, size_t cap)
{
	int e = SSL_get_error(c->ssl, r);
	unsigned long code;

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (wait_for(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, c->timeout_ms) ==
		    0)
			return true;
		snprintf(reason, cap, "%s timed out", doing);
		return false;
	}
	if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
		snprintf(reason, cap, "%s: the certificate is not accepted: %s", doing,
		         X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
		return false;
	}
	code = ERR_get_error();
	if (code) {
		char text[200];
		ERR_error_string_n(code, text, sizeof text);
		snprintf(reason, cap, "%s failed: %s", doing, text);
	} else {
		snprintf(reason, cap, "%s failed: %s", doing,
		         e == SSL_ERROR_ZERO_RETURN ? "the connection closed"
		         : errno                    ? strerror(errno)
		                                    : "the connection closed");
	}
	return false;
}

/* The TLS handshake for host, verifying the certificate chain against ca_file (PEM) or the
 * system's trusted certificates, and the host name (or IP address) against it. */
static bool tls_start(struct conn *c, const char *host, const char *ca_file, char *reason,
                      size_t cap)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	int r;

	ERR_clear_error();
	if (!(c->ctx = SSL_CTX_new(TLS_client_method())) ||
	    !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION)) {
		snprintf(reason, cap, "TLS: cannot set up");
		return false;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file ? SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1
	            : SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		snprintf(reason, cap, "TLS: cannot read the trusted certificates%s%s",
		         ca_file ? " of " : "", ca_file ? ca_file : "");
		return false;
	}
	if (!(c->ssl = SSL_new(c->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1
	           : SSL_set1_host(c->ssl, host) != 1 ||
	                     SSL_set_tlsext_host_name(c->ssl, host) != 1)) {
		snprintf(reason, cap, "TLS: cannot set up");
		return false;
	}
	while ((r = SSL_connect(c->ssl)) != 1)
		if (!tls_wait(c, r, "TLS handshake", reason, cap))
			return false;
	return true;
}

static bool conn_send(struct conn *c, const char *p, size_t left, char *reason, size_t cap)
{
	while (left) {
		ssize_t k;
		if (c->ssl) {
			size_t w = 0;
			int r = SSL_write_ex(c->ssl, p, left, &w);
			if (r != 1 && !tls_wait(c, r, "sending", reason, cap))
				return false;
			k = r == 1 ? (ssize_t)w : 0;
		} else {
			if (wait_for(c->fd, POLLOUT, c->timeout_ms) != 0) {
				snprintf(reason, cap, "sending timed out");
				return false;
			}
			k = send(c->fd, p, left, MSG_NOSIGNAL);
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k < 0) {
				snprintf(reason, cap, "cannot send: %s", strerror(errno));
				return false;
			}
		}
		p += k;
		left -= (size_t)k;
	}
	return true;
}

/* Reads some bytes into buf: their count, or 0 (reason set) at a failure or the end. */
static size_t conn_recv(struct conn *c, char *buf, size_t cap, char *reason, size_t rcap)
{
	for (;;) {
		ssize_t k;
		if (c->ssl) {
			size_t got = 0;
			int r = SSL_read_ex(c->ssl, buf, cap, &got);
			if (r == 1)
				return got;
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN) {
				snprintf(reason, rcap, "the connection closed without an answer");
				return 0;
			}
			if (!tls_wait(c, r, "reading the answer", reason, rcap))
				return 0;
			continue;
		}
		if (wait_for(c->fd, POLLIN, c->timeout_ms) != 0) {
			snprintf(reason, rcap, "no answer within %d ms", c->timeout_ms);
			return 0;
		}
		k = recv(c->fd, buf, cap, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			snprintf(reason, rcap, "the connection closed without an answer");
			return 0;
		}
		return (size_t)k;
	}
}

unsigned raas_webhook_post(const char *url, const unsigned char secret[32], const char *body,
                           size_t len, int64_t unix_seconds, int timeout_ms, const char *ca_file,
                           char *reason, size_t reason_cap)
{
	char host[256], port[8], head[4096], sig_hex[65], resp[256];
	const char *path;
	struct addrinfo hints, *ai = NULL;
	struct raas_hash mac;
	struct raas_buf signed_text;
	struct conn c = {.fd = -1, .timeout_ms = timeout_ms};
	size_t got = 0;
	bool tls;
	int n, e;
	unsigned status = 0;

	if (!split_url(url, host, sizeof host, port, sizeof port, &path, &tls)) {
		snprintf(reason, reason_cap, "not an http:// or https:// URL");
		return 0;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0 || !ai) {
		snprintf(reason, reason_cap, "cannot resolve %s: %s", host, gai_strerror(e));
		return 0;
	}
	c.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || fcntl(c.fd, F_SETFL, O_NONBLOCK) != 0) {
		snprintf(reason, reason_cap, "socket: %s", strerror(errno));
		goto out;
	}
	if (connect(c.fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    (errno != EINPROGRESS || wait_for(c.fd, POLLOUT, timeout_ms) != 0)) {
		snprintf(reason, reason_cap, "cannot connect: %s",
		         errno == EINPROGRESS ? "timed out" : strerror(errno));
		goto out;
	}
	{
		int so = 0;
		socklen_t sl = sizeof so;
		if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so) {
			snprintf(reason, reason_cap, "cannot connect: %s",
			         strerror(so ? so : errno));
			goto out;
		}
	}
	if (tls && !tls_start(&c, host, ca_file, reason, reason_cap))
		goto out;
	/* The signature: HMAC-SHA256(secret, "<t>." || body). */
	raas_buf_init(&signed_text, len + 32);
	if (raas_buf_printf(&signed_text, "%lld.", (long long)unix_seconds) ||
	    raas_buf_append(&signed_text, body, len)) {
		raas_buf_free(&signed_text);
		snprintf(reason, reason_cap, "out of memory");
		goto out;
	}
	raas_hmac_sha256(secret, 32, signed_text.data, signed_text.len, &mac);
	raas_buf_free(&signed_text);
	raas_hex_encode(mac.b, RAAS_HASH_BYTES, sig_hex);
	n = snprintf(head, sizeof head,
	             "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
	             "Content-Length: %zu\r\nRaas-Signature: t=%lld,v1=%s\r\n"
	             "User-Agent: raas-webhooks\r\nConnection: close\r\n\r\n",
	             path, host, port, len, (long long)unix_seconds, sig_hex);
	if (!conn_send(&c, head, (size_t)n, reason, reason_cap) ||
	    !conn_send(&c, body, len, reason, reason_cap))
		goto out;
	while (got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
		size_t k = conn_recv(&c, resp + got, sizeof resp - 1 - got, reason, reason_cap);
		if (!k)
			goto out;
		got += k;
		resp[got] = '\0';
	}
	if (got < 12 || strncmp(resp, "HTTP/1.", 7) ||
	    (status = (unsigned)strtoul(resp + 9, NULL, 10)) < 100 || status > 999) {
		status = 0;
		snprintf(reason, reason_cap, "not an HTTP answer");
	}
out:
	if (c.ssl) {
		if (status)
			(void)SSL_shutdown(c.ssl); /* best effort: the answer is in */
		SSL_free(c.ssl);
	}
	SSL_CTX_free(c.ctx);
	if (c.fd >= 0)
		close(c.fd);
	freeaddrinfo(ai);
	ERR_clear_error();
	return status;
}
