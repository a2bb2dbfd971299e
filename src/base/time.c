/* time.c — instants, civil dates, durations, fixed offsets and settlement periods.
 *
 * Everything time-related that raas reads or writes goes through here: event `time` fields
 * (events.md), contract `timezone`/`start`/`end`/durations (contracts.md) and the period grid,
 * proration day counts and invoice timestamps (settlement.md). Civil dates use our own
 * proleptic-Gregorian arithmetic (days-from-civil / civil-from-days after Howard Hinnant), so
 * nothing depends on the C library's time zone database or its broken-down-time functions.
 */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include "raas/time.h"

#include <string.h>
#include <time.h>

#define US_PER_MIN (INT64_C(60) * RAAS_US_PER_SEC)
#define OFFSET_MAX_MIN (23 * 60 + 59)

/* Floor division and the matching non-negative remainder (b > 0). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	return r < 0 ? r + b : r;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Shifts the 400-year-era arithmetic so that March is month 0: the leap day is then the last
 * day of the (shifted) year and the day-of-year formula needs no table. */
int64_t raas_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                                     /* [0, 399] */
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                             /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* Inverse of raas_days_from_civil; exact for every day number an int64_t instant can reach. */
void raas_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp, yy;
	unsigned mm;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;                                      /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
	mp = (5 * doy + 2) / 153;                      /* [0, 11] */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*m = mm;
	*y = yy + (mm <= 2);
}

/* 0 for a month outside 1-12 (callers validate before asking). */
unsigned raas_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

/* ---- small scanners shared by the parsers ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads n digits at s[*pos] into *val. Returns 0 and leaves *pos at the first byte that is
 * not a digit (or the end) when fewer than n digits are there. */
static int scan_digits(const char *s, size_t len, size_t *pos, unsigned n, unsigned *val)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (*pos >= len || !is_digit(s[*pos]))
			return 0;
		v = v * 10 + (unsigned)(s[*pos] - '0');
		(*pos)++;
	}
	*val = v;
	return 1;
}

static raas_rc fail_at(struct raas_err *err, raas_rc code, size_t pos, const char *msg)
{
	raas_err_set(err, code, "", "%s", msg);
	raas_err_at(err, 0, (uint32_t)(pos + 1));
	return code;
}

/* Parses the YYYY-MM-DD at s[*pos]; on success *pos is just after it. what names the thing
 * being parsed in structural messages ("not an RFC 3339 timestamp", "not a date ..."). */
static raas_rc scan_date(const char *s, size_t len, size_t *pos, const char *what, int64_t *days,
                         struct raas_err *err)
{
	size_t start = *pos;
	unsigned y, m, d;

	if (!scan_digits(s, len, pos, 4, &y))
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	if (*pos >= len || s[*pos] != '-')
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	(*pos)++;
	if (!scan_digits(s, len, pos, 2, &m))
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	if (m < 1 || m > 12) {
		raas_err_set(err, RAAS_E_INPUT, "", "month %02u does not exist (months are 01-12)",
		             m);
		raas_err_at(err, 0, (uint32_t)(start + 6));
		return RAAS_E_INPUT;
	}
	if (*pos >= len || s[*pos] != '-')
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	(*pos)++;
	if (!scan_digits(s, len, pos, 2, &d))
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	if (d < 1 || d > raas_days_in_month(y, m)) {
		raas_err_set(err, RAAS_E_INPUT, "", "day %02u does not exist in %04u-%02u", d, y,
		             m);
		raas_err_at(err, 0, (uint32_t)(start + 9));
		return RAAS_E_INPUT;
	}
	*days = raas_days_from_civil(y, m, d);
	return RAAS_OK;
}

/* Parses "+HH:MM" / "-HH:MM" at s[*pos] (the sign is there). Sets *neg_zero when it was
 * "-00:00" so that callers can decide on it. */
