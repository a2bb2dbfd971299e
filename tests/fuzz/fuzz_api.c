/* fuzz_api.c — libFuzzer target for the HTTP API's request handling (src/server/api.c): the
 * request target's parsing, routing, authentication, roles and every handler, without the
 * network (the libmicrohttpd layer only collects bytes).
 *
 * The input is: one byte choosing the key (none, a malformed one, a valid-looking unknown
 * one, or the admin, finance, csm, ingest, client (customer acme) or auditor key of the
 * tenant), one byte choosing the content type (none, JSON, NDJSON, other), then the request
 * line "METHOD TARGET" up to the first newline, then the body. The data directory is made
 * once in the working directory (the smoke run's throw-away directory), with a contract of
 * acme applied through the API itself.
 *
 * Properties: the handler never crashes or leaks; it answers a known status; a JSON answer is
 * one well-formed JSON document, and an error answer is {"error":{"code","message",
 * "details"}} (but for the 422 of a failed atomic batch, which is its ingest report); a
 * request the target parser refuses never reaches the handler.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/json.h"
#include "server/api.h"
#include "server/keys.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define NROLES 6

static struct raas_api *api;
static char keys[NROLES][RAAS_KEY_TEXT_LEN + 8 + 1]; /* "Bearer " + key */

static const char contract_doc[] =
        "{\"id\":\"k1\",\"customer\":\"acme\",\"currency\":\"USD\",\"period\":\"month\","
        "\"start\":\"2026-01-01\",\"lock_after\":\"5d\",\"corrections_within\":\"30d\","
        "\"results\":[{\"name\":\"lead\",\"on\":\"lead.created\",\"entity\":\"lead_id\","
        "\"reversed_by\":{\"on\":\"lead.rejected\"},"
        "\"price\":{\"model\":\"unit\",\"amount\":\"10.00\"}}]}";

static void handle(const char *method, const char *path, const char *query, const char *auth,
                   const char *ctype, const char *body, size_t len, struct raas_http_response *res)
{
	struct raas_http_request req;

	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = path;
	raas_http_response_init(res);
	if (!raas_http_request_parse(&req, path, query))
		return;
	req.authorization = auth;
	req.content_type = ctype;
	req.body = body;
	req.body_len = len;
	raas_api_handle(api, &req, res);
	raas_http_request_free(&req);
}

static void setup(void)
{
	const char *dir = "fuzz-api-data";
	struct raas_keyring k = {0};
	struct raas_err err;
	struct raas_api_options opt = {0};
	struct raas_http_response res;
	static const enum raas_role roles[NROLES] = {RAAS_ROLE_ADMIN,  RAAS_ROLE_FINANCE,
	                                             RAAS_ROLE_CSM,    RAAS_ROLE_INGEST,
	                                             RAAS_ROLE_CLIENT, RAAS_ROLE_AUDITOR};
	int64_t now = INT64_C(1770681600000000); /* 2026-02-10T00:00:00Z */

	if (access(dir, F_OK) != 0)
		CHECK(raas_store_init(dir, "default", &err) == RAAS_OK);
	for (int i = 0; i < NROLES; i++) {
		char text[RAAS_KEY_TEXT_LEN + 1];
		CHECK(raas_keys_make(&k, roles[i], roles[i] == RAAS_ROLE_CLIENT ? "acme" : NULL,
		                     now, text, &err) == RAAS_OK);
		snprintf(keys[i], sizeof keys[i], "Bearer %s", text);
	}
	CHECK(raas_keys_save(dir, "default", &k, &err) == RAAS_OK);
	raas_keys_free(&k);
	opt.dir = dir;
	opt.fixed_clock = true;
	opt.clock_us = now;
	opt.max_batch = 100;
	CHECK(raas_api_new(&opt, &api, &err) == RAAS_OK);
	handle("PUT", "/v1/contracts/k1", NULL, keys[0], "application/json", contract_doc,
	       sizeof contract_doc - 1, &res);
	CHECK(res.status == 201 || res.status == 200);
	raas_http_response_free(&res);
}

static bool known_status(unsigned s)
{
	static const unsigned ok[] = {200, 201, 400, 401, 403, 404, 405,
	                              408, 409, 413, 422, 500, 503};

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (s == ok[i])
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[4] = {NULL, "application/json",
	                                      "application/x-ndjson; charset=utf-8", "text/plain"};
	char line[2048], *sp, *q, *method, *target;
	const char *auth = NULL, *nl, *body;
	struct raas_http_response res;
	size_t n, blen;

	if (!api)
		setup();
	if (size < 2)
		return 0;
	switch (data[0] % 10) {
	case 0:
		auth = NULL;
		break;
	case 1:
		auth = "Basic eDp5";
		break;
	case 2:
		auth = "Bearer rk_0123456789abcdef_0000000000000000000000000000000000000000000000"
		       "000000000000000000";
		break;
	default:
		auth = keys[(data[0] % 10 - 3) % NROLES];
		break;
	}
	nl = memchr(data + 2, '\n', size - 2);
	n = nl ? (size_t)(nl - (const char *)(data + 2)) : size - 2;
	if (n >= sizeof line)
		return 0;
	memcpy(line, data + 2, n);
	line[n] = '\0';
	if (strlen(line) != n)
		return 0; /* a NUL in the request line: HTTP cannot carry it */
	body = nl ? nl + 1 : "";
	blen = nl ? size - (size_t)(nl + 1 - (const char *)data) : 0;
	sp = strchr(line, ' ');
	if (!sp)
		return 0;
	*sp = '\0';
	method = line;
	target = sp + 1;
	q = strchr(target, '?');
	if (q)
		*q++ = '\0';
	handle(method, target, q, auth, ctypes[data[1] % 4], body, blen, &res);
	CHECK(known_status(res.status));
	if (res.body.len && !strcmp(res.content_type, "application/json")) {
		struct raas_arena arena;
		struct raas_json *doc;
		struct raas_err err;
		raas_arena_init(&arena, 0);
		CHECK(raas_json_parse(&arena, res.body.data, res.body.len, NULL, &doc, &err) ==
		      RAAS_OK);
		if (res.status >= 400 && !(res.status == 422 && raas_json_get(doc, "accepted"))) {
			/* (a failed atomic batch answers 422 with its ingest report) */
			const struct raas_json *e = raas_json_get(doc, "error");
			CHECK(e && raas_json_get(e, "code") && raas_json_get(e, "message") &&
			      raas_json_get(e, "details"));
		}
		raas_arena_free(&arena);
	}
	raas_http_response_free(&res);
	return 0;
}
