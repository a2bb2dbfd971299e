/* ingest.c — one ingest: events validated one by one, duplicates and conflicts detected
 * against the store and the pending batch, accepted events appended in durable batches.
 */
#include "ingest/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/map.h"
#include "store/idtable.h"

#define READ_CHUNK ((size_t)4 << 20)
#define MAX_MATCHES 8

struct problem {
	uint64_t where;
	char *id; /* NULL: the event had no readable id */
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
	struct raas_arena check; /* a stored event read back for comparison */
	struct raas_buf leaf;    /* leaf bytes of the event being accepted */
	struct raas_buf scratch; /* a log record read back */

	/* The pending batch: leaf bytes of its events, to compare in-batch repeats. */
	struct raas_buf batch_leaves;
	size_t *batch_offsets; /* start of each pending leaf in batch_leaves; one more at end */
	size_t batch_count, batch_cap;
	struct raas_u64map batch_keys; /* key → index in the batch */

	uint64_t accepted, duplicates, committed;
	struct problems rejected, conflicts;
	uint64_t unmatched;
	struct raas_strmap unmatched_customers;
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
	raas_arena_init(&in->check, 0);
	raas_buf_init(&in->leaf, (size_t)RAAS_LOG_MAX_LEAF);
	raas_buf_init(&in->scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	raas_buf_init(&in->batch_leaves, (size_t)16 << 30);
	*out = in;
	return RAAS_OK;
}

void raas_ingest_free(struct raas_ingest *in)
{
	if (!in)
		return;
	raas_store_discard(in->store);
	raas_arena_free(&in->line);
	raas_arena_free(&in->check);
	raas_buf_free(&in->leaf);
	raas_buf_free(&in->scratch);
	raas_buf_free(&in->batch_leaves);
	raas_free(in->batch_offsets);
	raas_u64map_free(&in->batch_keys);
	for (int k = 0; k < 2; k++) {
		struct problems *p = k ? &in->conflicts : &in->rejected;
		for (size_t i = 0; i < p->count; i++) {
			raas_free(p->items[i].id);
			raas_free(p->items[i].error);
		}
		raas_free(p->items);
	}
	raas_strmap_free(&in->unmatched_customers);
	for (size_t i = 0; i < in->unmatched_n; i++)
		raas_free(in->unmatched_list[i]);
	raas_free(in->unmatched_list);
	raas_free(in);
}

uint64_t raas_ingest_accepted(const struct raas_ingest *in)
{
	return in->accepted;
}

static raas_rc add_problem(struct problems *p, uint64_t where, const char *id, const char *path,
                           const char *message, struct raas_err *err)
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
	item->id = id ? raas_strdup(id) : NULL;
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

static raas_rc note_unmatched(struct raas_ingest *in, const struct raas_event *ev,
                              struct raas_err *err)
{
	uint32_t v;
	char *copy;

	if (raas_store_type_is_named(in->store, ev->customer, ev->customer_len, ev->type,
	                             ev->type_len))
		return RAAS_OK;
	in->unmatched++;
	if (raas_strmap_get(&in->unmatched_customers, ev->customer, ev->customer_len, &v))
		return RAAS_OK;
	if (in->unmatched_n == in->unmatched_cap) {
		size_t cap = in->unmatched_cap ? in->unmatched_cap * 2 : 8;
		char **l = raas_realloc(in->unmatched_list, cap * sizeof *l);
		if (!l)
			return oom(err);
		in->unmatched_list = l;
		in->unmatched_cap = cap;
	}
	copy = raas_strndup(ev->customer, ev->customer_len);
	if (!copy)
		return oom(err);
	in->unmatched_list[in->unmatched_n++] = copy;
	if (raas_strmap_put(&in->unmatched_customers, copy, ev->customer_len, 1))
		return oom(err);
	return RAAS_OK;
}

/* Compares ev with the leaf bytes of an event stored or pending under the same key.
 * Returns 1 for a duplicate, 2 for a conflict, 0 when it is another (customer, id). */
static int compare_leaf(struct raas_ingest *in, const struct raas_event *ev, const char *leaf,
                        size_t len, struct raas_err *err, raas_rc *rc)
{
	struct raas_event old;
	int64_t received;

	raas_arena_reset(&in->check);
	*rc = raas_event_parse_leaf(&in->check, leaf, len, &old, &received, err);
	if (*rc) {
		*rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                   "a stored event cannot be read back: %s", err->message);
		return 0;
	}
	if (old.customer_len != ev->customer_len || old.id_len != ev->id_len ||
	    memcmp(old.customer, ev->customer, ev->customer_len) ||
	    memcmp(old.id, ev->id, ev->id_len))
		return 0;
	return raas_event_same_content(&old, ev) ? 1 : 2;
}

