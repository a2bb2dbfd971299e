/* cmd_contract.c — `raas contract apply|show|list` (cli.md, contracts.md "Versions").
 *
 * apply validates a document, decides whether it is a new contract, a new version or a
 * re-application of the latest one, checks the version rules and the effective period,
 * and appends the version to the customer's log as a contract leaf
 * (docs/formats/leaves.md).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"
#include "cli/cli.h"
#include "contract/contract.h"
#include "raas/time.h"
#include "settle/load.h"
#include "store/store.h"

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

/* ---- apply ---- */

static const struct raas_cli_option apply_options[] = {
        {"effective", 0, "DATE",
         "a later version governs from the period containing DATE (YYYY-MM-DD; the period must "
         "not be locked); default: the period containing the clock"},
        {"now", 0, "T", "the clock (RFC 3339), recorded as the time the version was applied"},
        {NULL, 0, NULL, NULL},
};

static int print_problems(struct raas_cli *cli, struct raas_problems *problems)
{
	raas_problems_print(cli->err, problems);
	return problems->out_of_memory ? 3 : 2;
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

static int run_apply(struct raas_cli *cli)
{
	const char *effective = raas_cli_option_value(cli, "effective");
	struct raas_problems problems = {0};
	struct raas_contract *next = NULL, *prev = NULL;
	const struct raas_store_contract *latest;
	struct raas_store *store = NULL;
	struct raas_store_contract meta = {0};
	struct raas_err err;
	struct raas_buf leaf, out;
	char *text = NULL, date[16];
	const char *types[3 * RAAS_CONTRACT_MAX_RESULTS];
	size_t len = 0;
	int64_t now, p_start, p_end;
	uint32_t version = 1, customer_no;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&leaf, (size_t)RAAS_LOG_MAX_LEAF);
	raas_buf_init(&out, 4096);
	if ((raas_cli_option_value(cli, "now") && (rc = raas_cli_now(cli, &now))) ||
	    (rc = raas_cli_read_file(cli, cli->args[0], RAAS_CONTRACT_MAX_BYTES, &text, &len)))
		goto out;
	if (raas_contract_parse(text, len, &next, &problems) != RAAS_OK) {
		rc = print_problems(cli, &problems);
		goto out;
	}
	if (raas_store_open(cli->data_dir, true, &store, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (!raas_cli_option_value(cli, "now"))
		(void)raas_cli_now(cli, &now); /* the real clock, read under the writer lock */
	if (raas_store_check_clock(store, now, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	latest = raas_store_contract_latest(store, next->id);
	if (!latest) {
		if (effective) {
			raas_problems_add(&problems, "--effective",
			                  "the first version of a contract governs from its start; "
			                  "--effective is for later versions");
			rc = print_problems(cli, &problems);
			goto out;
		}
		p_start = next->start_us;
	} else {
		if (raas_load_version(store, latest, &prev, &err)) {
			rc = raas_cli_fail(cli, &err);
			goto out;
		}
		if (raas_contract_same_document(prev, next)) {
			/* Identical to the latest version: nothing is created or recorded. */
			rc = raas_buf_printf(&out, "{\"id\":") ||
			     raas_json_write_string(&out, next->id, strlen(next->id)) ||
			     raas_buf_printf(&out, ",\"version\":%u}", latest->version);
			if (cli->format == RAAS_FORMAT_TEXT)
				fprintf(cli->out,
				        "%s version %u (unchanged: the document is identical to "
				        "it)\n",
				        next->id, latest->version);
			else
				raas_cli_print_line(cli, out.data, out.len);
			rc = 0;
			goto out;
		}
		if (raas_contract_check_version(prev, next, &problems) != RAAS_OK) {
			rc = print_problems(cli, &problems);
			goto out;
		}
		version = latest->version + 1;
		if (effective) {
			int64_t day;
			if (raas_date_parse(effective, strlen(effective), &day, &err) != RAAS_OK) {
				raas_problems_add(&problems, "--effective", "%s", err.message);
				rc = print_problems(cli, &problems);
				goto out;
			}
			period_of(next, raas_date_midnight(day, next->tz_offset_min), &p_start,
			          &p_end);
		} else {
			period_of(next, now, &p_start, &p_end);
		}
		if (effective && p_end + next->lock_after_us <= now) {
			char t[RAAS_TIME_FORMAT_MAX];
			raas_time_format(p_end + next->lock_after_us, next->tz_offset_min, t);
			raas_problems_add(
			        &problems, "--effective",
			        "the period containing %s is locked (since %s): a new version "
			        "can only govern periods that are not locked yet",
			        effective, t);
		}
		if (next->has_end && next->end_us <= p_start) {
			char t[RAAS_TIME_FORMAT_MAX];
			raas_time_format(p_start, next->tz_offset_min, t);
			raas_problems_add(
			        &problems, "end",
			        "must be after the start of the version's effective period (%s)",
			        t);
		}
		if (problems.count) {
			rc = print_problems(cli, &problems);
			goto out;
		}
	}

	if (raas_store_customer(store, next->customer, strlen(next->customer), true,
	                        &customer_no) ||
	    contract_leaf(&leaf, next, version, p_start, now, date)) {
		fprintf(cli->err, "out of memory\n");
		rc = 3;
		goto out;
	}
	meta.id = (char *)next->id;
	meta.version = version;
	meta.customer = (char *)next->customer;
	meta.effective = date;
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
	if (raas_store_add_contract(store, customer_no, &meta, leaf.data, leaf.len, &err) ||
	    raas_store_commit(store, now, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (raas_buf_puts(&out, "{\"id\":") ||
	    raas_json_write_string(&out, next->id, strlen(next->id)) ||
	    raas_buf_printf(&out, ",\"version\":%u}", version)) {
		rc = 3;
		goto out;
	}
	if (cli->format == RAAS_FORMAT_TEXT)
		fprintf(cli->out, "%s version %u (%s), effective %s\n", next->id, version,
		        version == 1 ? "new contract" : "new version", date);
	else
		raas_cli_print_line(cli, out.data, out.len);
	rc = 0;
out:
	raas_problems_free(&problems);
	raas_contract_free(next);
	raas_contract_free(prev);
	raas_store_close(store);
	raas_buf_free(&leaf);
	raas_buf_free(&out);
	raas_free(text);
	return rc;
}

const struct raas_cli_command raas_cmd_contract_apply = {
        .name = "contract apply",
        .synopsis = "FILE",
        .summary = "validate and store a contract; an existing id gets a new version",
        .description =
                "Validates the contract document in FILE (contracts.md) and lists every problem "
                "with\n"
                "its JSON path (exit 2). A new id is stored as version 1, governing from its "
                "start.\n"
                "An existing id gets a new version governing from the period containing the clock\n"
                "(or --effective DATE); a new version may change only prices, fees, minimum, cap,\n"
                "end and the dispute fields. Re-applying a document identical to the latest "
                "version\n"
                "creates nothing. Prints {\"id\":ID,\"version\":N}.\n",
        .options = apply_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_apply,
};

/* ---- show and list ---- */

static const struct raas_cli_option show_options[] = {
        {"version", 0, "N", "the version to show (default: the latest)"},
        {NULL, 0, NULL, NULL},
};

/* Writes {"id","version","customer","effective","applied","document"} of one version. */
static raas_rc write_version(struct raas_store *store, const struct raas_store_contract *meta,
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

static int run_show(struct raas_cli *cli)
{
	const char *v = raas_cli_option_value(cli, "version");
	const struct raas_store_contract *meta;
	struct raas_store *store = NULL;
	struct raas_err err;
	struct raas_buf b;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, (size_t)RAAS_LOG_MAX_LEAF * 2);
	if (raas_store_open(cli->data_dir, false, &store, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || n < 1 || n > UINT32_MAX) {
			fprintf(cli->err, "--version: must be a version number (1, 2, ...)\n");
			rc = 2;
			goto out;
		}
		meta = raas_store_contract_version(store, cli->args[0], (uint32_t)n);
	} else {
		meta = raas_store_contract_latest(store, cli->args[0]);
	}
	if (!meta) {
		fprintf(cli->err, "%s: no such contract%s%s\n", cli->args[0], v ? " version " : "",
		        v ? v : "");
		rc = 2;
		goto out;
	}
	if (write_version(store, meta, &b, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	raas_cli_print_line(cli, b.data, b.len);
	rc = 0;
out:
	raas_store_close(store);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_contract_show = {
        .name = "contract show",
        .synopsis = "ID",
        .summary = "show a contract version as applied",
        .description =
                "Prints {\"id\",\"version\",\"customer\",\"effective\",\"applied\",\"document\"}\n"
                "for the latest version of contract ID, or --version N. The document is JSON,\n"
                "so --format text prints the same.\n",
        .options = show_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_show,
};

static int cmp_meta(const void *a, const void *b)
{
	const struct raas_store_contract *x = *(const struct raas_store_contract *const *)a;
	const struct raas_store_contract *y = *(const struct raas_store_contract *const *)b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->version > y->version) - (x->version < y->version);
}

static int run_list(struct raas_cli *cli)
{
	struct raas_store *store = NULL;
	const struct raas_store_contract **all = NULL;
	struct raas_err err;
	struct raas_buf b;
	size_t n;
	int rc = 0, printed = 0;

	raas_err_clear(&err);
	raas_buf_init(&b, 1 << 20);
	if (raas_store_open(cli->data_dir, false, &store, &err))
		return raas_cli_fail(cli, &err);
	n = raas_store_contract_count(store);
	all = raas_calloc(n + 1, sizeof *all);
	if (!all) {
		rc = 3;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = raas_store_contract_at(store, i);
	qsort(all, n, sizeof *all, cmp_meta);
	for (size_t i = 0; i < n; i++) {
		const struct raas_store_contract *c = all[i];
		char t[RAAS_TIME_FORMAT_MAX];
		if (i + 1 < n && !strcmp(all[i + 1]->id, c->id))
			continue; /* one line per contract: its latest version */
		raas_time_format(c->applied_us, 0, t);
		if (cli->format == RAAS_FORMAT_TEXT) {
			if (!printed++)
				fprintf(cli->out, "%-32s %-20s %7s  %-10s  %s\n", "CONTRACT",
				        "CUSTOMER", "VERSION", "EFFECTIVE", "APPLIED");
			fprintf(cli->out, "%-32s %-20s %7u  %-10s  %s\n", c->id, c->customer,
			        c->version, c->effective, t);
			continue;
		}
		raas_buf_reset(&b);
		if (raas_buf_puts(&b, "{\"id\":") ||
		    raas_json_write_string(&b, c->id, strlen(c->id)) ||
		    raas_buf_puts(&b, ",\"customer\":") ||
		    raas_json_write_string(&b, c->customer, strlen(c->customer)) ||
		    raas_buf_printf(&b, ",\"version\":%u,\"effective\":\"%s\",\"applied\":\"%s\"}",
		                    c->version, c->effective, t)) {
			rc = 3;
			goto out;
		}
		raas_cli_print_line(cli, b.data, b.len);
	}
out:
	raas_free(all);
	raas_store_close(store);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_contract_list = {
        .name = "contract list",
        .synopsis = "",
        .summary = "list contracts, one line each with their latest version",
        .description = "Prints one line per contract, sorted by id:\n"
                       "{\"id\",\"customer\",\"version\",\"effective\",\"applied\"} of its latest "
                       "version.\n",
        .options = NULL,
        .min_args = 0,
        .max_args = 0,
        .run = run_list,
};