static raas_rc scan_offset(const char *s, size_t len, size_t *pos, const char *what,
                           int *offset_min, int *neg_zero, struct raas_err *err)
{
	int neg = s[*pos] == '-';
	size_t hpos, mpos;
	unsigned hh, mm;

	(*pos)++;
	hpos = *pos;
	if (!scan_digits(s, len, pos, 2, &hh))
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	if (hh > 23) {
		raas_err_set(err, RAAS_E_INPUT, "", "offset hour %02u is out of range (00-23)", hh);
		raas_err_at(err, 0, (uint32_t)(hpos + 1));
		return RAAS_E_INPUT;
	}
	if (*pos >= len || s[*pos] != ':')
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	(*pos)++;
	mpos = *pos;
	if (!scan_digits(s, len, pos, 2, &mm))
		return fail_at(err, RAAS_E_INPUT, *pos, what);
	if (mm > 59) {
		raas_err_set(err, RAAS_E_INPUT, "", "offset minute %02u is out of range (00-59)",
		             mm);
		raas_err_at(err, 0, (uint32_t)(mpos + 1));
		return RAAS_E_INPUT;
	}
	*neg_zero = neg && hh == 0 && mm == 0;
	*offset_min = (neg ? -1 : 1) * (int)(hh * 60 + mm);
	return RAAS_OK;
}

/* ---- timestamps ---- */

#define NOT_RFC3339 "not an RFC 3339 timestamp"

/* Grammar (events.md): YYYY-MM-DD 'T' HH:MM:SS [ '.' 1*6DIGIT ] ( 'Z' / ('+'/'-') HH:MM ).
 * Errors carry the 1-based byte column where the input stops making sense. */
raas_rc raas_time_parse(const char *s, size_t len, int64_t *us, struct raas_err *err)
{
	size_t pos = 0, tpos;
	int64_t days, frac = 0;
	unsigned hh, mi, ss;
	int offset = 0, neg_zero = 0;
	raas_rc rc;

	if (len == 0)
		return fail_at(err, RAAS_E_INPUT, 0, NOT_RFC3339 ": it is empty");
	rc = scan_date(s, len, &pos, NOT_RFC3339, &days, err);
	if (rc)
		return rc;
	if (pos >= len)
		return fail_at(err, RAAS_E_INPUT, pos,
		               NOT_RFC3339 ": the time (THH:MM:SS and a zone) is missing");
	if (s[pos] == 't')
		return fail_at(err, RAAS_E_INPUT, pos,
		               "lower-case 't' is not allowed: separate date and time with 'T'");
	if (s[pos] == ' ')
		return fail_at(err, RAAS_E_INPUT, pos,
		               "a space is not allowed: separate date and time with 'T'");
	if (s[pos] != 'T')
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	pos++;
	tpos = pos;
	if (!scan_digits(s, len, &pos, 2, &hh))
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	if (hh > 23) {
		raas_err_set(err, RAAS_E_INPUT, "", "hour %02u is out of range (00-23)", hh);
		raas_err_at(err, 0, (uint32_t)(tpos + 1));
		return RAAS_E_INPUT;
	}
	if (pos >= len || s[pos] != ':')
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	pos++;
	if (!scan_digits(s, len, &pos, 2, &mi))
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	if (mi > 59) {
		raas_err_set(err, RAAS_E_INPUT, "", "minute %02u is out of range (00-59)", mi);
		raas_err_at(err, 0, (uint32_t)(tpos + 4));
		return RAAS_E_INPUT;
	}
	if (pos >= len || s[pos] != ':')
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	pos++;
	if (!scan_digits(s, len, &pos, 2, &ss))
		return fail_at(err, RAAS_E_INPUT, pos, NOT_RFC3339);
	if (ss > 59) {
		raas_err_set(err, RAAS_E_INPUT, "", "second %02u is out of range (00-59%s)", ss,
		             ss == 60 ? "; leap seconds are not allowed" : "");
		raas_err_at(err, 0, (uint32_t)(tpos + 7));
		return RAAS_E_INPUT;
	}
	if (pos < len && s[pos] == '.') {
		unsigned n = 0;

		pos++;
		while (pos < len && is_digit(s[pos])) {
			if (n == 6)
				return fail_at(
				        err, RAAS_E_INPUT, pos,
				        "more than 6 fractional digits (microseconds at most)");
			frac = frac * 10 + (s[pos] - '0');
			n++;
			pos++;
		}
		if (n == 0)
			return fail_at(err, RAAS_E_INPUT, pos,
			               "a '.' must be followed by 1 to 6 fractional digits");
		for (; n < 6; n++)
			frac *= 10;
	}
	if (pos >= len)
		return fail_at(err, RAAS_E_INPUT, pos,
		               NOT_RFC3339 ": the time zone ('Z' or +HH:MM / -HH:MM) is missing");
	if (s[pos] == 'Z') {
		pos++;
	} else if (s[pos] == '+' || s[pos] == '-') {
		size_t spos = pos;

		rc = scan_offset(s, len, &pos, NOT_RFC3339, &offset, &neg_zero, err);
		if (rc)
			return rc;
		if (neg_zero)
			return fail_at(err, RAAS_E_INPUT, spos,
			               "-00:00 (unknown offset) is not allowed: use 'Z' or +00:00");
	} else if (s[pos] == 'z') {
		return fail_at(err, RAAS_E_INPUT, pos, "lower-case 'z' is not allowed: use 'Z'");
	} else if (s[pos] == ' ') {
		return fail_at(err, RAAS_E_INPUT, pos,
		               "a space is not allowed before the time zone");
	} else {
		return fail_at(err, RAAS_E_INPUT, pos,
		               NOT_RFC3339 ": expected 'Z' or +HH:MM / -HH:MM after the seconds");
	}
	if (pos < len)
		return fail_at(err, RAAS_E_INPUT, pos, "unexpected text after the timestamp");
	/* Local years are 0000-9999, so every term below stays far inside int64. */
	*us = days * RAAS_US_PER_DAY + (int64_t)(hh * 3600 + mi * 60 + ss) * RAAS_US_PER_SEC +
	      frac - (int64_t)offset * US_PER_MIN;
	return RAAS_OK;
}

