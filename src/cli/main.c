/* main.c — `raas`: argument parsing, help, version and dispatch to the commands of cli.md.
 *
 * Global options (-d/--data, --format, -h/--help, --version) are accepted before or after
 * the command name; the command's own options only after it. `--opt VALUE`,
 * `--opt=VALUE`, `-d DIR` and `-dDIR` are all accepted; `--` ends the options; an argument
 * that looks like a negative number ("-5", "-0.5") is positional. Usage errors exit 1 with
 * one line naming the option or argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "raas/time.h"
#include "raas/version.h"

static const struct raas_cli_command *const commands[] = {
        &raas_cmd_init,
        &raas_cmd_tenant_create,
        &raas_cmd_tenant_key,
        &raas_cmd_tenant_list,
        &raas_cmd_serve,
        &raas_cmd_contract_apply,
        &raas_cmd_contract_show,
        &raas_cmd_contract_list,
        &raas_cmd_ingest,
        &raas_cmd_results,
        &raas_cmd_invoice,
        &raas_cmd_settle,
        &raas_cmd_invoices,
        &raas_cmd_dispute_open,
        &raas_cmd_dispute_resolve,
        &raas_cmd_disputes,
        &raas_cmd_evidence_key,
        &raas_cmd_evidence_checkpoint,
        &raas_cmd_evidence_proof,
        &raas_cmd_evidence_consistency,
        &raas_cmd_evidence_bundle,
        &raas_cmd_verify,
        &raas_cmd_price,
        &raas_cmd_demo,
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

/* True when name is the first word of some commands ("contract" of "contract apply"). */
static int is_group(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strncmp(commands[i]->name, name, n) && commands[i]->name[n] == ' ')
			return 1;
	return 0;
}

/* Prints the subcommands of group name, comma-separated. */
static void print_subcommands(FILE *f, const char *name)
{
	size_t n = strlen(name);
	int first = 1;

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strncmp(commands[i]->name, name, n) && commands[i]->name[n] == ' ') {
			fprintf(f, "%s%s", first ? "" : ", ", commands[i]->name + n + 1);
			first = 0;
		}
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
	int npos = 0, rc = 1, end_of_options = 0, grouped = 0;
	char fullname[96];
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
			} else if (!cli.command && !grouped && is_group(command_name)) {
				snprintf(fullname, sizeof fullname, "%.40s %.40s", command_name,
				         arg);
				command_name = fullname;
				cli.command = find_command(fullname);
				grouped = 1;
			} else
				positional[npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			end_of_options = 1;
			continue;
		}
		/* A command's own option wins over a global one of the same name
		 * (`contract show --version N` against `--version`). */
		idx = cli.command ? match_option(cli.command->options, arg, &value) : -1;
		if (idx >= 0) {
			global = 0;
			if (idx >= RAAS_CLI_MAX_OPTIONS) {
				fprintf(err,
				        "internal error: command %s has more than %d options\n",
				        cli.command->name, RAAS_CLI_MAX_OPTIONS);
				rc = 3;
				goto out;
			}
		} else {
			idx = match_option(global_options, arg, &value);
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
		if (!grouped && is_group(command_name)) {
			fprintf(err, "%s: needs a subcommand: ", command_name);
			print_subcommands(err, command_name);
			fprintf(err, " (see raas help %s)\n", command_name);
			rc = 1;
		} else
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
		char name[96];
		if (npos == 2 && is_group(positional[0])) {
			snprintf(name, sizeof name, "%.40s %.40s", positional[0], positional[1]);
			positional[0] = name;
			npos = 1;
		}
		if (npos > 1) {
			rc = usage_error(err, positional[1], "%s", "unexpected extra argument");
		} else if (npos == 1 && !find_command(positional[0]) && is_group(positional[0])) {
			fprintf(out,
			        "Usage: raas %s SUBCOMMAND ...\n\nSubcommands: ", positional[0]);
			print_subcommands(out, positional[0]);
			fprintf(out, "\nRun `raas help %s SUBCOMMAND` for one of them.\n",
			        positional[0]);
			rc = 0;
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

int raas_cli_now(const struct raas_cli *cli, int64_t *now)
{
	const char *t = raas_cli_option_value(cli, "now");
	struct raas_err err;

	if (!t) {
		*now = raas_time_now();
		return 0;
	}
	if (raas_time_parse(t, strlen(t), now, &err) != RAAS_OK) {
		fprintf(cli->err, "--now: %s\n", err.message);
		return 2;
	}
	return 0;
}

int raas_cli_read_file(const struct raas_cli *cli, const char *path, size_t max, char **out,
                       size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t cap = 65536, n = 0;
	char *buf = NULL;
	char quoted[256];
	int rc = 2;

	raas_escape(quoted, sizeof quoted, path, strlen(path), 120);
	if (fd < 0) {
		fprintf(cli->err, "%s: cannot open: %s\n", quoted, strerror(errno));
		return 2;
	}
	buf = raas_malloc(cap + 1);
	while (buf) {
		ssize_t r;
		if (n == cap) {
			char *b;
			if (cap >= max) {
				fprintf(cli->err, "%s: larger than %zu bytes\n", quoted, max);
				goto out;
			}
			cap = cap * 2 > max ? max : cap * 2;
			b = raas_realloc(buf, cap + 1);
			if (!b)
				break;
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(cli->err, "%s: cannot read: %s\n", quoted, strerror(errno));
			goto out;
		}
		if (r == 0) {
			buf[n] = '\0';
			*out = buf;
			*len = n;
			buf = NULL;
			rc = 0;
			goto out;
		}
		n += (size_t)r;
	}
	fprintf(cli->err, "out of memory reading %s\n", quoted);
	rc = 3;
out:
	raas_free(buf);
	if (fd > 0)
		close(fd);
	return rc;
}

void raas_cli_print_line(const struct raas_cli *cli, const char *data, size_t len)
{
	fwrite(data, 1, len, cli->out);
	fputc('\n', cli->out);
}

int raas_cli_fail(const struct raas_cli *cli, const struct raas_err *err)
{
	raas_err_print(cli->err, err);
	return raas_rc_exit_code(err->code);
}
