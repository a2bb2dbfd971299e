/* price.c — validating prices and turning quantities into amounts (contracts.md "Prices").
 *
 * Parsing reports every problem with its JSON path; computing is exact decimal arithmetic
 * where each product is rounded once to 12 fractional digits (decimal.h). The settlement
 * engine calls raas_price_amount once per result definition and period, and
 * raas_price_commission once per result of a percentage price.
 */
#include "contract/price.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/number.h"

#define PATH_MAX_LEN 256

struct field_rule {
	const char *name;
	unsigned models; /* bit set of the models that take the field */
};

#define M(x) (1u << (x))
#define ALL_MODELS                                                             \
	(M(RAAS_PRICE_UNIT) | M(RAAS_PRICE_GRADUATED) | M(RAAS_PRICE_VOLUME) | \
	 M(RAAS_PRICE_PACKAGE) | M(RAAS_PRICE_PERCENTAGE))

static const struct field_rule price_fields[] = {
        {"model", ALL_MODELS},
        {"measure", ALL_MODELS},
        {"amount", M(RAAS_PRICE_UNIT) | M(RAAS_PRICE_PACKAGE)},
        {"tiers", M(RAAS_PRICE_GRADUATED) | M(RAAS_PRICE_VOLUME)},
        {"size", M(RAAS_PRICE_PACKAGE)},
        {"free", M(RAAS_PRICE_PACKAGE)},
        {"rate", M(RAAS_PRICE_PERCENTAGE)},
        {"min", M(RAAS_PRICE_PERCENTAGE)},
        {"max", M(RAAS_PRICE_PERCENTAGE)},
};

static const char *const model_names[] = {"unit", "graduated", "volume", "package", "percentage"};

#define QUOTE_MAX 40 /* input bytes a message quotes */

/* True when the member's key is exactly name (keys may contain NUL bytes). */
static int key_is(const struct raas_json_member *m, const char *name)
{
	return m->key_len == strlen(name) && !memcmp(m->key, name, m->key_len);
}

/* True when the JSON string v is exactly text. */
static int string_is(const struct raas_json *v, const char *text)
{
	return v->type == RAAS_JSON_STRING && v->len == strlen(text) &&
	       !memcmp(v->u.str, text, v->len);
}

/* snprintf into a PATH_MAX_LEN buffer; a path too long to hold is cut, never overflowed. */
RAAS_PRINTF(2, 3) static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX_LEN, fmt, ap);
	va_end(ap);
}

/* Writes prefix joined with suffix ("results[0].price" + "tiers[2].up_to"). suffix may start
 * with '[' (no dot then) or be empty. */
static void join_path(char *buf, const char *prefix, const char *suffix)
{
	if (!prefix[0])
		pathf(buf, "%s", suffix);
	else if (!suffix[0] || suffix[0] == '[')
		pathf(buf, "%s%s", prefix, suffix);
	else
		pathf(buf, "%s.%s", prefix, suffix);
}

/* Reads an amount field: a JSON string in the strict amount syntax. Returns 1 when *out was
 * set, 0 when the field is absent (and required was false) or had a problem (recorded). */
static int read_amount(const struct raas_json *obj, const char *name, int required,
                       const char *prefix, struct raas_dec *out, struct raas_problems *problems)
{
	const struct raas_json *v = raas_json_get(obj, name);
	char path[PATH_MAX_LEN];
	struct raas_err err;

	char quoted[3 * QUOTE_MAX + 16];

	join_path(path, prefix, name);
	if (!v) {
		if (required)
			raas_problems_add(problems, path,
			                  "required (a decimal string such as \"12.50\")");
		return 0;
	}
	if (v->type != RAAS_JSON_STRING) {
		raas_problems_add(problems, path,
		                  "must be a decimal string such as \"12.50\", not a JSON %s",
		                  v->type == RAAS_JSON_NUMBER ? "number" : "value of another type");
		return 0;
	}
	raas_escape(quoted, sizeof quoted, v->u.str, v->len, QUOTE_MAX);
	switch (raas_dec_parse(v->u.str, v->len, RAAS_DEC_AMOUNT, out, &err)) {
	case RAAS_OK:
		return 1;
	case RAAS_E_OVERFLOW:
		raas_problems_add(problems, path, "\"%s\" is out of range (must be below 10^26)",
		                  quoted);
		return 0;
	default:
		raas_problems_add(
		        problems, path,
		        "\"%s\" is not an amount: write digits with an optional point and "
		        "1 to 12 decimals (\"12.50\", \"0.000125\"), no sign or exponent",
		        quoted);
		return 0;
	}
}

