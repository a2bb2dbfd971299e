/* cmd_dispute.c — `raas dispute open RESULT_ID --reason R [--note N] [--now T]`,
 * `raas dispute resolve DISPUTE_ID --upheld|--voided [--note N] [--now T]` and
 * `raas disputes` (server.md "Disputes"): the command-line face of service/disputes.c. */
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "service/service.h"
#include "store/store.h"

/* Runs one writing dispute action under the writer lock and prints its document. */
static int write_action(struct raas_cli *cli, bool open)
{
	enum raas_dispute_refusal why;
	const char *note = raas_cli_option_value(cli, "note");
	bool upheld = raas_cli_option_value(cli, "upheld") != NULL,
	     voided = raas_cli_option_value(cli, "voided") != NULL;
	struct raas_store *store = NULL;
	struct raas_err err;
	struct raas_buf b;
	int64_t now = 0;
	int rc;

	raas_err_clear(&err);
	if (!open && upheld == voided) {
		fprintf(cli->err, "--upheld, --voided: give exactly one of them\n");
		return 1;
	}
	if (open && !raas_cli_option_value(cli, "reason")) {
		fprintf(cli->err, "--reason: required (not_achieved, duplicate, not_attributable, "
		                  "already_reversed, other)\n");
		return 1;
	}
	if (raas_cli_option_value(cli, "now") && (rc = raas_cli_now(cli, &now)))
		return rc;
	if (raas_store_open(cli->data_dir, true, &store, &err))
		return raas_cli_fail(cli, &err);
	if (!raas_cli_option_value(cli, "now"))
		(void)raas_cli_now(cli, &now); /* the real clock, read under the writer lock */
	raas_buf_init(&b, 1 << 20); /* (the CLI words every refusal the same way: exit 2) */
	if (open ? raas_svc_dispute_open(store, cli->args[0], raas_cli_option_value(cli, "reason"),
	                                 note, now, &b, &why, &err)
	         : raas_svc_dispute_resolve(store, cli->args[0], upheld, note, now, &b, &why,
	                                    &err)) {
		rc = raas_cli_fail(cli, &err);
	} else {
		raas_cli_print_line(cli, b.data, b.len);
		rc = 0;
	}
	raas_buf_free(&b);
	raas_store_close(store);
	return rc;
}

static const struct raas_cli_option open_options[] = {
        {"reason", 0, "R",
         "not_achieved, duplicate, not_attributable, already_reversed or other (required)"},
        {"note", 0, "N", "what the disputing party says (required with other)"},
        {"now", 0, "T", "the clock (RFC 3339), recorded as the time the dispute opened"},
        {NULL, 0, NULL, NULL},
};

static int run_open(struct raas_cli *cli)
{
	return write_action(cli, true);
}

const struct raas_cli_command raas_cmd_dispute_open = {
        .name = "dispute open",
        .synopsis = "RESULT_ID",
        .summary = "open a dispute on a result",
        .description =
                "Opens a dispute on the result RESULT_ID (CONTRACT/NAME:ENTITY_TEXT, as `raas\n"
                "results` lists it). The result must be pending or confirmed at the clock, with\n"
                "no open dispute, and the clock before the lock of the period it is billed in\n"
                "plus the contract's dispute_within. While open the result is `disputed` and\n"
                "not billed. Prints the dispute: {\"id\",\"result\",\"contract\",\"customer\","
                "\"reason\",\n\"note\",\"opened\",\"status\",\"resolved\",\"resolved_by\","
                "\"resolution_note\"}; its id is\nRESULT_ID#N. A writing command.\n",
        .options = open_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_open,
};

static const struct raas_cli_option resolve_options[] = {
        {"upheld", 0, NULL, "the result counts again"},
        {"voided", 0, NULL, "the result is removed for good"},
        {"note", 0, "N", "why"},
        {"now", 0, "T", "the clock (RFC 3339), recorded as the time of the resolution"},
        {NULL, 0, NULL, NULL},
};

static int run_resolve(struct raas_cli *cli)
{
	return write_action(cli, false);
}

const struct raas_cli_command raas_cmd_dispute_resolve = {
        .name = "dispute resolve",
        .synopsis = "DISPUTE_ID",
        .summary = "resolve an open dispute (upheld or voided)",
        .description = "Resolves the open dispute DISPUTE_ID: --upheld (the result counts again,\n"
                       "in the period it is billed in) or --voided (never billed). A dispute not\n"
                       "resolved within the contract's resolve_within resolves by itself to its\n"
                       "dispute_default and can no longer be resolved. Prints the dispute. A\n"
                       "writing command.\n",
        .options = resolve_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_resolve,
};

static const struct raas_cli_option list_options[] = {
        {"status", 0, "S", "only disputes with status S: open, upheld, voided"},
        {"contract", 0, "C", "only the disputes of contract C"},
        {"customer", 0, "C", "only the disputes of customer C"},
        {"now", 0, "T", "the clock (RFC 3339), past or future (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_list(struct raas_cli *cli)
{
	struct raas_store *store = NULL;
	struct raas_err err;
	struct raas_buf b;
	int64_t now;
	int rc;

	raas_err_clear(&err);
	if ((rc = raas_cli_now(cli, &now)))
		return rc;
	if (raas_store_open(cli->data_dir, false, &store, &err))
		return raas_cli_fail(cli, &err);
	raas_buf_init(&b, (size_t)1 << 30);
	if (raas_svc_disputes(store, raas_cli_option_value(cli, "status"),
	                      raas_cli_option_value(cli, "contract"),
	                      raas_cli_option_value(cli, "customer"), now, &b, &err)) {
		rc = raas_cli_fail(cli, &err);
	} else {
		if (b.len)
			fwrite(b.data, 1, b.len, cli->out);
		rc = 0;
	}
	raas_buf_free(&b);
	raas_store_close(store);
	return rc;
}

const struct raas_cli_command raas_cmd_disputes = {
        .name = "disputes",
        .synopsis = "",
        .summary = "list disputes with their status at the clock",
        .description = "Prints one dispute per line (see `raas dispute open`), in the order they\n"
                       "were opened, as the clock sees them: open, or upheld/voided by a person\n"
                       "or automatically. A reading command.\n",
        .options = list_options,
        .min_args = 0,
        .max_args = 0,
        .run = run_list,
};
