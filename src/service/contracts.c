/* contracts.c — applying, showing and listing contract versions (contracts.md "Versions",
 * cli.md, server.md): the rules a new version must follow, its effective period, and the
 * contract leaf it is stored as (docs/formats/leaves.md).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "raas/time.h"
#include "service/service.h"
#include "settle/load.h"

/* ---- periods (settlement.md "Periods") ---- */

/* The period of contract c that contains instant t: in-term periods are the grid clipped
 * to the term, run-off periods the grid after end; before start, the first period. */
static void period_of(const struct raas_contract *c, int64_t t, int64_t *start, int64_t *end)
{
	int64_t s, e;

	if (t < c->start_us)
		t = c->start_us;
	s = raas_period_floor(c->period, c->tz_offset_min, t);
	e = raas_period_next(c->period, c->tz_offset_min, t);
	if (s < c->start_us)
		s = c->start_us;
	if (c->has_end && t < c->end_us && e > c->end_us)
		e = c->end_us;
	if (c->has_end && t >= c->end_us && s < c->end_us)
		s = c->end_us;
	*start = s;
	*end = e;
}

/* Builds the contract leaf: {"kind":"contract","customer","id","version","effective",
 * "effective_at","applied","document"}. */
static raas_rc contract_leaf(struct raas_buf *b, const struct raas_contract *c, uint32_t version,
                             int64_t effective_us, int64_t applied_us, char *effective_date)
{
	char t1[RAAS_TIME_FORMAT_MAX], t2[RAAS_TIME_FORMAT_MAX];
	int64_t y;
	unsigned m, d;
	raas_rc rc;

	raas_civil_from_days(raas_date_of(effective_us, c->tz_offset_min), &y, &m, &d);
	snprintf(effective_date, 16, "%04lld-%02u-%02u", (long long)y, m, d);
	raas_time_format(effective_us, c->tz_offset_min, t1);
	raas_time_format(applied_us, 0, t2);
	if ((rc = raas_buf_puts(b, "{\"kind\":\"contract\",\"customer\":")) ||
	    (rc = raas_json_write_string(b, c->customer, strlen(c->customer))) ||
	    (rc = raas_buf_puts(b, ",\"id\":")) ||
	    (rc = raas_json_write_string(b, c->id, strlen(c->id))) ||
	    (rc = raas_buf_printf(b,
	                          ",\"version\":%u,\"effective\":\"%s\",\"effective_at\":\"%s\","
	                          "\"applied\":\"%s\",\"document\":",
	                          version, effective_date, t1, t2)) ||
	    (rc = raas_json_write(b, c->doc)) || (rc = raas_buf_putc(b, '}')))
		return rc;
	return RAAS_OK;
}

raas_rc raas_svc_apply(struct raas_store *store, const struct raas_contract *next,
                       bool has_effective, const char *effective_date, int64_t now,
                       struct raas_apply_result *out, struct raas_problems *problems,
                       struct raas_err *err)
{
	const struct raas_store_contract *latest;
	struct raas_contract *prev = NULL;
	struct raas_store_contract meta = {0};
	struct raas_buf leaf;
	const char *types[3 * RAAS_CONTRACT_MAX_RESULTS];
	int64_t p_start, p_end;
	uint32_t customer_no;
	raas_rc rc;

	memset(out, 0, sizeof *out);
	out->version = 1;
	raas_buf_init(&leaf, (size_t)RAAS_LOG_MAX_LEAF);
	if ((rc = raas_store_check_clock(store, now, err)))
		goto out;
	latest = raas_store_contract_latest(store, next->id);
	if (!latest) {
		if (has_effective) {
			raas_problems_add(problems, "--effective",
			                  "the first version of a contract governs from its start; "
			                  "--effective is for later versions");
			rc = RAAS_E_INPUT;
			goto out;
		}
		p_start = next->start_us;
	} else {
		if ((rc = raas_load_version(store, latest, &prev, err)))
			goto out;
		if (raas_contract_same_document(prev, next)) {
			/* Identical to the latest version: nothing is created or recorded. */
			out->version = latest->version;
			out->unchanged = true;
			snprintf(out->effective, sizeof out->effective, "%s", latest->effective);
			goto out;
		}
		if (raas_contract_check_version(prev, next, problems) != RAAS_OK) {
			rc = RAAS_E_INPUT;
			goto out;
		}
		out->version = latest->version + 1;
		if (has_effective) {
			int64_t day;
			if (raas_date_parse(effective_date, strlen(effective_date), &day, err) !=
			    RAAS_OK) {
				raas_problems_add(problems, "--effective", "%s", err->message);
				rc = RAAS_E_INPUT;
				goto out;
			}
			period_of(next, raas_date_midnight(day, next->tz_offset_min), &p_start,
			          &p_end);
		} else {
			period_of(next, now, &p_start, &p_end);
		}
		if (has_effective && p_end + next->lock_after_us <= now) {
			char t[RAAS_TIME_FORMAT_MAX];
			raas_time_format(p_end + next->lock_after_us, next->tz_offset_min, t);
			raas_problems_add(
			        problems, "--effective",
			        "the period containing %s is locked (since %s): a new version "
			        "can only govern periods that are not locked yet",
			        effective_date, t);
		}
		if (next->has_end && next->end_us <= p_start) {
			char t[RAAS_TIME_FORMAT_MAX];
			raas_time_format(p_start, next->tz_offset_min, t);
			raas_problems_add(
			        problems, "end",
			        "must be after the start of the version's effective period (%s)",
			        t);
		}
		if (problems->count) {
			rc = RAAS_E_INPUT;
			goto out;
		}
	}

