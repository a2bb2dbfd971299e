/* webhooks.h — a tenant's webhook endpoints and its queue of deliveries (server.md
 * "Webhooks", docs/formats/webhooks.md).
 *
 * An endpoint subscribes an http:// or https:// URL to event types; its secret (256 random bits,
 * shown once) signs every delivery: header `Raas-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * (secret, "<t>." || body)>`. Each event makes one delivery per subscribed endpoint, with a
 * stable id; a delivery is attempted until a 2xx answer, with exponential backoff (base,
 * 2 base, 4 base, ... at most an hour apart) for at least 24 hours, then given up. Endpoints
 * and deliveries live in the tenant files `webhooks` and `deliveries`, rewritten atomically
 * on every change, so that pending deliveries survive a restart; each endpoint keeps its last
 * RAAS_WEBHOOK_LOG_KEEP finished deliveries as its delivery log. Not thread-safe: the caller
 * holds the tenant.
 */
#ifndef RAAS_SERVER_WEBHOOKS_H
#define RAAS_SERVER_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "raas/error.h"
#include "store/store.h"

#define RAAS_WEBHOOK_LOG_KEEP 100
#define RAAS_WEBHOOK_GIVE_UP_US (INT64_C(25) * 3600 * 1000000) /* after the first attempt */

/* The event types (server.md), as a bit mask. */
enum {
	RAAS_WH_INVOICE_LOCKED = 1 << 0,
	RAAS_WH_RESULT_CONFIRMED = 1 << 1,
	RAAS_WH_RESULT_REVERSED = 1 << 2,
	RAAS_WH_DISPUTE_OPENED = 1 << 3,
	RAAS_WH_DISPUTE_RESOLVED = 1 << 4,
	RAAS_WH_EVENTS_UNMATCHED = 1 << 5,
};

struct raas_webhooks;

/* Reads tenant's endpoints and deliveries (none when it has no files). */
RAAS_WUR raas_rc raas_webhooks_load(const char *dir, const char *tenant, struct raas_webhooks **out,
                                    struct raas_err *err);
void raas_webhooks_free(struct raas_webhooks *w);

/* The bit of an event type name ("invoice.locked"), 0 when unknown. */
unsigned raas_webhook_type(const char *name, size_t len);

/* Adds an endpoint (persisted) and appends {"id","url","events","created","secret"} — the
 * secret shown this once. RAAS_E_INPUT (path "url" or "events") for a URL that is not
 * http://HOST[:PORT][/PATH] or an empty or unknown event list. */
RAAS_WUR raas_rc raas_webhooks_add(struct raas_webhooks *w, const char *url, unsigned events,
                                   int64_t now, struct raas_buf *out, struct raas_err *err);
/* Removes endpoint id and its pending deliveries (persisted). RAAS_E_INPUT when unknown. */
RAAS_WUR raas_rc raas_webhooks_remove(struct raas_webhooks *w, const char *id,
                                      struct raas_err *err);
/* Appends the JSON array of endpoints {"id","url","events","created"} (no secrets). */
RAAS_WUR raas_rc raas_webhooks_list(const struct raas_webhooks *w, struct raas_buf *out);
/* Appends endpoint id's deliveries, newest first: {"id","type","created","status"
 * ("pending", "delivered", "failed"),"attempts":[{"at","result"}],"next_attempt"}.
 * RAAS_E_INPUT when the endpoint is unknown. */
RAAS_WUR raas_rc raas_webhooks_log(const struct raas_webhooks *w, const char *id,
                                   struct raas_buf *out, struct raas_err *err);

/* Whether some endpoint subscribes to one of the types of mask. */
bool raas_webhooks_wants(const struct raas_webhooks *w, unsigned mask);
/* Queues event type (one bit) with data (a JSON document) for every endpoint subscribed to
 * it (persisted). The body sent is {"id":DELIVERY,"type":T,"created":NOW,"data":DATA}.
 * With mark NULL the deliveries are pending at once. With a mark (the last entry of a
 * commit about to run) they are held: neither sent nor listed until
 * raas_webhooks_settle_held finds the entry stored (they become pending) or lost (they are
 * dropped). Held before the commit and settled after it, an event is delivered if and only
 * if its entries are stored, whenever the server dies. */
RAAS_WUR raas_rc raas_webhooks_emit(struct raas_webhooks *w, unsigned type, const char *data,
                                    size_t len, int64_t now, const struct raas_store_mark *mark,
                                    struct raas_err *err);
/* One event to queue: its type (one bit) and its data (a JSON document). */
struct raas_webhook_event {
	unsigned type;
	const char *data;
	size_t len;
};
/* raas_webhooks_emit of n events, persisted together (the deliveries file is rewritten once,
 * not once per event). */
RAAS_WUR raas_rc raas_webhooks_emit_many(struct raas_webhooks *w,
                                         const struct raas_webhook_event *evs, size_t n,
                                         int64_t now, const struct raas_store_mark *mark,
                                         struct raas_err *err);
/* Whether some delivery is held. */
bool raas_webhooks_holding(const struct raas_webhooks *w);
/* Settles every held delivery by state(ctx, mark) (raas_store_mark_state): stored ones
 * become pending, due at once; lost ones are dropped; waiting ones stay held. Persisted
 * when something changed. */
RAAS_WUR raas_rc
raas_webhooks_settle_held(struct raas_webhooks *w,
                          enum raas_mark_state (*state)(void *ctx, const struct raas_store_mark *m),
                          void *ctx, struct raas_err *err);

/* One delivery to attempt: copies of what the attempt needs. */
struct raas_webhook_attempt {
	char delivery[40];
	char *url;
	char *body;
	size_t body_len;
	unsigned char secret[32];
};
void raas_webhook_attempt_free(struct raas_webhook_attempt *a);
/* The next delivery due at real time now (next attempt at or before it), or false. */
bool raas_webhooks_due(struct raas_webhooks *w, int64_t now, struct raas_webhook_attempt *out);
/* The earliest next attempt of any pending delivery (INT64_MAX: none). */
int64_t raas_webhooks_next_time(const struct raas_webhooks *w);
/* Records the result of an attempt (an HTTP status, or 0 with a reason) and schedules the
 * next one or finishes the delivery (persisted). base_us is the first backoff interval. */
RAAS_WUR raas_rc raas_webhooks_record(struct raas_webhooks *w, const char *delivery,
                                      unsigned status, const char *reason, int64_t now,
                                      int64_t base_us, struct raas_err *err);

/* POSTs body to url with the signature header, waiting at most timeout_ms for each step;
 * returns the HTTP status, or 0 with *reason set ("connection refused", ...). An https://
 * URL is sent over TLS 1.2 or later, the server's certificate verified against ca_file
 * (PEM certificates) or, when NULL, the system's trusted certificates, and against the
 * URL's host name or IP address. */
/* Whether ca_file can serve as raas_webhook_post's ca_file: RAAS_E_INPUT (path "--webhook-ca")
 * when it cannot be read or holds no PEM certificate. */
RAAS_WUR raas_rc raas_webhook_check_ca(const char *ca_file, struct raas_err *err);
unsigned raas_webhook_post(const char *url, const unsigned char secret[32], const char *body,
                           size_t len, int64_t unix_seconds, int timeout_ms, const char *ca_file,
                           char *reason, size_t reason_cap);

#endif
