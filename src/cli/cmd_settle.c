/* cmd_settle.c — the commands that read results and invoices (cli.md): `raas results`,
 * `raas invoice`, `raas invoices`, and `raas settle`, which locks and stores invoices.
 *
 * Each builds the ledgers it needs from the store (settle/load.h) and asks the settlement
 * engine (settle/settle.h). A locked invoice that `settle` stored is printed from the log,
 * never recomputed; one not stored yet is computed (locking is a pure function of what was
 * received before the lock time, so both give the same bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "cli/cli.h"
#include "evidence/bundle.h"
#include "raas/time.h"
#include "service/service.h"
#include "settle/load.h"
#include "settle/settle.h"
#include "store/store.h"

/* The command's clock: --now or the real clock (commands that only read). */
static int read_clock(struct raas_cli *cli, int64_t *now)
{
	return raas_cli_now(cli, now);
}

/* Parses DATE (YYYY-MM-DD, or YYYY-MM for its first day) for the option or argument name. */
static int parse_date(struct raas_cli *cli, const char *name, const char *s, int64_t *day)
{
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_date_parse_day_or_month(s, strlen(s), day, &err) != RAAS_OK) {
		fprintf(cli->err, "%s: %s (expected YYYY-MM-DD or YYYY-MM)\n", name, err.message);
		return 2;
	}
	return 0;
}

/* ---- --format text ---- */

static const char *str_of(const struct raas_json *obj, const char *key)
{
	const struct raas_json *v = raas_json_get(obj, key);

	return v && v->type == RAAS_JSON_STRING ? v->u.str : "";
}

/* Prints an invoice document as a table for people: a header, one row per line, the
 * total. */
static void print_invoice_text(const struct raas_cli *cli, const char *doc, size_t len)
{
	struct raas_arena arena;
	struct raas_json *d;
	struct raas_err err;
	const struct raas_json *period, *lines;

	raas_arena_init(&arena, 0);
	if (raas_json_parse(&arena, doc, len, NULL, &d, &err) != RAAS_OK) {
		raas_cli_print_line(cli, doc, len); /* cannot happen: raas wrote it */
		raas_arena_free(&arena);
		return;
	}
	period = raas_json_get(d, "period");
	lines = raas_json_get(d, "lines");
	fprintf(cli->out, "%s %s (customer %s), %s to %s, %s, as of %s\n",
	        strcmp(str_of(d, "kind"), "credit_note") ? "invoice" : "credit note",
	        str_of(d, "contract"), str_of(d, "customer"), str_of(period, "start"),
	        str_of(period, "end"), str_of(d, "status"), str_of(d, "as_of"));
	for (uint32_t i = 0; lines && i < lines->len; i++) {
		const struct raas_json *ln = &lines->u.items[i];
		const char *type = str_of(ln, "type");
		char what[320];
		if (!strcmp(type, "result"))
			snprintf(what, sizeof what, "%s x %s", str_of(ln, "name"),
			         str_of(ln, "quantity"));
		else if (!strcmp(type, "fee"))
			snprintf(what, sizeof what, "fee %s", str_of(ln, "name"));
		else if (!strcmp(type, "adjustment"))
			snprintf(what, sizeof what, "adjustment for %s",
			         str_of(ln, "period_start"));
		else
			snprintf(what, sizeof what, "%s", type);
		fprintf(cli->out, "  %-52s %16s\n", what, str_of(ln, "amount"));
	}
	fprintf(cli->out, "  %-52s %16s %s\n", "total", str_of(d, "total"), str_of(d, "currency"));
	raas_arena_free(&arena);
}

/* Prints a results listing (NDJSON) as a table. */
static void print_results_text(const struct raas_cli *cli, const char *text, size_t len)
{
	struct raas_arena arena;
	const char *p = text, *end = text + len;

	raas_arena_init(&arena, 0);
	fprintf(cli->out, "%-40s %-10s %-4s %-26s %-26s %s\n", "id", "status", "late",
	        "achieved_at", "confirmed_at", "value / reason");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct raas_json *r;
		struct raas_err err;
		const struct raas_json *late;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		raas_arena_reset(&arena);
		if (raas_json_parse(&arena, p, n, NULL, &r, &err) == RAAS_OK) {
			late = raas_json_get(r, "late");
			fprintf(cli->out, "%-40s %-10s %-4s %-26s %-26s %s\n", str_of(r, "id"),
			        str_of(r, "status"),
			        late && late->type == RAAS_JSON_TRUE ? "yes" : "",
			        str_of(r, "achieved_at"),
			        str_of(r, "confirmed_at")[0] ? str_of(r, "confirmed_at") : "-",
			        str_of(r, "reason")[0] ? str_of(r, "reason") : str_of(r, "value"));
		}
		p += n + 1;
	}
	raas_arena_free(&arena);
}

