/* number.c — exact values and plain forms of JSON and decimal-string numbers.
 *
 * Event properties keep numbers as their original text (json.c); `where` comparisons,
 * entity text and duplicate detection come here to turn that text into a normalized exact
 * decimal (struct raas_num), to compare two of them exactly, and to write the plain
 * exponent-free form. The plain form's length is computed from the text alone, without
 * building it, so that `1e99999999999999999999` is rejected without allocating anything.
 */
#include "base/number.h"

#include <string.h>

/* Exponents beyond this magnitude are not tracked exactly: no input is anywhere near 10^18
 * bytes long, so such a number's plain form is necessarily huge (or "0" for a zero with a
 * positive exponent). */
#define EXP_CLAMP INT64_C(1000000000000000000)

/* The saturated length raas_num_plain_length returns for plain forms too long to count. */
#define PLAIN_HUGE (SIZE_MAX - 1)

/* The pieces of a syntactically valid number text. */
struct parts {
	int neg;         /* the text starts with '-' */
	const char *ip;  /* integer digits */
	size_t ilen;     /* at least 1 */
	const char *fp;  /* fraction digits (after '.') */
	size_t flen;     /* 0 without a fraction */
	int64_t exp;     /* exponent value, clamped to ±EXP_CLAMP */
	int exp_clamped; /* |exponent| > EXP_CLAMP */
	size_t lead;     /* leading zeros of the digit string ip‖fp */
	size_t clen;     /* significant digits: ilen + flen - lead (0 for zero) */
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Splits the len bytes at s into parts; returns 0 when they are not a number in syntax. */
static int split(const char *s, size_t len, enum raas_num_syntax syntax, struct parts *p)
{
	size_t i = 0;

	memset(p, 0, sizeof *p);
	if (!s)
		return 0;
	if (i < len && s[i] == '-') {
		p->neg = 1;
		i++;
	} else if (i < len && s[i] == '+' && syntax == RAAS_NUM_TEXT) {
		i++;
	}
	p->ip = s + i;
	while (i < len && is_digit(s[i]))
		i++;
	p->ilen = (size_t)(s + i - p->ip);
	if (p->ilen == 0)
		return 0;
	if (syntax == RAAS_NUM_JSON && p->ilen > 1 && p->ip[0] == '0')
		return 0; /* RFC 8259: no leading zeros */
	if (i < len && s[i] == '.') {
		i++;
		p->fp = s + i;
		while (i < len && is_digit(s[i]))
			i++;
		p->flen = (size_t)(s + i - p->fp);
		if (p->flen == 0)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0;
		size_t start;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		start = i;
		while (i < len && is_digit(s[i])) {
			int d = s[i] - '0';

			if (p->exp_clamped) {
				/* keep scanning: the rest must still be digits */
			} else if (p->exp > (EXP_CLAMP - d) / 10) {
				p->exp = EXP_CLAMP;
				p->exp_clamped = 1;
			} else {
				p->exp = p->exp * 10 + d;
			}
			i++;
		}
		if (i == start)
			return 0;
		if (eneg)
			p->exp = -p->exp;
	}
	if (i != len)
		return 0;
	while (p->lead < p->ilen && p->ip[p->lead] == '0')
		p->lead++;
	if (p->lead == p->ilen)
		while (p->lead < p->ilen + p->flen && p->fp[p->lead - p->ilen] == '0')
			p->lead++;
	p->clen = p->ilen + p->flen - p->lead;
	return 1;
}

/* The digit at position k of the digit string ip‖fp. */
static char digit_at(const struct parts *p, size_t k)
{
	return k < p->ilen ? p->ip[k] : p->fp[k - p->ilen];
}

/* Plain-form length of split parts (see raas_num_plain_length). */
static size_t plain_length(const struct parts *p)
{
	raas_i128 e, n, lc;

	if (p->exp_clamped) {
		/* A zero with a huge positive exponent is "0"; anything else is huge. */
		if (p->clen == 0 && p->exp > 0)
			return (size_t)p->neg + 1;
		return PLAIN_HUGE;
	}
	/* E = exponent - number of fraction digits; the coefficient C has lc characters. */
	e = (raas_i128)p->exp - (raas_i128)p->flen;
	lc = p->clen ? (raas_i128)p->clen : 1;
	if (e >= 0)
		n = p->clen ? lc + e : 1;
	else if (lc > -e)
		n = lc + 1;
	else
		n = 2 + -e; /* "0." then -E - len(C) zeros then C */
	n += p->neg;
	return n >= (raas_i128)PLAIN_HUGE ? PLAIN_HUGE : (size_t)n;
}

size_t raas_num_plain_length(const char *s, size_t len, enum raas_num_syntax syntax)
{
	struct parts p;

	if (!split(s, len, syntax, &p))
		return SIZE_MAX;
	return plain_length(&p);
}

raas_rc raas_num_parse(const char *s, size_t len, enum raas_num_syntax syntax, struct raas_num *out,
                       struct raas_err *err)
{
	struct parts p;
	size_t n;