/* Looks (customer, id) up in the pending batch and then in the store: 0 new, 1 duplicate,
 * 2 conflict. */
static int lookup(struct raas_ingest *in, const struct raas_event *ev, uint64_t key,
                  struct raas_err *err, raas_rc *rc)
{
	uint32_t idx[MAX_MATCHES];
	uint64_t pos[MAX_MATCHES];
	size_t n;
	int r;

	*rc = RAAS_OK;
	n = raas_u64map_get(&in->batch_keys, key, idx, MAX_MATCHES);
	for (size_t i = 0; i < n && i < MAX_MATCHES; i++) {
		size_t from = in->batch_offsets[idx[i]], to = in->batch_offsets[idx[i] + 1];
		r = compare_leaf(in, ev, in->batch_leaves.data + from, to - from, err, rc);
		if (r || *rc)
			return r;
	}
	n = raas_store_find_event(in->store, key, pos, MAX_MATCHES);
	for (size_t i = 0; i < n && i < MAX_MATCHES; i++) {
		struct raas_log_record rec;
		if ((*rc = raas_store_read(in->store, pos[i], &rec, &in->scratch, err)))
			return 0;
		r = compare_leaf(in, ev, rec.leaf, rec.leaf_len, err, rc);
		if (r || *rc)
			return r;
	}
	return 0;
}

static raas_rc commit_batch(struct raas_ingest *in, struct raas_err *err)
{
	raas_rc rc = raas_store_commit(in->store, in->opt.now_us, err);

	if (rc)
		return rc;
	in->committed = in->accepted;
	raas_buf_reset(&in->batch_leaves);
	in->batch_count = 0;
	raas_u64map_clear(&in->batch_keys);
	return RAAS_OK;
}

raas_rc raas_ingest_event(struct raas_ingest *in, uint64_t where, const char *text, size_t len,
                          struct raas_err *err)
{
	struct raas_event ev;
	struct raas_err problem;
	const char *id = NULL;
	uint32_t customer_no;
	uint64_t key;
	raas_rc rc;
	int found;

	raas_err_clear(&problem);
	raas_arena_reset(&in->line);
	rc = raas_event_parse(&in->line, text, len, &in->opt.limits, &ev, &id, &problem);
	if (rc == RAAS_E_NOMEM)
		return oom(err);
	if (rc == RAAS_OK)
		rc = raas_event_check_clock(&ev, in->opt.now_us, &problem);
	if (rc)
		return add_problem(&in->rejected, where, id, problem.path, problem.message, err);

	key = raas_idtable_key(ev.customer, ev.customer_len, ev.id, ev.id_len);
	found = lookup(in, &ev, key, err, &rc);
	if (rc)
		return rc;
	if (found == 1) {
		in->duplicates++;
		return RAAS_OK;
	}
	if (found == 2)
		return add_problem(
		        &in->conflicts, where, ev.id, NULL,
		        "id already used with different content (the stored event is kept)", err);

