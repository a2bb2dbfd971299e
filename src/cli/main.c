/* main.c — `raas`: argument parsing, help, version and dispatch to the commands of cli.md.
 *
 * Global options (-d/--data, --format, -h/--help, --version) are accepted before or after
 * the command name; the command's own options only after it. `--opt VALUE`,
 * `--opt=VALUE`, `-d DIR` and `-dDIR` are all accepted; `--` ends the options; an argument
 * that looks like a negative number ("-5", "-0.5") is positional. Usage errors exit 1 with
 * one line naming the option or argument.
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "raas/version.h"

static const struct raas_cli_command *const commands[] = {
        &raas_cmd_price,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Indices into global_options. */
enum { G_DATA, G_FORMAT, G_HELP, G_VERSION, G_COUNT };

static const struct raas_cli_option global_options[] = {
        {"data", 'd', "DIR", "data directory (default: $RAAS_DATA, else ./raas-data)"},
        {"format", 0, "FORMAT", "output format: json (default, for programs) or text (for people)"},
        {"help", 'h', NULL, "show help and exit"},
        {"version", 0, NULL, "print the version and exit"},
        {NULL, 0, NULL, NULL},
};

static const char exit_codes_help[] =
        "Exit codes: 0 success; 1 usage error (unknown command or option, missing or extra\n"
        "argument); 2 invalid input (the message says what and where); 3 storage or internal\n"
        "error; 4 a verification failed. On exit 1 or 2 stdout is empty and stderr holds one\n"
        "line per problem, PATH: MESSAGE.\n";

static const struct raas_cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_options(FILE *f, const struct raas_cli_option *opts)
{
	for (; opts && opts->name; opts++) {
		char left[64];
		if (opts->short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", opts->short_name, opts->name,
			         opts->arg ? " " : "", opts->arg ? opts->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", opts->name,
			         opts->arg ? " " : "", opts->arg ? opts->arg : "");
		fprintf(f, "  %-24s %s\n", left, opts->help);
	}
}

static void print_general_help(FILE *f)
{
	fprintf(f, "raas %s — Result-as-a-Service engine: contracts, results, settlement.\n\n",
	        RAAS_VERSION);
	fprintf(f, "Usage: raas [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n\nCommands:\n");
	fprintf(f, "  %-24s %s\n", "help [COMMAND]", "show this help, or the help of COMMAND");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-24s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options (before or after the command):\n");
	print_options(f, global_options);
	fprintf(f, "\n%s", exit_codes_help);
	fprintf(f, "\nRun `raas help COMMAND` or `raas COMMAND --help` for a command's options.\n");
}

static void print_command_help(FILE *f, const struct raas_cli_command *cmd)
{
	fprintf(f, "Usage: raas %s [OPTIONS]%s%s\n\n%s\n\n%s", cmd->name,
	        cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->summary, cmd->description);
	if (cmd->options && cmd->options->name) {
		fprintf(f, "\nOptions:\n");
		print_options(f, cmd->options);
	}
	fprintf(f, "\nGlobal options:\n");
	print_options(f, global_options);
	fprintf(f, "\n%s", exit_codes_help);
}

static int usage_error(FILE *err, const char *place, const char *fmt, const char *what)
{
	char quoted[256];

	if (place)
		fprintf(err, "%s: ", raas_escape(quoted, sizeof quoted, place, strlen(place), 64));
	fprintf(err, fmt, what);
	fprintf(err, " (see raas help)\n");
	return 1;
}

/* Finds the option named by arg ("--now", "--now=T", "-d", "-dDIR") in opts. Returns its
 * index or -1; *inline_value is set to the text after '=' (or after "-d") when present. */
static int match_option(const struct raas_cli_option *opts, const char *arg,
                        const char **inline_value)
{
	*inline_value = NULL;
	if (!opts)
		return -1;
	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		for (int i = 0; opts[i].name; i++) {
			if (strlen(opts[i].name) == n && !strncmp(opts[i].name, name, n)) {
				if (eq)
					*inline_value = eq + 1;
				return i;
			}
		}
		return -1;
	}
	for (int i = 0; opts[i].name; i++) {
		if (opts[i].short_name && arg[1] == opts[i].short_name) {
			if (arg[2])
				*inline_value = arg + 2;
			return i;
		}
	}
	return -1;
}

static int looks_like_option(const char *arg)
{
	if (arg[0] != '-' || arg[1] == '\0')
		return 0; /* "-" alone is an argument (stdin) */
	if ((arg[1] >= '0' && arg[1] <= '9') || (arg[1] == '.' && arg[2] >= '0' && arg[2] <= '9'))
		return 0; /* a negative number */
	return 1;
}

