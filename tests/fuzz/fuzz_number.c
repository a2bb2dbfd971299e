/* fuzz_number.c — libFuzzer target for src/base/number.c.
 *
 * The input is one number text, or two separated by '|'. Each is checked against a slow,
 * independent model written here: its own grammar check for both syntaxes and a
 * string-building plain form that follows Python's Decimal.__format__('f') (place the
 * point at len(coefficient) + exponent; zeros with a positive exponent become 0e0). The
 * model decides validity, plain length (number.c computes it without building anything)
 * and whether raas_num_parse must accept; the formatted form must be the model's plain
 * form without trailing zeros; format → parse must give back an equal number that formats
 * the same; raas_num_cmp must agree with a comparison of the two plain strings, be
 * antisymmetric and reflexive; and a number with at most 12 fractional digits below 10^26
 * converts to a raas_dec that formats identically.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/number.h"
#include "raas/decimal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* Exponents beyond this are not built out; the model only knows the form is long. */
#define BUILD_LIMIT 20000

struct model {
	int valid;
	int neg;     /* the text starts with '-' */
	int built;   /* plain holds the plain form */
	char *plain; /* malloc'd, NUL-terminated */
	size_t plain_len;
	int is_zero;
};

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The grammar, checked on its own terms: JSON is -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * and TEXT is [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?. Fills the pieces. */
static int grammar(const char *s, size_t n, int json, size_t *int_start, size_t *int_end,
                   size_t *frac_start, size_t *frac_end, size_t *exp_start)
{
	size_t i = 0;

	if (i < n && (s[i] == '-' || (!json && s[i] == '+')))
		i++;
	*int_start = i;
	while (i < n && digit(s[i]))
		i++;
	*int_end = i;
	if (*int_end == *int_start)
		return 0;
	if (json && *int_end - *int_start > 1 && s[*int_start] == '0')
		return 0;
	*frac_start = *frac_end = i;
	if (i < n && s[i] == '.') {
		i++;
		*frac_start = i;
		while (i < n && digit(s[i]))
			i++;
		*frac_end = i;
		if (*frac_end == *frac_start)
			return 0;
	}
	*exp_start = n;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		*exp_start = i;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !digit(s[i]))
			return 0;
		while (i < n && digit(s[i]))
			i++;
	}
	return i == n;
}

static void model_free(struct model *m)
{
	free(m->plain);
	m->plain = NULL;
}

/* Builds the model of the n bytes at s in one syntax. */
static void model_of(const char *s, size_t n, int json, struct model *m)
{
	size_t is, ie, fs, fe, es, clen, k;
	long long exp = 0, dotplace;
	int eneg = 0, huge = 0;
	char *coef;

	memset(m, 0, sizeof *m);
	if (!grammar(s, n, json, &is, &ie, &fs, &fe, &es))
		return;
	m->valid = 1;
	m->neg = n > 0 && s[0] == '-';
	if (es < n) {
		k = es;
		if (s[k] == '+' || s[k] == '-')
			eneg = s[k++] == '-';
		for (; k < n; k++) {
			if (exp > 1000000000LL)
				huge = 1;
			else
				exp = exp * 10 + (s[k] - '0');
		}
		if (eneg)
			exp = -exp;
	}
	/* coefficient: integer and fraction digits, leading zeros dropped ("0" if none) */
	coef = malloc((ie - is) + (fe - fs) + 2);
	CHECK(coef != NULL);
	clen = 0;
	for (k = is; k < ie; k++)
		if (clen || s[k] != '0')
			coef[clen++] = s[k];
	for (k = fs; k < fe; k++)
		if (clen || s[k] != '0')
			coef[clen++] = s[k];
	m->is_zero = clen == 0;
	if (clen == 0)
		coef[clen++] = '0';
	coef[clen] = '\0';
	exp -= (long long)(fe - fs);
	if (m->is_zero && exp > 0)
		exp = 0, huge = 0; /* Python rescales 0eN (N > 0) to 0e0 */
	if (huge || exp > BUILD_LIMIT || exp < -BUILD_LIMIT) {
		free(coef);
		return;
	}
	dotplace = (long long)clen + exp;
	m->plain = malloc(clen + (size_t)(exp < 0 ? -exp : exp) + 8);
	CHECK(m->plain != NULL);
	k = 0;
	if (m->neg)
		m->plain[k++] = '-';
	if (dotplace <= 0) {
		m->plain[k++] = '0';
		m->plain[k++] = '.';
		for (long long z = 0; z < -dotplace; z++)
			m->plain[k++] = '0';
		memcpy(m->plain + k, coef, clen);
		k += clen;
	} else if ((size_t)dotplace >= clen) {
		memcpy(m->plain + k, coef, clen);
		k += clen;
		for (long long z = 0; z < dotplace - (long long)clen; z++)
			m->plain[k++] = '0';
	} else {
		memcpy(m->plain + k, coef, (size_t)dotplace);
		k += (size_t)dotplace;
		m->plain[k++] = '.';
		memcpy(m->plain + k, coef + dotplace, clen - (size_t)dotplace);
		k += clen - (size_t)dotplace;
	}
	m->plain[k] = '\0';
	m->plain_len = k;
	m->built = 1;
	free(coef);
}

/* The plain form without trailing fractional zeros, point or the sign of zero. */
static size_t trimmed(const struct model *m, char *out, size_t cap)
{
	size_t n = m->plain_len;

	if (m->is_zero) {
		memcpy(out, "0", 2);
		return 1;
	}
	if (memchr(m->plain, '.', n)) {
		while (m->plain[n - 1] == '0')
			n--;
		if (m->plain[n - 1] == '.')
			n--;
	}
	CHECK(n < cap);
	memcpy(out, m->plain, n);
	out[n] = '\0';
	return n;
}

