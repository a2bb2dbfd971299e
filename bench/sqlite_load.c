/* sqlite_load.c — the SQLite baseline of the ingest benchmark (bench/ingest.sh, README.md).
 *
 *   sqlite_load DB raw FILE...   one transaction per FILE: every NDJSON line parsed and stored
 *                                with json() into events_raw(doc TEXT)
 *   sqlite_load DB typed         events_raw → events_typed(customer, id, type, time, properties)
 *                                with UNIQUE (customer, id), INSERT OR IGNORE, one transaction
 *   sqlite_load DB checkpoint    copies the WAL into the database file (before its size is taken)
 *
 * WAL journal, synchronous=FULL: every COMMIT is on disk (fsync) before the next file starts, as
 * raas acknowledges a chunk only once it is durable. raw and typed print the rows written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_load: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Reads the whole file into a new buffer (free with free); *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f) {
		fprintf(stderr, "sqlite_load: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1u << 24;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				fprintf(stderr, "sqlite_load: out of memory\n");
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		fprintf(stderr, "sqlite_load: %s: read error\n", path);
		return NULL;
	}
	*len = n;
	return buf;
}

static int load_raw(sqlite3 *db, int nfiles, char **files, long long *rows)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (exec(db, "CREATE TABLE IF NOT EXISTS events_raw(doc TEXT NOT NULL)"))
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT INTO events_raw(doc) VALUES (json(?1))", -1, &st,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite_load: prepare: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		char *buf = slurp(files[i], &len);
		if (!buf)
			goto out;
		if (exec(db, "BEGIN")) {
			free(buf);
			goto out;
		}
		char *p = buf, *end = buf + len;
		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			char *e = nl ? nl : end;
			if (e > p) {
				sqlite3_bind_text(st, 1, p, (int)(e - p), SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_DONE) {
					fprintf(stderr, "sqlite_load: %s: %s\n", files[i],
					        sqlite3_errmsg(db));
					free(buf);
					goto out;
				}
				sqlite3_reset(st);
				(*rows)++;
			}
			p = e + 1;
		}
		free(buf);
		if (exec(db, "COMMIT"))
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_typed(sqlite3 *db, long long *rows)
{
	/* time: integer UTC microseconds, like PostgreSQL's timestamptz (the workload's times have
	 * at most millisecond fractions, which strftime('%f') keeps). */
	if (exec(db, "BEGIN") ||
	    exec(db, "CREATE TABLE events_typed(customer TEXT NOT NULL, id TEXT NOT NULL, "
	             "type TEXT NOT NULL, time INTEGER NOT NULL, properties TEXT NOT NULL, "
	             "UNIQUE (customer, id))") ||
	    exec(db, "INSERT OR IGNORE INTO events_typed "
	             "SELECT doc->>'customer', doc->>'id', doc->>'type', "
	             "unixepoch(doc->>'time') * 1000000 + "
	             "CAST(round(strftime('%f', doc->>'time') * 1000000) AS INTEGER) % 1000000, "
	             "doc->'properties' FROM events_raw"))
		return -1;
	*rows = sqlite3_changes64(db);
	return exec(db, "COMMIT");
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	long long rows = 0;
	int rc = 1;
	if (argc < 3 ||
	    (strcmp(argv[2], "raw") && strcmp(argv[2], "typed") && strcmp(argv[2], "checkpoint")) ||
	    (strcmp(argv[2], "raw") && argc != 3)) {
		fprintf(stderr, "usage: sqlite_load DB raw FILE... | sqlite_load DB typed | "
		                "sqlite_load DB checkpoint\n");
		return 1;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_load: %s: %s\n", argv[1], sqlite3_errmsg(db));
		goto out;
	}
	/* Durable (WAL + FULL: fsync at every commit); a page cache in the range of PostgreSQL's
	 * shared_buffers in the benchmark, so neither baseline is starved of memory. */
	if (exec(db, "PRAGMA journal_mode=WAL") || exec(db, "PRAGMA synchronous=FULL") ||
	    exec(db, "PRAGMA cache_size=-1048576") || exec(db, "PRAGMA temp_store=FILE"))
		goto out;
	if (!strcmp(argv[2], "checkpoint")) {
		/* Untimed, before the size is measured: the WAL copied into the database file. */
		if (exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
			goto out;
	} else {
		/* The final checkpoint is left to the untimed `checkpoint` step, as PostgreSQL's
		 * CHECKPOINT is; the automatic checkpoints during the load stay in the timing. */
		sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		if (!strcmp(argv[2], "raw") ? load_raw(db, argc - 3, argv + 3, &rows)
		                            : load_typed(db, &rows))
			goto out;
		printf("%lld\n", rows);
	}
	rc = 0;
out:
	if (sqlite3_close(db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_load: close: %s\n", sqlite3_errmsg(db));
		rc = 1;
	}
	return rc;
}