	if ((rc = raas_store_customer(in->store, ev.customer, ev.customer_len, true, &customer_no)))
		return raas_err_set(err, rc, NULL, "cannot register customer");
	raas_buf_reset(&in->leaf);
	if ((rc = raas_event_write_leaf(&in->leaf, &ev, in->opt.now_us)))
		return raas_err_set(err, rc == RAAS_E_NOMEM ? RAAS_E_NOMEM : RAAS_E_STORAGE, NULL,
		                    "cannot write the event's leaf");
	if ((rc = raas_store_add_event(in->store, customer_no, key, in->opt.now_us, in->leaf.data,
	                               in->leaf.len, err)))
		return rc;
	/* Remember it for repeats later in the same batch. */
	if (in->batch_count + 2 > in->batch_cap) {
		size_t cap = in->batch_cap ? in->batch_cap * 2 : 1024;
		size_t *o = raas_realloc(in->batch_offsets, cap * sizeof *o);
		if (!o)
			return oom(err);
		in->batch_offsets = o;
		in->batch_cap = cap;
	}
	in->batch_offsets[in->batch_count] = in->batch_leaves.len;
	if (raas_buf_append(&in->batch_leaves, in->leaf.data, in->leaf.len) ||
	    raas_u64map_add(&in->batch_keys, key, (uint32_t)in->batch_count))
		return oom(err);
	in->batch_count++;
	in->batch_offsets[in->batch_count] = in->batch_leaves.len;
	in->accepted++;
	if ((rc = note_unmatched(in, &ev, err)))
		return rc;
	if (!in->opt.atomic && in->batch_count >= in->opt.batch_size)
		return commit_batch(in, err);
	return RAAS_OK;
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

raas_rc raas_ingest_fd(struct raas_ingest *in, int fd, struct raas_err *err)
{
	size_t cap = READ_CHUNK + in->opt.limits.max_bytes + 2;
	char *buf = raas_malloc(cap);
	size_t have = 0;
	uint64_t line = 0;
	bool skipping = false, eof = false;
	raas_rc rc = RAAS_OK;

	if (!buf)
		return oom(err);
	while (!eof) {
		size_t start = 0;
		ssize_t n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = raas_err_set(err, RAAS_E_INPUT, NULL, "cannot read the input: %s",
			                  strerror(errno));
			break;
		}
		eof = n == 0;
		have += (size_t)n;
		if (skipping) {
			/* Inside a line already rejected as too long: drop it up to its newline. */
			char *nl = memchr(buf, '\n', have);
			if (!nl) {
				have = 0;
				continue;
			}
			start = (size_t)(nl - buf) + 1;
			skipping = false;
		}
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			size_t len;
			if (!nl && !(eof && start < have))
				break;
			len = nl ? (size_t)(nl - (buf + start)) : have - start;
			line++;
			if (!blank(buf + start, len) &&
			    (rc = raas_ingest_event(in, line, buf + start, len, err)))
				goto out;
			start += len + (nl ? 1 : 0);
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (!eof && have > in->opt.limits.max_bytes + 1) {
			/* A line longer than any event may be: reject it without buffering it. */
			char msg[64];
			snprintf(msg, sizeof msg, "event longer than %zu bytes",
			         in->opt.limits.max_bytes);
			if ((rc = add_problem(&in->rejected, ++line, NULL, NULL, msg, err)))
				goto out;
			skipping = true;
			have = 0;
		}
	}
out:
	raas_free(buf);
	return rc;
}

raas_rc raas_ingest_finish(struct raas_ingest *in, bool *failed_atomic, struct raas_err *err)
{
	*failed_atomic = false;
	if (in->opt.atomic && (in->rejected.count || in->conflicts.count)) {
		raas_store_discard(in->store);
		in->accepted = 0;
		in->unmatched = 0;
		for (size_t i = 0; i < in->unmatched_n; i++)
			raas_free(in->unmatched_list[i]);
		in->unmatched_n = 0;
		*failed_atomic = true;
		return RAAS_OK;
	}
	return commit_batch(in, err);
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
			rc = it->id ? raas_json_write_string(b, it->id, strlen(it->id))
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

raas_rc raas_ingest_write_report(const struct raas_ingest *in, struct raas_buf *b)
{
	const char *where = in->opt.lines ? "line" : "index";
	raas_rc rc;

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
		rc = raas_buf_printf(b, ",\"unmatched\":{\"count\":%llu,\"customers\":[",
		                     (unsigned long long)in->unmatched);
	for (size_t i = 0; i < in->unmatched_n && !rc; i++) {
		if (i)
			rc = raas_buf_putc(b, ',');
		if (!rc)
			rc = raas_json_write_string(b, in->unmatched_list[i],
			                            strlen(in->unmatched_list[i]));
	}
	if (!rc)
		rc = raas_buf_puts(b, "]}}");
	return rc;
}
