/* cmd_evidence.c — the evidence commands (evidence.md): `raas evidence key|checkpoint|proof|
 * consistency|bundle` and `raas verify`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json.h"
#include "cli/cli.h"
#include "evidence/bundle.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "evidence/tree.h"
#include "raas/time.h"
#include "settle/load.h"
#include "service/service.h"
#include "store/store.h"

static const struct raas_cli_option no_options[] = {{NULL, 0, NULL, NULL}};

static int open_store(struct raas_cli *cli, bool writable, struct raas_store **s)
{
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_store_open(cli->data_dir, writable, s, &err))
		return raas_cli_fail(cli, &err);
	return 0;
}

/* The customer number of id, or exit 2. */
static int customer_no(struct raas_cli *cli, struct raas_store *s, const char *id, uint32_t *no)
{
	if (raas_store_customer(s, id, strlen(id), false, no) != RAAS_OK) {
		fprintf(cli->err, "%s: no such customer (it has no entry in this data directory)\n",
		        id);
		return 2;
	}
	return 0;
}

/* Parses a non-negative decimal count for the argument or option name. */
static int parse_count(struct raas_cli *cli, const char *name, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] < '0' || s[0] > '9') {
		fprintf(cli->err, "%s: must be a whole number\n", name);
		return 2;
	}
	return 0;
}

/* ---- key ---- */

static int run_key(struct raas_cli *cli)
{
	struct raas_store *s = NULL;
	struct raas_buf b;
	struct raas_err err;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, 4096);
	if ((rc = open_store(cli, false, &s)))
		goto out;
	if (raas_evidence_verifier_key(s, &b, &err))
		rc = raas_cli_fail(cli, &err);
	else
		raas_cli_print_line(cli, b.data, b.len);
out:
	raas_store_close(s);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_evidence_key = {
        .name = "evidence key",
        .synopsis = "",
        .summary = "print the tenant's verifier key (the string the vendor publishes)",
        .description = "Prints <key name>+<8 hex digits key id>+<base64(0x01 || public key)>, the\n"
                       "C2SP signed-note verifier key of the tenant's Ed25519 key (key name\n"
                       "raas/<tenant>). `raas verify BUNDLE --key` takes this string.\n",
        .options = no_options,
        .min_args = 0,
        .max_args = 0,
        .run = run_key,
};

/* ---- checkpoint ---- */

