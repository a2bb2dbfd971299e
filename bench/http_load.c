/* http_load.c — the load generator of the HTTP ingest benchmark (bench/http_ingest.sh).
 *
 * Reads NDJSON event files, cuts them into batches of --batch lines, builds one
 * `POST /v1/events` request per batch up front, then sends them over --connections keep-alive
 * connections (one thread each, taking the next batch from a shared counter) to a raas
 * server on loopback. Every answer must be 200 with a report that accepted the whole batch
 * (`--expect-duplicates` for a second pass: every event a duplicate). Prints one JSON line:
 * events, requests, seconds, events/s, p50/p90/p99/max request latency in ms, errors.
 *
 * With --rate R the requests are paced instead of sent as fast as possible: request i is
 * due at start + i / R seconds, and its latency counts from when it was due, so a server
 * that stalls is charged for the requests that queued up behind the stall (no coordinated
 * omission), not only for the one that waited.
 *
 *   http_load --port P --key KEY [--connections 4] [--batch 1000] [--max-events N]
 *             [--rate R] [--expect-duplicates] FILE...
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct request {
	char *data;
	size_t len;
	size_t events;
	double latency_ms;
	int ok;
};

static struct request *reqs;
static size_t nreqs;
static _Atomic size_t next_req;
static int port;
static int expect_duplicates;
static _Atomic size_t errors;
static double rate;    /* requests a second, 0: as fast as possible */
static double start_s; /* when the first request is due */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "http_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int connect_to(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads one response; returns its status (0 on a broken connection) and its body. */
static int read_response(int fd, char **buf, size_t *cap, size_t *body_off, size_t *body_len)
{
	size_t have = 0, need = 0, hdr_end = 0;

	for (;;) {
		ssize_t k;
		if (have + 65536 > *cap) {
			*cap = (have + 65536) * 2;
			*buf = realloc(*buf, *cap);
			if (!*buf)
				die("realloc");
		}
		k = read(fd, *buf + have, *cap - have - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		have += (size_t)k;
		(*buf)[have] = '\0';
		if (!hdr_end) {
			char *e = strstr(*buf, "\r\n\r\n"), *cl;
			if (!e)
				continue;
			hdr_end = (size_t)(e - *buf) + 4;
			cl = strcasestr(*buf, "\r\nContent-Length:");
			if (!cl || cl > e)
				return 0;
			need = hdr_end + strtoull(cl + 17, NULL, 10);
		}
		if (have >= need) {
			*body_off = hdr_end;
			*body_len = need - hdr_end;
			return atoi(*buf + 9);
		}
	}
}

static void *worker(void *arg)
{
	int fd = connect_to();
	char *buf = NULL;
	size_t cap = 0;

	(void)arg;
	for (;;) {
		size_t i = next_req++, off, len;
		struct request *r;
		double t0;
		int status;
		char want[64];
		if (i >= nreqs)
			break;
		r = &reqs[i];
		t0 = now_s();
		if (rate > 0) {
			double due = start_s + (double)i / rate;
			if (due > t0) {
				struct timespec ts = {
				        .tv_sec = (time_t)(due - t0),
				        .tv_nsec = (long)((due - t0 - (double)(time_t)(due - t0)) *
				                          1e9)};
				nanosleep(&ts, NULL);
			}
			t0 = due;
		}
		if (send_all(fd, r->data, r->len) != 0 ||
		    !(status = read_response(fd, &buf, &cap, &off, &len))) {
			errors++;
			close(fd);
			fd = connect_to();
			continue;
		}
		r->latency_ms = (now_s() - t0) * 1e3;
		snprintf(want, sizeof want,
		         expect_duplicates ? "{\"accepted\":0,\"duplicates\":%zu,"
		                           : "{\"accepted\":%zu,\"duplicates\":0,",
		         r->events);
		r->ok = status == 200 && len >= strlen(want) &&
		        !memcmp(buf + off, want, strlen(want));
		if (!r->ok) {
			if (errors++ < 3)
				fprintf(stderr, "http_load: request %zu: status %d: %.300s\n", i,
				        status, buf + off);
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *key = NULL;
	int connections = 4;
	size_t batch = 1000, max_events = (size_t)-1, total = 0, cap_reqs = 0;
	char *body = NULL;
	size_t body_len = 0, body_cap = 0, in_batch = 0;
	pthread_t *th;
	double t0, secs, *lat;
	int first_file = argc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--connections") && i + 1 < argc)
			connections = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--max-events") && i + 1 < argc)
			max_events = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--expect-duplicates"))
			expect_duplicates = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "http_load: unknown option %s\n", argv[i]);
			return 1;
		} else {
			first_file = i;
			break;
		}
	}
	if (!port || !key || connections < 1 || batch < 1 || first_file >= argc) {
		fprintf(stderr, "usage: http_load --port P --key KEY [--connections N] [--batch N] "
		                "[--max-events N] [--rate R] [--expect-duplicates] FILE...\n");
		return 1;
	}
	/* Cut the files into batches and build the requests. */
	for (int f = first_file; f < argc && total < max_events; f++) {
		FILE *in = fopen(argv[f], "r");
		char *line = NULL;
		size_t lcap = 0;
		ssize_t n;
		if (!in)
			die(argv[f]);
		while (total < max_events && (n = getline(&line, &lcap, in)) > 0) {
			if (body_len + (size_t)n + 1 > body_cap) {
				body_cap = (body_len + (size_t)n + 1) * 2;
				if (!(body = realloc(body, body_cap)))
					die("realloc");
			}
			memcpy(body + body_len, line, (size_t)n);
			body_len += (size_t)n;
			in_batch++;
			total++;
			if (in_batch == batch || total == max_events) {
				struct request *r;
				char head[512];
				int h;
				if (nreqs == cap_reqs) {
					cap_reqs = cap_reqs ? cap_reqs * 2 : 1024;
					if (!(reqs = realloc(reqs, cap_reqs * sizeof *reqs)))
						die("realloc");
				}
				r = &reqs[nreqs++];
				h = snprintf(head, sizeof head,
				             "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				             "Authorization: Bearer %s\r\n"
				             "Content-Type: application/x-ndjson\r\n"
				             "Content-Length: %zu\r\n\r\n",
				             key, body_len);
				if (!(r->data = malloc((size_t)h + body_len)))
					die("malloc");
				memcpy(r->data, head, (size_t)h);
				memcpy(r->data + h, body, body_len);
				r->len = (size_t)h + body_len;
				r->events = in_batch;
				r->ok = 0;
				body_len = 0;
				in_batch = 0;
			}
		}
		free(line);
		fclose(in);
	}
	if (in_batch) {
		fprintf(stderr, "http_load: %zu events left over (not a whole batch): dropped\n",
		        in_batch);
		total -= in_batch;
	}
	th = calloc((size_t)connections, sizeof *th);
	t0 = start_s = now_s();
	for (int i = 0; i < connections; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < connections; i++)
		pthread_join(th[i], NULL);
	secs = now_s() - t0;
	lat = calloc(nreqs ? nreqs : 1, sizeof *lat);
	for (size_t i = 0; i < nreqs; i++)
		lat[i] = reqs[i].latency_ms;
	qsort(lat, nreqs, sizeof *lat, cmp_double);
#define PCT(p) (nreqs ? lat[(size_t)((double)(nreqs - 1) * (p))] : 0.0)
	printf("{\"events\":%zu,\"requests\":%zu,\"connections\":%d,\"batch\":%zu,\"seconds\":%.3f,"
	       "\"events_per_s\":%.0f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
	       "\"max_ms\":%.2f,\"errors\":%zu}\n",
	       total, nreqs, connections, batch, secs, (double)total / secs, PCT(0.50), PCT(0.90),
	       PCT(0.99), nreqs ? lat[nreqs - 1] : 0.0, (size_t)errors);
	return errors ? 2 : 0;
}