/* Reads a quantity bound (up_to, size, free): a JSON number or a decimal string, exact, at
 * most 12 fractional digits, below 10^26; a whole number with measure "count". Returns 1 when
 * *out was set. */
static int read_bound(const struct raas_json *v, const char *path, enum raas_measure measure,
                      struct raas_dec *out, struct raas_problems *problems)
{
	struct raas_num num;
	struct raas_err err;
	enum raas_num_syntax syntax;
	char quoted[3 * QUOTE_MAX + 16];
	int frac;

	if (v->type == RAAS_JSON_NUMBER)
		syntax = RAAS_NUM_JSON;
	else if (v->type == RAAS_JSON_STRING)
		syntax = RAAS_NUM_TEXT;
	else {
		raas_problems_add(problems, path, "must be a number or a decimal string");
		return 0;
	}
	raas_escape(quoted, sizeof quoted, v->u.str, v->len, QUOTE_MAX);
	if (raas_num_parse(v->u.str, v->len, syntax, &num, &err) != RAAS_OK) {
		raas_problems_add(problems, path, "\"%s\": %s", quoted, err.message);
		return 0;
	}
	frac = num.ndigits > num.exp ? num.ndigits - num.exp : 0;
	if (frac > RAAS_DEC_SCALE) {
		raas_problems_add(problems, path, "%s has more than 12 fractional digits", quoted);
		return 0;
	}
	if (raas_num_to_dec(&num, out) != RAAS_OK) {
		raas_problems_add(problems, path, "%s is out of range (must be below 10^26)",
		                  quoted);
		return 0;
	}
	if (measure == RAAS_MEASURE_COUNT && frac > 0) {
		raas_problems_add(problems, path,
		                  "must be a whole number with measure \"count\" (got %s)", quoted);
		return 0;
	}
	return 1;
}

static void parse_tiers(const struct raas_json *doc, const char *prefix, struct raas_price *out,
                        struct raas_problems *problems)
{
	const struct raas_json *tiers = raas_json_get(doc, "tiers");
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	int prev_ok = 0; /* tiers[i-1].up_to was a valid bound */

	join_path(path, prefix, "tiers");
	if (!tiers) {
		raas_problems_add(problems, path, "required: a list of 1 to 64 tiers");
		return;
	}
	if (tiers->type != RAAS_JSON_ARRAY) {
		raas_problems_add(problems, path, "must be a list of 1 to 64 tiers");
		return;
	}
	if (tiers->len == 0 || tiers->len > RAAS_PRICE_MAX_TIERS) {
		raas_problems_add(problems, path, "must hold 1 to 64 tiers (got %u)", tiers->len);
		return;
	}
	out->ntiers = tiers->len;
	for (uint32_t i = 0; i < tiers->len; i++) {
		const struct raas_json *t = &tiers->u.items[i];
		struct raas_tier *tier = &out->tiers[i];
		const struct raas_json *up_to;
		int last = i + 1 == tiers->len;

		snprintf(sub, sizeof sub, "tiers[%u]", i);
		join_path(path, prefix, sub);
		if (t->type != RAAS_JSON_OBJECT) {
			raas_problems_add(
			        problems, path,
			        "must be an object {\"up_to\": N or null, \"amount\": A}");
			prev_ok = 0;
			continue;
		}
		for (uint32_t m = 0; m < t->len; m++) {
			const struct raas_json_member *mem = &t->u.members[m];
			if (!key_is(mem, "up_to") && !key_is(mem, "amount") &&
			    !key_is(mem, "flat")) {
				char fpath[PATH_MAX_LEN], key[3 * 64 + 16];
				raas_escape(key, sizeof key, mem->key, mem->key_len, 64);
				pathf(fpath, "%s.%s", path, key);
				raas_problems_add(
				        problems, fpath,
				        "unknown field (a tier has up_to, amount and flat)");
			}
		}
		read_amount(t, "amount", 1, path, &tier->amount, problems);
		if (!read_amount(t, "flat", 0, path, &tier->flat, problems))
			tier->flat = raas_dec_zero();

		pathf(sub, "%s.up_to", path);
		up_to = raas_json_get(t, "up_to");
		if (!up_to) {
			raas_problems_add(problems, sub,
			                  "required (a number, or null for the last tier)");
			prev_ok = 0;
		} else if (up_to->type == RAAS_JSON_NULL) {
			tier->unbounded = true;
			if (!last)
				raas_problems_add(problems, sub,
				                  "only the last tier may have up_to null");
			prev_ok = 0;
		} else if (read_bound(up_to, sub, out->measure, &tier->up_to, problems)) {
			if (raas_dec_sign(tier->up_to) <= 0) {
				raas_problems_add(problems, sub, "must be greater than 0");
				prev_ok = 0;
			} else if (prev_ok &&
			           raas_dec_cmp(tier->up_to, out->tiers[i - 1].up_to) <= 0) {
				char prev[RAAS_DEC_FORMAT_MAX];
				raas_dec_format(out->tiers[i - 1].up_to, prev);
				raas_problems_add(problems, sub,
				                  "must be greater than tiers[%u].up_to (%s)",
				                  i - 1, prev);
				prev_ok = 1;
			} else {
				prev_ok = 1;
			}
			if (last)
				raas_problems_add(problems, sub,
				                  "the last tier must have up_to null (unbounded)");
		} else {
			prev_ok = 0;
		}
	}
}

