/* ingest.c — one ingest: events validated one by one, duplicates and conflicts detected
 * against the store and the pending batch, accepted events appended in durable batches.
 */
#include "ingest/ingest.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "store/idtable.h"

#define READ_CHUNK ((size_t)1 << 18) /* a window: small enough to keep both threads busy */
#define MAX_MATCHES 8

struct problem {
	uint64_t where;
	char *id; /* NULL: the event had no readable id; may hold NUL bytes */
	size_t id_len;
	char *error;
};

struct problems {
	struct problem *items;
	size_t count, cap;
};

struct raas_ingest {
	struct raas_store *store;
	struct raas_ingest_options opt;
	struct raas_arena line;  /* the current event's parse tree */
	struct raas_arena keep;  /* the texts of the current event's rejection */
	struct raas_arena check; /* events read back from leaves for comparison */
	struct raas_buf leaf;    /* leaf bytes of the event being accepted */
	struct raas_buf scratch; /* a log record read back */

	size_t batch_count; /* events in the batch being filled */

	uint64_t accepted, duplicates;
	struct problems rejected, conflicts;
	uint64_t unmatched;
	unsigned char *unmatched_seen; /* by customer number: 1 once in unmatched_list */
	size_t unmatched_seen_cap;
	char **unmatched_list;
	size_t unmatched_n, unmatched_cap;
};

static raas_rc oom(struct raas_err *err)
{
	return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
}

raas_rc raas_ingest_begin(struct raas_store *s, const struct raas_ingest_options *opt,
                          struct raas_ingest **out, struct raas_err *err)
{
	struct raas_ingest *in = raas_calloc(1, sizeof *in);

	if (!in)
		return oom(err);
	in->store = s;
	in->opt = *opt;
	if (!in->opt.batch_size)
		in->opt.batch_size = RAAS_INGEST_DEFAULT_BATCH;
	if (!in->opt.limits.max_bytes)
		in->opt.limits.max_bytes = RAAS_EVENT_MAX_BYTES;
	if (!in->opt.limits.max_depth)
		in->opt.limits.max_depth = RAAS_EVENT_MAX_DEPTH;
	raas_arena_init(&in->line, 0);
	raas_arena_init(&in->keep, 0);
	raas_arena_init(&in->check, 0);
	raas_buf_init(&in->leaf, (size_t)RAAS_LOG_MAX_LEAF);
	raas_buf_init(&in->scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	if (!in->opt.no_commit && !in->opt.atomic)
		raas_store_expect_batch(s, in->opt.batch_size);
	*out = in;
	return RAAS_OK;
}

void raas_ingest_free(struct raas_ingest *in)
{
	if (!in)
		return;
	if (!in->opt.no_commit) /* (with no_commit the batch is shared: the caller's) */
		raas_store_discard(in->store);
	raas_arena_free(&in->line);
	raas_arena_free(&in->keep);
	raas_arena_free(&in->check);
	raas_buf_free(&in->leaf);
	raas_buf_free(&in->scratch);
	for (int k = 0; k < 2; k++) {
		struct problems *p = k ? &in->conflicts : &in->rejected;
		for (size_t i = 0; i < p->count; i++) {
			raas_free(p->items[i].id);
			raas_free(p->items[i].error);
		}
		raas_free(p->items);
	}
	raas_free(in->unmatched_seen);
	for (size_t i = 0; i < in->unmatched_n; i++)
		raas_free(in->unmatched_list[i]);
	raas_free(in->unmatched_list);
	raas_free(in);
}

void raas_ingest_get_counts(const struct raas_ingest *in, struct raas_ingest_counts *out)
{
	out->accepted = in->accepted;
	out->duplicates = in->duplicates;
	out->rejected = in->rejected.count;
	out->conflicts = in->conflicts.count;
	out->unmatched = in->unmatched;
}

uint64_t raas_ingest_accepted(const struct raas_ingest *in)
{
	return in->accepted;
}

static raas_rc add_problem(struct problems *p, uint64_t where, const char *id, size_t id_len,
                           const char *path, const char *message, struct raas_err *err)
{
	struct problem *item;
	size_t plen = path ? strlen(path) : 0, mlen = strlen(message);

	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct problem *items = raas_realloc(p->items, cap * sizeof *items);
		if (!items)
			return oom(err);
		p->items = items;
		p->cap = cap;
	}
	item = &p->items[p->count];
	item->where = where;
	item->id = id ? raas_strndup(id, id_len) : NULL;
	item->id_len = id_len;
	item->error = raas_malloc(plen + mlen + 3);
	if ((id && !item->id) || !item->error) {
		raas_free(item->id);
		raas_free(item->error);
		return oom(err);
	}
	if (plen) {
		memcpy(item->error, path, plen);
		memcpy(item->error + plen, ": ", 2);
		memcpy(item->error + plen + 2, message, mlen + 1);
	} else {
		memcpy(item->error, message, mlen + 1);
	}
	p->count++;
	return RAAS_OK;
}

