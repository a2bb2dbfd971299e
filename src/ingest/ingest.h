/* ingest.h — the ingest path of events.md: validating a stream of events, idempotency
 * against the store and within the batch, durable batches, `--atomic`, and the report.
 *
 * Used by `raas ingest` (NDJSON files, positions reported as 1-based lines) and by the
 * server (batches, 0-based indexes). An event is acknowledged — counted as accepted in a
 * report that is returned — only after the batch holding it was committed (fdatasync).
 */
#ifndef RAAS_INGEST_INGEST_H
#define RAAS_INGEST_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "ingest/event.h"
#include "raas/error.h"
#include "store/store.h"

#define RAAS_INGEST_DEFAULT_BATCH 10000

struct raas_ingest_options {
	int64_t now_us;    /* the received time of every event of this ingest */
	bool atomic;       /* all or nothing */
	size_t batch_size; /* events per durable batch; 0: RAAS_INGEST_DEFAULT_BATCH */
	bool lines;        /* positions are file lines ("line") rather than indexes ("index") */
	/* When not NULL: the only customer events may be for (a key bound to a customer); any
	 * other is rejected on its own, "customer: not allowed for this key". */
	const char *only_customer;
	/* Leave every accepted event in the store's pending batch: the caller commits it (the
	 * server's group commit, which makes several requests durable with one fdatasync).
	 * Nothing may be acknowledged before that commit succeeded. */
	bool no_commit;
	struct raas_event_limits limits; /* zeros: the defaults */
};

struct raas_ingest;

/* Starts an ingest into the writable store s (borrowed; it must outlive the ingest). *out
 * is new (free with raas_ingest_free). */
RAAS_WUR raas_rc raas_ingest_begin(struct raas_store *s, const struct raas_ingest_options *opt,
                                   struct raas_ingest **out, struct raas_err *err);

/* Processes one event text (without its newline) found at position where. A problem with
 * the event goes into the report; only storage failures are returned (RAAS_E_STORAGE,
 * RAAS_E_NOMEM). */
RAAS_WUR raas_rc raas_ingest_event(struct raas_ingest *in, uint64_t where, const char *text,
                                   size_t len, struct raas_err *err);

/* Reads NDJSON from fd to its end: one event per line, blank lines skipped but counted,
 * lines numbered from 1. */
RAAS_WUR raas_rc raas_ingest_fd(struct raas_ingest *in, int fd, struct raas_err *err);

/* A batch in memory in two stages (the server): raas_ingest_prepare runs everything about
 * each event that does not depend on other events — parsing, checks, leaves, the lookup in
 * the part of the index that does not change while the store is open — and needs no writer
 * lock (nothing may add a contract version meanwhile); raas_ingest_accept then runs the
 * sequential stage in order, as the writer. With array, the events are the nspans byte
 * ranges of data (the elements of a JSON array, positions 0, 1, ...); without, data is NDJSON
 * (lines numbered as raas_ingest_fd does, 0-based without options.lines). data must outlive the
 * accept. *out is new (free with raas_ingest_body_free). */
struct raas_ingest_span {
	size_t off, len;
};
struct raas_ingest_body;
RAAS_WUR raas_rc raas_ingest_prepare(struct raas_ingest *in, const char *data, size_t len,
                                     bool array, const struct raas_ingest_span *spans,
                                     size_t nspans, struct raas_ingest_body **out,
                                     struct raas_err *err);
RAAS_WUR raas_rc raas_ingest_accept(struct raas_ingest *in, struct raas_ingest_body *b,
                                    struct raas_err *err);
void raas_ingest_body_free(struct raas_ingest_body *b);
/* Commits what is pending — or, for an atomic ingest with any rejection or conflict,
 * stores nothing and records no clock. Sets *failed_atomic accordingly. */
RAAS_WUR raas_rc raas_ingest_finish(struct raas_ingest *in, bool *failed_atomic,
                                    struct raas_err *err);

/* Appends the report (events.md "The ingest report") as compact JSON. */
RAAS_WUR raas_rc raas_ingest_write_report(const struct raas_ingest *in, struct raas_buf *b);

/* Appends the report for people: a summary line, then one line per rejected or conflicting
 * event ("line 17 (evt_9): time: not an RFC 3339 timestamp"), then the unmatched customers. */
RAAS_WUR raas_rc raas_ingest_write_report_text(const struct raas_ingest *in, struct raas_buf *b);

struct raas_ingest_counts {
	uint64_t accepted, duplicates, rejected, conflicts, unmatched;
};
/* The report's counts so far (after a failed atomic ingest: what its report says). */
void raas_ingest_get_counts(const struct raas_ingest *in, struct raas_ingest_counts *out);
/* Appends the report's "unmatched" object: {"count":N,"customers":[...]}. */
RAAS_WUR raas_rc raas_ingest_write_unmatched(const struct raas_ingest *in, struct raas_buf *b);
/* Accepted events so far (committed or pending). */
uint64_t raas_ingest_accepted(const struct raas_ingest *in);

/* Takes in (NULL is fine); whatever is uncommitted is dropped. */
void raas_ingest_free(struct raas_ingest *in);

#endif
