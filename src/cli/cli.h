/* cli.h — the command-line front end: the command table, parsed arguments, and the
 * helpers commands share (cli.md). Each command lives in src/cli/cmd_<name>.c and is a
 * thin layer over the engine: it reads its arguments, calls the engine, prints JSON on
 * stdout and problems on stderr, and returns the exit code.
 */
#ifndef RAAS_CLI_H
#define RAAS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "raas/error.h"

#define RAAS_CLI_MAX_OPTIONS 16

struct raas_cli_option {
	const char *name; /* long name without the dashes ("now"); NULL ends a list */
	char short_name;  /* 0 when none */
	const char *arg;  /* metavariable ("T") for an option that takes a value; NULL for a flag */
	const char *help;
};

enum raas_cli_format { RAAS_FORMAT_JSON, RAAS_FORMAT_TEXT };

struct raas_cli;

struct raas_cli_command {
	const char *name;
	const char *synopsis;    /* positional arguments, e.g. "PRICE_JSON Q [Q...]" */
	const char *summary;     /* one line for `raas help` */
	const char *description; /* the rest of `raas help COMMAND` */
	const struct raas_cli_option *options; /* the command's own options, NULL-terminated */
	int min_args;
	int max_args; /* -1: no limit */
	int (*run)(struct raas_cli *cli);
};

struct raas_cli {
	const struct raas_cli_command *command;
	const char **args; /* positional arguments (borrowed from argv) */
	int nargs;
	const char *values[RAAS_CLI_MAX_OPTIONS]; /* per command option: its value, "" for a
	                                             flag that was given, NULL when absent */
	const char *data_dir;                     /* -d/--data, else $RAAS_DATA, else ./raas-data */
	enum raas_cli_format format;
	FILE *out; /* machine output */
	FILE *err; /* human messages */
};

/* The value of the command's option named name, or NULL when it was not given. */
const char *raas_cli_option_value(const struct raas_cli *cli, const char *name);

/* Prints "PATH: MESSAGE" for err on cli->err and returns the exit code for err->code. */
int raas_cli_fail(const struct raas_cli *cli, const struct raas_err *err);

/* The command's clock: --now T (RFC 3339) when given, else the real clock. On a bad value
 * prints "--now: MESSAGE" and returns the exit code (2); 0 on success. */
int raas_cli_now(const struct raas_cli *cli, int64_t *now);

/* Reads the file named path ("-": stdin) into *out (new, NUL-terminated; free with
 * raas_free), at most max bytes. On failure prints "PATH: MESSAGE" and returns exit 2. */
int raas_cli_read_file(const struct raas_cli *cli, const char *path, size_t max, char **out,
                       size_t *len);

/* Prints b's contents and a newline on cli->out. */
void raas_cli_print_line(const struct raas_cli *cli, const char *data, size_t len);

/* Parses argv and runs the command; returns the process exit code. */
int raas_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* The commands (one per cmd_*.c). */
extern const struct raas_cli_command raas_cmd_price;
extern const struct raas_cli_command raas_cmd_init;
extern const struct raas_cli_command raas_cmd_tenant_create;
extern const struct raas_cli_command raas_cmd_tenant_key;
extern const struct raas_cli_command raas_cmd_tenant_list;
extern const struct raas_cli_command raas_cmd_serve;
extern const struct raas_cli_command raas_cmd_dispute_open;
extern const struct raas_cli_command raas_cmd_dispute_resolve;
extern const struct raas_cli_command raas_cmd_disputes;
extern const struct raas_cli_command raas_cmd_contract_apply;
extern const struct raas_cli_command raas_cmd_contract_show;
extern const struct raas_cli_command raas_cmd_contract_list;
extern const struct raas_cli_command raas_cmd_ingest;
extern const struct raas_cli_command raas_cmd_results;
extern const struct raas_cli_command raas_cmd_invoice;
extern const struct raas_cli_command raas_cmd_settle;
extern const struct raas_cli_command raas_cmd_invoices;
extern const struct raas_cli_command raas_cmd_demo;
extern const struct raas_cli_command raas_cmd_evidence_key;
extern const struct raas_cli_command raas_cmd_evidence_checkpoint;
extern const struct raas_cli_command raas_cmd_evidence_proof;
extern const struct raas_cli_command raas_cmd_evidence_consistency;
extern const struct raas_cli_command raas_cmd_evidence_bundle;
extern const struct raas_cli_command raas_cmd_verify;

#endif