raas_rc raas_price_parse(const struct raas_json *doc, const char *prefix, struct raas_price *out,
                         struct raas_problems *problems)
{
	size_t before = raas_problems_total(problems);
	const struct raas_json *model, *measure;
	char path[PATH_MAX_LEN];
	int model_known = 0;

	memset(out, 0, sizeof *out);
	if (doc->type != RAAS_JSON_OBJECT) {
		raas_problems_add(problems, prefix,
		                  "a price must be a JSON object such as "
		                  "{\"model\":\"unit\",\"amount\":\"10.00\"}");
		goto out;
	}

	join_path(path, prefix, "model");
	model = raas_json_get(doc, "model");
	if (!model) {
		raas_problems_add(problems, path,
		                  "required: unit, graduated, volume, package or percentage");
	} else {
		for (int i = 0; i < 5; i++) {
			if (string_is(model, model_names[i])) {
				out->model = (enum raas_price_model)i;
				model_known = 1;
			}
		}
		if (!model_known)
			raas_problems_add(
			        problems, path,
			        "unknown model (expected unit, graduated, volume, package "
			        "or percentage)");
	}

	for (uint32_t m = 0; m < doc->len; m++) {
		const struct raas_json_member *mem = &doc->u.members[m];
		const struct field_rule *rule = NULL;
		char fpath[PATH_MAX_LEN], name[3 * 64 + 16];

		for (size_t r = 0; r < sizeof price_fields / sizeof price_fields[0]; r++)
			if (key_is(mem, price_fields[r].name))
				rule = &price_fields[r];
		raas_escape(name, sizeof name, mem->key, mem->key_len, 64);
		join_path(fpath, prefix, name);
		if (!rule)
			raas_problems_add(problems, fpath, "unknown field");
		else if (model_known && !(rule->models & M(out->model)))
			raas_problems_add(problems, fpath, "not a field of the %s model",
			                  model_names[out->model]);
	}

	out->measure = RAAS_MEASURE_COUNT;
	join_path(path, prefix, "measure");
	measure = raas_json_get(doc, "measure");
	if (model_known && out->model == RAAS_PRICE_PERCENTAGE)
		out->measure = RAAS_MEASURE_VALUE;
	if (measure) {
		if (string_is(measure, "value"))
			out->measure = RAAS_MEASURE_VALUE;
		else if (string_is(measure, "count")) {
			if (model_known && out->model == RAAS_PRICE_PERCENTAGE)
				raas_problems_add(problems, path,
				                  "the percentage model works on values: use "
				                  "\"value\" or leave measure out");
		} else
			raas_problems_add(problems, path, "must be \"count\" or \"value\"");
	}
	if (!model_known)
		goto out;

	switch (out->model) {
	case RAAS_PRICE_UNIT:
		read_amount(doc, "amount", 1, prefix, &out->amount, problems);
		break;
	case RAAS_PRICE_GRADUATED:
	case RAAS_PRICE_VOLUME:
		parse_tiers(doc, prefix, out, problems);
		break;
	case RAAS_PRICE_PACKAGE: {
		const struct raas_json *size = raas_json_get(doc, "size");
		const struct raas_json *free_ = raas_json_get(doc, "free");

		read_amount(doc, "amount", 1, prefix, &out->amount, problems);
		join_path(path, prefix, "size");
		if (!size)
			raas_problems_add(problems, path, "required: the number per package");
		else if (read_bound(size, path, out->measure, &out->size, problems) &&
		         raas_dec_sign(out->size) <= 0)
			raas_problems_add(problems, path, "must be greater than 0");
		join_path(path, prefix, "free");
		if (free_ && read_bound(free_, path, out->measure, &out->free, problems) &&
		    raas_dec_sign(out->free) < 0)
			raas_problems_add(problems, path, "must not be negative");
		break;
	}
	case RAAS_PRICE_PERCENTAGE: {
		read_amount(doc, "rate", 1, prefix, &out->rate, problems);
		out->has_min = read_amount(doc, "min", 0, prefix, &out->min, problems) != 0;
		out->has_max = read_amount(doc, "max", 0, prefix, &out->max, problems) != 0;
		if (out->has_min && out->has_max && raas_dec_cmp(out->min, out->max) > 0) {
			char lo[RAAS_DEC_FORMAT_MAX], hi[RAAS_DEC_FORMAT_MAX];
			raas_dec_format(out->min, lo);
			raas_dec_format(out->max, hi);
			join_path(path, prefix, "min");
			raas_problems_add(problems, path, "must not be greater than max (%s > %s)",
			                  lo, hi);
		}
		break;
	}
	}
out:
	if (problems->out_of_memory)
		return RAAS_E_NOMEM;
	return raas_problems_total(problems) > before ? RAAS_E_INPUT : RAAS_OK;
}