/* The range check comes before the multiplication, so no seconds value can overflow it. */
raas_rc raas_time_from_unix(int64_t seconds, int64_t *us, struct raas_err *err)
{
	/* 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in Unix seconds. */
	const int64_t lo = INT64_C(-719528) * 86400;
	const int64_t hi = INT64_C(2932897) * 86400;

	if (seconds < lo || seconds >= hi)
		return raas_err_set(err, RAAS_E_INPUT, "",
		                    "Unix time %lld is outside the years 0000-9999",
		                    (long long)seconds);
	*us = seconds * RAAS_US_PER_SEC;
	return RAAS_OK;
}

/* Every parser keeps offsets within ±23:59; a caller passing more gets ±23:59, never a
 * buffer overrun in the formatters or an overflow in the arithmetic. */
static int clamp_offset(int offset_min)
{
	if (offset_min > OFFSET_MAX_MIN)
		return OFFSET_MAX_MIN;
	if (offset_min < -OFFSET_MAX_MIN)
		return -OFFSET_MAX_MIN;
	return offset_min;
}

/* Splits instant us, seen at offset_min, into a local day number and the microseconds since
 * local midnight (in [0, RAAS_US_PER_DAY)). Overflow-free for every int64_t instant. */
static void split_local(int64_t us, int offset_min, int64_t *days, int64_t *us_of_day)
{
	int64_t d = floor_div(us, RAAS_US_PER_DAY);
	int64_t r = floor_mod(us, RAAS_US_PER_DAY) + (int64_t)clamp_offset(offset_min) * US_PER_MIN;

	if (r < 0) {
		r += RAAS_US_PER_DAY;
		d--;
	} else if (r >= RAAS_US_PER_DAY) {
		r -= RAAS_US_PER_DAY;
		d++;
	}
	*days = d;
	*us_of_day = r;
}

