
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_METRICS_H_INCLUDED_
#define _GA_METRICS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ga_errors.h"


/*
 * The label values of the Prometheus metrics, each a fixed set known when
 * the module is built, so that the counters fit a shared memory zone of a
 * size known in advance and no client can add a series: nothing of a
 * request (mailbox, name, path, token, id) is ever a label value.  Also
 * the parsing and printing of the histogram's bounds, in microseconds.
 */


/* graph_attach_requests_total{code}: the error codes, then these */
#define GA_METRICS_CODES_MAX       (GA_ERR_LAST + 7)

/* graph_attach_graph_responses_total{status}: Graph's, and "other" */
#define GA_METRICS_STATUSES_MAX    32

/* graph_attach_request_duration_seconds: bounds besides +Inf */
#define GA_METRICS_BUCKETS_MAX     32

/* the largest bound: a day, in microseconds */
#define GA_METRICS_BOUND_MAX       86400000000ULL

/* the longest bound printed: "86400.000001" */
#define GA_METRICS_BOUND_LEN       16


/* graph_attach_refusals_total{rule}: which rule of the gateway refused */
typedef enum {
    GA_METRICS_RULE_PATH = 0,
    GA_METRICS_RULE_MAILBOX,
    GA_METRICS_RULE_USER,
    GA_METRICS_RULE_SIZE,
    GA_METRICS_RULE_TYPE,
    GA_METRICS_RULE_EXTENSION,
    GA_METRICS_RULE_CONTENT,
    GA_METRICS_RULE_NAME,
    GA_METRICS_RULE_FILES,
    GA_METRICS_RULE_LIMITS,
    GA_METRICS_RULE_ENCODING,
    GA_METRICS_RULE_UPLOAD_HOST,
    GA_METRICS_RULE_ACCESS,
    GA_METRICS_RULE_RATE,
    GA_METRICS_RULES
} ga_metrics_rule_e;


/* graph_attach_token_lookups_total{result}: one per client request */
typedef enum {
    GA_METRICS_TOKEN_NONE = 0,         /* not counted */
    GA_METRICS_TOKEN_HIT,
    GA_METRICS_TOKEN_REFRESH,
    GA_METRICS_TOKEN_MISS,
    GA_METRICS_TOKEN_STALE,
    GA_METRICS_TOKEN_ERROR,
    GA_METRICS_TOKENS
} ga_metrics_token_e;


/* graph_attach_upload_sessions_total{result} */
typedef enum {
    GA_METRICS_SESSION_CREATED = 0,
    GA_METRICS_SESSION_COMPLETED,
    GA_METRICS_SESSION_FAILED,
    GA_METRICS_SESSION_CANCELLED,
    GA_METRICS_SESSION_UNKNOWN,
    GA_METRICS_SESSIONS
} ga_metrics_session_e;


/* graph_attach_bytes_total{direction} */
typedef enum {
    GA_METRICS_BYTES_IN = 0,
    GA_METRICS_BYTES_OUT,
    GA_METRICS_DIRECTIONS
} ga_metrics_direction_e;


/* codes: error codes of ga_errors.c in table order, without repeats */
size_t ga_metrics_codes(void);
const char *ga_metrics_code(size_t i);

/* the code of an error the module answered (a copy of a ga_error()) */
size_t ga_metrics_code_of_error(const ga_error_t *err);

/*
 * The code of a response that is no error of the module's: the class of
 * its status ("2xx" ... "5xx"), "ClientClosedRequest" for 499,
 * "NoResponse" for none, "other" beyond
 */
size_t ga_metrics_code_of_status(unsigned status);

/* the rule that refused, or -1 for an error that is no rule's */
int ga_metrics_rule_of_error(const ga_error_t *err);
const char *ga_metrics_rule(size_t i);

/* graph_attach_graph_responses_total{status}: Graph's statuses, "other" */
size_t ga_metrics_statuses(void);
const char *ga_metrics_status(size_t i);
size_t ga_metrics_status_index(unsigned status);

const char *ga_metrics_token(size_t i);
const char *ga_metrics_session(size_t i);
const char *ga_metrics_direction(size_t i);

/* a digest of every label value: a zone written with other labels is not
 * read as if it had these */
uint64_t ga_metrics_layout(void);

/* FNV-1a, 64 bits, continued from h (start with GA_METRICS_FNV_BASIS) */
#define GA_METRICS_FNV_BASIS  0xcbf29ce484222325ULL
uint64_t ga_metrics_fnv(uint64_t h, const void *data, size_t len);

/*
 * A bound in seconds as written in the configuration: digits, at most six
 * after a '.', more than 0 and at most a day.  0 and *us on success, -1
 * otherwise.
 */
int ga_metrics_parse_seconds(const u_char *p, size_t len, uint64_t *us);

/* us as seconds, without trailing zeros ("0.05", "1", "2.5"): at most
 * GA_METRICS_BOUND_LEN bytes, not terminated */
size_t ga_metrics_format_seconds(u_char *buf, uint64_t us);

/* the first bucket whose bound is at least us, n for +Inf */
size_t ga_metrics_bucket(const uint64_t *bounds, size_t n, uint64_t us);

/* a label value escaped as the text format wants (\\, \", \n), each
 * byte that starts no UTF-8 character as U+FFFD */
size_t ga_metrics_escape_len(const u_char *p, size_t len);
u_char *ga_metrics_escape(u_char *dst, const u_char *p, size_t len);


#endif /* _GA_METRICS_H_INCLUDED_ */
