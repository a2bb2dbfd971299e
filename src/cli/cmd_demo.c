/* cmd_demo.c — `raas demo [DIR]`: the main job a newcomer runs first (cli.md).
 *
 * It writes a realistic, seeded sample — pay-per-lead marketing contracts (CNY, +08:00,
 * graduated tiers, fee, minimum, cap, a 14-day hold, rejections) and pay-per-hire recruiting
 * contracts (USD, a clawback, or a 90-day probation hold) for a few dozen clients, four months
 * of tracked events delivered in weekly NDJSON exports with duplicates, a resent file, late
 * arrivals, reversals and a few bad lines — then runs it through the same commands a user
 * runs (init, contract apply, ingest, settle, each with the test clock), in the order of their
 * clocks, and prints what a user should look at. Nothing here computes a bill: every figure
 * printed comes from the commands' own output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"
#include "cli/cli.h"
#include "raas/time.h"

#define NSHOPS 24
#define NFIRMS 8
#define DAY (INT64_C(86400) * RAAS_US_PER_SEC)
#define HOUR (INT64_C(3600) * RAAS_US_PER_SEC)
#define MAX_ACTIONS 64
#define PATH_MAX_DEMO 4096

/* ---- a seeded generator (splitmix64): the same sample on every machine ---- */

static uint64_t rng_state = UINT64_C(0x5241415344454d4f); /* "RAASDEMO" */

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static int64_t below(int64_t n)
{
	return (int64_t)(rng() % (uint64_t)n);
}

/* ---- the events, before they are split into delivery files ---- */

struct line {
	int64_t received; /* when the vendor's system delivers it */
	char *text;
};

struct sample {
	struct line *v;
	size_t n, cap;
	struct raas_arena arena;
	size_t leads, rejections, hires, departures, noise;
};

static int add_line(struct sample *s, int64_t received, const char *fmt, ...) RAAS_PRINTF(3, 4);

static int add_line(struct sample *s, int64_t received, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		struct line *p = raas_realloc(s->v, cap * sizeof *p);
		if (!p)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n].received = received;
	if (!(s->v[s->n].text = raas_arena_strndup(&s->arena, buf, (size_t)n)))
		return -1;
	s->n++;
	return 0;
}

/* An RFC 3339 text of t: UTC, or +08:00 for the marketing trackers. */
static const char *ts(int64_t t, int tz, char *buf)
{
	raas_time_format(t, tz, buf);
	return buf;
}

/* The delay between an event and its delivery: mostly minutes, sometimes a day. */
static int64_t lag(void)
{
	int64_t r = below(100);

	if (r < 70)
		return 60 * RAAS_US_PER_SEC + below(20 * 60) * RAAS_US_PER_SEC;
	if (r < 95)
		return below(6 * 3600) * RAAS_US_PER_SEC + 60 * RAAS_US_PER_SEC;
	return below(30 * 3600) * RAAS_US_PER_SEC + 60 * RAAS_US_PER_SEC;
}

static int64_t jan1_cn, may1_cn, jan1_utc, may1_utc;

/* Leads per month of each shop: from a handful (under the minimum) to enough for the cap. */
static const int shop_volume[NSHOPS] = {
        1500, 40,  12,  25,  60, 90, 130, 170, 220, 280, 350, 420,
        500,  600, 700, 850, 8,  18, 33,  48,  75,  110, 5,   1200,
};

