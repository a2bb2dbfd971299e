/* test_time.c — unit tests of src/base/time.c: civil-date arithmetic, RFC 3339 parsing and
 * formatting, Unix seconds, durations, time zones, dates, and the settlement period grid.
 * Expected instants were computed independently (Python's datetime) and are written out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <limits.h>

#include <cmocka.h>

#include "raas/time.h"

/* ---- helpers ---- */

/* Parses a timestamp that must be valid. */
static int64_t ts(const char *s)
{
	struct raas_err err;
	int64_t us = 0;

	raas_err_clear(&err);
	if (raas_time_parse(s, strlen(s), &us, &err) != RAAS_OK)
		fail_msg("%s: %s (column %u)", s, err.message, err.column);
	return us;
}

static void assert_format(int64_t us, int offset_min, const char *want)
{
	char buf[RAAS_TIME_FORMAT_MAX];
	size_t n;

	memset(buf, 'x', sizeof buf);
	n = raas_time_format(us, offset_min, buf);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* ---- civil dates ---- */

static int naive_leap(int64_t y)
{
	if (y % 400 == 0)
		return 1;
	if (y % 100 == 0)
		return 0;
	return y % 4 == 0;
}

/* Walks every day of 0000-01-01..9999-12-31 with a plain calendar counter and checks both
 * conversions (and days_in_month) against it. */
static void test_civil_every_day(void **state)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y = 0, z = -719528, feb29 = 0, count = 0;
	unsigned m = 1, d = 1;

	(void)state;
	for (;;) {
		int64_t cy;
		unsigned cm, cd, dim = mdays[m - 1] + (m == 2 && naive_leap(y));

		if (raas_days_from_civil(y, m, d) != z)
			fail_msg("days_from_civil(%lld-%u-%u) != %lld", (long long)y, m, d,
			         (long long)z);
		raas_civil_from_days(z, &cy, &cm, &cd);
		if (cy != y || cm != m || cd != d)
			fail_msg("civil_from_days(%lld) = %lld-%u-%u, want %lld-%u-%u",
			         (long long)z, (long long)cy, cm, cd, (long long)y, m, d);
		if (d == 1 && raas_days_in_month(y, m) != dim)
			fail_msg("days_in_month(%lld, %u) != %u", (long long)y, m, dim);
		if (m == 2 && d == 29)
			feb29++;
		count++;
		if (y == 9999 && m == 12 && d == 31)
			break;
		z++;
		if (++d > dim) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(z, 2932896);
	assert_int_equal(count, 3652425);
	assert_int_equal(feb29, 2425);
}

static void test_civil_known_days(void **state)
{
	int64_t y;
	unsigned m, d;

	(void)state;
	assert_int_equal(raas_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(raas_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(raas_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(raas_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(raas_days_from_civil(2026, 1, 1), 20454);
	assert_int_equal(raas_days_from_civil(2025, 12, 29), 20451);
	assert_int_equal(raas_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(raas_days_from_civil(1900, 3, 1), -25508);
	assert_int_equal(raas_days_from_civil(0, 1, 1), -719528);
	assert_int_equal(raas_days_from_civil(0, 3, 1), -719468);
	assert_int_equal(raas_days_from_civil(9999, 12, 31), 2932896);
	raas_civil_from_days(-719468, &y, &m, &d);
	assert_int_equal(y, 0);
	assert_int_equal(m, 3);
	assert_int_equal(d, 1);
	raas_civil_from_days(-719469, &y, &m, &d); /* year 0 is a leap year */
	assert_int_equal(y, 0);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	raas_civil_from_days(-719529, &y, &m, &d);
	assert_int_equal(y, -1);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	raas_civil_from_days(2932897, &y, &m, &d);
	assert_int_equal(y, 10000);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
}

static void test_days_in_month(void **state)
{
	(void)state;
	assert_int_equal(raas_days_in_month(1900, 2), 28);
	assert_int_equal(raas_days_in_month(2000, 2), 29);
	assert_int_equal(raas_days_in_month(2024, 2), 29);
	assert_int_equal(raas_days_in_month(2026, 2), 28);
	assert_int_equal(raas_days_in_month(2100, 2), 28);
	assert_int_equal(raas_days_in_month(0, 2), 29);
	assert_int_equal(raas_days_in_month(2026, 1), 31);
	assert_int_equal(raas_days_in_month(2026, 4), 30);
	assert_int_equal(raas_days_in_month(2026, 6), 30);
	assert_int_equal(raas_days_in_month(2026, 7), 31);
	assert_int_equal(raas_days_in_month(2026, 8), 31);
	assert_int_equal(raas_days_in_month(2026, 9), 30);
	assert_int_equal(raas_days_in_month(2026, 11), 30);
	assert_int_equal(raas_days_in_month(2026, 12), 31);
	assert_int_equal(raas_days_in_month(2026, 0), 0);
	assert_int_equal(raas_days_in_month(2026, 13), 0);
}

/* ---- timestamps ---- */

static void test_time_parse_valid(void **state)
{
	static const struct {
		const char *s;
		int64_t us;
	} cases[] = {
	        {"1970-01-01T00:00:00Z", 0},
	        {"1970-01-01T00:00:00+00:00", 0},
	        {"2026-01-05T10:00:00Z", INT64_C(1767607200000000)},
	        {"2026-01-05T18:00:00+08:00", INT64_C(1767607200000000)},
	        {"2026-01-05T18:00:00.123Z", INT64_C(1767636000123000)},
	        {"2026-01-05T18:00:00.5+05:45", INT64_C(1767615300500000)},
	        {"2026-01-05T18:00:00.000001-09:30", INT64_C(1767670200000001)},
	        {"2026-01-05T18:00:00.000000-09:30", INT64_C(1767670200000000)},
	        {"2024-02-29T23:59:59.999999+14:00", INT64_C(1709200799999999)},
	        {"1969-12-31T23:59:59.999999Z", -1},
	        {"1900-02-28T12:00:00-09:30", INT64_C(-2203900200000000)},
	        {"2000-02-29T00:00:00Z", INT64_C(951782400000000)},
	        {"1960-06-15T08:30:00+08:00", INT64_C(-301275000000000)},
	        {"0000-01-01T00:00:00Z", INT64_C(-62167219200000000)},
	        {"0000-01-01T00:00:00+23:59", INT64_C(-62167305540000000)},
	        {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999)},
	        {"9999-12-31T23:59:59.999999-23:59", INT64_C(253402387139999999)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (ts(cases[i].s) != cases[i].us)
			fail_msg("%s -> %lld, want %lld", cases[i].s, (long long)ts(cases[i].s),
			         (long long)cases[i].us);
	}
	assert_int_equal(ts("2026-01-05T18:00:00+08:00"), ts("2026-01-05T10:00:00Z"));
	assert_int_equal(ts("2026-01-05T18:00:00.5Z") - ts("2026-01-05T18:00:00Z"), 500000);
	assert_int_equal(ts("2026-01-05T18:00:00.000001Z") - ts("2026-01-05T18:00:00Z"), 1);
	assert_int_equal(ts("2026-01-05T18:00:00.05Z") - ts("2026-01-05T18:00:00Z"), 50000);
}

/* Only len bytes are read, whatever follows them. */
static void test_time_parse_len(void **state)
{
	const char *s = "2026-01-05T18:00:00Zxyz";
	const char *t = "2026-01-05T18:00:00+08:00";
	struct raas_err err;
	int64_t us = 0;

	(void)state;
	raas_err_clear(&err);
	assert_int_equal(raas_time_parse(s, 20, &us, &err), RAAS_OK);
	assert_int_equal(us, INT64_C(1767636000000000));
	assert_int_equal(raas_time_parse(t, 22, &us, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "not an RFC 3339 timestamp");
	assert_int_equal(err.column, 23);
	assert_int_equal(raas_time_parse("2026-01-05T18:00:00Z\0", 21, &us, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "unexpected text after the timestamp");
	assert_int_equal(err.column, 21);
	assert_int_equal(raas_time_parse(NULL, 0, &us, &err), RAAS_E_INPUT);
	assert_int_equal(err.column, 1);
}

static void test_time_parse_rejects(void **state)
{
	static const struct {
		const char *s;
		unsigned column;
		const char *message;
	} cases[] = {
	        {"", 1, "not an RFC 3339 timestamp: it is empty"},
	        {"yesterday", 1, "not an RFC 3339 timestamp"},
	        {" 2026-01-05T18:00:00Z", 1, "not an RFC 3339 timestamp"},
	        {"+2026-01-05T18:00:00Z", 1, "not an RFC 3339 timestamp"},
	        {"20260-01-05T18:00:00Z", 5, "not an RFC 3339 timestamp"},
	        {"2026-1-05T18:00:00Z", 7, "not an RFC 3339 timestamp"},
	        {"2026-01-5T18:00:00Z", 10, "not an RFC 3339 timestamp"},
	        {"2026-01-05", 11,
	         "not an RFC 3339 timestamp: the time (THH:MM:SS and a zone) is missing"},
	        {"2026-01-05t18:00:00Z", 11,
	         "lower-case 't' is not allowed: separate date and time with 'T'"},
	        {"2026-01-05 18:00:00Z", 11,
	         "a space is not allowed: separate date and time with 'T'"},
	        {"2026-01-05X18:00:00Z", 11, "not an RFC 3339 timestamp"},
	        {"2026-01-05T8:00:00Z", 13, "not an RFC 3339 timestamp"},
	        {"2026-01-05T18:00Z", 17, "not an RFC 3339 timestamp"},
	        {"2026-01-05T18.00.00Z", 14, "not an RFC 3339 timestamp"},
	        {"2026-13-01T00:00:00Z", 6, "month 13 does not exist (months are 01-12)"},
	        {"2026-00-01T00:00:00Z", 6, "month 00 does not exist (months are 01-12)"},
	        {"2026-01-00T00:00:00Z", 9, "day 00 does not exist in 2026-01"},
	        {"2026-01-32T00:00:00Z", 9, "day 32 does not exist in 2026-01"},
	        {"2026-02-30T00:00:00Z", 9, "day 30 does not exist in 2026-02"},
	        {"2026-02-29T00:00:00Z", 9, "day 29 does not exist in 2026-02"},
	        {"1900-02-29T00:00:00Z", 9, "day 29 does not exist in 1900-02"},
	        {"2100-02-29T00:00:00Z", 9, "day 29 does not exist in 2100-02"},
	        {"2026-04-31T00:00:00Z", 9, "day 31 does not exist in 2026-04"},
	        {"2026-01-05T24:00:00Z", 12, "hour 24 is out of range (00-23)"},
	        {"2026-01-05T18:60:00Z", 15, "minute 60 is out of range (00-59)"},
	        {"2026-01-05T23:59:60Z", 18,
	         "second 60 is out of range (00-59; leap seconds are not allowed)"},
	        {"2026-01-05T23:59:61Z", 18, "second 61 is out of range (00-59)"},
	        {"2026-01-05T18:00:00", 20,
	         "not an RFC 3339 timestamp: the time zone ('Z' or +HH:MM / -HH:MM) is missing"},
	        {"2026-01-05T18:00:00.5", 22,
	         "not an RFC 3339 timestamp: the time zone ('Z' or +HH:MM / -HH:MM) is missing"},
	        {"2026-01-05T18:00:00z", 20, "lower-case 'z' is not allowed: use 'Z'"},
	        {"2026-01-05T18:00:00 Z", 20, "a space is not allowed before the time zone"},
	        {"2026-01-05T18:00:00,5Z", 20,
	         "not an RFC 3339 timestamp: expected 'Z' or +HH:MM / -HH:MM after the seconds"},
	        {"2026-01-05T18:00:00UTC", 20,
	         "not an RFC 3339 timestamp: expected 'Z' or +HH:MM / -HH:MM after the seconds"},
	        {"2026-01-05T18:00:00-00:00", 20,
	         "-00:00 (unknown offset) is not allowed: use 'Z' or +00:00"},
	        {"2026-01-05T18:00:00.1234567Z", 27,
	         "more than 6 fractional digits (microseconds at most)"},
	        {"2026-01-05T18:00:00.Z", 21, "a '.' must be followed by 1 to 6 fractional digits"},
	        {"2026-01-05T18:00:00.", 21, "a '.' must be followed by 1 to 6 fractional digits"},
	        {"2026-01-05T18:00:00+24:00", 21, "offset hour 24 is out of range (00-23)"},
	        {"2026-01-05T18:00:00+08:60", 24, "offset minute 60 is out of range (00-59)"},
	        {"2026-01-05T18:00:00+0800", 23, "not an RFC 3339 timestamp"},
	        {"2026-01-05T18:00:00+08", 23, "not an RFC 3339 timestamp"},
	        {"2026-01-05T18:00:00+8:00", 22, "not an RFC 3339 timestamp"},
	        {"2026-01-05T18:00:00Z ", 21, "unexpected text after the timestamp"},
	        {"2026-01-05T18:00:00ZZ", 21, "unexpected text after the timestamp"},
	        {"2026-01-05T18:00:00+08:00:00", 26, "unexpected text after the timestamp"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct raas_err err;
		int64_t us = 42;

		raas_err_clear(&err);
		if (raas_time_parse(cases[i].s, strlen(cases[i].s), &us, &err) != RAAS_E_INPUT)
			fail_msg("%s was accepted", cases[i].s);
		if (strcmp(err.message, cases[i].message) != 0 || err.column != cases[i].column)
			fail_msg("%s: got column %u \"%s\", want column %u \"%s\"", cases[i].s,
			         err.column, err.message, cases[i].column, cases[i].message);
		assert_int_equal(err.code, RAAS_E_INPUT);
		assert_int_equal(err.line, 0);
		assert_string_equal(err.path, "");
		assert_int_equal(us, 42); /* untouched on failure */
	}
}

static void test_time_from_unix(void **state)
{
	struct raas_err err;
	int64_t us = 42;

	(void)state;
	raas_err_clear(&err);
	assert_int_equal(raas_time_from_unix(0, &us, &err), RAAS_OK);
	assert_int_equal(us, 0);
	assert_int_equal(raas_time_from_unix(1767607200, &us, &err), RAAS_OK);
	assert_int_equal(us, ts("2026-01-05T10:00:00Z"));
	assert_int_equal(raas_time_from_unix(-1, &us, &err), RAAS_OK);
	assert_int_equal(us, -1000000);
	assert_int_equal(raas_time_from_unix(INT64_C(-62167219200), &us, &err), RAAS_OK);
	assert_int_equal(us, ts("0000-01-01T00:00:00Z"));
	assert_int_equal(raas_time_from_unix(INT64_C(253402300799), &us, &err), RAAS_OK);
	assert_int_equal(us, ts("9999-12-31T23:59:59Z"));
	us = 42;
	assert_int_equal(raas_time_from_unix(INT64_C(-62167219201), &us, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "Unix time -62167219201 is outside the years 0000-9999");
	assert_int_equal(raas_time_from_unix(INT64_C(253402300800), &us, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "Unix time 253402300800 is outside the years 0000-9999");
	assert_int_equal(raas_time_from_unix(INT64_MAX, &us, &err), RAAS_E_INPUT);
	assert_int_equal(raas_time_from_unix(INT64_MIN, &us, &err), RAAS_E_INPUT);
	assert_int_equal(us, 42);
}

static void test_time_format(void **state)
{
	(void)state;
	assert_format(0, 0, "1970-01-01T00:00:00Z");
	assert_format(ts("2026-01-05T10:00:00Z"), 480, "2026-01-05T18:00:00+08:00");
	assert_format(ts("2026-01-05T10:00:00Z"), 0, "2026-01-05T10:00:00Z");
	assert_format(ts("2026-01-05T10:00:00Z"), -570, "2026-01-05T00:30:00-09:30");
	assert_format(ts("2026-01-05T10:00:00Z"), 345, "2026-01-05T15:45:00+05:45");
	assert_format(ts("2026-01-05T10:00:00Z"), -1, "2026-01-05T09:59:00-00:01");
	/* day, month and year boundaries */
	assert_format(ts("2026-12-31T20:00:00Z"), 480, "2027-01-01T04:00:00+08:00");
	assert_format(ts("2026-01-01T05:00:00Z"), -570, "2025-12-31T19:30:00-09:30");
	assert_format(ts("2024-02-29T18:15:00Z"), 345, "2024-03-01T00:00:00+05:45");
	assert_format(ts("2024-03-01T05:00:00Z"), -570, "2024-02-29T19:30:00-09:30");
	assert_format(ts("2026-01-31T16:00:00Z"), 480, "2026-02-01T00:00:00+08:00");
	/* microseconds: printed as six digits only when not zero */
	assert_format(1500000, 0, "1970-01-01T00:00:01.500000Z");
	assert_format(1, 0, "1970-01-01T00:00:00.000001Z");
	assert_format(ts("2026-01-05T18:00:00.000000+08:00"), 480, "2026-01-05T18:00:00+08:00");
	/* before 1970: floor, not truncation */
	assert_format(-1, 0, "1969-12-31T23:59:59.999999Z");
	assert_format(-1, 480, "1970-01-01T07:59:59.999999+08:00");
	assert_format(-1, -570, "1969-12-31T14:29:59.999999-09:30");
	assert_format(0, -570, "1969-12-31T14:30:00-09:30");
	assert_format(-500000, 0, "1969-12-31T23:59:59.500000Z");
	assert_format(ts("1960-06-15T08:30:00+08:00"), 480, "1960-06-15T08:30:00+08:00");
	assert_format(ts("1900-02-28T12:00:00-09:30"), 345, "1900-03-01T03:15:00+05:45");
	/* the ends of the supported range, and beyond it */
	assert_format(ts("0000-01-01T00:00:00Z"), 0, "0000-01-01T00:00:00Z");
	assert_format(ts("0000-01-01T00:00:00Z"), -1, "-0001-12-31T23:59:00-00:01");
	assert_format(ts("9999-12-31T23:59:59.999999Z"), 0, "9999-12-31T23:59:59.999999Z");
	assert_format(ts("9999-12-31T23:59:59.999999Z"), 1439,
	              "+10000-01-01T23:58:59.999999+23:59");
	assert_format(INT64_MAX, 0, "+294247-01-10T04:00:54.775807Z");
	assert_format(INT64_MAX, 1439, "+294247-01-11T03:59:54.775807+23:59");
	assert_format(INT64_MIN, 0, "-290308-12-21T19:59:05.224192Z");
	assert_format(INT64_MIN, -1439, "-290308-12-20T20:00:05.224192-23:59");
}

static void test_time_now(void **state)
{
	int64_t now = raas_time_now();

	(void)state;
	assert_true(now > ts("2024-01-01T00:00:00Z"));
	assert_true(now < ts("2200-01-01T00:00:00Z"));
}

/* ---- durations ---- */

static void test_duration_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t us;
	} ok[] = {
	        {"90d", INT64_C(7776000000000)},
	        {"36h", INT64_C(129600000000)},
	        {"30m", INT64_C(1800000000)},
	        {"45s", INT64_C(45000000)},
	        {"0d", 0},
	        {"0s", 0},
	        {"07d", INT64_C(604800000000)},
	        {"0000000000000000000000000001s", INT64_C(1000000)},
	        {"106751991d", INT64_C(9223372022400000000)},
	        {"9223372036854s", INT64_C(9223372036854000000)},
	};
	static const struct {
		const char *s;
		raas_rc rc;
		unsigned column;
		const char *message;
	} bad[] = {
	        {"", RAAS_E_INPUT, 1,
	         "not a duration: expected a non-negative integer and a unit "
	         "d, h, m or s (\"90d\", \"36h\", \"30m\", \"45s\")"},
	        {"d", RAAS_E_INPUT, 1, NULL},
	        {"-1d", RAAS_E_INPUT, 1, NULL},
	        {"+1d", RAAS_E_INPUT, 1, NULL},
	        {" 1d", RAAS_E_INPUT, 1, NULL},
	        {"1d ", RAAS_E_INPUT, 3, NULL},
	        {"90 d", RAAS_E_INPUT, 3, NULL},
	        {"1.5d", RAAS_E_INPUT, 2, NULL},
	        {"1D", RAAS_E_INPUT, 2, NULL},
	        {"1dd", RAAS_E_INPUT, 3, NULL},
	        {"1d1h", RAAS_E_INPUT, 3, NULL},
	        {"90", RAAS_E_INPUT, 3,
	         "not a duration: expected a non-negative integer and a unit d, h, m or s "
	         "(\"90d\", \"36h\", \"30m\", \"45s\"): the unit is missing"},
	        {"1w", RAAS_E_INPUT, 2,
	         "weeks, months and years are not durations: use d, h, m or s"},
	        {"1M", RAAS_E_INPUT, 2,
	         "weeks, months and years are not durations: use d, h, m or s"},
	        {"1y", RAAS_E_INPUT, 2,
	         "weeks, months and years are not durations: use d, h, m or s"},
	        {"106751992d", RAAS_E_OVERFLOW, 1,
	         "duration is too long (at most about 292,000 years)"},
	        {"9223372036855s", RAAS_E_OVERFLOW, 1, NULL},
	        {"9223372036854775807s", RAAS_E_OVERFLOW, 1, NULL},
	        {"99999999999999999999999999999999d", RAAS_E_OVERFLOW, 1, NULL},
	        {"99999999999999999999999999999999x", RAAS_E_INPUT, 33, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct raas_err err;
		int64_t us = -1;

		raas_err_clear(&err);
		if (raas_duration_parse(ok[i].s, strlen(ok[i].s), &us, &err) != RAAS_OK)
			fail_msg("%s: %s", ok[i].s, err.message);
		if (us != ok[i].us)
			fail_msg("%s -> %lld, want %lld", ok[i].s, (long long)us,
			         (long long)ok[i].us);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct raas_err err;
		int64_t us = 42;
		raas_rc rc;

		raas_err_clear(&err);
		rc = raas_duration_parse(bad[i].s, strlen(bad[i].s), &us, &err);
		if (rc != bad[i].rc || err.code != bad[i].rc || err.column != bad[i].column)
			fail_msg("%s: rc %d column %u \"%s\"", bad[i].s, rc, err.column,
			         err.message);
		if (bad[i].message)
			assert_string_equal(err.message, bad[i].message);
		else if (bad[i].rc == RAAS_E_OVERFLOW)
			assert_string_equal(err.message,
			                    "duration is too long (at most about 292,000 years)");
		else
			assert_true(strncmp(err.message, "not a duration: ", 16) == 0);
		assert_int_equal(err.line, 0);
		assert_int_equal(us, 42);
	}
}

/* ---- time zones ---- */

static void test_tz_parse(void **state)
{
	static const struct {
		const char *s;
		int offset;
	} ok[] = {
	        {"Z", 0},         {"+00:00", 0},     {"-00:00", 0},   {"+08:00", 480},
	        {"-09:30", -570}, {"+05:45", 345},   {"+14:00", 840}, {"-12:00", -720},
	        {"+23:59", 1439}, {"-23:59", -1439}, {"+00:01", 1},
	};
	static const struct {
		const char *s;
		unsigned column;
		const char *message;
	} bad[] = {
	        {"", 1,
	         "not a time zone: expected \"Z\" or a fixed offset \"+HH:MM\" / \"-HH:MM\""},
	        {"z", 1, "lower-case 'z' is not allowed: use \"Z\""},
	        {"UTC", 1, NULL},
	        {"08:00", 1, NULL},
	        {" +08:00", 1, NULL},
	        {"+8:00", 3, NULL},
	        {"+0800", 4, NULL},
	        {"+08", 4, NULL},
	        {"+08:0", 6, NULL},
	        {"+08:00 ", 7, NULL},
	        {"Z ", 2, NULL},
	        {"ZZ", 2, NULL},
	        {"+24:00", 2, "offset hour 24 is out of range (00-23)"},
	        {"-99:00", 2, "offset hour 99 is out of range (00-23)"},
	        {"+08:60", 5, "offset minute 60 is out of range (00-59)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct raas_err err;
		int off = 12345;

		raas_err_clear(&err);
		if (raas_tz_parse(ok[i].s, strlen(ok[i].s), &off, &err) != RAAS_OK)
			fail_msg("%s: %s", ok[i].s, err.message);
		if (off != ok[i].offset)
			fail_msg("%s -> %d, want %d", ok[i].s, off, ok[i].offset);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct raas_err err;
		int off = 12345;

		raas_err_clear(&err);
		if (raas_tz_parse(bad[i].s, strlen(bad[i].s), &off, &err) != RAAS_E_INPUT)
			fail_msg("%s was accepted", bad[i].s);
		if (err.column != bad[i].column)
			fail_msg("%s: column %u, want %u", bad[i].s, err.column, bad[i].column);
		assert_string_equal(err.message,
		                    bad[i].message ? bad[i].message
		                                   : "not a time zone: expected \"Z\" or a fixed "
		                                     "offset \"+HH:MM\" / \"-HH:MM\"");
		assert_int_equal(off, 12345);
	}
}

static void test_tz_format(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(raas_tz_format(0, buf), 1);
	assert_string_equal(buf, "Z");
	assert_int_equal(raas_tz_format(480, buf), 6);
	assert_string_equal(buf, "+08:00");
	assert_int_equal(raas_tz_format(-570, buf), 6);
	assert_string_equal(buf, "-09:30");
	assert_int_equal(raas_tz_format(345, buf), 6);
	assert_string_equal(buf, "+05:45");
	assert_int_equal(raas_tz_format(-1, buf), 6);
	assert_string_equal(buf, "-00:01");
	assert_int_equal(raas_tz_format(1439, buf), 6);
	assert_string_equal(buf, "+23:59");
	/* out-of-contract offsets are clamped to ±23:59, never overflow the buffer */
	assert_int_equal(raas_tz_format(INT_MAX, buf), 6);
	assert_string_equal(buf, "+23:59");
	assert_int_equal(raas_tz_format(INT_MIN, buf), 6);
	assert_string_equal(buf, "-23:59");
}

/* ---- dates ---- */

static void test_date_parse(void **state)
{
	static const struct {
		const char *s;
		int64_t days;
	} ok[] = {
	        {"1970-01-01", 0},       {"2026-01-01", 20454},   {"2024-02-29", 19782},
	        {"2000-02-29", 11016},   {"0000-01-01", -719528}, {"0000-02-29", -719469},
	        {"9999-12-31", 2932896}, {"1969-12-31", -1},
	};
	static const struct {
		const char *s;
		unsigned column;
		const char *message;
	} bad[] = {
	        {"", 1, "not a date: expected YYYY-MM-DD"},
	        {"26-01-01", 3, "not a date: expected YYYY-MM-DD"},
	        {"2026/01/01", 5, "not a date: expected YYYY-MM-DD"},
	        {"2026-1-01", 7, "not a date: expected YYYY-MM-DD"},
	        {"2026-01-1", 10, "not a date: expected YYYY-MM-DD"},
	        {"2026-01-01T00:00:00Z", 11, "not a date: expected YYYY-MM-DD (nothing after it)"},
	        {"2026-01-01 ", 11, "not a date: expected YYYY-MM-DD (nothing after it)"},
	        {"2026-02-30", 9, "day 30 does not exist in 2026-02"},
	        {"1900-02-29", 9, "day 29 does not exist in 1900-02"},
	        {"2026-04-31", 9, "day 31 does not exist in 2026-04"},
	        {"2026-01-00", 9, "day 00 does not exist in 2026-01"},
	        {"2026-13-01", 6, "month 13 does not exist (months are 01-12)"},
	        {"2026-00-10", 6, "month 00 does not exist (months are 01-12)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct raas_err err;
		int64_t days = 42;

		raas_err_clear(&err);
		if (raas_date_parse(ok[i].s, strlen(ok[i].s), &days, &err) != RAAS_OK)
			fail_msg("%s: %s", ok[i].s, err.message);
		if (days != ok[i].days)
			fail_msg("%s -> %lld", ok[i].s, (long long)days);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct raas_err err;
		int64_t days = 42;

		raas_err_clear(&err);
		if (raas_date_parse(bad[i].s, strlen(bad[i].s), &days, &err) != RAAS_E_INPUT)
			fail_msg("%s was accepted", bad[i].s);
		if (strcmp(err.message, bad[i].message) != 0 || err.column != bad[i].column)
			fail_msg("%s: column %u \"%s\"", bad[i].s, err.column, err.message);
		assert_int_equal(days, 42);
	}
}

static void test_date_parse_day_or_month(void **state)
{
	int64_t a, b;
	struct raas_err err;

	(void)state;
	assert_int_equal(raas_date_parse_day_or_month("2026-02", 7, &a, &err), RAAS_OK);
	assert_int_equal(raas_date_parse("2026-02-01", 10, &b, &err), RAAS_OK);
	assert_true(a == b);
	assert_int_equal(raas_date_parse_day_or_month("2026-02-28", 10, &a, &err), RAAS_OK);
	assert_true(a == b + 27);
	assert_int_equal(raas_date_parse_day_or_month("2026-13", 7, &a, &err), RAAS_E_INPUT);
	assert_int_equal(raas_date_parse_day_or_month("2026-2", 6, &a, &err), RAAS_E_INPUT);
	assert_int_equal(raas_date_parse_day_or_month("2026-02-30", 10, &a, &err), RAAS_E_INPUT);
}

static void test_date_midnight_and_of(void **state)
{
	(void)state;
	assert_int_equal(raas_date_midnight(20454, 0), ts("2026-01-01T00:00:00Z"));
	assert_int_equal(raas_date_midnight(20454, 480), ts("2026-01-01T00:00:00+08:00"));
	assert_int_equal(raas_date_midnight(20454, -570), ts("2026-01-01T00:00:00-09:30"));
	assert_int_equal(raas_date_midnight(-1, 0), -RAAS_US_PER_DAY);
	assert_int_equal(raas_date_of(0, 0), 0);
	assert_int_equal(raas_date_of(-1, 0), -1);
	assert_int_equal(raas_date_of(-RAAS_US_PER_DAY, 0), -1);
	assert_int_equal(raas_date_of(-RAAS_US_PER_DAY - 1, 0), -2);
	assert_int_equal(raas_date_of(0, -570), -1);
	assert_int_equal(raas_date_of(0, 480), 0);
	assert_int_equal(raas_date_of(-1, 480), 0);
	assert_int_equal(raas_date_of(ts("2025-12-31T16:00:00Z"), 480), 20454);
	assert_int_equal(raas_date_of(ts("2025-12-31T15:59:59.999999Z"), 480), 20453);
	assert_int_equal(raas_date_of(ts("2026-01-01T09:29:59.999999Z"), -570), 20453);
	assert_int_equal(raas_date_of(ts("2026-01-01T09:30:00Z"), -570), 20454);
	assert_int_equal(raas_date_of(ts("1960-06-15T00:00:00-09:30"), -570),
	                 raas_days_from_civil(1960, 6, 15));
	assert_int_equal(raas_date_of(ts("1960-06-14T23:59:59.999999-09:30"), -570),
	                 raas_days_from_civil(1960, 6, 14));
}

/* ---- periods ---- */

static void test_period_kind_parse(void **state)
{
	static const char *const names[] = {"week", "month", "quarter", "year"};
	static const char *const bad[] = {"", "Month", "weeks", "day", "month ", "quarterly"};
	struct raas_err err;
	enum raas_period_kind kind;

	(void)state;
	for (int i = 0; i < 4; i++) {
		kind = (enum raas_period_kind)99;
		assert_int_equal(raas_period_kind_parse(names[i], strlen(names[i]), &kind, &err),
		                 RAAS_OK);
		assert_int_equal(kind, (enum raas_period_kind)i);
	}
	assert_int_equal(RAAS_PERIOD_WEEK, 0);
	assert_int_equal(RAAS_PERIOD_YEAR, 3);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		raas_err_clear(&err);
		assert_int_equal(raas_period_kind_parse(bad[i], strlen(bad[i]), &kind, &err),
		                 RAAS_E_INPUT);
		assert_string_equal(err.message, "unknown period: expected \"week\", \"month\", "
		                                 "\"quarter\" or \"year\"");
	}
	/* only len bytes count */
	assert_int_equal(raas_period_kind_parse("monthly", 5, &kind, &err), RAAS_OK);
	assert_int_equal(kind, RAAS_PERIOD_MONTH);
}

static void assert_period(enum raas_period_kind kind, int off, const char *at, const char *floor,
                          const char *next)
{
	int64_t us = ts(at);

	assert_format(raas_period_floor(kind, off, us), off, floor);
	assert_format(raas_period_next(kind, off, us), off, next);
}

static void test_period_month(void **state)
{
	(void)state;
	assert_period(RAAS_PERIOD_MONTH, 480, "2026-01-31T23:59:59.999999+08:00",
	              "2026-01-01T00:00:00+08:00", "2026-02-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_MONTH, 480, "2026-02-01T00:00:00+08:00",
	              "2026-02-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00");
	/* the same instant is still January in Z */
	assert_period(RAAS_PERIOD_MONTH, 0, "2026-02-01T00:00:00+08:00", "2026-01-01T00:00:00Z",
	              "2026-02-01T00:00:00Z");
	assert_period(RAAS_PERIOD_MONTH, -570, "2026-03-01T05:00:00Z", "2026-02-01T00:00:00-09:30",
	              "2026-03-01T00:00:00-09:30");
	assert_period(RAAS_PERIOD_MONTH, -570, "2026-03-01T09:30:00Z", "2026-03-01T00:00:00-09:30",
	              "2026-04-01T00:00:00-09:30");
	assert_period(RAAS_PERIOD_MONTH, 480, "2024-02-29T12:00:00+08:00",
	              "2024-02-01T00:00:00+08:00", "2024-03-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_MONTH, 0, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z",
	              "2027-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_MONTH, 0, "1969-12-31T23:59:59.999999Z", "1969-12-01T00:00:00Z",
	              "1970-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_MONTH, 345, "2026-04-30T18:14:59Z", "2026-04-01T00:00:00+05:45",
	              "2026-05-01T00:00:00+05:45");
	assert_period(RAAS_PERIOD_MONTH, 345, "2026-04-30T18:15:00Z", "2026-05-01T00:00:00+05:45",
	              "2026-06-01T00:00:00+05:45");
}

static void test_period_week(void **state)
{
	(void)state;
	/* 2026-01-01 is a Thursday: its ISO week starts on Monday 2025-12-29 */
	assert_period(RAAS_PERIOD_WEEK, 0, "2026-01-01T12:00:00Z", "2025-12-29T00:00:00Z",
	              "2026-01-05T00:00:00Z");
	assert_period(RAAS_PERIOD_WEEK, 480, "2026-01-04T23:59:59.999999+08:00",
	              "2025-12-29T00:00:00+08:00", "2026-01-05T00:00:00+08:00");
	assert_period(RAAS_PERIOD_WEEK, 480, "2026-01-05T00:00:00+08:00",
	              "2026-01-05T00:00:00+08:00", "2026-01-12T00:00:00+08:00");
	/* Monday 00:00 at +08:00 is still Sunday in Z */
	assert_period(RAAS_PERIOD_WEEK, 0, "2026-01-05T00:00:00+08:00", "2025-12-29T00:00:00Z",
	              "2026-01-05T00:00:00Z");
	assert_period(RAAS_PERIOD_WEEK, -570, "2026-01-05T05:00:00Z", "2025-12-29T00:00:00-09:30",
	              "2026-01-05T00:00:00-09:30");
	assert_period(RAAS_PERIOD_WEEK, -570, "2026-01-05T09:30:00Z", "2026-01-05T00:00:00-09:30",
	              "2026-01-12T00:00:00-09:30");
	/* a week with a leap day, and one before 1970 (1970-01-01 was a Thursday) */
	assert_period(RAAS_PERIOD_WEEK, 0, "2024-02-29T00:00:00Z", "2024-02-26T00:00:00Z",
	              "2024-03-04T00:00:00Z");
	assert_period(RAAS_PERIOD_WEEK, 0, "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z",
	              "1970-01-05T00:00:00Z");
	assert_period(RAAS_PERIOD_WEEK, 480, "1969-12-28T23:59:59+08:00",
	              "1969-12-22T00:00:00+08:00", "1969-12-29T00:00:00+08:00");
	/* a Sunday and a Monday */
	assert_period(RAAS_PERIOD_WEEK, 0, "2026-03-01T10:00:00Z", "2026-02-23T00:00:00Z",
	              "2026-03-02T00:00:00Z");
	assert_period(RAAS_PERIOD_WEEK, 0, "2026-03-02T10:00:00Z", "2026-03-02T00:00:00Z",
	              "2026-03-09T00:00:00Z");
}

static void test_period_quarter(void **state)
{
	(void)state;
	assert_period(RAAS_PERIOD_QUARTER, 480, "2026-03-31T23:00:00+08:00",
	              "2026-01-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_QUARTER, 480, "2026-04-01T00:00:00+08:00",
	              "2026-04-01T00:00:00+08:00", "2026-07-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_QUARTER, 480, "2026-09-30T12:00:00+08:00",
	              "2026-07-01T00:00:00+08:00", "2026-10-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_QUARTER, 0, "2026-12-15T00:00:00Z", "2026-10-01T00:00:00Z",
	              "2027-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_QUARTER, -570, "2026-10-01T05:00:00Z",
	              "2026-07-01T00:00:00-09:30", "2026-10-01T00:00:00-09:30");
	assert_period(RAAS_PERIOD_QUARTER, 0, "2024-02-29T00:00:00Z", "2024-01-01T00:00:00Z",
	              "2024-04-01T00:00:00Z");
}

static void test_period_year(void **state)
{
	(void)state;
	assert_period(RAAS_PERIOD_YEAR, -570, "2026-12-31T23:59:59.999999-09:30",
	              "2026-01-01T00:00:00-09:30", "2027-01-01T00:00:00-09:30");
	assert_period(RAAS_PERIOD_YEAR, 480, "2026-12-31T16:00:00Z", "2027-01-01T00:00:00+08:00",
	              "2028-01-01T00:00:00+08:00");
	assert_period(RAAS_PERIOD_YEAR, 0, "2026-12-31T16:00:00Z", "2026-01-01T00:00:00Z",
	              "2027-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_YEAR, 0, "1969-07-20T20:17:00Z", "1969-01-01T00:00:00Z",
	              "1970-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_YEAR, 0, "9999-06-01T00:00:00Z", "9999-01-01T00:00:00Z",
	              "+10000-01-01T00:00:00Z");
	assert_period(RAAS_PERIOD_YEAR, 0, "0000-06-01T00:00:00Z", "0000-01-01T00:00:00Z",
	              "0001-01-01T00:00:00Z");
}

static void test_days_between(void **state)
{
	(void)state;
	assert_int_equal(raas_days_between(ts("2026-01-01T00:00:00+08:00"),
	                                   ts("2026-02-01T00:00:00+08:00"), 480),
	                 31);
	assert_int_equal(raas_days_between(ts("2024-02-01T00:00:00-09:30"),
	                                   ts("2024-03-01T00:00:00-09:30"), -570),
	                 29);
	assert_int_equal(
	        raas_days_between(ts("2026-02-01T00:00:00Z"), ts("2026-03-01T00:00:00Z"), 0), 28);
	assert_int_equal(raas_days_between(ts("2026-01-15T00:00:00+08:00"),
	                                   ts("2026-02-01T00:00:00+08:00"), 480),
	                 17);
	assert_int_equal(
	        raas_days_between(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"), 0), 365);
	assert_int_equal(
	        raas_days_between(ts("2024-01-01T00:00:00Z"), ts("2025-01-01T00:00:00Z"), 0), 366);
	assert_int_equal(
	        raas_days_between(ts("2026-01-05T00:00:00Z"), ts("2026-01-05T23:59:59.999999Z"), 0),
	        0);
	assert_int_equal(
	        raas_days_between(ts("2026-01-05T23:59:59.999999Z"), ts("2026-01-06T00:00:00Z"), 0),
	        1);
	assert_int_equal(
	        raas_days_between(ts("2026-02-01T00:00:00Z"), ts("2026-01-01T00:00:00Z"), 0), -31);
	/* the zone decides the days */
	assert_int_equal(
	        raas_days_between(ts("2026-01-01T15:00:00Z"), ts("2026-01-01T17:00:00Z"), 0), 0);
	assert_int_equal(
	        raas_days_between(ts("2026-01-01T15:00:00Z"), ts("2026-01-01T17:00:00Z"), 480), 1);
	assert_int_equal(
	        raas_days_between(ts("2026-01-01T09:00:00Z"), ts("2026-01-01T10:00:00Z"), -570), 1);
	assert_int_equal(
	        raas_days_between(ts("1969-12-31T12:00:00Z"), ts("1970-01-01T12:00:00Z"), -570), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_civil_every_day),
	        cmocka_unit_test(test_date_parse_day_or_month),
	        cmocka_unit_test(test_civil_known_days),
	        cmocka_unit_test(test_days_in_month),
	        cmocka_unit_test(test_time_parse_valid),
	        cmocka_unit_test(test_time_parse_len),
	        cmocka_unit_test(test_time_parse_rejects),
	        cmocka_unit_test(test_time_from_unix),
	        cmocka_unit_test(test_time_format),
	        cmocka_unit_test(test_time_now),
	        cmocka_unit_test(test_duration_parse),
	        cmocka_unit_test(test_tz_parse),
	        cmocka_unit_test(test_tz_format),
	        cmocka_unit_test(test_date_parse),
	        cmocka_unit_test(test_date_midnight_and_of),
	        cmocka_unit_test(test_period_kind_parse),
	        cmocka_unit_test(test_period_month),
	        cmocka_unit_test(test_period_week),
	        cmocka_unit_test(test_period_quarter),
	        cmocka_unit_test(test_period_year),
	        cmocka_unit_test(test_days_between),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
