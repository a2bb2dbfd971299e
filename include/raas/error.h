/* error.h — the one error vocabulary of raas.
 *
 * Every fallible function returns a raas_rc (0 is success) and, where a person must be
 * told what went wrong, fills a caller-provided struct raas_err: the code, the place
 * (a JSON path such as "tiers[2].up_to", an option name, "line 17"), an optional
 * line/column, and the text. Validation that must report *every* problem at once
 * (contracts, prices) collects them in a struct raas_problems instead.
 */
#ifndef RAAS_ERROR_H
#define RAAS_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RAAS_WUR __attribute__((warn_unused_result))
#define RAAS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* The codes double as the CLI's exit codes where one applies (cli.md). */
typedef enum raas_rc {
	RAAS_OK = 0,
	RAAS_E_USAGE = 1,   /* unknown command or option, missing or extra argument */
	RAAS_E_INPUT = 2,   /* the input (contract, event, argument value, file) is wrong */
	RAAS_E_STORAGE = 3, /* storage or internal failure */
	RAAS_E_VERIFY = 4,  /* a verification failed */
	RAAS_E_NOMEM = 5,   /* an allocation failed (exit 3) */
	RAAS_E_OVERFLOW =
	        6, /* a number reached the range limit (exit 2 for input, 3 in settlement) */
} raas_rc;

#define RAAS_ERR_PATH_MAX 256
#define RAAS_ERR_MESSAGE_MAX 512

struct raas_err {
	raas_rc code;
	char path[RAAS_ERR_PATH_MAX];       /* where: JSON path, option, ""; never NULL */
	uint32_t line;                      /* 1-based, 0 when not applicable */
	uint32_t column;                    /* 1-based, 0 when not applicable */
	char message[RAAS_ERR_MESSAGE_MAX]; /* what, in words a person can act on */
};

/* Resets *err to "no error". */
void raas_err_clear(struct raas_err *err);

/* Fills *err (if err is not NULL) and returns code, so callers can write
 * `return raas_err_set(err, RAAS_E_INPUT, "amount", "must be a string");`.
 * path may be NULL or "". The message is truncated to fit, never overflowed. */
raas_rc raas_err_set(struct raas_err *err, raas_rc code, const char *path, const char *fmt, ...)
        RAAS_PRINTF(4, 5);

/* Sets the line and column of *err (if not NULL). */
void raas_err_at(struct raas_err *err, uint32_t line, uint32_t column);

/* Writes "PATH: line L, column C: MESSAGE" into buf (parts that are absent are left out)
 * and returns the length it would have had (snprintf semantics). */
size_t raas_err_format(const struct raas_err *err, char *buf, size_t cap);

/* Prints raas_err_format(err) and a newline to f. */
void raas_err_print(FILE *f, const struct raas_err *err);

/* Exit code for an error code in a command that reads user input (cli.md). */
int raas_rc_exit_code(raas_rc rc);

/* Writes the len bytes at s into buf (cap ≥ 16) so that a message can quote them safely on
 * one line: '"' and '\\' and bytes below 0x20 or 0x7f escaped as JSON escapes them, at most
 * max_in input bytes, cut on a UTF-8 character boundary with "…" appended when cut. No
 * surrounding quotes. Returns buf. */
const char *raas_escape(char *buf, size_t cap, const char *s, size_t len, size_t max_in);

/* ---- many problems at once (validation) ---- */

/* A problem list keeps the first RAAS_PROBLEMS_MAX problems and counts the rest, so that
 * hostile input cannot make it grow without bound. */
#define RAAS_PROBLEMS_MAX 100

struct raas_problem {
	char *path;    /* owned; "" when the problem has no place */
	char *message; /* owned */
};

struct raas_problems {
	struct raas_problem *items;
	size_t count;
	size_t cap;
	size_t dropped;    /* problems beyond RAAS_PROBLEMS_MAX, counted but not kept */
	int out_of_memory; /* set when a problem could not be recorded */
};

/* Appends one problem (path may be NULL). Never fails visibly: on allocation failure
 * it sets problems->out_of_memory, which callers turn into RAAS_E_NOMEM. */
void raas_problems_add(struct raas_problems *problems, const char *path, const char *fmt, ...)
        RAAS_PRINTF(3, 4);

/* Number of problems found, kept or not. */
size_t raas_problems_total(const struct raas_problems *problems);

/* Prints each problem as "PATH: MESSAGE" (or "MESSAGE") on its own line, then
 * "… and N more problems" when some were dropped. */
void raas_problems_print(FILE *f, const struct raas_problems *problems);

/* Frees every problem; the struct may be reused afterwards (it is zeroed). */
void raas_problems_free(struct raas_problems *problems);

#endif