/* Counts an accepted event whose type no contract of its customer names. */
static raas_rc note_unmatched(struct raas_ingest *in, uint32_t customer_no, const char *customer,
                              size_t customer_len, struct raas_err *err)
{
	char *copy;

	in->unmatched++;
	if (customer_no < in->unmatched_seen_cap && in->unmatched_seen[customer_no])
		return RAAS_OK;
	if (customer_no >= in->unmatched_seen_cap) {
		size_t cap = in->unmatched_seen_cap ? in->unmatched_seen_cap : 1024;
		unsigned char *seen;
		while (cap <= customer_no)
			cap *= 2;
		if (!(seen = raas_realloc(in->unmatched_seen, cap)))
			return oom(err);
		memset(seen + in->unmatched_seen_cap, 0, cap - in->unmatched_seen_cap);
		in->unmatched_seen = seen;
		in->unmatched_seen_cap = cap;
	}
	if (in->unmatched_n == in->unmatched_cap) {
		size_t cap = in->unmatched_cap ? in->unmatched_cap * 2 : 8;
		char **l = raas_realloc(in->unmatched_list, cap * sizeof *l);
		if (!l)
			return oom(err);
		in->unmatched_list = l;
		in->unmatched_cap = cap;
	}
	copy = raas_strndup(customer, customer_len);
	if (!copy)
		return oom(err);
	in->unmatched_list[in->unmatched_n++] = copy;
	in->unmatched_seen[customer_no] = 1;
	return RAAS_OK;
}

/* One event after the parallel stage: parsed and checked, or rejected with a reason. Its
 * bytes live in the buffer of the worker that parsed it: the leaf, then the customer and
 * the id as they are (the parse tree itself is gone by then). */
struct parsed {
	uint64_t where;
	bool ok;
	bool named; /* when ok: a contract of the customer names the event's type */
	int worker;
	uint64_t key;    /* when ok */
	size_t leaf_off; /* when ok */
	uint32_t leaf_len;
	uint32_t customer_len; /* the customer's bytes follow the leaf, then the id's */
	uint32_t id_len;
	uint32_t nolder;   /* when ok: positions under key in the older part of the index */
	uint64_t older[2]; /* the first of them */
	const char *id;    /* when rejected: the id if one could be read, else NULL */
	size_t rejected_id_len;
	const char *path;    /* when rejected */
	const char *message; /* when rejected */
};

static const char *customer_of(const struct parsed *p, const char *leaf)
{
	return leaf + p->leaf_len;
}

static const char *id_of(const struct parsed *p, const char *leaf)
{
	return leaf + p->leaf_len + p->customer_len;
}

/* The leaf bytes around the received time, which a repeat of the same event changes. */
static bool split_received(const char *leaf, size_t len, size_t *before, size_t *after)
{
	static const char key[] = ",\"received\":\"";
	const char *k = NULL, *q;

	/* No string before the key can hold it: a quote in a string is escaped. */
	for (const char *c = leaf; c + sizeof key - 1 <= leaf + len; c++) {
		c = memchr(c, ',', (size_t)(leaf + len - c));
		if (!c || c + sizeof key - 1 > leaf + len)
			break;
		if (!memcmp(c, key, sizeof key - 1)) {
			k = c;
			break;
		}
	}
	if (!k)
		return false;
	q = memchr(k + sizeof key - 1, '"', len - (size_t)(k + sizeof key - 1 - leaf));
	if (!q)
		return false;
	*before = (size_t)(k - leaf);
	*after = (size_t)(q - leaf);
	return true;
}

/* Compares the new event (its leaf) with the leaf of an event stored or pending under the
 * same key. Returns 1 for a duplicate, 2 for a conflict, 0 when it is another
 * (customer, id). */
static int compare_leaf(struct raas_ingest *in, const struct parsed *p, const char *leaf,
                        const char *old_leaf, size_t old_len, struct raas_err *err, raas_rc *rc)
{
	struct raas_event old, ev;
	int64_t received;
	size_t nb, na, ob, oa;

	*rc = RAAS_OK;
	/* The same bytes but for the received time: the same event, sent again. */
	if (split_received(leaf, p->leaf_len, &nb, &na) &&
	    split_received(old_leaf, old_len, &ob, &oa) && nb == ob &&
	    p->leaf_len - na == old_len - oa && !memcmp(leaf, old_leaf, nb) &&
	    !memcmp(leaf + na, old_leaf + oa, old_len - oa))
		return 1;
	raas_arena_reset(&in->check);
	*rc = raas_event_read_leaf(&in->check, old_leaf, old_len, &old, &received, err);
	if (*rc) {
		*rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                   "a stored event cannot be read back: %s", err->message);
		return 0;
	}
	if (old.customer_len != p->customer_len || old.id_len != p->id_len ||
	    memcmp(old.customer, customer_of(p, leaf), p->customer_len) ||
	    memcmp(old.id, id_of(p, leaf), p->id_len))
		return 0;
	*rc = raas_event_read_leaf(&in->check, leaf, p->leaf_len, &ev, &received, err);
	if (*rc) {
		*rc = raas_err_set(err, RAAS_E_STORAGE, NULL, "an event's leaf cannot be read: %s",
		                   err->message);
		return 0;
	}
	return raas_event_same_content(&old, &ev) ? 1 : 2;
}