/* Opens the store and loads the ledger of contract id (exit code on failure). */
static int open_ledger(struct raas_cli *cli, bool writable, const char *id,
                       struct raas_store **store, struct raas_ledgers *ls)
{
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_store_open(cli->data_dir, writable, store, &err) ||
	    raas_ledgers_load(*store, id, NULL, ls, &err))
		return raas_cli_fail(cli, &err);
	if (id && ls->n == 0) {
		fprintf(cli->err, "%s: no such contract\n", id);
		return 2;
	}
	return 0;
}

/* ---- results ---- */

static const struct raas_cli_option results_options[] = {
        {"period", 0, "DATE",
         "only results confirmed in the period containing DATE (YYYY-MM-DD or YYYY-MM)"},
        {"status", 0, "S",
         "only results with status S: invalid, reversed, voided, disputed, confirmed, pending"},
        {"now", 0, "T", "the clock (RFC 3339) to evaluate at, past or future (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_results(struct raas_cli *cli)
{
	const char *period = raas_cli_option_value(cli, "period");
	const char *status = raas_cli_option_value(cli, "status");
	struct raas_results_filter filter = {0};
	struct raas_store *store = NULL;
	struct raas_ledgers ls = {0};
	struct raas_err err;
	struct raas_buf out;
	int64_t now, day = 0;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&out, (size_t)1 << 32);
	if ((rc = read_clock(cli, &now)) ||
	    (period && (rc = parse_date(cli, "--period", period, &day))))
		goto out;
	if (status) {
		enum raas_result_status st;
		if (raas_result_status_parse(status, &st) != RAAS_OK) {
			fprintf(cli->err,
			        "--status: unknown status '%s' (one of invalid, reversed, voided, "
			        "disputed, confirmed, pending)\n",
			        status);
			rc = 2;
			goto out;
		}
		filter.by_status = true;
		filter.status = st;
	}
	if ((rc = open_ledger(cli, false, cli->args[0], &store, &ls)))
		goto out;
	if (period) {
		const struct raas_store_contract *c =
		        raas_store_contract_latest(store, cli->args[0]);
		struct raas_contract *doc = NULL;
		if (raas_load_version(store, c, &doc, &err)) {
			rc = raas_cli_fail(cli, &err);
			goto out;
		}
		filter.by_period = true;
		filter.period_instant = raas_date_midnight(day, doc->tz_offset_min);
		raas_contract_free(doc);
	}
	if (raas_ledger_results(ls.v[0], now, &filter, &out, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (cli->format == RAAS_FORMAT_TEXT)
		print_results_text(cli, out.data ? out.data : "", out.len);
	else if (out.len)
		fwrite(out.data, 1, out.len, cli->out);
	rc = 0;
out:
	raas_ledgers_free(&ls);
	raas_store_close(store);
	raas_buf_free(&out);
	return rc;
}

const struct raas_cli_command raas_cmd_results = {
        .name = "results",
        .synopsis = "CONTRACT",
        .summary = "list a contract's results with status, times, value and evidence",
        .description =
                "Prints one JSON object per result (settlement.md \"The results listing\"),\n"
                "sorted by achieved_at then id, as visible at the clock: events received at\n"
                "or before --now. A reading command: it records nothing and accepts any clock.\n"
                "--format text prints a table (the value column shows the reason of an invalid\n"
                "result).\n",
        .options = results_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_results,
};

/* ---- one invoice ---- */

static const struct raas_cli_option invoice_options[] = {
        {"now", 0, "T",
         "the clock (RFC 3339), past or future: a draft before the period's lock time, "
         "the locked invoice from then on (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_invoice(struct raas_cli *cli)
{
	struct raas_store *store = NULL;
	struct raas_ledgers ls = {0};
	struct raas_contract *doc = NULL;
	struct raas_period p;
	struct raas_err err;
	struct raas_buf out;
	int64_t now, day;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&out, (size_t)1 << 30);
	if ((rc = read_clock(cli, &now)) || (rc = parse_date(cli, "DATE", cli->args[1], &day)) ||
	    (rc = open_ledger(cli, false, cli->args[0], &store, &ls)))
		goto out;
	if (raas_load_version(store, raas_store_contract_latest(store, cli->args[0]), &doc, &err) ||
	    raas_ledger_period(ls.v[0], raas_date_midnight(day, doc->tz_offset_min), now, &p,
	                       &err) ||
	    raas_svc_invoice(store, ls.v[0], &p, now, &out, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (cli->format == RAAS_FORMAT_TEXT)
		print_invoice_text(cli, out.data, out.len);
	else
		raas_cli_print_line(cli, out.data, out.len);
	rc = 0;
out:
	raas_contract_free(doc);
	raas_ledgers_free(&ls);
	raas_store_close(store);
	raas_buf_free(&out);
	return rc;
}

const struct raas_cli_command raas_cmd_invoice = {
        .name = "invoice",
        .synopsis = "CONTRACT DATE",
        .summary = "print the invoice (draft or locked) of the period containing DATE",
        .description =
                "DATE is YYYY-MM-DD or YYYY-MM (its first day), in the contract's time zone.\n"
                "Prints the invoice document of settlement.md: a draft computed from every\n"
                "event received at or before --now while the period is not locked, the locked\n"
                "invoice from its lock time on. A date before the contract's start, or in an\n"
                "empty run-off period, exits 2. A reading command: it records nothing.\n"
                "--format text prints the lines as a table.\n",
        .options = invoice_options,
        .min_args = 2,
        .max_args = 2,
        .run = run_invoice,
};

/* ---- locked invoices: settle and invoices ---- */

static void print_locked(struct raas_cli *cli, const struct raas_locked *v, size_t n,
                         const struct raas_buf *docs)
{
	for (size_t i = 0; i < n; i++) {
		if (cli->format == RAAS_FORMAT_TEXT) {
			if (i)
				fputc('\n', cli->out);
			print_invoice_text(cli, docs->data + v[i].off, v[i].len);
		} else
			raas_cli_print_line(cli, docs->data + v[i].off, v[i].len);
	}
}

static const struct raas_cli_option settle_options[] = {
        {"now", 0, "T",
         "the clock (RFC 3339), recorded in the data directory; every period whose lock "
         "time is at or before it locks (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_settle(struct raas_cli *cli)
{
	struct raas_store *store = NULL;
	struct raas_ledgers ls = {0};
	struct raas_locked *v = NULL;
	struct raas_err err;
	struct raas_buf docs;
	size_t n = 0;
	int64_t now;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&docs, (size_t)1 << 34);
	if (raas_cli_option_value(cli, "now") && (rc = raas_cli_now(cli, &now)))
		goto out;
	if (raas_store_open(cli->data_dir, true, &store, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (!raas_cli_option_value(cli, "now"))
		(void)raas_cli_now(cli, &now); /* read under the writer lock */
	if (raas_store_check_clock(store, now, &err) ||
	    raas_ledgers_load(store, NULL, NULL, &ls, &err) ||
	    raas_svc_settle(store, &ls, now, &v, &n, &docs, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	print_locked(cli, v, n, &docs);
	rc = 0;
out:
	raas_free(v);
	raas_ledgers_free(&ls);
	raas_store_close(store);
	raas_buf_free(&docs);
	return rc;
}

const struct raas_cli_command raas_cmd_settle = {
        .name = "settle",
        .synopsis = "",
        .summary = "lock every period whose lock time has come and store its invoice",
        .description =
                "Locks every period of every contract whose lock time (period end +\n"
                "lock_after) is at or before the clock, appends each new locked invoice to its\n"
                "customer's log (one durable batch) and prints them as NDJSON, ordered by lock\n"
                "time, then contract id, then period start. Empty run-off periods lock but are\n"
                "neither stored nor printed. A writing command: its clock is recorded and may\n"
                "not be earlier than the data directory's (exit 2). --format text prints each\n"
                "invoice as a table.\n",
        .options = settle_options,
        .min_args = 0,
        .max_args = 0,
        .run = run_settle,
};

static const struct raas_cli_option invoices_options[] = {
        {"contract", 0, "C", "only the invoices of contract C"},
        {"customer", 0, "C", "only the invoices of customer C"},
        {"now", 0, "T",
         "the clock (RFC 3339): invoices whose lock time is at or before it (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_invoices(struct raas_cli *cli)
{
	const char *contract = raas_cli_option_value(cli, "contract");
	const char *customer = raas_cli_option_value(cli, "customer");
	struct raas_store *store = NULL;
	struct raas_ledgers ls = {0};
	struct raas_locked *v = NULL;
	struct raas_err err;
	struct raas_buf docs;
	size_t n = 0;
	int64_t now;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&docs, (size_t)1 << 34);
	if ((rc = read_clock(cli, &now)))
		goto out;
	if (raas_store_open(cli->data_dir, false, &store, &err) ||
	    raas_ledgers_load(store, contract, customer, &ls, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (raas_svc_collect_locked(store, &ls, now, false, &v, &n, &docs, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	print_locked(cli, v, n, &docs);
	rc = 0;
out:
	raas_free(v);
	raas_ledgers_free(&ls);
	raas_store_close(store);
	raas_buf_free(&docs);
	return rc;
}

const struct raas_cli_command raas_cmd_invoices = {
        .name = "invoices",
        .synopsis = "",
        .summary = "list the locked invoices",
        .description = "Prints every locked invoice (lock time at or before the clock) as NDJSON,\n"
                       "ordered like `raas settle` prints them: the stored document when `settle`\n"
                       "stored it, else the same document computed. Empty run-off periods are not\n"
                       "listed. A reading command: it records nothing and accepts any clock.\n"
                       "--format text prints each invoice as a table.\n",
        .options = invoices_options,
        .min_args = 0,
        .max_args = 0,
        .run = run_invoices,
};