	if (raas_store_customer(store, next->customer, strlen(next->customer), true,
	                        &customer_no) ||
	    contract_leaf(&leaf, next, out->version, p_start, now, out->effective)) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	meta.id = (char *)next->id;
	meta.version = out->version;
	meta.customer = (char *)next->customer;
	meta.effective = out->effective;
	meta.effective_us = p_start;
	meta.applied_us = now;
	meta.types = (char **)types;
	for (uint32_t i = 0; i < next->nresults; i++) {
		const char *on[3] = {
		        next->results[i].on,
		        next->results[i].reversed_by.present ? next->results[i].reversed_by.on
		                                             : NULL,
		        next->results[i].requires.present ? next->results[i].requires.on : NULL};
		for (int k = 0; k < 3; k++) {
			bool seen = !on[k];
			for (uint32_t j = 0; j < meta.ntypes && !seen; j++)
				seen = !strcmp(types[j], on[k]);
			if (!seen)
				types[meta.ntypes++] = on[k];
		}
	}
	if ((rc = raas_store_add_contract(store, customer_no, &meta, leaf.data, leaf.len, err)) ||
	    (rc = raas_store_commit(store, now, err)))
		goto out;
out:
	raas_contract_free(prev);
	raas_buf_free(&leaf);
	return rc;
}

raas_rc raas_svc_write_applied(struct raas_buf *b, const char *id, uint32_t version)
{
	raas_rc rc;

	if ((rc = raas_buf_puts(b, "{\"id\":")) ||
	    (rc = raas_json_write_string(b, id, strlen(id))) ||
	    (rc = raas_buf_printf(b, ",\"version\":%u}", version)))
		return rc;
	return RAAS_OK;
}

/* Writes {"id","version","customer","effective","applied","document"} of one version. */
raas_rc raas_svc_write_version(struct raas_store *store, const struct raas_store_contract *meta,
                               struct raas_buf *b, struct raas_err *err)
{
	struct raas_log_record rec;
	struct raas_arena arena;
	struct raas_json *leaf;
	struct raas_buf scratch;
	const struct raas_json *applied, *doc;
	raas_rc rc;

	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	raas_arena_init(&arena, 0);
	rc = raas_store_read(store, meta->pos, &rec, &scratch, err);
	if (rc)
		goto out;
	if (raas_json_parse(&arena, rec.leaf, rec.leaf_len, NULL, &leaf, err) ||
	    !(applied = raas_json_get(leaf, "applied")) ||
	    !(doc = raas_json_get(leaf, "document"))) {
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL, "damaged contract entry");
		goto out;
	}
	if ((rc = raas_buf_puts(b, "{\"id\":")) ||
	    (rc = raas_json_write_string(b, meta->id, strlen(meta->id))) ||
	    (rc = raas_buf_printf(b, ",\"version\":%u,\"customer\":", meta->version)) ||
	    (rc = raas_json_write_string(b, meta->customer, strlen(meta->customer))) ||
	    (rc = raas_buf_printf(b, ",\"effective\":\"%s\",\"applied\":", meta->effective)) ||
	    (rc = raas_json_write(b, applied)) || (rc = raas_buf_puts(b, ",\"document\":")) ||
	    (rc = raas_json_write(b, doc)) || (rc = raas_buf_putc(b, '}')))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_arena_free(&arena);
	raas_buf_free(&scratch);
	return rc;
}

static int cmp_meta(const void *a, const void *b)
{
	const struct raas_store_contract *x = *(const struct raas_store_contract *const *)a;
	const struct raas_store_contract *y = *(const struct raas_store_contract *const *)b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->version > y->version) - (x->version < y->version);
}

raas_rc raas_svc_latest_versions(const struct raas_store *store, const char *customer,
                                 const struct raas_store_contract ***out, size_t *count)
{
	size_t n = raas_store_contract_count(store), k = 0;
	const struct raas_store_contract **all = raas_calloc(n + 1, sizeof *all);

	*out = NULL;
	*count = 0;
	if (!all)
		return RAAS_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		all[i] = raas_store_contract_at(store, i);
	qsort(all, n, sizeof *all, cmp_meta);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && !strcmp(all[i + 1]->id, all[i]->id))
			continue; /* one per contract: its latest version */
		if (customer && strcmp(all[i]->customer, customer))
			continue;
		all[k++] = all[i];
	}
	*out = all;
	*count = k;
	return RAAS_OK;
}

raas_rc raas_svc_write_listing(struct raas_buf *b, const struct raas_store_contract *c)
{
	char t[RAAS_TIME_FORMAT_MAX];
	raas_rc rc;

	raas_time_format(c->applied_us, 0, t);
	if ((rc = raas_buf_puts(b, "{\"id\":")) ||
	    (rc = raas_json_write_string(b, c->id, strlen(c->id))) ||
	    (rc = raas_buf_puts(b, ",\"customer\":")) ||
	    (rc = raas_json_write_string(b, c->customer, strlen(c->customer))) ||
	    (rc = raas_buf_printf(b, ",\"version\":%u,\"effective\":\"%s\",\"applied\":\"%s\"}",
	                          c->version, c->effective, t)))
		return rc;
	return RAAS_OK;
}
