/* fuzz_time.c — libFuzzer target for src/base/time.c.
 *
 * Every input is fed to the timestamp, duration, time-zone and date parsers. Accepted values are
 * checked against independent reference computations written here (a plain leap-year count,
 * 128-bit duration arithmetic) and round-tripped through the formatters; rejections must carry
 * a sane column. The first bytes also drive an instant and an offset for the period grid, whose
 * invariants (floor <= us < next, boundaries at local midnight on the right day) are checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raas/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static unsigned digits_at(const char *s, size_t pos, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[pos + i] - '0');
	return v;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Day number of y-m-d counted the slow, obvious way (y >= 0). */
static int64_t ref_days(int64_t y, unsigned m, unsigned d)
{
	static const unsigned before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	/* leap years in [0, y): 0 is one of them */
	int64_t leaps = y == 0 ? 0 : (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 + 1;

	return y * 365 + leaps + before[m - 1] + (m > 2 && leap) + d - 1 - 719528;
}

/* Whether y-m-d is a real date, by the textbook rule. */
static int ref_valid(int64_t y, unsigned m, unsigned d)
{
	static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m >= 1 && m <= 12 && d >= 1 && d <= len[m - 1] + (m == 2 && leap);
}

static void check_err(const struct raas_err *err, raas_rc want, size_t size)
{
	CHECK(err->code == want);
	CHECK(err->line == 0);
	CHECK(err->path[0] == '\0');
	CHECK(err->message[0] != '\0');
	CHECK(err->column >= 1 && err->column <= size + 1);
}

static void fuzz_timestamp(const char *s, size_t size)
{
	struct raas_err err;
	char out[RAAS_TIME_FORMAT_MAX], want[64];
	int64_t us, back;
	size_t pos, n, w = 0;
	int offset = 0;
	unsigned frac = 0, fdigits = 0;

	raas_err_clear(&err);
	if (raas_time_parse(s, size, &us, &err) != RAAS_OK) {
		check_err(&err, RAAS_E_INPUT, size);
		return;
	}
	/* accepted: the fixed part is where the grammar puts it */
	CHECK(size >= 20 && size <= 32);
	pos = 19;
	if (s[pos] == '.') {
		pos++;
		while (is_digit(s[pos])) {
			frac = frac * 10 + (unsigned)(s[pos] - '0');
			fdigits++;
			pos++;
		}
		CHECK(fdigits >= 1 && fdigits <= 6);
		for (unsigned i = fdigits; i < 6; i++)
			frac *= 10;
	}
	if (s[pos] == 'Z') {
		CHECK(pos + 1 == size);
	} else {
		CHECK(pos + 6 == size && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':');
		offset = (int)(digits_at(s, pos + 1, 2) * 60 + digits_at(s, pos + 4, 2));
		CHECK(offset <= 23 * 60 + 59 && digits_at(s, pos + 4, 2) <= 59);
		if (s[pos] == '-') {
			CHECK(offset != 0); /* -00:00 is rejected */
			offset = -offset;
		}
	}
	/* agreement with the reference arithmetic */
	CHECK(ref_valid(digits_at(s, 0, 4), digits_at(s, 5, 2), digits_at(s, 8, 2)));
	{
		int64_t days = ref_days(digits_at(s, 0, 4), digits_at(s, 5, 2), digits_at(s, 8, 2));
		int64_t secs =
		        digits_at(s, 11, 2) * 3600 + digits_at(s, 14, 2) * 60 + digits_at(s, 17, 2);

		CHECK(digits_at(s, 11, 2) <= 23 && digits_at(s, 14, 2) <= 59 &&
		      digits_at(s, 17, 2) <= 59);
		CHECK(us == days * RAAS_US_PER_DAY + secs * RAAS_US_PER_SEC + frac -
		                    (int64_t)offset * 60 * RAAS_US_PER_SEC);
	}
	/* format at the parsed offset re-parses to the same instant ... */
	n = raas_time_format(us, offset, out);
	CHECK(n == strlen(out) && n < RAAS_TIME_FORMAT_MAX);
	CHECK(raas_time_parse(out, n, &back, &err) == RAAS_OK);
	CHECK(back == us);
	/* ... and reproduces the input modulo normalisation: the fraction padded to 6 digits
	 * and left out when zero, +00:00 written as Z */
	memcpy(want, s, 19);
	w = 19;
	if (frac) {
		want[w++] = '.';
		for (unsigned i = 0, f = frac, div = 100000; i < 6; i++, div /= 10)
			want[w++] = (char)('0' + f / div % 10);
	}
	if (offset == 0) {
		want[w++] = 'Z';
	} else {
		memcpy(want + w, s + pos, 6);
		w += 6;
	}
	want[w] = '\0';
	CHECK(strcmp(want, out) == 0);
	/* the local date is the one written */
	CHECK(raas_date_of(us, offset) ==
	      ref_days(digits_at(s, 0, 4), digits_at(s, 5, 2), digits_at(s, 8, 2)));
}

static void fuzz_duration(const char *s, size_t size)
{
	struct raas_err err;
	int64_t us = 0;
	raas_rc rc;
	size_t i = 0;
	__int128 v = 0, unit = 0;
	int grammar;

	raas_err_clear(&err);
	rc = raas_duration_parse(s, size, &us, &err);
	while (i < size && is_digit(s[i])) {
		if (v < ((__int128)1 << 70)) /* keeps v * unit inside 128 bits */
			v = v * 10 + (s[i] - '0');
		i++;
	}
	grammar = i > 0 && i + 1 == size && strchr("dhms", s[i]) && s[i] != '\0';
	if (grammar) {
		switch (s[i]) {
		case 'd':
			unit = RAAS_US_PER_DAY;
			break;
		case 'h':
			unit = 3600 * RAAS_US_PER_SEC;
			break;
		case 'm':
			unit = 60 * RAAS_US_PER_SEC;
			break;
		default:
			unit = RAAS_US_PER_SEC;
			break;
		}
	}
	if (!grammar) {
		CHECK(rc == RAAS_E_INPUT);
		check_err(&err, RAAS_E_INPUT, size);
	} else if (v * unit > INT64_MAX) {
		CHECK(rc == RAAS_E_OVERFLOW);
		check_err(&err, RAAS_E_OVERFLOW, size);
	} else {
		CHECK(rc == RAAS_OK);
		CHECK((__int128)us == v * unit);
	}
}

static void fuzz_tz(const char *s, size_t size)
{
	struct raas_err err;
	char out[8];
	int off = 0;
	size_t n;

	raas_err_clear(&err);
	if (raas_tz_parse(s, size, &off, &err) != RAAS_OK) {
		check_err(&err, RAAS_E_INPUT, size);
		return;
	}
	CHECK(off >= -(23 * 60 + 59) && off <= 23 * 60 + 59);
	n = raas_tz_format(off, out);
	CHECK(n == strlen(out));
	if (off == 0) {
		CHECK(strcmp(out, "Z") == 0);
		CHECK((size == 1 && s[0] == 'Z') || (size == 6 && memcmp(s + 1, "00:00", 5) == 0 &&
		                                     (s[0] == '+' || s[0] == '-')));
	} else {
		CHECK(n == size && memcmp(out, s, n) == 0);
	}
}

static void fuzz_date(const char *s, size_t size)
{
	struct raas_err err;
	char out[16];
	int64_t days = 0, y;
	unsigned m, d;

	raas_err_clear(&err);
	if (raas_date_parse(s, size, &days, &err) != RAAS_OK) {
		check_err(&err, RAAS_E_INPUT, size);
		return;
	}
	CHECK(size == 10);
	CHECK(ref_valid(digits_at(s, 0, 4), digits_at(s, 5, 2), digits_at(s, 8, 2)));
	CHECK(days == ref_days(digits_at(s, 0, 4), digits_at(s, 5, 2), digits_at(s, 8, 2)));
	raas_civil_from_days(days, &y, &m, &d);
	CHECK(y >= 0 && y <= 9999);
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	CHECK(memcmp(out, s, 10) == 0);
}

/* An instant and an offset from the first 10 bytes, both within the supported range. */
static void fuzz_periods(const uint8_t *data, size_t size)
{
	const int64_t lo = INT64_C(-62167219200000000) + INT64_C(1439) * 60 * RAAS_US_PER_SEC;
	const int64_t hi = INT64_C(253402300799999999) - INT64_C(1439) * 60 * RAAS_US_PER_SEC;
	uint64_t raw = 0;
	int64_t us;
	int off;

	if (size < 10)
		return;
	for (int i = 0; i < 8; i++)
		raw = raw << 8 | data[i];
	us = lo + (int64_t)(raw % (uint64_t)(hi - lo + 1));
	off = (int)((unsigned)(data[8] << 8 | data[9]) % 2879) - 1439;

	for (int k = RAAS_PERIOD_WEEK; k <= RAAS_PERIOD_YEAR; k++) {
		enum raas_period_kind kind = (enum raas_period_kind)k;
		int64_t f = raas_period_floor(kind, off, us);
		int64_t nx = raas_period_next(kind, off, us);
		int64_t fd = raas_date_of(f, off), nd = raas_date_of(nx, off), len = nd - fd;
		int64_t y, ny;
		unsigned m, d, nm, ndd;

		CHECK(f <= us && us < nx);
		CHECK(raas_period_floor(kind, off, f) == f);
		CHECK(raas_period_floor(kind, off, nx) == nx);
		CHECK(raas_period_floor(kind, off, nx - 1) == f);
		CHECK(raas_period_next(kind, off, f) == nx);
		CHECK(raas_date_midnight(fd, off) == f && raas_date_midnight(nd, off) == nx);
		CHECK(raas_days_between(f, nx, off) == len);
		CHECK(raas_date_of(us, off) >= fd && raas_date_of(us, off) < nd);
		raas_civil_from_days(fd, &y, &m, &d);
		raas_civil_from_days(nd, &ny, &nm, &ndd);
		switch (kind) {
		case RAAS_PERIOD_WEEK:
			CHECK(len == 7);
			CHECK(((fd % 7) + 7 + 3) % 7 == 0); /* a Monday */
			break;
		case RAAS_PERIOD_MONTH:
			CHECK(d == 1 && ndd == 1 && len == raas_days_in_month(y, m));
			CHECK((ny == y && nm == m + 1) || (ny == y + 1 && m == 12 && nm == 1));
			break;
		case RAAS_PERIOD_QUARTER:
			CHECK(d == 1 && ndd == 1 && (m - 1) % 3 == 0 && len >= 90 && len <= 92);
			CHECK((ny == y && nm == m + 3) || (ny == y + 1 && m == 10 && nm == 1));
			break;
		case RAAS_PERIOD_YEAR:
			CHECK(d == 1 && m == 1 && ndd == 1 && nm == 1 && ny == y + 1);
			CHECK(len == 365 || len == 366);
			break;
		}
	}
	/* any instant in range formats and re-parses to itself at any offset */
	{
		char out[RAAS_TIME_FORMAT_MAX];
		struct raas_err err;
		int64_t back = 0;
		size_t n = raas_time_format(us, off, out);

		CHECK(raas_time_parse(out, n, &back, &err) == RAAS_OK && back == us);
	}
	/* Unix seconds: accepted exactly in years 0000-9999, never overflowing */
	{
		struct raas_err err;
		int64_t secs = (int64_t)raw, got = 0;
		raas_rc rc = raas_time_from_unix(secs, &got, &err);
		int in = secs >= INT64_C(-62167219200) && secs <= INT64_C(253402300799);

		CHECK(in ? rc == RAAS_OK && got == secs * RAAS_US_PER_SEC : rc == RAAS_E_INPUT);
		secs = secs % INT64_C(400000000000);
		rc = raas_time_from_unix(secs, &got, &err);
		in = secs >= INT64_C(-62167219200) && secs <= INT64_C(253402300799);
		CHECK(in ? rc == RAAS_OK && got == secs * RAAS_US_PER_SEC : rc == RAAS_E_INPUT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct raas_err err;
	enum raas_period_kind kind;

	fuzz_timestamp(s, size);
	fuzz_duration(s, size);
	fuzz_tz(s, size);
	fuzz_date(s, size);
	if (raas_period_kind_parse(s, size, &kind, &err) == RAAS_OK)
		CHECK(size >= 4 && size <= 7);
	fuzz_periods(data, size);
	return 0;
}