int raas_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
	const char *global_values[G_COUNT] = {0};
	const char **positional = NULL;
	struct raas_cli cli;
	int npos = 0, rc = 1, end_of_options = 0;
	const char *command_name = NULL;

	memset(&cli, 0, sizeof cli);
	cli.out = out;
	cli.err = err;
	positional = raas_calloc((size_t)argc + 1, sizeof *positional);
	if (!positional) {
		fprintf(err, "out of memory\n");
		return 3;
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = NULL;
		const struct raas_cli_option *opt;
		int idx, global = 1;

		if (end_of_options || !looks_like_option(arg)) {
			if (!command_name) {
				command_name = arg;
				cli.command = find_command(arg);
			} else
				positional[npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			end_of_options = 1;
			continue;
		}
		idx = match_option(global_options, arg, &value);
		if (idx < 0 && cli.command) {
			idx = match_option(cli.command->options, arg, &value);
			global = 0;
			if (idx >= RAAS_CLI_MAX_OPTIONS) {
				fprintf(err,
				        "internal error: command %s has more than %d options\n",
				        cli.command->name, RAAS_CLI_MAX_OPTIONS);
				rc = 3;
				goto out;
			}
		}
		if (idx < 0) {
			char name[80];
			const char *eq = strchr(arg, '=');
			size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
			snprintf(name, sizeof name, "%.*s", n > 64 ? 64 : (int)n, arg);
			rc = usage_error(err, name, "%s", "unknown option");
			goto out;
		}
		opt = global ? &global_options[idx] : &cli.command->options[idx];
		if (opt->arg && !value) {
			if (i + 1 >= argc) {
				char name[64];
				snprintf(name, sizeof name, "--%s", opt->name);
				rc = usage_error(err, name, "needs a value (%s)", opt->arg);
				goto out;
			}
			value = argv[++i];
		} else if (!opt->arg && value) {
			char name[64];
			snprintf(name, sizeof name, "--%s", opt->name);
			rc = usage_error(err, name, "%s", "takes no value");
			goto out;
		}
		if (!opt->arg)
			value = "";
		{
			const char **slot = global ? &global_values[idx] : &cli.values[idx];
			if (*slot) {
				char name[64];
				snprintf(name, sizeof name, "--%s", opt->name);
				rc = usage_error(err, name, "%s", "given more than once");
				goto out;
			}
			*slot = value;
		}
	}
	if (command_name && strcmp(command_name, "help") && !cli.command) {
		rc = usage_error(err, command_name, "%s", "unknown command");
		goto out;
	}
	if (global_values[G_VERSION]) {
		fprintf(out, "raas %s\n", RAAS_VERSION);
		rc = 0;
		goto out;
	}
	if (!command_name) {
		if (global_values[G_HELP]) {
			print_general_help(out);
			rc = 0;
		} else {
			rc = usage_error(err, NULL, "%s", "missing command");
		}
		goto out;
	}
	if (!strcmp(command_name, "help")) {
		if (npos > 1) {
			rc = usage_error(err, positional[1], "%s", "unexpected extra argument");
		} else if (npos == 1 && strcmp(positional[0], "help")) {
			const struct raas_cli_command *c = find_command(positional[0]);
			if (!c)
				rc = usage_error(err, positional[0], "%s", "unknown command");
			else {
				print_command_help(out, c);
				rc = 0;
			}
		} else {
			print_general_help(out);
			rc = 0;
		}
		goto out;
	}
	if (global_values[G_HELP]) {
		print_command_help(out, cli.command);
		rc = 0;
		goto out;
	}
	if (npos < cli.command->min_args) {
		fprintf(err, "missing argument (usage: raas %s %s; see raas help %s)\n",
		        cli.command->name, cli.command->synopsis, cli.command->name);
		rc = 1;
		goto out;
	}
	if (cli.command->max_args >= 0 && npos > cli.command->max_args) {
		rc = usage_error(err, positional[cli.command->max_args], "%s",
		                 "unexpected extra argument");
		goto out;
	}
	cli.args = positional;
	cli.nargs = npos;
	cli.data_dir = global_values[G_DATA];
	if (cli.data_dir && !cli.data_dir[0]) {
		fprintf(err, "--data: must not be empty\n");
		rc = 2;
		goto out;
	}
	if (!cli.data_dir)
		cli.data_dir = getenv("RAAS_DATA");
	if (!cli.data_dir || !cli.data_dir[0])
		cli.data_dir = "./raas-data";
	if (global_values[G_FORMAT]) {
		if (!strcmp(global_values[G_FORMAT], "json"))
			cli.format = RAAS_FORMAT_JSON;
		else if (!strcmp(global_values[G_FORMAT], "text"))
			cli.format = RAAS_FORMAT_TEXT;
		else {
			fprintf(err, "--format: must be json or text\n");
			rc = 2;
			goto out;
		}
	}
	rc = cli.command->run(&cli);
out:
	raas_free(positional);
	return rc;
}

const char *raas_cli_option_value(const struct raas_cli *cli, const char *name)
{
	const struct raas_cli_option *opts = cli->command->options;

	for (int i = 0; opts && opts[i].name && i < RAAS_CLI_MAX_OPTIONS; i++)
		if (!strcmp(opts[i].name, name))
			return cli->values[i];
	return NULL;
}

int raas_cli_fail(const struct raas_cli *cli, const struct raas_err *err)
{
	raas_err_print(cli->err, err);
	return raas_rc_exit_code(err->code);
}
