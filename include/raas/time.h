/* time.h — instants, civil dates, durations, fixed offsets and settlement periods.
 *
 * An instant is UTC microseconds since 1970-01-01T00:00:00Z in an int64_t. Time zones are
 * fixed offsets in minutes east of UTC and only matter at the edges (parsing, printing,
 * period boundaries). The civil-date arithmetic is our own (days-from-civil, proleptic
 * Gregorian calendar); gmtime/localtime/mktime are never used. Supported years: 0000–9999.
 */
#ifndef RAAS_TIME_H
#define RAAS_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "raas/error.h"

#define RAAS_US_PER_SEC INT64_C(1000000)
#define RAAS_US_PER_DAY (INT64_C(86400) * RAAS_US_PER_SEC)
#define RAAS_TIME_FORMAT_MAX 40 /* buffer size for any formatted instant + NUL */

/* Days since 1970-01-01 of the civil date y-m-d (m 1–12, d 1–31; not validated). */
int64_t raas_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Civil date of the day number z (days since 1970-01-01). */
void raas_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Days in month m (1–12) of year y. */
unsigned raas_days_in_month(int64_t y, unsigned m);

/* Parses an RFC 3339 timestamp as events.md allows it: YYYY-MM-DDTHH:MM:SS, optional
 * fraction of 1–6 digits, then `Z` or ±HH:MM (upper-case T and Z; `-00:00` rejected;
 * seconds 00–59). RAAS_E_INPUT with a message saying what is wrong. */
RAAS_WUR raas_rc raas_time_parse(const char *s, size_t len, int64_t *us, struct raas_err *err);

/* Converts Unix seconds to an instant; RAAS_E_INPUT outside years 0000–9999. */
RAAS_WUR raas_rc raas_time_from_unix(int64_t seconds, int64_t *us, struct raas_err *err);

/* Writes the instant as seen at offset_min (minutes east of UTC) in the invoice form of
 * settlement.md: YYYY-MM-DDTHH:MM:SS, `.ffffff` only when the microseconds are not zero,
 * then `Z` for a zero offset or ±HH:MM. Returns the length; buf holds RAAS_TIME_FORMAT_MAX. */
size_t raas_time_format(int64_t us, int offset_min, char *buf);

/* The current real clock (CLOCK_REALTIME) as an instant. */
int64_t raas_time_now(void);

/* Parses a duration: a non-negative integer and a unit, "90d" "36h" "30m" "45s" (no
 * sign, no spaces, no other units). RAAS_E_INPUT when malformed, RAAS_E_OVERFLOW
 * beyond ±292,000 years. */
RAAS_WUR raas_rc raas_duration_parse(const char *s, size_t len, int64_t *us, struct raas_err *err);

/* Parses a time zone: "Z" or a fixed offset "+HH:MM" / "-HH:MM" (HH 00–23, MM 00–59). */
RAAS_WUR raas_rc raas_tz_parse(const char *s, size_t len, int *offset_min, struct raas_err *err);
/* Writes "Z" or "±HH:MM"; buf holds 8 bytes. Returns the length. */
size_t raas_tz_format(int offset_min, char *buf);

/* Parses a civil date "YYYY-MM-DD" (a real date) into its day number. */
RAAS_WUR raas_rc raas_date_parse(const char *s, size_t len, int64_t *days, struct raas_err *err);
/* Like raas_date_parse, also accepting YYYY-MM for the month's first day (the DATE of
 * cli.md's invoice and results commands). */
RAAS_WUR raas_rc raas_date_parse_day_or_month(const char *s, size_t len, int64_t *days,
                                              struct raas_err *err);
/* Midnight of day number days in the zone offset_min, as an instant. */
int64_t raas_date_midnight(int64_t days, int offset_min);
/* The civil day number that contains instant us in the zone offset_min. */
int64_t raas_date_of(int64_t us, int offset_min);

enum raas_period_kind {
	RAAS_PERIOD_WEEK, /* ISO weeks, Monday 00:00 */
	RAAS_PERIOD_MONTH,
	RAAS_PERIOD_QUARTER, /* January, April, July, October */
	RAAS_PERIOD_YEAR,
};

/* Parses "week" | "month" | "quarter" | "year". */
RAAS_WUR raas_rc raas_period_kind_parse(const char *s, size_t len, enum raas_period_kind *kind,
                                        struct raas_err *err);
/* Start of the grid period (in the zone offset_min) that contains instant us. */
int64_t raas_period_floor(enum raas_period_kind kind, int offset_min, int64_t us);
/* Start of the grid period after the one that contains instant us. */
int64_t raas_period_next(enum raas_period_kind kind, int offset_min, int64_t us);
/* Whole calendar days (in the zone offset_min) from the local midnight that starts
 * `from` to the one that starts `to`: days(to) − days(from). Proration counts. */
int64_t raas_days_between(int64_t from, int64_t to, int offset_min);

#endif
