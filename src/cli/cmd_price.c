/* cmd_price.c — `raas price PRICE_JSON Q [Q...]`: the pricing calculator of cli.md.
 *
 * With measure "count" the single Q is the number of results; with "value" and percentage
 * every Q is one result's value (rounded to 12 fractional digits as it is read for billing,
 * contracts.md), and the quantity is their sum. Prints {"amount":"…"} at full precision.
 */
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "cli/cli.h"
#include "contract/price.h"

static const char description[] =
        "PRICE_JSON is one price of a contract's result definition (contracts.md \"Prices\"):\n"
        "  {\"model\":\"unit\",\"amount\":\"12.50\"}\n"
        "  {\"model\":\"graduated\"|\"volume\",\"tiers\":[{\"up_to\":N|null,\"amount\":A,"
        "\"flat\":F},...]}\n"
        "  {\"model\":\"package\",\"size\":N,\"amount\":A,\"free\":N}\n"
        "  {\"model\":\"percentage\",\"rate\":\"0.05\",\"min\":A,\"max\":A}\n"
        "plus \"measure\": \"count\" (default) or \"value\".\n\n"
        "With measure \"count\", give exactly one Q: the number of results (a non-negative\n"
        "integer). With measure \"value\" and with percentage, give one Q per result: its value\n"
        "(a decimal; rounded to 12 fractional digits as billing reads it). The quantity is their\n"
        "sum; percentage applies rate, min and max to each result and sums the commissions.\n\n"
        "Output: {\"amount\":\"...\"} exact, at most 12 fractional digits, no trailing zeros\n"
        "(\"1300\", \"10.4\", \"0\"). Rounding to the currency's minor unit happens on invoice "
        "lines,\n"
        "not here. A malformed price lists every problem with its JSON path (exit 2); an amount\n"
        "reaching 10^26 is an overflow (exit 2).\n\n"
        "Example:\n"
        "  raas price '{\"model\":\"package\",\"size\":10,\"amount\":\"100.00\"}' 121\n"
        "  {\"amount\":\"1300\"}\n";

static int is_count_text(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

#define QUOTE_MAX 60

/* The argument, escaped and cut for a one-line message. */
static const char *quote(char *buf, const char *arg)
{
	return raas_escape(buf, 3 * QUOTE_MAX + 16, arg, strlen(arg), QUOTE_MAX);
}

static int run_price(struct raas_cli *cli)
{
	char quoted[3 * QUOTE_MAX + 16];
	struct raas_problems problems = {0};
	struct raas_arena arena;
	struct raas_json *doc = NULL;
	struct raas_price price;
	struct raas_dec amount = raas_dec_zero(), q = raas_dec_zero();
	struct raas_err err;
	char text[RAAS_DEC_FORMAT_MAX], place[32];
	const char *json = cli->args[0];
	int rc = 2;
	raas_rc r;

	raas_err_clear(&err);
	raas_arena_init(&arena, (size_t)64 << 20);
	r = raas_json_parse(&arena, json, strlen(json), NULL, &doc, &err);
	if (r) {
		/* The place is the JSON path inside the price, or the argument itself. */
		if (!err.path[0])
			snprintf(err.path, sizeof err.path, "PRICE_JSON");
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	r = raas_price_parse(doc, "", &price, &problems);
	if (r) {
		raas_problems_print(cli->err, &problems);
		rc = r == RAAS_E_NOMEM ? 3 : 2;
		goto out;
	}

	if (price.measure == RAAS_MEASURE_COUNT) {
		if (cli->nargs != 2) {
			fprintf(cli->err,
			        "%s: measure \"count\" takes exactly one Q, the number of results "
			        "(got %d)\n",
			        cli->nargs > 2 ? cli->args[2] : "Q", cli->nargs - 1);
			rc = 1;
			goto out;
		}
		if (!is_count_text(cli->args[1])) {
			fprintf(cli->err,
			        "Q: \"%s\" is not a number of results (a non-negative integer; "
			        "measure is \"count\")\n",
			        quote(quoted, cli->args[1]));
			goto out;
		}
		r = raas_dec_parse(cli->args[1], strlen(cli->args[1]), RAAS_DEC_AMOUNT, &q, &err);
		if (r) {
			snprintf(err.path, sizeof err.path, "Q");
			rc = raas_cli_fail(cli, &err);
			goto out;
		}
	}
	if (price.model != RAAS_PRICE_PERCENTAGE && price.measure == RAAS_MEASURE_VALUE) {
		for (int i = 1; i < cli->nargs; i++) {
			struct raas_dec v;
			snprintf(place, sizeof place, "Q%d", i);
			r = raas_dec_parse(cli->args[i], strlen(cli->args[i]), RAAS_DEC_TEXT, &v,
			                   &err);
			if (r) {
				fprintf(cli->err, "%s: \"%s\": %s\n", place,
				        quote(quoted, cli->args[i]), err.message);
				goto out;
			}
			if (raas_dec_add(q, v, &q)) {
				fprintf(cli->err,
				        "%s: the sum of the values reaches 10^26 (overflow)\n",
				        place);
				goto out;
			}
		}
	}
	if (price.model == RAAS_PRICE_PERCENTAGE) {
		for (int i = 1; i < cli->nargs; i++) {
			struct raas_dec v, c;
			snprintf(place, sizeof place, "Q%d", i);
			r = raas_dec_parse(cli->args[i], strlen(cli->args[i]), RAAS_DEC_TEXT, &v,
			                   &err);
			if (r) {
				fprintf(cli->err, "%s: \"%s\": %s\n", place,
				        quote(quoted, cli->args[i]), err.message);
				goto out;
			}
			if (raas_price_commission(&price, v, &c) ||
			    raas_dec_add(amount, c, &amount)) {
				fprintf(cli->err, "%s: the amount reaches 10^26 (overflow)\n",
				        place);
				goto out;
			}
		}
	} else if (raas_price_amount(&price, q, &amount)) {
		fprintf(cli->err, "the amount reaches 10^26 (overflow)\n");
		goto out;
	}

	raas_dec_format(amount, text);
	if (cli->format == RAAS_FORMAT_TEXT)
		fprintf(cli->out, "%s\n", text);
	else
		fprintf(cli->out, "{\"amount\":\"%s\"}\n", text);
	rc = 0;
out:
	raas_problems_free(&problems);
	raas_arena_free(&arena);
	return rc;
}

const struct raas_cli_command raas_cmd_price = {
        .name = "price",
        .synopsis = "PRICE_JSON Q [Q...]",
        .summary = "pricing calculator: the exact amount of a price for a quantity or values",
        .description = description,
        .options = NULL,
        .min_args = 2,
        .max_args = -1,
        .run = run_price,
};
