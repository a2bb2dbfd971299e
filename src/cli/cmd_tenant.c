/* cmd_tenant.c — the operator's tenant commands (server.md): `raas tenant create NAME`
 * (a new tenant and its first admin key), `raas tenant key NAME` (another key, for example
 * for the tenant `raas init` made, or after every admin key was lost) and `raas tenant list`.
 * They run on the server's machine, against its data directory.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "cli/cli.h"
#include "server/keys.h"
#include "store/store.h"

/* Makes a key for tenant, saves the keyring and prints it with its text (shown once). */
static int make_key(struct raas_cli *cli, const char *tenant, enum raas_role role,
                    const char *customer)
{
	struct raas_keyring k;
	struct raas_keys_make_args args;
	struct raas_err err;
	struct raas_buf b;
	char text[RAAS_KEY_TEXT_LEN + 1];
	int64_t now;
	int rc;

	raas_err_clear(&err);
	if ((rc = raas_cli_now(cli, &now)))
		return rc;
	args.role = role;
	args.customer = customer;
	args.now = now;
	/* Under the keys file's lock: a running server may be making or revoking keys too. */
	if (raas_keys_update(cli->data_dir, tenant, raas_keys_make_change, &args, &k, &err))
		return raas_cli_fail(cli, &err);
	memcpy(text, args.text, sizeof text);
	raas_buf_init(&b, 65536);
	rc = raas_buf_puts(&b, "{\"tenant\":") ||
	     raas_json_write_string(&b, tenant, strlen(tenant)) ||
	     raas_buf_printf(&b, ",\"key\":\"%s\",\"info\":", text) ||
	     raas_key_write_json(&b, &k.keys[k.n - 1]) || raas_buf_putc(&b, '}');
	raas_keys_free(&k);
	if (rc) {
		raas_buf_free(&b);
		fprintf(cli->err, "out of memory\n");
		return 3;
	}
	if (cli->format == RAAS_FORMAT_TEXT)
		fprintf(cli->out, "tenant %s: %s key %s\n", tenant, raas_role_name(role), text);
	else
		raas_cli_print_line(cli, b.data, b.len);
	fprintf(cli->err, "this key is shown once: keep it now (only its hash is stored)\n");
	raas_buf_free(&b);
	return 0;
}

static const struct raas_cli_option create_options[] = {
        {"now", 0, "T", "the clock recorded as the key's creation time (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_create(struct raas_cli *cli)
{
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_store_create_tenant(cli->data_dir, cli->args[0], &err))
		return raas_cli_fail(cli, &err);
	return make_key(cli, cli->args[0], RAAS_ROLE_ADMIN, NULL);
}

const struct raas_cli_command raas_cmd_tenant_create = {
        .name = "tenant create",
        .synopsis = "NAME",
        .summary = "add a tenant to the data directory and print its first admin key",
        .description =
                "Creates tenant NAME (1-128 characters A-Z a-z 0-9 . _ : -) in the --data\n"
                "directory, which must have been made by `raas init`; a running `raas serve`\n"
                "serves it from its first request. Prints\n"
                "{\"tenant\":NAME,\"key\":KEY,\"info\":{\"id\",\"role\",\"customer\",\"created\","
                "\"revoked\"}}:\n"
                "KEY is shown this once (only its SHA-256 is kept).\n",
        .options = create_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_create,
};

static const struct raas_cli_option key_options[] = {
        {"role", 0, "R",
         "admin (default), finance, csm, ingest, client or auditor (server.md \"Keys and "
         "roles\")"},
        {"customer", 0, "C",
         "the customer the key is bound to (client: required; ingest: "
         "optional; others: not allowed)"},
        {"now", 0, "T", "the clock recorded as the key's creation time (default: now)"},
        {NULL, 0, NULL, NULL},
};

static int run_key(struct raas_cli *cli)
{
	const char *role = raas_cli_option_value(cli, "role");
	enum raas_role r = RAAS_ROLE_ADMIN;
	struct raas_err err;

	raas_err_clear(&err);
	if (role && raas_role_parse(role, strlen(role), &r) != RAAS_OK) {
		fprintf(cli->err,
		        "--role: unknown role '%s' (one of admin, finance, csm, ingest, client, "
		        "auditor)\n",
		        role);
		return 2;
	}
	/* The tenant must exist; its data is not opened (a running server holds it). */
	if (raas_store_check_tenant(cli->data_dir, cli->args[0], &err))
		return raas_cli_fail(cli, &err);
	return make_key(cli, cli->args[0], r, raas_cli_option_value(cli, "customer"));
}

const struct raas_cli_command raas_cmd_tenant_key = {
        .name = "tenant key",
        .synopsis = "NAME",
        .summary = "make another API key for a tenant and print it",
        .description = "Makes a key of --role for tenant NAME: for the tenant `raas init` made,\n"
                       "or to regain access after every admin key was revoked or lost. Prints\n"
                       "the same document as `tenant create`; the key is shown this once.\n"
                       "A running server accepts it from its next request.\n",
        .options = key_options,
        .min_args = 1,
        .max_args = 1,
        .run = run_key,
};

static int run_list(struct raas_cli *cli)
{
	struct raas_err err;
	char **names;
	size_t n;
	struct raas_buf b;
	int rc = 0;

	raas_err_clear(&err);
	if (raas_store_tenants(cli->data_dir, &names, &n, &err))
		return raas_cli_fail(cli, &err);
	raas_buf_init(&b, 4096);
	for (size_t i = 0; i < n; i++) {
		raas_buf_reset(&b);
		if (!rc && cli->format == RAAS_FORMAT_TEXT)
			fprintf(cli->out, "%s\n", names[i]);
		else if (!rc && (raas_buf_puts(&b, "{\"tenant\":") ||
		                 raas_json_write_string(&b, names[i], strlen(names[i])) ||
		                 raas_buf_putc(&b, '}'))) {
			fprintf(cli->err, "out of memory\n");
			rc = 3;
		} else if (!rc)
			raas_cli_print_line(cli, b.data, b.len);
		raas_free(names[i]);
	}
	raas_free(names);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_tenant_list = {
        .name = "tenant list",
        .synopsis = "",
        .summary = "list the tenants of the data directory",
        .description = "Prints one line {\"tenant\":NAME} per tenant, sorted by name.\n",
        .options = NULL,
        .min_args = 0,
        .max_args = 0,
        .run = run_list,
};
