/* cmd_init.c — `raas init [DIR] [--tenant NAME]`: create a data directory (cli.md). */
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "cli/cli.h"
#include "store/store.h"

static const struct raas_cli_option options[] = {
        {"tenant", 0, "NAME",
         "the tenant the directory is created for (default: default; 1-128 characters "
         "A-Z a-z 0-9 . _ : -)"},
        {NULL, 0, NULL, NULL},
};

static int run_init(struct raas_cli *cli)
{
	const char *dir = cli->nargs ? cli->args[0] : cli->data_dir;
	const char *tenant = raas_cli_option_value(cli, "tenant");
	struct raas_err err;
	struct raas_buf b;
	int rc;

	raas_err_clear(&err);
	if (!tenant)
		tenant = "default";
	if (raas_store_init(dir, tenant, &err) != RAAS_OK)
		return raas_cli_fail(cli, &err);
	raas_buf_init(&b, 65536);
	rc = raas_buf_puts(&b, "{\"data\":") || raas_json_write_string(&b, dir, strlen(dir)) ||
	     raas_buf_puts(&b, ",\"tenant\":") ||
	     raas_json_write_string(&b, tenant, strlen(tenant)) || raas_buf_puts(&b, "}");
	if (rc) {
		raas_buf_free(&b);
		fprintf(cli->err, "out of memory\n");
		return 3;
	}
	if (cli->format == RAAS_FORMAT_TEXT)
		fprintf(cli->out, "initialised %s for tenant %s\n", dir, tenant);
	else {
		raas_cli_print_line(cli, b.data, b.len);
		fprintf(cli->err, "initialised %s for tenant %s\n", dir, tenant);
	}
	raas_buf_free(&b);
	return 0;
}

const struct raas_cli_command raas_cmd_init = {
        .name = "init",
        .synopsis = "[DIR]",
        .summary = "create a data directory (default: the --data directory)",
        .description = "Creates DIR (or the --data directory) for one tenant. DIR may exist if it "
                       "is empty;\n"
                       "a directory that holds anything already is refused (exit 2). Prints\n"
                       "{\"data\":DIR,\"tenant\":NAME}.\n",
        .options = options,
        .min_args = 0,
        .max_args = 1,
        .run = run_init,
};