	if (!split(s, len, syntax, &p))
		return raas_err_set(err, RAAS_E_INPUT, NULL, "not a number");
	if (plain_length(&p) > RAAS_NUM_MAX_PLAIN)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "number out of range");
	memset(out, 0, sizeof *out);
	if (p.clen == 0)
		return RAAS_OK; /* zero, whatever its sign: sign 0, no digits, exp 0 */
	/* The plain form holds every significant digit, so clen <= 128 here, and the
	 * exponent is bounded by the plain length too. */
	n = p.clen;
	while (n > 0 && digit_at(&p, p.lead + n - 1) == '0')
		n--;
	for (size_t k = 0; k < n; k++)
		out->digits[k] = digit_at(&p, p.lead + k);
	out->sign = p.neg ? -1 : 1;
	out->ndigits = (uint8_t)n;
	/* value = C × 10^E = 0.C × 10^(clen + E) */
	out->exp = (int32_t)((int64_t)p.clen + p.exp - (int64_t)p.flen);
	return RAAS_OK;
}

/* ndigits bounded by the digits array, for structs not made by raas_num_parse. */
static size_t ndigits_of(const struct raas_num *n)
{
	return n->ndigits > RAAS_NUM_MAX_PLAIN ? RAAS_NUM_MAX_PLAIN : n->ndigits;
}

int raas_num_cmp(const struct raas_num *a, const struct raas_num *b)
{
	size_t na = ndigits_of(a), nb = ndigits_of(b), m;
	int sa = na ? a->sign : 0, sb = nb ? b->sign : 0;
	int mag;

	sa = sa < 0 ? -1 : sa > 0;
	sb = sb < 0 ? -1 : sb > 0;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	/* Same sign, both non-zero: with a non-zero first digit, the larger exponent wins;
	 * with equal exponents the digit strings compare lexicographically (a strict prefix
	 * is smaller, since the longer one's extra digits end in a non-zero digit). */
	if (a->exp != b->exp) {
		mag = a->exp < b->exp ? -1 : 1;
	} else {
		m = na < nb ? na : nb;
		mag = memcmp(a->digits, b->digits, m);
		if (mag == 0)
			mag = na == nb ? 0 : (na < nb ? -1 : 1);
		else
			mag = mag < 0 ? -1 : 1;
	}
	return sa * mag;
}

size_t raas_num_format(const struct raas_num *n, char *buf, size_t cap)
{
	size_t nd = ndigits_of(n), len, pos = 0;
	int64_t exp = n->exp;

	if (nd == 0 || n->sign == 0) {
		if (cap < 2)
			return 0;
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	/* 0.d1d2…dn × 10^exp */
	if (exp <= 0)
		len = 2 + (size_t)(-exp) + nd; /* "0." zeros digits */
	else if ((size_t)exp >= nd)
		len = (size_t)exp; /* digits then zeros */
	else
		len = nd + 1; /* digits with a point inside */
	len += n->sign < 0;
	if (len >= cap)
		return 0;
	if (n->sign < 0)
		buf[pos++] = '-';
	if (exp <= 0) {
		buf[pos++] = '0';
		buf[pos++] = '.';
		for (int64_t k = 0; k < -exp; k++)
			buf[pos++] = '0';
		memcpy(buf + pos, n->digits, nd);
		pos += nd;
	} else if ((size_t)exp >= nd) {
		memcpy(buf + pos, n->digits, nd);
		pos += nd;
		for (size_t k = nd; k < (size_t)exp; k++)
			buf[pos++] = '0';
	} else {
		memcpy(buf + pos, n->digits, (size_t)exp);
		pos += (size_t)exp;
		buf[pos++] = '.';
		memcpy(buf + pos, n->digits + exp, nd - (size_t)exp);
		pos += nd - (size_t)exp;
	}
	buf[pos] = '\0';
	return pos;
}

raas_rc raas_num_to_dec(const struct raas_num *n, struct raas_dec *out)
{
	/* exp in [-12, 26] below: at most "-0." + 12 zeros + 128 digits + NUL */
	char text[RAAS_NUM_MAX_PLAIN + 20];
	struct raas_err err;
	size_t len;
	raas_rc rc;

	if (ndigits_of(n) == 0 || n->sign == 0) {
		*out = raas_dec_zero();
		return RAAS_OK;
	}
	/* 0.d… × 10^exp with exp > 26 is at least 10^26. */
	if (n->exp > RAAS_DEC_INT_DIGITS)
		return RAAS_E_OVERFLOW;
	/* Below 10^-13 everything rounds to zero at 12 fractional digits. */
	if (n->exp < -RAAS_DEC_SCALE) {
		*out = raas_dec_zero();
		return RAAS_OK;
	}
	len = raas_num_format(n, text, sizeof text);
	if (len == 0)
		return RAAS_E_OVERFLOW; /* not reachable for exp in [-12, 26] */
	rc = raas_dec_parse(text, len, RAAS_DEC_TEXT, out, &err);
	if (rc == RAAS_E_INPUT)
		rc = RAAS_E_OVERFLOW; /* the plain text is always well formed */
	return rc;
}