/* Compares two plain forms as decimal numbers. */
static int cmp_plain(const char *a, const char *b)
{
	int na = a[0] == '-', nb = b[0] == '-';
	int za = strspn(a + na, "0.") == strlen(a + na),
	    zb = strspn(b + nb, "0.") == strlen(b + nb);
	int sa = za ? 0 : (na ? -1 : 1), sb = zb ? 0 : (nb ? -1 : 1);
	const char *pa = a + na, *pb = b + nb, *da, *db;
	size_t ia, ib;
	int mag = 0;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	da = strchr(pa, '.');
	db = strchr(pb, '.');
	ia = da ? (size_t)(da - pa) : strlen(pa);
	ib = db ? (size_t)(db - pb) : strlen(pb);
	/* integer parts have no leading zeros except a lone "0" */
	if (ia == 1 && pa[0] == '0')
		ia = 0, pa++;
	if (ib == 1 && pb[0] == '0')
		ib = 0, pb++;
	if (ia != ib) {
		mag = ia < ib ? -1 : 1;
	} else {
		int c = memcmp(pa, pb, ia);
		if (c) {
			mag = c < 0 ? -1 : 1;
		} else {
			const char *fa = da ? da + 1 : "", *fb = db ? db + 1 : "";
			while (*fa || *fb) {
				char x = *fa ? *fa++ : '0', y = *fb ? *fb++ : '0';
				if (x != y) {
					mag = x < y ? -1 : 1;
					break;
				}
			}
		}
	}
	return sa * mag;
}

/* Checks one number text; on success fills *num, *m (TEXT syntax) and returns 1. */
static int check_one(const char *s, size_t n, struct raas_num *num, struct model *m)
{
	char buf[RAAS_NUM_MAX_PLAIN + 2], want[RAAS_NUM_MAX_PLAIN + 2], dbuf[RAAS_DEC_FORMAT_MAX];
	struct raas_num again;
	struct raas_err err;
	struct raas_dec d;
	size_t len;
	int ok = 0;

	for (int json = 1; json >= 0; json--) {
		enum raas_num_syntax syn = json ? RAAS_NUM_JSON : RAAS_NUM_TEXT;
		size_t pl = raas_num_plain_length(s, n, syn);
		raas_rc rc = raas_num_parse(s, n, syn, num, &err);

		model_of(s, n, json, m);
		if (!m->valid) {
			CHECK(pl == SIZE_MAX);
			CHECK(rc == RAAS_E_INPUT && strcmp(err.message, "not a number") == 0);
			model_free(m);
			continue;
		}
		CHECK(pl != SIZE_MAX);
		if (m->built)
			CHECK(pl == m->plain_len);
		else
			CHECK(pl > BUILD_LIMIT);
		if (pl > RAAS_NUM_MAX_PLAIN) {
			CHECK(rc == RAAS_E_INPUT &&
			      strcmp(err.message, "number out of range") == 0);
			model_free(m);
			continue;
		}
		CHECK(rc == RAAS_OK && m->built);
		CHECK(num->ndigits <= RAAS_NUM_MAX_PLAIN);
		CHECK(num->sign == 0 ? num->ndigits == 0 && num->exp == 0 : num->ndigits > 0);
		if (num->ndigits)
			CHECK(num->digits[0] != '0' && num->digits[num->ndigits - 1] != '0');
		/* format is the trimmed plain form */
		len = raas_num_format(num, buf, sizeof buf);
		CHECK(len == trimmed(m, want, sizeof want));
		CHECK(strcmp(buf, want) == 0);
		CHECK(cmp_plain(buf, m->plain) == 0);
		/* format → parse round trip, in both syntaxes */
		CHECK(raas_num_parse(buf, len, RAAS_NUM_JSON, &again, &err) == RAAS_OK);
		CHECK(raas_num_cmp(num, &again) == 0 && raas_num_cmp(&again, num) == 0);
		CHECK(again.sign == num->sign && again.ndigits == num->ndigits &&
		      again.exp == num->exp &&
		      memcmp(again.digits, num->digits, num->ndigits) == 0);
		CHECK(raas_num_cmp(num, num) == 0);
		/* few fractional digits and below 10^26: to_dec is exact */
		{
			const char *dot = strchr(buf, '.');
			size_t ilen = dot ? (size_t)(dot - buf) : len;
			size_t flen = dot ? len - ilen - 1 : 0;
			ilen -= buf[0] == '-';
			if (flen <= RAAS_DEC_SCALE && ilen <= RAAS_DEC_INT_DIGITS) {
				CHECK(raas_num_to_dec(num, &d) == RAAS_OK);
				raas_dec_format(d, dbuf);
				CHECK(strcmp(dbuf, buf) == 0);
			} else if (ilen > RAAS_DEC_INT_DIGITS) {
				CHECK(raas_num_to_dec(num, &d) == RAAS_E_OVERFLOW);
			}
		}
		if (!json) {
			ok = 1;
			break; /* keep *num and *m of the TEXT syntax */
		}
		model_free(m);
	}
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *bar = memchr(s, '|', size);
	struct raas_num a, b;
	struct model ma, mb;

	if (!bar) {
		if (check_one(s, size, &a, &ma))
			model_free(&ma);
		return 0;
	}
	if (check_one(s, (size_t)(bar - s), &a, &ma)) {
		if (check_one(bar + 1, size - (size_t)(bar - s) - 1, &b, &mb)) {
			int c = raas_num_cmp(&a, &b);
			CHECK(c == -raas_num_cmp(&b, &a));
			CHECK(c == cmp_plain(ma.plain, mb.plain));
			model_free(&mb);
		}
		model_free(&ma);
	}
	return 0;
}
