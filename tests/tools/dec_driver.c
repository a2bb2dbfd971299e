/* dec_driver.c — a line-oriented front end to the decimal module for the differential test
 * against Python's decimal (tests/integration/decimal_vs_python.py). Each stdin line is
 * "OP ARG..." and produces exactly one stdout line: the result (raas_dec_format, or the
 * text of format_fixed / cmp) or "ERR <raas_rc>". Operands are parsed as TEXT; an operand
 * that does not parse prints "BADARG" so the script reports it as a mismatch.
 *
 *   parse S | amount S            raas_dec_parse (TEXT | AMOUNT); no S: the empty text
 *   add|sub|mul|div|ceil_div A B  the operation
 *   muldiv A NUM DEN PLACES       raas_dec_muldiv
 *   round A PLACES                raas_dec_round
 *   fixed A PLACES                raas_dec_format_fixed
 *   cmp A B                       raas_dec_cmp
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raas/decimal.h"

#define MAX_LINE (1 << 20)
#define MAX_ARGS 5

static char line[MAX_LINE];

/* Splits line at spaces into at most MAX_ARGS words (NUL-terminated in place); returns
 * their count, or MAX_ARGS + 1 when there are more. */
static int split(char *s, char **words, size_t *lens)
{
	int n = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (n == MAX_ARGS)
			return MAX_ARGS + 1;
		words[n] = s;
		while (*s && *s != ' ')
			s++;
		lens[n] = (size_t)(s - words[n]);
		if (*s)
			*s++ = '\0';
		n++;
	}
	return n;
}

static int arg_dec(const char *s, size_t len, struct raas_dec *out)
{
	struct raas_err err;

	return raas_dec_parse(s, len, RAAS_DEC_TEXT, out, &err) == RAAS_OK;
}

static int arg_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return 0;
	*out = (int64_t)v;
	return 1;
}

static void print_result(raas_rc rc, struct raas_dec d)
{
	char buf[RAAS_DEC_FORMAT_MAX];

	if (rc != RAAS_OK) {
		printf("ERR %d\n", (int)rc);
		return;
	}
	raas_dec_format(d, buf);
	printf("%s\n", buf);
}

/* Runs one line; returns 0 when the line itself was malformed (BADARG printed). */
static int run_line(char *s)
{
	char *w[MAX_ARGS];
	size_t l[MAX_ARGS];
	char buf[RAAS_DEC_FORMAT_MAX];
	struct raas_dec a, b, r = {0};
	struct raas_err err;
	int64_t n1, n2, n3;
	raas_rc rc;
	int n = split(s, w, l);
	const char *op;

	if (n < 1 || n > MAX_ARGS)
		goto bad;
	op = w[0];
	if (!strcmp(op, "parse") || !strcmp(op, "amount")) {
		if (n > 2)
			goto bad;
		/* "parse" alone parses the empty text */
		rc = raas_dec_parse(n == 2 ? w[1] : "", n == 2 ? l[1] : 0,
		                    !strcmp(op, "parse") ? RAAS_DEC_TEXT : RAAS_DEC_AMOUNT, &r,
		                    &err);
		print_result(rc, r);
		return 1;
	}
	if (n < 2 || !arg_dec(w[1], l[1], &a))
		goto bad;
	if (!strcmp(op, "muldiv")) {
		if (n != 5 || !arg_i64(w[2], &n1) || !arg_i64(w[3], &n2) || !arg_i64(w[4], &n3))
			goto bad;
		rc = raas_dec_muldiv(a, n1, n2, (int)n3, &r);
		print_result(rc, r);
		return 1;
	}
	if (!strcmp(op, "round") || !strcmp(op, "fixed")) {
		if (n != 3 || !arg_i64(w[2], &n1))
			goto bad;
		if (!strcmp(op, "round")) {
			rc = raas_dec_round(a, (int)n1, &r);
			print_result(rc, r);
		} else {
			raas_dec_format_fixed(a, (int)n1, buf);
			printf("%s\n", buf);
		}
		return 1;
	}
	if (n != 3 || !arg_dec(w[2], l[2], &b))
		goto bad;
	if (!strcmp(op, "add"))
		rc = raas_dec_add(a, b, &r);
	else if (!strcmp(op, "sub"))
		rc = raas_dec_sub(a, b, &r);
	else if (!strcmp(op, "mul"))
		rc = raas_dec_mul(a, b, &r);
	else if (!strcmp(op, "div"))
		rc = raas_dec_div(a, b, &r);
	else if (!strcmp(op, "ceil_div"))
		rc = raas_dec_ceil_div(a, b, &r);
	else if (!strcmp(op, "cmp")) {
		printf("%d\n", raas_dec_cmp(a, b));
		return 1;
	} else
		goto bad;
	print_result(rc, r);
	return 1;
bad:
	printf("BADARG\n");
	return 0;
}

int main(void)
{
	int bad = 0;
	size_t len;

	while (fgets(line, sizeof line, stdin)) {
		len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!run_line(line))
			bad++;
	}
	fflush(stdout);
	return bad ? 1 : 0;
}