/* Reads the records at pos[0..n) and compares: 0 none of them is (customer, id), 1
 * duplicate, 2 conflict. */
static int compare_at(struct raas_ingest *in, const struct parsed *p, const char *leaf,
                      const uint64_t *pos, size_t n, struct raas_err *err, raas_rc *rc)
{
	int r = 0;

	*rc = RAAS_OK;
	for (size_t i = 0; i < n && !r; i++) {
		struct raas_log_record rec;
		*rc = raas_store_probe(in->store, pos[i], &rec, &in->scratch, err);
		if (*rc == RAAS_E_INPUT) {
			*rc = RAAS_OK; /* a stale hint: no record starts there */
			continue;
		}
		if (*rc) {
			/* A record that fails its checksum, or a log that cannot be read: never
			 * guess, since the event might be the one stored there. */
			char msg[RAAS_ERR_MESSAGE_MAX];
			snprintf(msg, sizeof msg, "%s", err->message);
			*rc = raas_err_set(err, RAAS_E_STORAGE, NULL, "%s", msg);
			return 0;
		}
		if (rec.kind != RAAS_ENTRY_EVENT)
			continue;
		r = compare_leaf(in, p, leaf, rec.leaf, rec.leaf_len, err, rc);
		if (*rc)
			return 0;
	}
	return r;
}

/* Looks (customer, id) up in the store (pending batches included): 0 new, 1 duplicate,
 * 2 conflict. The older part of the index was searched by the parallel stage. */
static int lookup(struct raas_ingest *in, const struct parsed *p, const char *leaf,
                  struct raas_err *err, raas_rc *rc)
{
	uint64_t few[MAX_MATCHES], *pos = few;
	size_t n;
	int r;

	*rc = RAAS_OK;
	for (int part = 0; part < 2; part++) {
		if (part == 0)
			n = raas_store_find_event_recent(in->store, p->key, pos, MAX_MATCHES);
		else if (p->nolder <= 2)
			n = p->nolder;
		else
			n = raas_store_find_event_older(in->store, p->key, pos, MAX_MATCHES);
		if (n > MAX_MATCHES) {
			/* Stale entries left by crashes can pile up under a key: read them all. */
			pos = raas_calloc(n, sizeof *pos);
			if (!pos) {
				*rc = oom(err);
				return 0;
			}
			n = part == 0 ? raas_store_find_event_recent(in->store, p->key, pos, n)
			              : raas_store_find_event_older(in->store, p->key, pos, n);
		}
		r = compare_at(in, p, leaf, part == 1 && p->nolder <= 2 ? p->older : pos, n, err,
		               rc);
		if (pos != few)
			raas_free(pos);
		pos = few;
		if (r || *rc)
			return *rc ? 0 : r;
	}
	return 0;
}

/* Hands the current batch to the store's group commit (the previous one is completed
 * by raas_store_commit_begin). */
static raas_rc commit_batch(struct raas_ingest *in, struct raas_err *err)
{
	raas_rc rc = raas_store_commit_begin(in->store, in->opt.now_us, err);

	if (rc)
		return rc;
	in->batch_count = 0;
	return RAAS_OK;
}

/* The parallel stage: everything about an event that does not depend on other events. The
 * parse tree lives in scratch (reset here), what the sequential stage needs is appended to
 * leaves, and the texts of a rejection are copied into keep. Only NOMEM is returned. */