static int run_checkpoint(struct raas_cli *cli)
{
	struct raas_store *s = NULL;
	struct raas_buf b;
	struct raas_err err;
	uint32_t *nos = NULL;
	size_t n = 0;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, (size_t)1 << 30);
	if ((rc = open_store(cli, true, &s)))
		goto out;
	nos = raas_calloc(raas_store_customer_count(s) + 1, sizeof *nos);
	if (!nos) {
		fprintf(cli->err, "out of memory\n");
		rc = 3;
		goto out;
	}
	if (cli->nargs) {
		if ((rc = customer_no(cli, s, cli->args[0], &nos[0])))
			goto out;
		n = 1;
	} else
		for (n = 0; n < raas_store_customer_count(s); n++)
			nos[n] = (uint32_t)n;
	if (raas_evidence_checkpoint(s, nos, n, &b, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (b.len)
		fwrite(b.data, 1, b.len, cli->out);
	rc = 0;
out:
	raas_free(nos);
	raas_store_close(s);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_evidence_checkpoint = {
        .name = "evidence checkpoint",
        .synopsis = "[CUSTOMER]",
        .summary = "sign and store a checkpoint of a customer's log (all customers without one)",
        .description =
                "Computes the Merkle root of each customer's log (RFC 6962), signs a C2SP\n"
                "checkpoint with the tenant's key and stores it, unless the latest stored\n"
                "checkpoint already states that size and root. Prints one JSON line per\n"
                "customer: {\"customer\",\"size\",\"root\",\"new\",\"checkpoint\"}. `raas settle`\n"
                "writes a checkpoint of every customer whose invoice it locked.\n",
        .options = no_options,
        .min_args = 0,
        .max_args = 1,
        .run = run_checkpoint,
};

/* ---- proofs ---- */

static const struct raas_cli_option proof_options[] = {
        {"size", 0, "N", "the tree size the proof is for (default: the whole log)"},
        {NULL, 0, NULL, NULL},
};

static int run_proof(struct raas_cli *cli)
{
	const char *size_opt = raas_cli_option_value(cli, "size");
	struct raas_store *s = NULL;
	struct raas_err err;
	struct raas_buf b;
	uint64_t index, size = UINT64_MAX;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, 1 << 20);
	if ((rc = parse_count(cli, "INDEX", cli->args[1], &index)) ||
	    (size_opt && (rc = parse_count(cli, "--size", size_opt, &size))) ||
	    (rc = open_store(cli, false, &s)))
		goto out;
	if (raas_svc_proof(s, cli->args[0], index, size, "INDEX", "--size", &b, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	raas_cli_print_line(cli, b.data, b.len);
	rc = 0;
out:
	raas_store_close(s);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_evidence_proof = {
        .name = "evidence proof",
        .synopsis = "CUSTOMER INDEX",
        .summary = "print the RFC 6962 inclusion proof of one entry of a customer's log",
        .description =
                "Prints {\"customer\",\"index\",\"size\",\"leaf_hash\",\"root\",\"proof\"} with\n"
                "lowercase hex SHA-256 hashes: the audit path of entry INDEX (0-based) in the\n"
                "tree of the first --size entries of the customer's log (RFC 6962 §2.1.1).\n",
        .options = proof_options,
        .min_args = 2,
        .max_args = 2,
        .run = run_proof,
};

static int run_consistency(struct raas_cli *cli)
{
	struct raas_store *s = NULL;
	struct raas_err err;
	struct raas_buf b;
	uint64_t m, n;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, 1 << 20);
	if ((rc = parse_count(cli, "M", cli->args[1], &m)) ||
	    (rc = parse_count(cli, "N", cli->args[2], &n)))
		goto out;
	if (m == 0 || m > n) {
		fprintf(cli->err, "M: must be from 1 to N\n");
		rc = 2;
		goto out;
	}
	if ((rc = open_store(cli, false, &s)))
		goto out;
	if (raas_svc_consistency(s, cli->args[0], m, n, "M", "N", &b, &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	raas_cli_print_line(cli, b.data, b.len);
	rc = 0;
out:
	raas_store_close(s);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_evidence_consistency = {
        .name = "evidence consistency",
        .synopsis = "CUSTOMER M N",
        .summary = "print the RFC 6962 consistency proof between two sizes of a customer's log",
        .description =
                "Prints {\"customer\",\"size1\",\"size2\",\"root1\",\"root2\",\"proof\"} "
                "(lowercase hex):\n"
                "the proof that the tree of the first M entries is a prefix of the tree of the\n"
                "first N (RFC 6962 §2.1.2), for auditors who keep their own checkpoints.\n",
        .options = no_options,
        .min_args = 3,
        .max_args = 3,
        .run = run_consistency,
};

/* ---- bundle ---- */

static const struct raas_cli_option bundle_options[] = {
        {"output", 'o', "FILE", "write the bundle to FILE instead of stdout"},
        {NULL, 0, NULL, NULL},
};

static int run_bundle(struct raas_cli *cli)
{
	const char *file = raas_cli_option_value(cli, "output");
	struct raas_store *s = NULL;
	struct raas_contract *doc = NULL;
	struct raas_buf b;
	struct raas_err err;
	int64_t day;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&b, (size_t)1 << 34);
	{
		char buf[16];
		const char *d = cli->args[1];
		size_t n = strlen(d);
		if (n == 7) {
			memcpy(buf, d, 7);
			memcpy(buf + 7, "-01", 4);
			d = buf;
			n = 10;
		}
		if (raas_date_parse(d, n, &day, &err)) {
			fprintf(cli->err, "DATE: %s (expected YYYY-MM-DD or YYYY-MM)\n",
			        err.message);
			rc = 2;
			goto out;
		}
	}
	if ((rc = open_store(cli, false, &s)))
		goto out;
	if (!raas_store_contract_latest(s, cli->args[0])) {
		fprintf(cli->err, "%s: no such contract\n", cli->args[0]);
		rc = 2;
		goto out;
	}
	if (raas_load_version(s, raas_store_contract_latest(s, cli->args[0]), &doc, &err) ||
	    raas_evidence_bundle(s, cli->args[0], raas_date_midnight(day, doc->tz_offset_min), &b,
	                         &err)) {
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (file) {
		FILE *f = fopen(file, "w");
		if (!f || fwrite(b.data, 1, b.len, f) != b.len || fputc('\n', f) == EOF ||
		    fclose(f) != 0) {
			fprintf(cli->err, "%s: cannot write: %s\n", file, strerror(errno));
			rc = 2;
			goto out;
		}
		fprintf(cli->err, "wrote %s\n", file);
	} else
		raas_cli_print_line(cli, b.data, b.len);
	rc = 0;
out:
	raas_contract_free(doc);
	raas_store_close(s);
	raas_buf_free(&b);
	return rc;
}

const struct raas_cli_command raas_cmd_evidence_bundle = {
        .name = "evidence bundle",
        .synopsis = "CONTRACT DATE",
        .summary = "write the evidence bundle of a locked period (docs/formats/bundle.md)",
        .description =
                "Writes one JSON document: the verifier key, the customer's latest stored\n"
                "checkpoint, every leaf of the customer's log up to it, and the locked invoices\n"
                "of CONTRACT from the period containing DATE (YYYY-MM-DD or YYYY-MM) on that the\n"
                "checkpoint covers, oldest first. A period not locked and stored yet, or not\n"
                "covered by a checkpoint, exits 2. A reading command: it records nothing.\n",
        .options = bundle_options,
        .min_args = 2,
        .max_args = 2,
        .run = run_bundle,
};

/* ---- verify ---- */

static const struct raas_cli_option verify_options[] = {
        {"key", 0, "VKEY", "the published verifier key (raas evidence key) a bundle must carry"},
        {NULL, 0, NULL, NULL},
};

static int run_verify(struct raas_cli *cli)
{
	const char *key = raas_cli_option_value(cli, "key");
	struct raas_buf report;
	struct raas_err err;
	char *text = NULL;
	size_t len = 0;
	int rc;

	raas_err_clear(&err);
	raas_buf_init(&report, 1 << 24);
	if (!cli->nargs) {
		/* The whole data directory (--data, $RAAS_DATA, ./raas-data). */
		struct raas_store *s = NULL;
		if (key) {
			fprintf(cli->err,
			        "--key: a store is checked against its own key; --key is for "
			        "a BUNDLE\n");
			return 1;
		}
		if ((rc = open_store(cli, false, &s)))
			goto out;
		if (raas_evidence_verify_store(s, &report, &err) != RAAS_OK) {
			if (report.len)
				fwrite(report.data, 1, report.len, cli->err);
			rc = raas_cli_fail(cli, &err);
		} else {
			fwrite(report.data, 1, report.len, cli->out);
			fprintf(cli->out, "verified: %s\n", cli->data_dir);
			rc = 0;
		}
		raas_store_close(s);
		goto out;
	}
	if (!key) {
		fprintf(cli->err, "--key: required: the verifier key the vendor published (raas "
		                  "evidence key)\n");
		return 1;
	}
	if ((rc = raas_cli_read_file(cli, cli->args[0], (size_t)1 << 34, &text, &len)))
		goto out;
	/* The checks that passed, then the first one that failed. */
	if (raas_evidence_verify(text, len, key, &report, &err) != RAAS_OK) {
		if (report.len)
			fwrite(report.data, 1, report.len, cli->err);
		rc = raas_cli_fail(cli, &err);
		goto out;
	}
	if (report.len)
		fwrite(report.data, 1, report.len, cli->out);
	fprintf(cli->out, "verified: %s\n", cli->args[0]);
	rc = 0;
out:
	raas_free(text);
	raas_buf_free(&report);
	return rc;
}

const struct raas_cli_command raas_cmd_verify = {
        .name = "verify",
        .synopsis = "[BUNDLE]",
        .summary =
                "verify an evidence bundle offline, or (without BUNDLE) the whole data directory",
        .description =
                "Checks, in order, and prints each check passed: the bundle's verifier key is\n"
                "--key; the checkpoint is signed by it; the leaves are as many as it says and\n"
                "hash to its root; replaying the leaves through the settlement rules gives\n"
                "every invoice of the bundle byte for byte. Needs no data directory and no\n"
                "network. The first failure exits 4 and names the leaf, or the invoice and its\n"
                "line; a file that is not a bundle exits 2.\n"
                "Without BUNDLE (raas verify --data DIR) it checks the whole data directory:\n"
                "every log record's checksum and every customer's entries in sequence, every\n"
                "stored checkpoint (signature, root recomputed from the log, consistency with\n"
                "the one before), and every stored locked invoice replayed from the log alone.\n",
        .options = verify_options,
        .min_args = 0,
        .max_args = 1,
        .run = run_verify,
};
