/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_VALUE_H_INCLUDED_
#define _GAB_VALUE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <time.h>


/*
 * What the broker writes for a tenant, both with the same TTL:
 *
 *   KEY          {"access_token":"eyJ0eXAi...","expires_on":1767225600}
 *   KEY:broker   {"refresh_at":1767223800123,"issued_at":1767222000456,
 *                 "expires_on":1767225600,"fence":42,"by":"gw1:1234"}
 *
 * KEY is what the module reads (docs/tokens.md); KEY:broker tells every
 * broker when the token is due for a refresh (ms), which lock holder
 * (fence) wrote it, and who.
 */


#define GAB_VALUE_BY_MAX  128

typedef struct {
    int64_t    refresh_at;      /* ms */
    int64_t    issued_at;       /* ms */
    time_t     expires_on;      /* s */
    long long  fence;
    char       by[GAB_VALUE_BY_MAX];
} gab_meta_t;


/*
 * The token's value, read back with the module's own parser
 * (ga_token_parse()) to be sure the module takes it as written: NULL
 * with *why set (a static string) if it would not, or out of memory.
 * The result is to be freed with gab_value_free().
 */
char *gab_value_token(const char *token, time_t expires_on,
    const char **why);

void gab_value_free(char *value);

char *gab_value_meta(const gab_meta_t *m);

/* 0, or -1 if s is not a broker's KEY:broker value */
int gab_value_meta_parse(const char *s, size_t len, gab_meta_t *m);


#endif /* _GAB_VALUE_H_INCLUDED_ */