static raas_rc parse_one(struct raas_arena *scratch, struct raas_arena *keep,
                         struct raas_buf *leaves, const struct raas_store *store,
                         const struct raas_ingest_options *opt, uint64_t where, const char *text,
                         size_t len, struct parsed *p)
{
	struct raas_err problem;
	struct raas_event ev;
	const char *id = NULL;
	size_t id_len = 0;
	bool fast;
	raas_rc rc;

	raas_arena_reset(scratch);
	p->where = where;
	p->ok = false;
	p->id = NULL;
	raas_err_clear(&problem);
	p->leaf_off = leaves->len;
	fast = raas_event_parse_fast(text, len, &opt->limits, opt->now_us, &ev, leaves);
	if (fast) {
		rc = RAAS_OK;
		id = ev.id;
		id_len = ev.id_len;
	} else {
		rc = raas_event_parse(scratch, text, len, &opt->limits, &ev, &id, &id_len,
		                      &problem);
		if (rc == RAAS_E_NOMEM)
			return rc;
	}
	if (rc == RAAS_OK)
		rc = raas_event_check_clock(&ev, opt->now_us, &problem);
	if (rc == RAAS_OK && opt->only_customer &&
	    (strlen(opt->only_customer) != ev.customer_len ||
	     memcmp(opt->only_customer, ev.customer, ev.customer_len)))
		rc = raas_err_set(&problem, RAAS_E_INPUT, "customer", "not allowed for this key");
	if (rc) {
		if (fast) { /* the leaf is not needed */
			leaves->len = p->leaf_off;
			leaves->data[leaves->len] = '\0';
		}
		if (id && !(p->id = raas_arena_strndup(keep, id, id_len)))
			return RAAS_E_NOMEM;
		p->rejected_id_len = id_len;
		p->path = raas_arena_strndup(keep, problem.path, strlen(problem.path));
		p->message = raas_arena_strndup(keep, problem.message, strlen(problem.message));
		return p->path && p->message ? RAAS_OK : RAAS_E_NOMEM;
	}
	p->key = raas_idtable_key(ev.customer, ev.customer_len, ev.id, ev.id_len);
	if (!fast && raas_event_write_leaf(leaves, &ev, opt->now_us))
		return RAAS_E_NOMEM; /* the only way a leaf cannot be written */
	p->leaf_len = (uint32_t)(leaves->len - p->leaf_off);
	p->customer_len = ev.customer_len;
	p->id_len = ev.id_len;
	if (raas_buf_append(leaves, ev.customer, ev.customer_len) ||
	    raas_buf_append(leaves, ev.id, ev.id_len))
		return RAAS_E_NOMEM;
	p->named =
	        raas_store_type_is_named(store, ev.customer, ev.customer_len, ev.type, ev.type_len);
	p->nolder = 0; /* find_older() fills it in */
	p->ok = true;
	return RAAS_OK;
}

/* The older part of the index, searched in the parallel stage too (it does not change). */
static void find_older(const struct raas_store *store, struct parsed *p)
{
	if (p->ok)
		p->nolder = (uint32_t)raas_store_find_event_older(store, p->key, p->older, 2);
}

/* The sequential stage, in input order: idempotency, then the batch. */
static raas_rc accept_parsed(struct raas_ingest *in, const struct parsed *p, const char *leaf,
                             struct raas_err *err)
{
	const char *customer;
	uint32_t customer_no;
	raas_rc rc;
	int found;

	if (!p->ok)
		return add_problem(&in->rejected, p->where, p->id, p->rejected_id_len, p->path,
		                   p->message, err);
	found = lookup(in, p, leaf, err, &rc);
	if (rc)
		return rc;
	if (found == 1) {
		in->duplicates++;
		return RAAS_OK;
	}
	if (found == 2)
		return add_problem(
		        &in->conflicts, p->where, id_of(p, leaf), p->id_len, NULL,
		        "id already used with different content (the stored event is kept)", err);
	customer = customer_of(p, leaf);
	if ((rc = raas_store_customer(in->store, customer, p->customer_len, true, &customer_no)))
		return raas_err_set(err, rc, NULL, "cannot register customer");
	if ((rc = raas_store_add_event(in->store, customer_no, p->key, in->opt.now_us, leaf,
	                               p->leaf_len, err)))
		return rc;
	in->batch_count++;
	in->accepted++;
	if (!p->named && (rc = note_unmatched(in, customer_no, customer, p->customer_len, err)))
		return rc;
	if (!in->opt.atomic && !in->opt.no_commit && in->batch_count >= in->opt.batch_size)
		return commit_batch(in, err);
	return RAAS_OK;
}

raas_rc raas_ingest_event(struct raas_ingest *in, uint64_t where, const char *text, size_t len,
                          struct raas_err *err)
{
	struct parsed p;
	raas_rc rc;