/* min(a, b) */
static struct raas_dec dec_min(struct raas_dec a, struct raas_dec b)
{
	return raas_dec_cmp(a, b) <= 0 ? a : b;
}

static raas_rc graduated(const struct raas_price *p, struct raas_dec q, struct raas_dec *out)
{
	struct raas_dec total = raas_dec_zero(), lower = raas_dec_zero(), part, cost;
	raas_rc rc = RAAS_OK;

	for (uint32_t i = 0; i < p->ntiers && raas_dec_cmp(q, lower) > 0; i++) {
		const struct raas_tier *t = &p->tiers[i];
		struct raas_dec upper = t->unbounded ? q : dec_min(q, t->up_to);

		if ((rc = raas_dec_sub(upper, lower, &part)))
			goto out;
		if (raas_dec_sign(part) > 0) {
			if ((rc = raas_dec_mul(part, t->amount, &cost)) ||
			    (rc = raas_dec_add(total, cost, &total)) ||
			    (rc = raas_dec_add(total, t->flat, &total)))
				goto out;
		}
		if (t->unbounded)
			break;
		lower = t->up_to;
	}
	*out = total;
out:
	return rc;
}

static raas_rc volume(const struct raas_price *p, struct raas_dec q, struct raas_dec *out)
{
	raas_rc rc;

	if (raas_dec_sign(q) <= 0) {
		*out = raas_dec_zero();
		return RAAS_OK;
	}
	for (uint32_t i = 0; i < p->ntiers; i++) {
		const struct raas_tier *t = &p->tiers[i];
		if (t->unbounded || raas_dec_cmp(q, t->up_to) <= 0) {
			struct raas_dec cost;
			if ((rc = raas_dec_mul(q, t->amount, &cost)))
				return rc;
			return raas_dec_add(cost, t->flat, out);
		}
	}
	/* A validated price always ends with an unbounded tier. */
	return RAAS_E_INPUT;
}

static raas_rc package(const struct raas_price *p, struct raas_dec q, struct raas_dec *out)
{
	struct raas_dec billable, packages;
	raas_rc rc;

	if ((rc = raas_dec_sub(q, p->free, &billable)))
		return rc;
	if (raas_dec_sign(billable) <= 0) {
		*out = raas_dec_zero();
		return RAAS_OK;
	}
	if ((rc = raas_dec_ceil_div(billable, p->size, &packages)))
		return rc;
	return raas_dec_mul(packages, p->amount, out);
}

raas_rc raas_price_amount(const struct raas_price *price, struct raas_dec q, struct raas_dec *out)
{
	switch (price->model) {
	case RAAS_PRICE_UNIT:
		return raas_dec_mul(q, price->amount, out);
	case RAAS_PRICE_GRADUATED:
		return graduated(price, q, out);
	case RAAS_PRICE_VOLUME:
		return volume(price, q, out);
	case RAAS_PRICE_PACKAGE:
		return package(price, q, out);
	case RAAS_PRICE_PERCENTAGE:
		break;
	}
	return RAAS_E_INPUT;
}

raas_rc raas_price_commission(const struct raas_price *price, struct raas_dec value,
                              struct raas_dec *out)
{
	struct raas_dec c;
	raas_rc rc;

	if (price->model != RAAS_PRICE_PERCENTAGE)
		return RAAS_E_INPUT;
	if ((rc = raas_dec_mul(value, price->rate, &c)))
		return rc;
	if (price->has_min && raas_dec_cmp(c, price->min) < 0)
		c = price->min;
	if (price->has_max && raas_dec_cmp(c, price->max) > 0)
		c = price->max;
	*out = c;
	return RAAS_OK;
}