/* Writes v as exactly n digits (v < 10^n). */
static size_t put_digits(char *p, uint64_t v, unsigned n)
{
	for (unsigned i = n; i > 0; i--) {
		p[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return n;
}

/* Years outside 0000-9999 (only reachable from instants outside the supported range) are
 * written with a sign and as many digits as they need, so the output is never ambiguous. */
static size_t put_year(char *p, int64_t y)
{
	size_t n = 0;
	uint64_t a, t;
	unsigned digits = 4;

	if (y >= 0 && y <= 9999)
		return put_digits(p, (uint64_t)y, 4);
	p[n++] = y < 0 ? '-' : '+';
	a = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
	for (t = a / 10000; t > 0; t /= 10)
		digits++;
	return n + put_digits(p + n, a, digits);
}

size_t raas_tz_format(int offset_min, char *buf)
{
	int off = clamp_offset(offset_min);
	unsigned a;

	if (off == 0) {
		buf[0] = 'Z';
		buf[1] = '\0';
		return 1;
	}
	a = (unsigned)(off < 0 ? -off : off);
	buf[0] = off < 0 ? '-' : '+';
	put_digits(buf + 1, a / 60, 2);
	buf[3] = ':';
	put_digits(buf + 4, a % 60, 2);
	buf[6] = '\0';
	return 6;
}

/* Defined for every int64_t instant: years outside 0000-9999 get a sign (see put_year). */
size_t raas_time_format(int64_t us, int offset_min, char *buf)
{
	int64_t days, rem, y;
	unsigned m, d, sec_of_day, micro;
	size_t n;

	split_local(us, offset_min, &days, &rem);
	raas_civil_from_days(days, &y, &m, &d);
	sec_of_day = (unsigned)(rem / RAAS_US_PER_SEC);
	micro = (unsigned)(rem % RAAS_US_PER_SEC);
	n = put_year(buf, y);
	buf[n++] = '-';
	n += put_digits(buf + n, m, 2);
	buf[n++] = '-';
	n += put_digits(buf + n, d, 2);
	buf[n++] = 'T';
	n += put_digits(buf + n, sec_of_day / 3600, 2);
	buf[n++] = ':';
	n += put_digits(buf + n, sec_of_day / 60 % 60, 2);
	buf[n++] = ':';
	n += put_digits(buf + n, sec_of_day % 60, 2);
	if (micro) {
		buf[n++] = '.';
		n += put_digits(buf + n, micro, 6);
	}
	n += raas_tz_format(offset_min, buf + n);
	return n;
}

int64_t raas_time_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * RAAS_US_PER_SEC + (int64_t)ts.tv_nsec / 1000;
}

/* ---- durations, zones, dates ---- */

#define NOT_DURATION                                                                         \
	"not a duration: expected a non-negative integer and a unit d, h, m or s (\"90d\", " \
	"\"36h\", \"30m\", \"45s\")"

/* ^[0-9]+[dhms]$ and nothing else; leading zeros are fine. Errors carry the column of the
 * offending byte; an overflow (the number times its unit beyond int64 microseconds) column 1. */
raas_rc raas_duration_parse(const char *s, size_t len, int64_t *us, struct raas_err *err)
{
	size_t pos = 0;
	int64_t v = 0, unit;
	int big = 0;

	while (pos < len && is_digit(s[pos])) {
		int digit = s[pos] - '0';

		if (v > (INT64_MAX - digit) / 10)
			big = 1;
		else
			v = v * 10 + digit;
		pos++;
	}
	if (pos == 0)
		return fail_at(err, RAAS_E_INPUT, 0, NOT_DURATION);
	if (pos >= len)
		return fail_at(err, RAAS_E_INPUT, pos, NOT_DURATION ": the unit is missing");
	switch (s[pos]) {
	case 'd':
		unit = RAAS_US_PER_DAY;
		break;
	case 'h':
		unit = 3600 * RAAS_US_PER_SEC;
		break;
	case 'm':
		unit = 60 * RAAS_US_PER_SEC;
		break;
	case 's':
		unit = RAAS_US_PER_SEC;
		break;
	case 'w':
	case 'M':
	case 'y':
		return fail_at(err, RAAS_E_INPUT, pos,
		               "weeks, months and years are not durations: use d, h, m or s");
	default:
		return fail_at(err, RAAS_E_INPUT, pos, NOT_DURATION);
	}
	pos++;
	if (pos < len)
		return fail_at(err, RAAS_E_INPUT, pos, NOT_DURATION);
	if (big || v > INT64_MAX / unit)
		return fail_at(err, RAAS_E_OVERFLOW, 0,
		               "duration is too long (at most about 292,000 years)");
	*us = v * unit;
	return RAAS_OK;
}

#define NOT_TZ "not a time zone: expected \"Z\" or a fixed offset \"+HH:MM\" / \"-HH:MM\""

/* Unlike timestamps, a zone "-00:00" is accepted here and means UTC (contracts.md only asks
 * for +HH:MM / -HH:MM). *offset_min is written only on success. */
raas_rc raas_tz_parse(const char *s, size_t len, int *offset_min, struct raas_err *err)
{
	size_t pos = 0;
	int off, neg_zero;
	raas_rc rc;

	if (len == 0)
		return fail_at(err, RAAS_E_INPUT, 0, NOT_TZ);
	if (s[0] == 'Z') {
		pos = 1;
		off = 0;
	} else if (s[0] == '+' || s[0] == '-') {
		rc = scan_offset(s, len, &pos, NOT_TZ, &off, &neg_zero, err);
		if (rc)
			return rc;
	} else if (s[0] == 'z') {
		return fail_at(err, RAAS_E_INPUT, 0, "lower-case 'z' is not allowed: use \"Z\"");
	} else {
		return fail_at(err, RAAS_E_INPUT, 0, NOT_TZ);
	}
	if (pos < len)
		return fail_at(err, RAAS_E_INPUT, pos, NOT_TZ);
	*offset_min = off;
	return RAAS_OK;
}

#define NOT_DATE "not a date: expected YYYY-MM-DD"

/* Exactly YYYY-MM-DD naming a real date; *days is written only on success. */
raas_rc raas_date_parse(const char *s, size_t len, int64_t *days, struct raas_err *err)
{
	size_t pos = 0;
	int64_t d;
	raas_rc rc;

	rc = scan_date(s, len, &pos, NOT_DATE, &d, err);
	if (rc)
		return rc;
	if (pos < len)
		return fail_at(err, RAAS_E_INPUT, pos, NOT_DATE " (nothing after it)");
	*days = d;
	return RAAS_OK;
}

/* days must come from a date in (or near) the supported years, as every caller's does. */
int64_t raas_date_midnight(int64_t days, int offset_min)
{
	return days * RAAS_US_PER_DAY - (int64_t)clamp_offset(offset_min) * US_PER_MIN;
}

/* Floors for instants before 1970 and negative offsets alike; defined for every int64_t. */
int64_t raas_date_of(int64_t us, int offset_min)
{
	int64_t days, rem;

	split_local(us, offset_min, &days, &rem);
	return days;
}

/* ---- periods ---- */

raas_rc raas_period_kind_parse(const char *s, size_t len, enum raas_period_kind *kind,
                               struct raas_err *err)
{
	static const struct {
		const char *name;
		enum raas_period_kind kind;
	} kinds[] = {
	        {"week", RAAS_PERIOD_WEEK},
	        {"month", RAAS_PERIOD_MONTH},
	        {"quarter", RAAS_PERIOD_QUARTER},
	        {"year", RAAS_PERIOD_YEAR},
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strlen(kinds[i].name) == len && memcmp(kinds[i].name, s, len) == 0) {
			*kind = kinds[i].kind;
			return RAAS_OK;
		}
	}
	return raas_err_set(
	        err, RAAS_E_INPUT, "",
	        "unknown period: expected \"week\", \"month\", \"quarter\" or \"year\"");
}

