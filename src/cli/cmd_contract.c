/* cmd_contract.c — `raas contract apply|show|list` (cli.md, contracts.md "Versions"): the
 * command-line face of service/contracts.c, which decides new contract, new version or
 * re-application, checks the version rules and stores the version.
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
#include "service/service.h"
#include "settle/load.h"
#include "store/store.h"

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

static int run_apply(struct raas_cli *cli)
{
	const char *effective = raas_cli_option_value(cli, "effective");
	struct raas_problems problems = {0};
	struct raas_contract *next = NULL;
	struct raas_store *store = NULL;
	struct raas_apply_result res;
	struct raas_err err;
	struct raas_buf out;
	char *text = NULL;
	size_t len = 0;
	int64_t now;
	raas_rc r;
	int rc;

	raas_err_clear(&err);
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
	r = raas_svc_apply(store, next, effective != NULL, effective, now, &res, &problems, &err);
	if (r == RAAS_E_INPUT && problems.count) {
		rc = print_problems(cli, &problems);
		goto out;
	}
	if (r) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (raas_svc_write_applied(&out, next->id, res.version)) {
		rc = 3;
		goto out;
	}
	if (cli->format == RAAS_FORMAT_TEXT && res.unchanged)
		fprintf(cli->out, "%s version %u (unchanged: the document is identical to it)\n",
		        next->id, res.version);
	else if (cli->format == RAAS_FORMAT_TEXT)
		fprintf(cli->out, "%s version %u (%s), effective %s\n", next->id, res.version,
		        res.version == 1 ? "new contract" : "new version", res.effective);
	else
		raas_cli_print_line(cli, out.data, out.len);
	rc = 0;
out:
	raas_problems_free(&problems);
	raas_contract_free(next);
	raas_store_close(store);
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
	if (raas_svc_write_version(store, meta, &b, &err)) {
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

static int run_list(struct raas_cli *cli)
{
	struct raas_store *store = NULL;
	const struct raas_store_contract **all = NULL;
	struct raas_err err;
	struct raas_buf b;
	size_t n;
	int rc = 0;

	raas_err_clear(&err);
	raas_buf_init(&b, 1 << 20);
	if (raas_store_open(cli->data_dir, false, &store, &err))
		return raas_cli_fail(cli, &err);
	if (raas_svc_latest_versions(store, NULL, &all, &n)) {
		rc = 3;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct raas_store_contract *c = all[i];
		char t[RAAS_TIME_FORMAT_MAX];
		if (cli->format == RAAS_FORMAT_TEXT) {
			raas_time_format(c->applied_us, 0, t);
			if (i == 0)
				fprintf(cli->out, "%-32s %-20s %7s  %-10s  %s\n", "CONTRACT",
				        "CUSTOMER", "VERSION", "EFFECTIVE", "APPLIED");
			fprintf(cli->out, "%-32s %-20s %7u  %-10s  %s\n", c->id, c->customer,
			        c->version, c->effective, t);
			continue;
		}
		raas_buf_reset(&b);
		if (raas_svc_write_listing(&b, c)) {
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