	raas_arena_reset(&in->keep);
	raas_buf_reset(&in->leaf);
	rc = parse_one(&in->line, &in->keep, &in->leaf, in->store, &in->opt, where, text, len, &p);
	if (rc)
		return oom(err);
	find_older(in->store, &p);
	return accept_parsed(in, &p, p.ok ? in->leaf.data + p.leaf_off : NULL, err);
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* ---- reading a file: two threads parse, the main thread accepts in order ----
 *
 * The input is read in chunks; the complete lines of a chunk form a window. Both threads
 * parse the lines of a window (claiming blocks of lines through an atomic counter); then
 * the main thread runs the sequential stage over the window while the helper thread already
 * parses the next one. Each window has its own input buffer, arenas and leaf buffers, so
 * the two windows in flight never share memory.
 */

#define CLAIM 64          /* lines claimed at a time */
#define PREFETCH_AHEAD 16 /* events between asking for an index slot and reading it */
#define WORKERS 2

struct window {
	char *buf; /* the chunk: complete lines only */
	size_t cap;
	size_t len;
	const char **text; /* per line */
	size_t *tlen;
	uint64_t *where;
	struct parsed *res;
	size_t n, cap_lines;
	_Atomic size_t next; /* next line to claim */
	_Atomic size_t done; /* lines parsed */
	_Atomic int failed;  /* a worker ran out of memory */
	struct raas_arena arena[WORKERS];
	struct raas_buf leaves[WORKERS];
};

struct pipeline {
	const struct raas_ingest_options *opt;
	const struct raas_store *store;
	struct raas_arena scratch[WORKERS]; /* each worker's parse tree of one event */
	struct window win[2];
	pthread_t helper;
	bool helper_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct window *published; /* the window the helper should work on, or NULL */
	struct window *busy;      /* the window the helper is working on, or NULL */
	bool quit;
};

/* Parses unclaimed lines of w as worker `worker` until none are left. */
static void work_on(struct pipeline *pl, struct window *w, int worker)
{
	for (;;) {
		size_t from = atomic_fetch_add(&w->next, CLAIM), to;
		if (from >= w->n)
			return;
		to = from + CLAIM < w->n ? from + CLAIM : w->n;
		/* The index is large and its slots are random: parse the whole claim first,
		 * asking for each event's slot, and look them up once they have arrived. */
		for (size_t i = from; i < to; i++) {
			struct parsed *p = &w->res[i];
			if (parse_one(&pl->scratch[worker], &w->arena[worker], &w->leaves[worker],
			              pl->store, pl->opt, w->where[i], w->text[i], w->tlen[i], p))
				w->failed = 1;
			p->worker = worker;
			if (p->ok)
				raas_store_prefetch_event(pl->store, p->key, true);
		}
		for (size_t i = from; i < to; i++)
			find_older(pl->store, &w->res[i]);
		atomic_fetch_add(&w->done, to - from);
	}
}

static void *helper_main(void *arg)
{
	struct pipeline *pl = arg;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		struct window *w;
		while (!pl->published && !pl->quit)
			pthread_cond_wait(&pl->cv, &pl->mu);
		if (pl->quit)
			break;
		w = pl->published;
		pl->published = NULL;
		pl->busy = w; /* the main thread must not reset w before this is cleared */
		pthread_mutex_unlock(&pl->mu);
		work_on(pl, w, 1);
		pthread_mutex_lock(&pl->mu);
		pl->busy = NULL;
		pthread_cond_broadcast(&pl->cv);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static void publish(struct pipeline *pl, struct window *w)
{
	pthread_mutex_lock(&pl->mu);
	pl->published = w;
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
}

/* Helps parse w, then waits until every line of it is parsed. */
static void finish_window(struct pipeline *pl, struct window *w)
{
	work_on(pl, w, 0);
	pthread_mutex_lock(&pl->mu);
	/* Done means every line parsed and the helper out of work_on(w): it may still be
	 * between its last claim and leaving, and w is reset right after this returns. */
	while (atomic_load(&w->done) < w->n || pl->busy == w) {
		if (pl->published == w) {
			/* The helper never picked it up: take it back and finish it here. */
			pl->published = NULL;
			pthread_mutex_unlock(&pl->mu);
			work_on(pl, w, 0);
			pthread_mutex_lock(&pl->mu);
			continue;
		}
		pthread_cond_wait(&pl->cv, &pl->mu);
	}
	pthread_mutex_unlock(&pl->mu);
}

static void window_free(struct window *w)
{
	raas_free(w->buf);
	raas_free(w->text);
	raas_free(w->tlen);
	raas_free(w->where);
	raas_free(w->res);
	for (int k = 0; k < WORKERS; k++) {
		raas_arena_free(&w->arena[k]);
		raas_buf_free(&w->leaves[k]);
	}
}

/* Adds line (at buf offset off, len bytes) to the window. */
static raas_rc window_add(struct window *w, size_t off, size_t len, uint64_t where)
{
	if (w->n == w->cap_lines) {
		size_t cap = w->cap_lines ? w->cap_lines * 2 : 4096;
		const char **t = raas_realloc(w->text, cap * sizeof *t);
		size_t *l = t ? raas_realloc(w->tlen, cap * sizeof *l) : NULL;
		uint64_t *wh = l ? raas_realloc(w->where, cap * sizeof *wh) : NULL;
		struct parsed *r = wh ? raas_realloc(w->res, cap * sizeof *r) : NULL;
		if (t)
			w->text = t;
		if (l)
			w->tlen = l;
		if (wh)
			w->where = wh;
		if (!r)
			return RAAS_E_NOMEM;
		w->res = r;
		w->cap_lines = cap;
	}
	w->text[w->n] = (const char *)(uintptr_t)off; /* made a pointer once buf is final */
	w->tlen[w->n] = len;
	w->where[w->n] = where;
	w->n++;
	return RAAS_OK;
}

static raas_rc accept_window(struct raas_ingest *in, struct window *w, struct raas_err *err)
{
	raas_rc rc;

	if (w->failed)
		return oom(err);
	for (size_t i = 0; i < w->n; i++) {
		const struct parsed *p = &w->res[i];
		const char *leaf = p->ok ? w->leaves[p->worker].data + p->leaf_off : NULL;
		if (i + PREFETCH_AHEAD < w->n && w->res[i + PREFETCH_AHEAD].ok)
			raas_store_prefetch_event(in->store, w->res[i + PREFETCH_AHEAD].key, false);
		if ((rc = accept_parsed(in, p, leaf, err)))
			return rc;
	}
	return RAAS_OK;
}

static void window_reset(struct window *w)
{
	w->n = 0;
	w->len = 0;
	w->next = 0;
	w->done = 0;
	w->failed = 0;
	for (int k = 0; k < WORKERS; k++) {
		raas_arena_reset(&w->arena[k]);
		raas_buf_reset(&w->leaves[k]);
	}
}

raas_rc raas_ingest_fd(struct raas_ingest *in, int fd, struct raas_err *err)
{
	struct pipeline pl;
	const size_t max = in->opt.limits.max_bytes;
	char *carry = NULL; /* the unfinished last line of the previous chunk */
	size_t carry_len = 0;
	uint64_t line = 0;
	bool skipping = false, eof = false;
	struct window *cur = NULL;
	raas_rc rc = RAAS_OK;

	memset(&pl, 0, sizeof pl);
	pl.opt = &in->opt;
	pl.store = in->store;
	for (int k = 0; k < WORKERS; k++)
		raas_arena_init(&pl.scratch[k], 0);
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	for (int i = 0; i < 2; i++) {
		struct window *w = &pl.win[i];
		w->cap = READ_CHUNK + max + 2;
		w->buf = raas_malloc(w->cap);
		for (int k = 0; k < WORKERS; k++) {
			raas_arena_init(&w->arena[k], 0);
			raas_buf_init(&w->leaves[k], (size_t)1 << 31);
		}
		if (!w->buf) {
			rc = oom(err);
			goto out;
		}
	}
	carry = raas_malloc(max + 2);
	if (!carry) {
		rc = oom(err);
		goto out;
	}
	pl.helper_started = pthread_create(&pl.helper, NULL, helper_main, &pl) == 0;

	for (int turn = 0; !eof; turn ^= 1) {
		struct window *w = &pl.win[turn];
		size_t start = 0;

		/* Fill the window: the carried-over partial line, then a chunk of input. */
		window_reset(w);
		memcpy(w->buf, carry, carry_len);
		w->len = carry_len;
		carry_len = 0;
		/* At least one read per window (a carried line is at most max + 1 bytes, so there
		 * is always room), then on until the window holds a chunk. */
		do {
			ssize_t n = read(fd, w->buf + w->len, READ_CHUNK + max + 1 - w->len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = raas_err_set(err, RAAS_E_INPUT, NULL, "cannot read: %s",
				                  strerror(errno));
				goto out;
			}
			eof = n == 0;
			w->len += (size_t)n;
		} while (w->len < READ_CHUNK && !eof);
		if (skipping) {
			/* Inside a line already rejected as too long: drop it up to its newline. */
			char *nl = memchr(w->buf, '\n', w->len);
			if (!nl) {
				w->len = 0;
				if (!eof)
					turn ^= 1; /* reuse this window */
				continue;
			}
			start = (size_t)(nl - w->buf) + 1;
			skipping = false;
		}
		for (;;) {
			char *nl = memchr(w->buf + start, '\n', w->len - start);
			size_t len;
			if (!nl && !(eof && start < w->len))
				break;
			len = nl ? (size_t)(nl - (w->buf + start)) : w->len - start;
			line++;
			if (!blank(w->buf + start, len) &&
			    (rc = window_add(w, start, len, in->opt.lines ? line : line - 1))) {
				rc = oom(err);
				goto out;
			}
			start += len + (nl ? 1 : 0);
		}
		if (w->len - start > max + 1) {
			/* A line longer than any event may be: reject it without buffering it. */
			char msg[64];
			const char *id;
			size_t id_len = 0;
			snprintf(msg, sizeof msg, "event longer than %zu bytes", max);
			++line;
			/* Its id, when it comes within its first max + 1 bytes (as in
			 * raas_event_parse, which reads the lines that fit in a window). */
			raas_arena_reset(&in->check);
			id = raas_event_recover_id(&in->check, w->buf + start, max + 1, &id_len);
			if ((rc = add_problem(&in->rejected, in->opt.lines ? line : line - 1, id,
			                      id_len, NULL, msg, err)))
				goto out;
			skipping = true;
		} else {
			carry_len = w->len - start;
			memcpy(carry, w->buf + start, carry_len);
		}
		for (size_t i = 0; i < w->n; i++)
			w->text[i] = w->buf + (uintptr_t)w->text[i];

		/* Let the helper parse this window while the previous one is accepted. */
		if (pl.helper_started)
			publish(&pl, w);
		if (cur) {
			finish_window(&pl, cur);
			if ((rc = accept_window(in, cur, err)))
				goto out;
		}
		cur = w;
		/* Problems that came before this window's events (a too-long line) are already
		 * in the report; the order by line is restored when the report is written. */
	}
	if (cur) {
		finish_window(&pl, cur);
		rc = accept_window(in, cur, err);
	}
out:
	if (pl.helper_started) {
		pthread_mutex_lock(&pl.mu);
		pl.quit = true;
		pthread_cond_broadcast(&pl.cv);
		pthread_mutex_unlock(&pl.mu);
		pthread_join(pl.helper, NULL);
	}
	for (int i = 0; i < 2; i++)
		window_free(&pl.win[i]);
	for (int k = 0; k < WORKERS; k++)
		raas_arena_free(&pl.scratch[k]);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.cv);
	raas_free(carry);
	return rc;
}

raas_rc raas_ingest_finish(struct raas_ingest *in, bool *failed_atomic, struct raas_err *err)
{
	raas_rc rc;

	*failed_atomic = false;
	if (in->opt.atomic && (in->rejected.count || in->conflicts.count)) {
		raas_store_discard(in->store);
		in->accepted = 0;
		in->unmatched = 0;
		for (size_t i = 0; i < in->unmatched_n; i++)
			raas_free(in->unmatched_list[i]);
		in->unmatched_n = 0;
		if (in->unmatched_seen)
			memset(in->unmatched_seen, 0, in->unmatched_seen_cap);
		*failed_atomic = true;
		return RAAS_OK;
	}
	if (in->opt.no_commit)
		return RAAS_OK; /* the caller commits the store's batch */
	if ((rc = commit_batch(in, err)) || (rc = raas_store_commit_wait(in->store, err)))
		return rc;
	return RAAS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static raas_rc write_problems(struct raas_buf *b, const struct problems *p, const char *where)
{
	raas_rc rc = raas_buf_putc(b, '[');

	for (size_t i = 0; i < p->count && !rc; i++) {
		const struct problem *it = &p->items[i];
		rc = raas_buf_printf(b, "%s{\"%s\":%llu,\"id\":", i ? "," : "", where,
		                     (unsigned long long)it->where);
		if (!rc)
			rc = it->id ? raas_json_write_string(b, it->id, it->id_len)
			            : raas_buf_puts(b, "null");
		if (!rc)
			rc = raas_buf_puts(b, ",\"error\":");
		if (!rc)
			rc = raas_json_write_string(b, it->error, strlen(it->error));
		if (!rc)
			rc = raas_buf_putc(b, '}');
	}
	return rc ? rc : raas_buf_putc(b, ']');
}

static int cmp_problem(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	return (x->where > y->where) - (x->where < y->where);
}

raas_rc raas_ingest_write_report(const struct raas_ingest *in, struct raas_buf *b)
{
	const char *where = in->opt.lines ? "line" : "index";
	raas_rc rc;

	/* A too-long line is reported as soon as it is seen, which can be before the events of
	 * earlier lines were checked: restore the order by position. */
	if (in->rejected.count)
		qsort(in->rejected.items, in->rejected.count, sizeof *in->rejected.items,
		      cmp_problem);
	if (in->unmatched_n)
		qsort(in->unmatched_list, in->unmatched_n, sizeof *in->unmatched_list, cmp_str);
	rc = raas_buf_printf(b, "{\"accepted\":%llu,\"duplicates\":%llu,\"rejected\":",
	                     (unsigned long long)in->accepted, (unsigned long long)in->duplicates);
	if (!rc)
		rc = write_problems(b, &in->rejected, where);
	if (!rc)
		rc = raas_buf_puts(b, ",\"conflicts\":");
	if (!rc)
		rc = write_problems(b, &in->conflicts, where);
	if (!rc)
		rc = raas_buf_puts(b, ",\"unmatched\":");
	if (!rc)
		rc = raas_ingest_write_unmatched(in, b);
	if (!rc)
		rc = raas_buf_putc(b, '}');
	return rc;
}

raas_rc raas_ingest_write_unmatched(const struct raas_ingest *in, struct raas_buf *b)
{
	raas_rc rc = raas_buf_printf(b, "{\"count\":%llu,\"customers\":[",
	                             (unsigned long long)in->unmatched);

	if (in->unmatched_n)
		qsort(in->unmatched_list, in->unmatched_n, sizeof *in->unmatched_list, cmp_str);
	for (size_t i = 0; i < in->unmatched_n && !rc; i++) {
		if (i)
			rc = raas_buf_putc(b, ',');
		if (!rc)
			rc = raas_json_write_string(b, in->unmatched_list[i],
			                            strlen(in->unmatched_list[i]));
	}
	if (!rc)
		rc = raas_buf_puts(b, "]}");
	return rc;
}

raas_rc raas_ingest_write_report_text(const struct raas_ingest *in, struct raas_buf *b)
{
	const char *where = in->opt.lines ? "line" : "index";
	raas_rc rc;

	if (in->rejected.count)
		qsort(in->rejected.items, in->rejected.count, sizeof *in->rejected.items,
		      cmp_problem);
	if (in->unmatched_n)
		qsort(in->unmatched_list, in->unmatched_n, sizeof *in->unmatched_list, cmp_str);
	rc = raas_buf_printf(b,
	                     "accepted %llu, duplicates %llu, rejected %zu, conflicts %zu, "
	                     "unmatched %llu",
	                     (unsigned long long)in->accepted, (unsigned long long)in->duplicates,
	                     in->rejected.count, in->conflicts.count,
	                     (unsigned long long)in->unmatched);
	for (int k = 0; k < 2 && !rc; k++) {
		const struct problems *p = k ? &in->conflicts : &in->rejected;
		for (size_t i = 0; i < p->count && !rc; i++) {
			char id[3 * 128 + 16];
			const struct problem *it = &p->items[i];
			if (it->id)
				raas_escape(id, sizeof id, it->id, it->id_len, 128);
			rc = raas_buf_printf(
			        b, "\n%s %s %llu (%s): %s", k ? "conflict" : "rejected", where,
			        (unsigned long long)it->where, it->id ? id : "no id", it->error);
		}
	}
	if (!rc && in->unmatched_n) {
		rc = raas_buf_puts(b, "\nunmatched customers:");
		for (size_t i = 0; i < in->unmatched_n && !rc; i++)
			rc = raas_buf_printf(b, " %s", in->unmatched_list[i]);
	}
	return rc;
}

/* ---- a batch in memory, in two stages (the server) ----
 *
 * The parallel stage needs no writer: it reads only the store's older index and its contract
 * types, which do not change while events are ingested. The server runs it without holding
 * the tenant, so that one request parses while another is accepted.
 */

struct raas_ingest_body {
	struct window w;
};

void raas_ingest_body_free(struct raas_ingest_body *b)
{
	if (!b)
		return;
	window_free(&b->w);
	raas_free(b);
}

/* Runs the parallel stage over every line of w, with a helper thread. */
static raas_rc parse_window(struct raas_ingest *in, struct window *w, struct raas_err *err)
{
	struct pipeline pl;

	memset(&pl, 0, sizeof pl);
	pl.opt = &in->opt;
	pl.store = in->store;
	for (int k = 0; k < WORKERS; k++)
		raas_arena_init(&pl.scratch[k], 0);
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	/* A small batch is parsed by this thread alone: a helper would cost more than it
	 * saves. */
	pl.helper_started =
	        w->n >= 4 * CLAIM && pthread_create(&pl.helper, NULL, helper_main, &pl) == 0;
	if (pl.helper_started)
		publish(&pl, w);
	finish_window(&pl, w);
	if (pl.helper_started) {
		pthread_mutex_lock(&pl.mu);
		pl.quit = true;
		pthread_cond_broadcast(&pl.cv);
		pthread_mutex_unlock(&pl.mu);
		pthread_join(pl.helper, NULL);
	}
	for (int k = 0; k < WORKERS; k++)
		raas_arena_free(&pl.scratch[k]);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.cv);
	return w->failed ? oom(err) : RAAS_OK;
}

raas_rc raas_ingest_prepare(struct raas_ingest *in, const char *data, size_t len, bool array,
                            const struct raas_ingest_span *spans, size_t nspans,
                            struct raas_ingest_body **out, struct raas_err *err)
{
	struct raas_ingest_body *b = raas_calloc(1, sizeof *b);
	struct window *w;
	uint64_t line = 0;
	raas_rc rc;