static int gen_shop(struct sample *s, int shop)
{
	static const char *const campaigns[] = {"spring", "search", "social", "partner"};
	int64_t span = may1_cn - jan1_cn, t, rt;
	int n = shop_volume[shop] * 4;
	char a[RAAS_TIME_FORMAT_MAX], b[RAAS_TIME_FORMAT_MAX];

	for (int i = 0; i < n; i++) {
		/* One draw per statement: the order of the draws must not depend on the
		 * compiler's order of evaluating arguments. */
		t = jan1_cn + below(span / RAAS_US_PER_SEC) * RAAS_US_PER_SEC;
		const char *source = below(100) < 85 ? "vendor" : "organic";
		int64_t score = 35 + below(66);
		int64_t delay = lag();
		const char *campaign = campaigns[below(4)];
		if (add_line(s, t + delay,
		             "{\"id\":\"s%02d-lead-%05d\",\"customer\":\"shop-%02d\",\"type\":"
		             "\"lead.created\",\"time\":\"%s\",\"properties\":{\"lead_id\":\"L-%"
		             "05d\","
		             "\"source\":\"%s\",\"score\":%lld,\"utm\":{\"campaign\":\"%s\"}}}",
		             shop + 1, i, shop + 1, ts(t, 480, a), i, source, (long long)score,
		             campaign))
			return -1;
		s->leads++;
		/* 8 % are rejected by the client inside the 14-day hold, 2 % after it. */
		int64_t r = below(100);
		if (r < 10) {
			rt = t +
			     (r < 8 ? HOUR + below(13 * 24) * HOUR : 15 * DAY + below(15) * DAY);
			delay = lag();
			const char *why = below(2) ? "duplicate" : "unreachable";
			if (rt < may1_cn) {
				if (add_line(
				            s, rt + delay,
				            "{\"id\":\"s%02d-rej-%05d\",\"customer\":\"shop-%02d\","
				            "\"type\":\"lead.rejected\",\"time\":\"%s\","
				            "\"properties\":"
				            "{\"lead_id\":\"L-%05d\",\"reason\":\"%s\"}}",
				            shop + 1, i, shop + 1, ts(rt, 480, b), i, why))
					return -1;
				s->rejections++;
			}
		}
		/* Page views: traffic no contract bills, counted nowhere. */
		if (below(100) < 30) {
			int64_t before = below(3600) * RAAS_US_PER_SEC, page = below(500);
			delay = lag();
			if (add_line(s, t + delay,
			             "{\"id\":\"s%02d-view-%05d\",\"customer\":\"shop-%02d\","
			             "\"type\":"
			             "\"page.view\",\"time\":\"%s\",\"properties\":{\"url\":\"/p/"
			             "%lld\"}}",
			             shop + 1, i, shop + 1, ts(t - before, 480, b),
			             (long long)page))
				return -1;
			s->noise++;
		}
	}
	return 0;
}

static int gen_firm(struct sample *s, int firm)
{
	int64_t span = may1_utc - jan1_utc, t, lt;
	int n = 8 + 3 * firm;
	char a[RAAS_TIME_FORMAT_MAX];

	for (int i = 0; i < n; i++) {
		t = jan1_utc + below(span / DAY) * DAY + 9 * HOUR;
		if (firm == 0 && i == 7)
			t = jan1_utc + 11 * DAY + 9 * HOUR; /* the clawback shown in the summary */
		int64_t delay = lag();
		const char *role = below(2) ? "engineer" : "sales";
		int64_t salary = 60000 + below(60) * 1000;
		if (add_line(s, t + delay,
		             "{\"id\":\"f%02d-hire-%03d\",\"customer\":\"firm-%02d\",\"type\":"
		             "\"hire.started\",\"time\":\"%s\",\"properties\":{\"candidate_id\":"
		             "\"C-%02d-%03d\",\"role\":\"%s\",\"salary\":%lld}}",
		             firm + 1, i, firm + 1, ts(t, 0, a), firm + 1, i, role,
		             (long long)salary))
			return -1;
		s->hires++;
		/* 20 % leave within four months: inside 90 days it is a clawback (or, with a
		 * probation hold, a hire never billed). */
		int64_t leaves = below(100), after = below(110);
		lt = firm == 0 && i == 7 ? jan1_utc + 61 * DAY + 17 * HOUR
		                         : (leaves < 20 ? t + 10 * DAY + after * DAY : 0);
		delay = lag();
		if (lt && lt < may1_utc) {
			if (add_line(s, lt + delay,
			             "{\"id\":\"f%02d-left-%03d\",\"customer\":\"firm-%02d\","
			             "\"type\":"
			             "\"employee.left\",\"time\":\"%s\",\"properties\":{"
			             "\"candidate_id\":"
			             "\"C-%02d-%03d\"}}",
			             firm + 1, i, firm + 1, ts(lt, 0, a), firm + 1, i))
				return -1;
			s->departures++;
		}
	}
	return 0;
}

