
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_JSON_STRIP_H_INCLUDED_
#define _GA_JSON_STRIP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/*
 * A streaming filter that copies one JSON object (RFC 8259) without its
 * top-level members named key: Graph's answer to an add-attachment POST
 * kept without its contentBytes, which may be megabytes.
 *
 * The input may come in pieces of any size, split anywhere.  The output is
 * the same object, members in the same order, with every member at depth 1
 * whose key equals key removed with its value and one comma, so that it
 * stays valid JSON.  Keys are compared after their escapes are decoded
 * (\uXXXX to UTF-8, surrogate pairs joined; a lone surrogate never
 * matches), against the raw bytes of key; keys of any length are compared,
 * nothing of them is buffered apart from out.  Members of the same name
 * deeper down are kept.
 *
 * Whitespace outside strings is dropped: the output is compact.  Everything
 * else is copied byte for byte; bytes >= 0x80 are not checked for UTF-8.
 *
 * The input must be exactly one object, with nothing but whitespace around
 * it, nested at most GA_JSON_STRIP_DEPTH_MAX deep (the object itself is
 * depth 1); strings, escapes, numbers and literals are checked as the
 * grammar says, so what is accepted is valid JSON and so is the output.
 *
 * The output goes to out, at most out_size bytes; a removed member takes no
 * room.  Memory use is the state below, whatever the input.
 */


#define GA_JSON_STRIP_DEPTH_MAX  64


enum {
    GA_JSON_STRIP_OK = 0,
    GA_JSON_STRIP_ERR_SYNTAX = -1,    /* not one JSON object, or too deep */
    GA_JSON_STRIP_ERR_TOO_LONG = -2   /* the output needs more than out_size */
};


/* private: read through the functions below only */

typedef struct {
    const u_char  *key;
    size_t         key_len;
    size_t         key_pos;      /* key bytes matched so far */
    u_char        *out;
    size_t         out_size;
    size_t         out_len;
    size_t         mark;         /* out_len before a depth 1 member */
    const char    *lit;          /* the rest of true, false or null */
    uint64_t       arrays;       /* bit n set: depth n + 1 is an array */
    uint32_t       cp;           /* the \uXXXX being read */
    uint32_t       hi;           /* a high surrogate waiting for its pair */
    int            rc;           /* sticky once an error */
    u_char         state;
    u_char         depth;
    u_char         hex;          /* hex digits read of a \uXXXX */
    unsigned       in_key:1;     /* the string is a key */
    unsigned       match:1;      /* a depth 1 key still equal to key */
    unsigned       pending:1;    /* a depth 1 key, not yet known to be kept */
    unsigned       over:1;       /* out was full while pending */
    unsigned       skip:1;       /* a removed member: no output */
    unsigned       members:1;    /* a member was kept at depth 1 */
} ga_json_strip_t;


/*
 * key (key_len bytes) must live as long as s; out receives the output,
 * which is complete only once ga_json_strip_finish() returns OK.
 */

void ga_json_strip_init(ga_json_strip_t *s, const u_char *key, size_t key_len,
    u_char *out, size_t out_size);

/*
 * Filters the next len bytes: GA_JSON_STRIP_OK, or an error, which every
 * later call returns again.
 */

int ga_json_strip_feed(ga_json_strip_t *s, const u_char *p, size_t len);

/*
 * The end of the input: GA_JSON_STRIP_OK and the output length in *out_len
 * if the object was complete, GA_JSON_STRIP_ERR_SYNTAX if not, or the
 * error feed returned.
 */

int ga_json_strip_finish(ga_json_strip_t *s, size_t *out_len);


#endif /* _GA_JSON_STRIP_H_INCLUDED_ */