/* Day number (local) of the first day of the grid period containing local day `day`. */
static int64_t period_first_day(enum raas_period_kind kind, int64_t day)
{
	int64_t y;
	unsigned m, d;

	if (kind == RAAS_PERIOD_WEEK)
		return day - floor_mod(day + 3, 7); /* 1970-01-01 was a Thursday (Monday = 0) */
	raas_civil_from_days(day, &y, &m, &d);
	switch (kind) {
	case RAAS_PERIOD_MONTH:
		return raas_days_from_civil(y, m, 1);
	case RAAS_PERIOD_QUARTER:
		return raas_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
	case RAAS_PERIOD_WEEK:
	case RAAS_PERIOD_YEAR:
		break;
	}
	return raas_days_from_civil(y, 1, 1);
}

/* Day number of the first day of the grid period after the one starting on `first`. */
static int64_t period_after(enum raas_period_kind kind, int64_t first)
{
	int64_t y;
	unsigned m, d, step;

	switch (kind) {
	case RAAS_PERIOD_WEEK:
		return first + 7;
	case RAAS_PERIOD_MONTH:
		step = 1;
		break;
	case RAAS_PERIOD_QUARTER:
		step = 3;
		break;
	case RAAS_PERIOD_YEAR:
	default:
		step = 12;
		break;
	}
	raas_civil_from_days(first, &y, &m, &d);
	m += step;
	while (m > 12) {
		m -= 12;
		y++;
	}
	return raas_days_from_civil(y, m, 1);
}

/* The period functions expect instants within the supported years (0000-9999 local). */
int64_t raas_period_floor(enum raas_period_kind kind, int offset_min, int64_t us)
{
	return raas_date_midnight(period_first_day(kind, raas_date_of(us, offset_min)), offset_min);
}

int64_t raas_period_next(enum raas_period_kind kind, int offset_min, int64_t us)
{
	int64_t first = period_first_day(kind, raas_date_of(us, offset_min));

	return raas_date_midnight(period_after(kind, first), offset_min);
}

int64_t raas_days_between(int64_t from, int64_t to, int offset_min)
{
	return raas_date_of(to, offset_min) - raas_date_of(from, offset_min);
}

raas_rc raas_date_parse_day_or_month(const char *s, size_t len, int64_t *days, struct raas_err *err)
{
	char buf[16];

	if (len == 7) {
		memcpy(buf, s, 7);
		memcpy(buf + 7, "-01", 3);
		s = buf;
		len = 10;
	}
	return raas_date_parse(s, len, days, err);
}
