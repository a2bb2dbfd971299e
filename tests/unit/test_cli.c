/* test_cli.c — the command-line skeleton in-process: help, version, option parsing, exit
 * codes, and `raas price` output (cli.md). The real binary is driven by
 * tests/integration/cli.py and price_vectors.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "raas/version.h"

struct run {
	int rc;
	char *out;
	char *err;
};

/* Runs raas_cli_main on a NULL-terminated argument list, capturing stdout and stderr. */
static struct run run(const char *first, ...)
{
	const char *argv[32];
	size_t outlen = 0, errlen = 0;
	struct run r;
	FILE *out, *err;
	va_list ap;
	int argc = 0;

	argv[argc++] = "raas";
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	out = open_memstream(&r.out, &outlen);
	err = open_memstream(&r.err, &errlen);
	r.rc = raas_cli_main(argc, (char **)argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void done(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void version(void **state)
{
	struct run r = run("--version", NULL);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "raas " RAAS_VERSION "\n");
	assert_string_equal(r.err, "");
	done(&r);
}

static void help(void **state)
{
	struct run r = run("help", NULL);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "Usage: raas [GLOBAL OPTIONS] COMMAND"));
	assert_non_null(strstr(r.out, "  price "));
	assert_non_null(strstr(r.out, "-d, --data DIR"));
	done(&r);

	r = run("help", "price", NULL);
	assert_int_equal(r.rc, 0);
	assert_true(strncmp(r.out, "Usage: raas price [OPTIONS] PRICE_JSON Q [Q...]\n", 48) == 0);
	assert_non_null(strstr(r.out, "Exit codes: 0 success"));
	done(&r);

	r = run("price", "--help", NULL);
	assert_int_equal(r.rc, 0);
	assert_true(strncmp(r.out, "Usage: raas price [OPTIONS] PRICE_JSON Q [Q...]\n", 48) == 0);
	done(&r);

	r = run("-h", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "Commands:"));
	done(&r);

	r = run(NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "missing command (see raas help)\n");
	done(&r);

	r = run("help", "help", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "Commands:"));
	done(&r);

	r = run("help", "price", "extra", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "extra: unexpected extra argument (see raas help)\n");
	done(&r);
}

static void usage_errors(void **state)
{
	struct run r = run("frobnicate", NULL);

	(void)state;
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "frobnicate: unknown command (see raas help)\n");
	done(&r);

	r = run("help", "frobnicate", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "frobnicate: unknown command (see raas help)\n");
	done(&r);

	r = run("price", "--bogus", "{}", "1", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--bogus: unknown option (see raas help)\n");
	done(&r);

	r = run("price", "--bogus=3", "{}", "1", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--bogus: unknown option (see raas help)\n");
	done(&r);

	r = run("price", "{}", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err,
	                    "missing argument (usage: raas price PRICE_JSON Q [Q...]; see raas "
	                    "help price)\n");
	done(&r);

	r = run("price", "{}", "1", "-d", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--data: needs a value (DIR) (see raas help)\n");
	done(&r);

	r = run("-d", "a", "--data", "b", "price", "{}", "1", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--data: given more than once (see raas help)\n");
	done(&r);

	r = run("--help=yes", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--help: takes no value (see raas help)\n");
	done(&r);

	r = run("--format", "xml", "price", "{\"model\":\"unit\",\"amount\":\"1\"}", "1", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "--format: must be json or text\n");
	done(&r);
}

static void price(void **state)
{
	const char *pkg = "{\"model\":\"package\",\"size\":10,\"amount\":\"100.00\"}";
	struct run r = run("price", pkg, "121", NULL);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "{\"amount\":\"1300\"}\n");
	assert_string_equal(r.err, "");
	done(&r);

	/* Global options before and after the command, in every spelling. */
	r = run("-d", "/nonexistent", "price", pkg, "121", "--data=/x", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "--data: given more than once (see raas help)\n");
	done(&r);
	r = run("-d/x", "price", "--format=text", pkg, "121", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "1300\n");
	done(&r);
	r = run("price", pkg, "-d", "/x", "121", "--format", "text", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "1300\n");
	assert_string_equal(r.err, "");
	done(&r);
	r = run("price", pkg, "121", "--data=", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "--data: must not be empty\n");
	done(&r);

	/* --version does not hide an unknown command. */
	r = run("bogus", "--version", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, "bogus: unknown command (see raas help)\n");
	done(&r);

	/* Arguments are quoted on one line, whatever bytes they hold. */
	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\",\"measure\":\"value\"}", "1\n2",
	        NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "Q1: \"1\\u000a2\": not a decimal number\n");
	done(&r);
	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\",\"measure\":\"value\\u0000x\"}", "1",
	        NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "measure: must be \"count\" or \"value\"\n");
	done(&r);
	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\",\"measure\\u0000\":\"value\"}", "1",
	        NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "measure\\u0000: unknown field\n");
	done(&r);

	/* A negative number is an argument, not an option. */
	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\",\"measure\":\"value\"}", "-1.5", "4",
	        NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "{\"amount\":\"5\"}\n");
	done(&r);

	/* Every problem, one line each, with its path; stdout empty. */
	r = run("price", "{\"model\":\"graduated\",\"tiers\":[{\"up_to\":0,\"amount\":1}],\"x\":1}",
	        "1", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(
	        r.err, "x: unknown field\n"
	               "tiers[0].amount: must be a decimal string such as \"12.50\", not a JSON "
	               "number\n"
	               "tiers[0].up_to: must be greater than 0\n"
	               "tiers[0].up_to: the last tier must have up_to null (unbounded)\n");
	done(&r);

	r = run("price", "{\"model\":\"unit\",", "1", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "PRICE_JSON: line 1, column 17: expected a string key\n");
	done(&r);

	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\"}", "2.5", NULL);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "Q: \"2.5\" is not a number of results (a non-negative "
	                           "integer; measure is \"count\")\n");
	done(&r);

	r = run("price", "{\"model\":\"unit\",\"amount\":\"2\"}", "1", "2", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err,
	                    "2: measure \"count\" takes exactly one Q, the number of results "
	                    "(got 2)\n");
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(version),
	        cmocka_unit_test(help),
	        cmocka_unit_test(usage_errors),
	        cmocka_unit_test(price),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
