/* cmd_ingest.c — `raas ingest FILE|- [--now T] [--atomic] [--batch N]`: ingest NDJSON
 * events and print the ingest report (events.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/ingest.h"
#include "store/store.h"

static const struct raas_cli_option options[] = {
        {"now", 0, "T",
         "the clock (RFC 3339): every event's received time (default: the real clock)"},
        {"atomic", 0, NULL, "store nothing (and exit 2) if any event is rejected or conflicts"},
        {"batch", 0, "N", "events per durable batch (fsync), default 10000"},
        {NULL, 0, NULL, NULL},
};

static int run_ingest(struct raas_cli *cli)
{
	const char *file = cli->args[0], *batch = raas_cli_option_value(cli, "batch");
	struct raas_ingest_options opt = {0};
	struct raas_store *store = NULL;
	struct raas_ingest *in = NULL;
	struct raas_err err;
	struct raas_buf report;
	bool failed_atomic = false;
	int fd = -1, rc;

	raas_err_clear(&err);
	raas_buf_init(&report, (size_t)1 << 30);
	if (raas_cli_option_value(cli, "now") && (rc = raas_cli_now(cli, &opt.now_us)))
		return rc; /* a bad --now is reported before anything is opened */
	opt.atomic = raas_cli_option_value(cli, "atomic") != NULL;
	opt.lines = true;
	if (batch) {
		char *end;
		unsigned long long n = strtoull(batch, &end, 10);
		if (!*batch || *end || n < 1 || n > 10000000) {
			fprintf(cli->err, "--batch: must be a whole number from 1 to 10000000\n");
			return 2;
		}
		opt.batch_size = (size_t)n;
	}
	fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		fprintf(cli->err, "%s: cannot open: %s\n", file, strerror(errno));
		return 2;
	}
	if (raas_store_open(cli->data_dir, true, &store, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	/* The real clock is read once the writer lock is held, so that a writer that waited
	 * for another one does not find its clock behind the directory's. */
	if (!raas_cli_option_value(cli, "now"))
		(void)raas_cli_now(cli, &opt.now_us);
	if (raas_store_check_clock(store, opt.now_us, &err) ||
	    raas_ingest_begin(store, &opt, &in, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (raas_ingest_fd(in, fd, &err) || raas_ingest_finish(in, &failed_atomic, &err)) {
		/* A read error has no place of its own: it is the file's. */
		if (err.code == RAAS_E_INPUT && !err.path[0])
			snprintf(err.path, sizeof err.path, "%s", file);
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (cli->format == RAAS_FORMAT_TEXT ? raas_ingest_write_report_text(in, &report)
	                                    : raas_ingest_write_report(in, &report)) {
		fprintf(cli->err, "out of memory writing the report\n");
		rc = 3;
		goto out;
	}
	raas_cli_print_line(cli, report.data, report.len);
	rc = failed_atomic ? 2 : 0;
	if (failed_atomic)
		fprintf(cli->err, "--atomic: nothing stored (the batch has rejected or conflicting "
		                  "events)\n");
out:
	raas_ingest_free(in);
	raas_store_close(store);
	raas_buf_free(&report);
	if (fd > 0)
		close(fd);
	return rc;
}

const struct raas_cli_command raas_cmd_ingest = {
        .name = "ingest",
        .synopsis = "FILE|-",
        .summary = "ingest NDJSON events (one JSON object per line) and print the ingest report",
        .description =
                "Validates every line of FILE (or stdin for -) as an event of events.md, stores "
                "the\n"
                "valid ones durably (fsync per batch) with the clock as their received time, and\n"
                "prints the report "
                "{\"accepted\",\"duplicates\",\"rejected\",\"conflicts\",\"unmatched\"}\n"
                "with each rejected or conflicting line and why. Valid events are stored even "
                "when\n"
                "others are rejected (exit 0), unless --atomic is given (then nothing is stored "
                "and\n"
                "the exit is 2). An event whose id was stored before with the same content is a\n"
                "duplicate (nothing changes); with other content, a conflict (the stored one "
                "stays).\n",
        .options = options,
        .min_args = 1,
        .max_args = 1,
        .run = run_ingest,
};