	*out = NULL;
	if (!b)
		return oom(err);
	w = &b->w;
	for (int k = 0; k < WORKERS; k++) {
		raas_arena_init(&w->arena[k], 0);
		raas_buf_init(&w->leaves[k], (size_t)1 << 31);
	}
	if (array) {
		for (size_t i = 0; i < nspans; i++)
			if ((rc = window_add(w, spans[i].off, spans[i].len, i)))
				goto nomem;
	} else {
		for (size_t start = 0; start < len;) {
			const char *nl = memchr(data + start, '\n', len - start);
			size_t n = nl ? (size_t)(nl - (data + start)) : len - start;
			uint64_t where = in->opt.lines ? line + 1 : line;
			line++;
			/* (a line longer than an event may be is the parser's to reject) */
			if (!blank(data + start, n) && (rc = window_add(w, start, n, where)))
				goto nomem;
			start += n + 1;
		}
	}
	for (size_t i = 0; i < w->n; i++)
		w->text[i] = data + (uintptr_t)w->text[i];
	if ((rc = parse_window(in, w, err)))
		goto fail;
	*out = b;
	return RAAS_OK;
nomem:
	rc = oom(err);
fail:
	raas_ingest_body_free(b);
	return rc;
}

raas_rc raas_ingest_accept(struct raas_ingest *in, struct raas_ingest_body *b, struct raas_err *err)
{
	return accept_window(in, &b->w, err);
}