static int line_cmp(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;

	if (a->received != b->received)
		return a->received < b->received ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* ---- files and commands ---- */

static int write_text(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

struct action {
	int64_t now;
	int order;     /* among actions of one clock: ingest before settle */
	char file[96]; /* relative to DIR; "" for settle */
};

static int action_cmp(const void *pa, const void *pb)
{
	const struct action *a = pa, *b = pb;

	if (a->now != b->now)
		return a->now < b->now ? -1 : 1;
	return a->order - b->order;
}

/* Runs `raas -d DATA ARGS...` in this process, capturing stdout and stderr. */
static int run(const char *data, char **out, size_t *outlen, char **err, size_t *errlen, ...)
{
	char *argv[16] = {"raas", "-d", (char *)data};
	int argc = 3, rc;
	FILE *o, *e;
	va_list ap;

	va_start(ap, errlen);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	o = open_memstream(out, outlen);
	e = open_memstream(err, errlen);
	if (!o || !e) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		return 3;
	}
	rc = raas_cli_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return rc;
}

/* ---- the summary ---- */

struct totals {
	char contract[32];
	char month[4][16]; /* the total of each month's invoice, "" when none */
	char currency[4];
};

static void month_name(int i, char *buf)
{
	static const char *const names[] = {"Jan", "Feb", "Mar", "Apr"};

	snprintf(buf, 8, "%s", names[i]);
}

/* Reads one invoice document into the table; returns the adjustment lines' count. */
static void note_invoice(const struct raas_json *doc, struct totals *t, size_t nt)
{
	const struct raas_json *c = raas_json_get(doc, "contract");
	const struct raas_json *start = raas_json_get(raas_json_get(doc, "period"), "start");
	const struct raas_json *total = raas_json_get(doc, "total");
	const struct raas_json *cur = raas_json_get(doc, "currency");

	if (!c || !start || !total || !cur || start->len < 7)
		return;
	for (size_t i = 0; i < nt; i++) {
		int m = (start->u.str[5] - '0') * 10 + (start->u.str[6] - '0');
		if (strcmp(t[i].contract, c->u.str) || m < 1 || m > 4)
			continue;
		snprintf(t[i].month[m - 1], sizeof t[i].month[m - 1], "%s", total->u.str);
		snprintf(t[i].currency, sizeof t[i].currency, "%s", cur->u.str);
	}
}

/* Prints the adjustment lines of the invoice of contract starting with month, or none. */
static void print_adjustments(FILE *f, struct raas_json **docs, size_t n, const char *contract,
                              const char *month)
{
	for (size_t i = 0; i < n; i++) {
		const struct raas_json *c = raas_json_get(docs[i], "contract");
		const struct raas_json *start =
		        raas_json_get(raas_json_get(docs[i], "period"), "start");
		const struct raas_json *lines = raas_json_get(docs[i], "lines");
		if (!c || strcmp(c->u.str, contract) || !start || strncmp(start->u.str, month, 7) ||
		    !lines)
			continue;
		for (uint32_t k = 0; k < lines->len; k++) {
			const struct raas_json *ln = &lines->u.items[k];
			const struct raas_json *type = raas_json_get(ln, "type");
			if (!type || strcmp(type->u.str, "adjustment"))
				continue;
			fprintf(f, "    line: adjustment for the period starting %s: %s %s\n",
			        raas_json_get(ln, "period_start")->u.str,
			        raas_json_get(ln, "amount")->u.str,
			        raas_json_get(docs[i], "currency")->u.str);
		}
		fprintf(f, "    invoice total: %s %s (%s)\n",
		        raas_json_get(docs[i], "total")->u.str,
		        raas_json_get(docs[i], "currency")->u.str,
		        raas_json_get(docs[i], "kind")->u.str);
	}
}

static const struct raas_cli_option options[] = {{NULL, 0, NULL, NULL}};

/* Everything the demo writes and reads, freed in one place. */
struct demo {
	char dir[PATH_MAX_DEMO], data[PATH_MAX_DEMO + 8];
	struct sample s;
	struct action actions[MAX_ACTIONS];
	size_t nactions;
	struct raas_buf invoices, rejected;
	struct raas_arena arena;
	size_t accepted, duplicates, nrejected, conflicts, unmatched, nfiles;
};

static int path_in(const struct demo *d, char *buf, size_t cap, const char *rel)
{
	int n = snprintf(buf, cap, "%s/%s", d->dir, rel);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int write_contracts(struct demo *d, FILE *err)
{
	char path[PATH_MAX_DEMO + 128], doc[2048], *out = NULL, *msg = NULL;
	size_t olen = 0, mlen = 0;
	int rc;

	for (int i = 0; i < NSHOPS + NFIRMS; i++) {
		int n;
		if (i < NSHOPS)
			n = snprintf(
			        doc, sizeof doc,
			        "{\n  \"id\": \"shop-%02d-leads\",\n  \"customer\": "
			        "\"shop-%02d\",\n"
			        "  \"currency\": \"CNY\",\n  \"timezone\": \"+08:00\",\n"
			        "  \"period\": \"month\",\n  \"start\": \"2026-01-01\",\n"
			        "  \"end\": \"2027-01-01\",\n  \"lock_after\": \"5d\",\n"
			        "  \"corrections_within\": \"90d\",\n  \"results\": [{\n"
			        "    \"name\": \"qualified_lead\",\n    \"on\": \"lead.created\",\n"
			        "    \"where\": \"source == 'vendor' && score >= 60\",\n"
			        "    \"entity\": \"lead_id\",\n    \"hold\": \"14d\",\n"
			        "    \"reversed_by\": {\"on\": \"lead.rejected\"},\n"
			        "    \"price\": {\"model\": \"graduated\", \"tiers\": [\n"
			        "      {\"up_to\": 100, \"amount\": \"50.00\"},\n"
			        "      {\"up_to\": 500, \"amount\": \"40.00\"},\n"
			        "      {\"up_to\": null, \"amount\": \"30.00\"}]}\n  }],\n"
			        "  \"fees\": [{\"name\": \"platform\", \"amount\": \"500.00\"}],\n"
			        "  \"minimum\": \"1000.00\",\n  \"cap\": \"20000.00\"\n}\n",
			        i + 1, i + 1);
		else {
			int f = i - NSHOPS;
			bool probation = f >= NFIRMS - 2;
			n = snprintf(doc, sizeof doc,
			             "{\n  \"id\": \"firm-%02d-hires\",\n  \"customer\": "
			             "\"firm-%02d\",\n"
			             "  \"currency\": \"USD\",\n  \"period\": \"month\",\n"
			             "  \"start\": \"2026-01-01\",\n  \"lock_after\": \"0d\",\n"
			             "  \"corrections_within\": \"120d\",\n  \"results\": [{\n"
			             "    \"name\": \"hire\",\n    \"on\": \"hire.started\",\n"
			             "    \"entity\": \"candidate_id\",\n    %s,\n"
			             "    \"reversed_by\": {\"on\": \"employee.left\"},\n"
			             "    \"price\": {\"model\": \"unit\", \"amount\": \"%s\"}\n  "
			             "}]\n}\n",
			             f + 1, f + 1,
			             probation ? "\"hold\": \"90d\""
			                       : "\"hold\": \"0s\", \"clawback_within\": \"90d\"",
			             probation ? "4500.00" : "3000.00");
		}
		snprintf(path, sizeof path, "%s/contracts/%s-%02d.json", d->dir,
		         i < NSHOPS ? "shop" : "firm", i < NSHOPS ? i + 1 : i - NSHOPS + 1);
		if (n < 0 || (size_t)n >= sizeof doc || write_text(path, doc, (size_t)n)) {
			fprintf(err, "%s: cannot write: %s\n", path, strerror(errno));
			return 3;
		}
		rc = run(d->data, &out, &olen, &msg, &mlen, "contract", "apply", path, "--now",
		         "2025-12-20T00:00:00Z", (char *)NULL);
		if (rc) {
			fprintf(err, "contract apply %s failed (exit %d): %s", path, rc, msg);
			free(out);
			free(msg);
			return rc;
		}
		free(out);
		free(msg);
		out = msg = NULL;
	}
	return 0;
}

/* The weekly delivery files (ISO weeks, delivered the Monday after at 00:00Z), the resent
 * week, the late CRM export with the bad lines, and the monthly settlements. */
static int write_events(struct demo *d, FILE *err)
{
	struct raas_buf b;
	char path[PATH_MAX_DEMO + 128], rel[96], t1[RAAS_TIME_FORMAT_MAX];
	int64_t week = raas_period_floor(RAAS_PERIOD_WEEK, 0, jan1_cn);
	size_t i = 0;
	int w = 1, rc = 0;

	raas_buf_init(&b, (size_t)1 << 30);
	qsort(d->s.v, d->s.n, sizeof *d->s.v, line_cmp);
	while (i < d->s.n && !rc) {
		int64_t next = raas_period_next(RAAS_PERIOD_WEEK, 0, week);
		raas_buf_reset(&b);
		for (; i < d->s.n && d->s.v[i].received < next; i++)
			if (raas_buf_puts(&b, d->s.v[i].text) || raas_buf_putc(&b, '\n'))
				rc = 3;
		if (w == 6) {
			/* A tracker bug shipped a few bad lines that week. */
			const char *bad[] = {
			        "{\"id\":\"s03-bad-1\",\"customer\":\"shop-03\",\"type\":"
			        "\"lead.created\",\"time\":\"2026-02-03T10:00:00-00:00\","
			        "\"properties\":{\"lead_id\":\"X-1\",\"source\":\"vendor\","
			        "\"score\":90}}",
			        "{\"id\":\"s03-bad-2\",\"customer\":\"shop-03\",\"type\":"
			        "\"lead.created\",\"time\":\"2026-02-03T10:00:00Z\",\"source\":"
			        "\"vendor\"}",
			        "{\"id\":\"s03-bad-3\",\"customer\":\"shop-03\",\"type\":"
			        "\"lead.created\",\"time\":\"2026-02-03 10:00\"}",
			        "{\"id\":\"s03-bad-4\",\"customer\":\"shop-03\",\"type\":\"lead."
			        "cre",
			        "{\"id\":\"s03-bad-5\",\"customer\":\"shop-03\",\"type\":"
			        "\"lead.created\",\"time\":\"2026-03-20T10:00:00Z\",\"properties\":"
			        "{}}",
			};
			for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
				if (raas_buf_puts(&b, bad[k]) || raas_buf_putc(&b, '\n'))
					rc = 3;
			/* ... and one January lead of shop-03 again with another campaign: a
			 * conflict (the stored event is kept). */
			for (size_t k = 0; k < d->s.n && !rc; k++) {
				const char *t = d->s.v[k].text, *u;
				if (!strstr(t,
				            "\"customer\":\"shop-03\",\"type\":\"lead.created\"") ||
				    !(u = strstr(t, "\"campaign\":\"")))
					continue;
				u += strlen("\"campaign\":\"");
				if (raas_buf_append(&b, t, (size_t)(u - t)) ||
				    raas_buf_puts(&b, "retargeting-") || raas_buf_puts(&b, u) ||
				    raas_buf_putc(&b, '\n'))
					rc = 3;
				break;
			}
			/* A client without a contract yet: stored, reported as unmatched. */
			for (int k = 0; k < 6; k++)
				if (raas_buf_printf(
				            &b,
				            "{\"id\":\"s99-view-%d\",\"customer\":\"shop-99\","
				            "\"type\":\"page.view\",\"time\":\"%s\"}\n",
				            k, ts(week + k * DAY, 0, t1)))
					rc = 3;
		}
		snprintf(rel, sizeof rel, "events/2026-w%02d.ndjson", w);
		if (rc || path_in(d, path, sizeof path, rel) || write_text(path, b.data, b.len)) {
			fprintf(err, "%s: cannot write\n", path);
			rc = 3;
			break;
		}
		d->actions[d->nactions].now = next;
		snprintf(d->actions[d->nactions++].file, 96, "%s", rel);
		if (w == 3) {
			/* The vendor's exporter retried week 3 a week later: all duplicates. */
			snprintf(rel, sizeof rel, "events/2026-w03-resent.ndjson");
			if (path_in(d, path, sizeof path, rel) || write_text(path, b.data, b.len)) {
				rc = 3;
				break;
			}
			d->actions[d->nactions].now = raas_period_next(RAAS_PERIOD_WEEK, 0, next);
			d->actions[d->nactions].order = 1;
			snprintf(d->actions[d->nactions++].file, 96, "%s", rel);
		}
		week = next;
		w++;
	}
	/* A CRM export found on 20 February: 15 qualified January leads of shop-02, received
	 * after January locked (6 February), confirmed in January (achieved before 18 January
	 * + 14-day hold), so February's invoice corrects January. */
	raas_buf_reset(&b);
	for (int k = 0; k < 15 && !rc; k++) {
		int64_t t = jan1_cn + (5 + k / 2) * DAY + (10 + k % 8) * HOUR;
		if (raas_buf_printf(&b,
		                    "{\"id\":\"s02-crm-%02d\",\"customer\":\"shop-02\",\"type\":"
		                    "\"lead.created\",\"time\":\"%s\",\"properties\":{\"lead_id\":"
		                    "\"CRM-%02d\",\"source\":\"vendor\",\"score\":%d}}\n",
		                    k, ts(t, 480, t1), k, 70 + k))
			rc = 3;
	}
	if (!rc && (path_in(d, path, sizeof path, "events/late-crm-export.ndjson") ||
	            write_text(path, b.data, b.len)))
		rc = 3;
	if (!rc) {
		d->actions[d->nactions].now =
		        raas_date_midnight(raas_days_from_civil(2026, 2, 20), 0) + 12 * HOUR;
		snprintf(d->actions[d->nactions++].file, 96, "events/late-crm-export.ndjson");
		d->nfiles = d->nactions;
		/* Finance settles on the 10th of every month. */
		for (int m = 2; m <= 5; m++) {
			d->actions[d->nactions].now =
			        raas_date_midnight(raas_days_from_civil(2026, (unsigned)m, 10), 0);
			d->actions[d->nactions].order = 2;
			d->actions[d->nactions++].file[0] = '\0';
		}
		qsort(d->actions, d->nactions, sizeof *d->actions, action_cmp);
	}
	raas_buf_free(&b);
	if (rc)
		fprintf(err, "%s: cannot write the event files\n", d->dir);
	return rc;
}

static size_t json_count(const struct raas_json *v)
{
	return v && v->type == RAAS_JSON_NUMBER ? strtoull(v->u.str, NULL, 10) : 0;
}

/* Adds an ingest report to the counts and the list of rejected lines. */
static int note_report(struct demo *d, const char *file, const char *text, size_t len)
{
	struct raas_json *r;
	struct raas_err err;
	const char *lists[2] = {"rejected", "conflicts"};

	raas_arena_reset(&d->arena);
	if (raas_json_parse(&d->arena, text, len, NULL, &r, &err))
		return -1;
	d->accepted += json_count(raas_json_get(r, "accepted"));
	d->duplicates += json_count(raas_json_get(r, "duplicates"));
	d->unmatched += json_count(raas_json_get(raas_json_get(r, "unmatched"), "count"));
	for (int k = 0; k < 2; k++) {
		const struct raas_json *l = raas_json_get(r, lists[k]);
		for (uint32_t i = 0; l && i < l->len; i++) {
			const struct raas_json *e = &l->u.items[i], *id = raas_json_get(e, "id");
			if (raas_buf_printf(&d->rejected, "    %s line %s (id %s): %s\n", file,
			                    raas_json_get(e, "line")->u.str,
			                    id && id->type == RAAS_JSON_STRING ? id->u.str : "none",
			                    raas_json_get(e, "error")->u.str))
				return -1;
			if (k)
				d->conflicts++;
			else
				d->nrejected++;
		}
	}
	return 0;
}

static int play(struct demo *d, FILE *err)
{
	char path[PATH_MAX_DEMO + 128], now[RAAS_TIME_FORMAT_MAX], *out = NULL, *msg = NULL;
	size_t olen = 0, mlen = 0;
	int rc = 0;

	for (size_t i = 0; i < d->nactions && !rc; i++) {
		const struct action *a = &d->actions[i];
		raas_time_format(a->now, 0, now);
		if (a->file[0]) {
			if (path_in(d, path, sizeof path, a->file))
				return 3;
			rc = run(d->data, &out, &olen, &msg, &mlen, "ingest", path, "--now", now,
			         (char *)NULL);
			if (rc == 0 && note_report(d, a->file, out, olen))
				rc = 3;
		} else {
			rc = run(d->data, &out, &olen, &msg, &mlen, "settle", "--now", now,
			         (char *)NULL);
			if (rc == 0 && raas_buf_append(&d->invoices, out, olen))
				rc = 3;
		}
		if (rc)
			fprintf(err, "%s %s failed (exit %d): %s", a->file[0] ? "ingest" : "settle",
			        a->file[0] ? a->file : now, rc, msg ? msg : "");
		free(out);
		free(msg);
		out = msg = NULL;
	}
	return rc;
}

static int summarize(struct demo *d, FILE *f, FILE *err)
{
	struct totals t[NSHOPS + NFIRMS];
	struct raas_json **docs = NULL;
	size_t ndocs = 0, nlines = 0;
	char path[PATH_MAX_DEMO + 128], m[8], *out = NULL, *msg = NULL;
	size_t olen = 0, mlen = 0;
	int rc = 0;

	memset(t, 0, sizeof t);
	for (int i = 0; i < NSHOPS + NFIRMS; i++)
		snprintf(t[i].contract, sizeof t[i].contract,
		         i < NSHOPS ? "shop-%02d-leads" : "firm-%02d-hires",
		         i < NSHOPS ? i + 1 : i - NSHOPS + 1);
	for (size_t i = 0; i < d->invoices.len; i++)
		nlines += d->invoices.data[i] == '\n';
	docs = raas_calloc(nlines + 1, sizeof *docs);
	raas_arena_reset(&d->arena);
	for (char *p = d->invoices.data; docs && p && p < d->invoices.data + d->invoices.len;) {
		char *nl = memchr(p, '\n', (size_t)(d->invoices.data + d->invoices.len - p));
		struct raas_err e;
		if (!nl || raas_json_parse(&d->arena, p, (size_t)(nl - p), NULL, &docs[ndocs], &e))
			break;
		note_invoice(docs[ndocs++], t, NSHOPS + NFIRMS);
		p = nl + 1;
	}
	if (!docs || path_in(d, path, sizeof path, "invoices.ndjson") ||
	    write_text(path, d->invoices.data, d->invoices.len)) {
		fprintf(err, "%s: cannot write the invoices\n", d->dir);
		raas_free(docs);
		return 3;
	}

	fprintf(f,
	        "raas demo: pay-per-result billing for %d marketing and %d recruiting clients, "
	        "January to April 2026\n\n",
	        NSHOPS, NFIRMS);
	fprintf(f, "What it wrote, in %s/:\n", d->dir);
	fprintf(f,
	        "  contracts/        %d contracts: pay per qualified lead (CNY, +08:00, tiers "
	        "50/40/30, fee 500, minimum 1000, cap 20000, 14-day hold) and pay per hire (USD, "
	        "3000 with a 90-day clawback, or 4500 after a 90-day probation)\n",
	        NSHOPS + NFIRMS);
	fprintf(f,
	        "  events/           %zu NDJSON deliveries: weekly exports, week 3 sent twice, "
	        "a late CRM export\n",
	        d->nfiles);
	fprintf(f, "  data/             the raas data directory\n");
	fprintf(f,
	        "  invoices.ndjson   the %zu invoices `raas settle` locked on the 10th of each "
	        "month\n\n",
	        ndocs);
	fprintf(f, "Ingest (%zu deliveries, each with --now at its delivery time):\n", d->nfiles);
	fprintf(f,
	        "  %zu events accepted (%zu leads, %zu rejections, %zu hires, %zu departures, "
	        "%zu page views and more), %zu duplicates ignored (the resent week 3 changed "
	        "nothing), %zu unmatched (types no contract names, such as the shops' page "
	        "views, and everything of shop-99, which has no contract yet: stored, and "
	        "reported)\n",
	        d->accepted, d->s.leads, d->s.rejections, d->s.hires, d->s.departures, d->s.noise,
	        d->duplicates, d->unmatched);
	fprintf(f,
	        "  %zu lines rejected and %zu conflict, each with its reason (nothing is dropped "
	        "silently):\n%s\n",
	        d->nrejected, d->conflicts, d->rejected.data ? d->rejected.data : "");

	fprintf(f, "Invoice totals (locked; a negative total is a credit note):\n");
	fprintf(f, "  %-16s %-4s", "contract", "cur");
	for (int i = 0; i < 4; i++) {
		month_name(i, m);
		fprintf(f, " %12s", m);
	}
	fprintf(f, "\n");
	for (int i = 0; i < NSHOPS + NFIRMS; i++) {
		fprintf(f, "  %-16s %-4s", t[i].contract, t[i].currency);
		for (int k = 0; k < 4; k++)
			fprintf(f, " %12s", t[i].month[k][0] ? t[i].month[k] : "-");
		fprintf(f, "\n");
	}
	fprintf(f, "  (April locks on 6 May for the CNY contracts and 1 May for the USD ones; all "
	           "are locked by the last settlement, 10 May.)\n\n");

	fprintf(f, "An adjustment: shop-02's February invoice corrects January.\n"
	           "  15 qualified January leads arrived on 20 February (events/"
	           "late-crm-export.ndjson), after January had locked on 6 February. They still "
	           "count for January, within corrections_within (90d), so the next invoice to "
	           "lock carries the difference:\n");
	print_adjustments(f, docs, ndocs, "shop-02-leads", "2026-02");
	for (size_t i = 0; i < ndocs; i++) {
		const struct raas_json *c = raas_json_get(docs[i], "contract");
		const struct raas_json *start =
		        raas_json_get(raas_json_get(docs[i], "period"), "start");
		struct raas_buf one;
		if (!c || strcmp(c->u.str, "shop-02-leads") || !start ||
		    strncmp(start->u.str, "2026-02", 7))
			continue;
		raas_buf_init(&one, 1 << 20);
		if (raas_json_write(&one, docs[i]) == RAAS_OK)
			fprintf(f,
			        "  the invoice document, as `raas invoice shop-02-leads 2026-02` "
			        "prints it:\n  %s\n",
			        one.data);
		raas_buf_free(&one);
	}
	fprintf(f, "\nA clawback: firm-01 was paid for candidate C-01-007, who started on 12 "
	           "January and left on 3 March, inside the 90-day clawback window; January is "
	           "re-rated and March's invoice credits it back:\n");
	print_adjustments(f, docs, ndocs, "firm-01-hires", "2026-03");
	rc = run(d->data, &out, &olen, &msg, &mlen, "results", "firm-01-hires", "--status",
	         "reversed", "--now", "2026-05-10T00:00:00Z", (char *)NULL);
	if (rc == 0) {
		char *p = strstr(out ? out : "", "\"id\":\"firm-01-hires/hire:C-01-007\"");
		char *nl = p ? strchr(p, '\n') : NULL;
		if (p && nl)
			fprintf(f, "  its result now: {%.*s\n", (int)(nl - p), p);
	}
	free(out);
	free(msg);
	fprintf(f,
	        "\nLook further (raas is the binary you ran; every command prints JSON):\n"
	        "  raas -d %s invoice shop-02-leads 2026-02 --now 2026-05-10T00:00:00Z\n"
	        "  raas -d %s results firm-01-hires --status reversed --now "
	        "2026-05-10T00:00:00Z\n"
	        "  raas -d %s invoice shop-01-leads 2026-05 --now 2026-05-20T00:00:00Z   (a "
	        "draft: May so far)\n"
	        "  raas -d %s invoices --customer firm-07 --now 2026-05-10T00:00:00Z\n",
	        d->data, d->data, d->data, d->data);
	raas_free(docs);
	return rc;
}

static int run_demo(struct raas_cli *cli)
{
	const char *dir = cli->nargs ? cli->args[0] : "raas-demo";
	struct demo *d = raas_calloc(1, sizeof *d);
	char path[PATH_MAX_DEMO + 128], *out = NULL, *msg = NULL;
	size_t olen = 0, mlen = 0;
	int rc = 3;

	if (!d) {
		fprintf(cli->err, "out of memory\n");
		return 3;
	}
	raas_arena_init(&d->s.arena, 0);
	raas_arena_init(&d->arena, 0);
	raas_buf_init(&d->invoices, (size_t)1 << 30);
	raas_buf_init(&d->rejected, (size_t)1 << 20);
	rng_state = UINT64_C(0x5241415344454d4f);
	if (strlen(dir) > 3000) {
		fprintf(cli->err, "%s: path too long\n", dir);
		rc = 2;
		goto out;
	}
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	snprintf(d->data, sizeof d->data, "%s/data", dir);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(cli->err, "%s: cannot create: %s\n", dir, strerror(errno));
		rc = 2;
		goto out;
	}
	snprintf(path, sizeof path, "%s/data", dir);
	rc = run(d->data, &out, &olen, &msg, &mlen, "init", path, (char *)NULL);
	if (rc) {
		/* init says what is wrong: a directory holding data already. */
		fprintf(cli->err, "%s", msg ? msg : "");
		fprintf(cli->err, "%s: run the demo in a new directory (raas demo DIR)\n", dir);
		goto out;
	}
	rc = 3;
	snprintf(path, sizeof path, "%s/contracts", dir);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		goto fail_io;
	snprintf(path, sizeof path, "%s/events", dir);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		goto fail_io;
	jan1_cn = raas_date_midnight(raas_days_from_civil(2026, 1, 1), 480);
	may1_cn = raas_date_midnight(raas_days_from_civil(2026, 5, 1), 480);
	jan1_utc = raas_date_midnight(raas_days_from_civil(2026, 1, 1), 0);
	may1_utc = raas_date_midnight(raas_days_from_civil(2026, 5, 1), 0);
	for (int i = 0; i < NSHOPS; i++)
		if (gen_shop(&d->s, i))
			goto fail_mem;
	for (int i = 0; i < NFIRMS; i++)
		if (gen_firm(&d->s, i))
			goto fail_mem;
	if ((rc = write_contracts(d, cli->err)) || (rc = write_events(d, cli->err)) ||
	    (rc = play(d, cli->err)) || (rc = summarize(d, cli->out, cli->err)))
		goto out;
	fflush(cli->out);
	fprintf(cli->err, "raas demo: wrote %s (data directory %s)\n", dir, d->data);
	rc = 0;
	goto out;
fail_io:
	fprintf(cli->err, "%s: cannot create: %s\n", path, strerror(errno));
	goto out;
fail_mem:
	fprintf(cli->err, "out of memory\n");
out:
	free(out);
	free(msg);
	raas_free(d->s.v);
	raas_arena_free(&d->s.arena);
	raas_arena_free(&d->arena);
	raas_buf_free(&d->invoices);
	raas_buf_free(&d->rejected);
	raas_free(d);
	return rc;
}

const struct raas_cli_command raas_cmd_demo = {
        .name = "demo",
        .synopsis = "[DIR]",
        .summary = "build a realistic sample, ingest and settle it, and show what to look at",
        .description =
                "Writes DIR (default ./raas-demo; it must not hold a data directory yet):\n"
                "contracts/ (24 pay-per-lead and 8 pay-per-hire contracts), events/ (four\n"
                "months of weekly NDJSON deliveries with duplicates, a resent file, late\n"
                "arrivals, reversals and a few bad lines), data/ (the data directory) and\n"
                "invoices.ndjson. It runs the same commands a user runs (contract apply,\n"
                "ingest, settle) with the test clock in the order of their clocks, then prints\n"
                "a summary: the ingest counts and every rejected line with its reason, the\n"
                "invoice totals, an adjustment and why it happened, and a clawback. The sample\n"
                "is seeded: the same on every machine. The --data option is not used.\n",
        .options = options,
        .min_args = 0,
        .max_args = 1,
        .run = run_demo,
};
