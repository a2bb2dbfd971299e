/* settle_bench.c — the settlement benchmark's raas side (bench/settle.sh): opens a data
 * directory, loads every contract's ledger from the log, and computes every locked invoice
 * at a clock, timing the three phases separately so that "from an open store" (the settle
 * phase alone) can be read next to the cost of loading. It writes the invoices as NDJSON
 * (the same bytes `raas invoices` prints for them) and prints its figures as one JSON line.
 *
 * Usage: settle_bench DATA_DIR NOW OUT.ndjson
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "raas/time.h"
#include "settle/load.h"
#include "settle/settle.h"
#include "store/store.h"

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct raas_store *store = NULL;
	struct raas_ledgers ls = {0};
	struct raas_err err;
	struct raas_buf out;
	struct rusage ru;
	int64_t now;
	double t0, t1, t2, t3;
	size_t invoices = 0, empty = 0;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: settle_bench DATA_DIR NOW OUT.ndjson\n");
		return 1;
	}
	raas_err_clear(&err);
	if (raas_time_parse(argv[2], strlen(argv[2]), &now, &err)) {
		fprintf(stderr, "NOW: %s\n", err.message);
		return 2;
	}
	raas_buf_init(&out, (size_t)1 << 34);
	t0 = seconds();
	if (raas_store_open(argv[1], false, &store, &err))
		goto fail;
	t1 = seconds();
	if (raas_ledgers_load(store, NULL, NULL, &ls, &err))
		goto fail;
	t2 = seconds();
	for (size_t i = 0; i < ls.n; i++) {
		struct raas_period *ps;
		size_t np;
		if (raas_ledger_locked_periods(ls.v[i], now, &ps, &np, &err))
			goto fail;
		for (size_t k = 0; k < np; k++) {
			size_t before = out.len;
			bool locked;
			raas_rc rc = raas_ledger_invoice(ls.v[i], &ps[k], now, &out, &locked, &err);
			if (rc == RAAS_E_INPUT) {
				out.len = before;
				empty++;
				continue;
			}
			if (rc || raas_buf_putc(&out, '\n')) {
				raas_free(ps);
				goto fail;
			}
			invoices++;
		}
		raas_free(ps);
	}
	t3 = seconds();
	if (!(f = fopen(argv[3], "w")) || fwrite(out.data, 1, out.len, f) != out.len || fclose(f)) {
		fprintf(stderr, "%s: cannot write\n", argv[3]);
		return 3;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"open_seconds\":%.3f,\"load_seconds\":%.3f,\"settle_seconds\":%.3f,"
	       "\"ledgers\":%zu,\"invoices\":%zu,\"empty_run_off\":%zu,\"peak_rss_kib\":%ld}\n",
	       t1 - t0, t2 - t1, t3 - t2, ls.n, invoices, empty, ru.ru_maxrss);
	raas_ledgers_free(&ls);
	raas_store_close(store);
	raas_buf_free(&out);
	return 0;
fail:
	raas_err_print(stderr, &err);
	return raas_rc_exit_code(err.code);
}
