
/*
 * Copyright (C) graph-attach authors
 */


#include <string.h>

#include "ga_json_strip.h"


enum {
    sw_start = 0,
    sw_obj_first,       /* after '{': a key or '}' */
    sw_obj_key,         /* after ',' in an object: a key */
    sw_colon,
    sw_value,
    sw_arr_first,       /* after '[': a value or ']' */
    sw_after,           /* after a value: ',' or the closing bracket */
    sw_string,
    sw_escape,
    sw_hex,
    sw_minus,
    sw_zero,
    sw_int,
    sw_dot,
    sw_frac,
    sw_e,
    sw_e_sign,
    sw_exp,
    sw_literal,
    sw_done
};


#define ga_json_strip_ws(c)                                                  \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

#define ga_json_strip_digit(c)  ((c) >= '0' && (c) <= '9')

#define ga_json_strip_in_array(s)  (((s)->arrays >> ((s)->depth - 1)) & 1)


static void ga_json_strip_emit(ga_json_strip_t *s, u_char c);
static void ga_json_strip_emit_run(ga_json_strip_t *s, const u_char *p,
    size_t len);
static int ga_json_strip_push(ga_json_strip_t *s, unsigned array);
static void ga_json_strip_key_start(ga_json_strip_t *s);
static void ga_json_strip_string_done(ga_json_strip_t *s);
static void ga_json_strip_value_done(ga_json_strip_t *s);
static void ga_json_strip_key_byte(ga_json_strip_t *s, u_char c);
static void ga_json_strip_key_cp(ga_json_strip_t *s, uint32_t cp);
static int ga_json_strip_hex(u_char c);


void
ga_json_strip_init(ga_json_strip_t *s, const u_char *key, size_t key_len,
    u_char *out, size_t out_size)
{
    memset(s, 0, sizeof(ga_json_strip_t));

    s->key = key;
    s->key_len = key_len;
    s->out = out;
    s->out_size = out_size;
    s->rc = GA_JSON_STRIP_OK;
    s->state = sw_start;
}


int
ga_json_strip_feed(ga_json_strip_t *s, const u_char *p, size_t len)
{
    int            v;
    u_char         c;
    const u_char  *q, *last;

    if (s->rc != GA_JSON_STRIP_OK) {
        return s->rc;
    }

    if (len == 0) {
        return GA_JSON_STRIP_OK;
    }

    last = p + len;

    while (p < last) {

        /*
         * Output that does not fit is an error at once, except in a depth 1
         * key: the member may yet be removed, and then it takes no room.
         */

        if (s->over && !s->pending) {
            goto too_long;
        }

        c = *p;

        switch (s->state) {

        case sw_start:
            if (ga_json_strip_ws(c)) {
                break;
            }

            if (c != '{') {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            (void) ga_json_strip_push(s, 0);
            s->state = sw_obj_first;
            break;

        case sw_obj_first:
            if (c == '}') {
                ga_json_strip_emit(s, c);
                s->depth--;
                ga_json_strip_value_done(s);
                break;
            }

            /* fall through */

        case sw_obj_key:
            if (ga_json_strip_ws(c)) {
                break;
            }

            if (c != '"') {
                goto syntax;
            }

            ga_json_strip_key_start(s);
            break;

        case sw_colon:
            if (ga_json_strip_ws(c)) {
                break;
            }

            if (c != ':') {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            s->state = sw_value;
            break;

        case sw_arr_first:
            if (c == ']') {
                ga_json_strip_emit(s, c);
                s->depth--;
                ga_json_strip_value_done(s);
                break;
            }

            /* fall through */

        case sw_value:
            if (ga_json_strip_ws(c)) {
                break;
            }

            switch (c) {

            case '{':
            case '[':
                if (ga_json_strip_push(s, c == '[') != GA_JSON_STRIP_OK) {
                    goto syntax;
                }

                s->state = (c == '[') ? sw_arr_first : sw_obj_first;
                break;

            case '"':
                s->in_key = 0;
                s->state = sw_string;
                break;

            case '-':
                s->state = sw_minus;
                break;

            case '0':
                s->state = sw_zero;
                break;

            case 't':
                s->lit = "rue";
                s->state = sw_literal;
                break;

            case 'f':
                s->lit = "alse";
                s->state = sw_literal;
                break;

            case 'n':
                s->lit = "ull";
                s->state = sw_literal;
                break;

            default:
                if (c < '1' || c > '9') {
                    goto syntax;
                }

                s->state = sw_int;
            }

            ga_json_strip_emit(s, c);
            break;

        case sw_after:
            if (ga_json_strip_ws(c)) {
                break;
            }

            if (c == ',') {

                /* depth 1 commas are written before a kept member */

                if (s->depth > 1) {
                    ga_json_strip_emit(s, c);
                }

                s->state = ga_json_strip_in_array(s) ? sw_value : sw_obj_key;
                break;
            }

            if (c != (ga_json_strip_in_array(s) ? ']' : '}')) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            s->depth--;
            ga_json_strip_value_done(s);
            break;

        case sw_string:

            /* the bulk of a long value, contentBytes above all */

            if (!s->pending) {
                for (q = p; q < last && *q != '"' && *q != '\\' && *q >= 0x20;
                     q++)
                {
                    /* void */
                }

                if (q != p) {
                    ga_json_strip_emit_run(s, p, (size_t) (q - p));
                    p = q;
                    continue;
                }
            }

            if (c == '"') {
                ga_json_strip_emit(s, c);
                ga_json_strip_string_done(s);
                break;
            }

            if (c == '\\') {
                ga_json_strip_emit(s, c);
                s->state = sw_escape;
                break;
            }

            if (c < 0x20) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            ga_json_strip_key_byte(s, c);
            break;

        case sw_escape:
            ga_json_strip_emit(s, c);
            s->state = sw_string;

            switch (c) {
            case '"':
            case '\\':
            case '/':
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'u':
                s->cp = 0;
                s->hex = 0;
                s->state = sw_hex;
                break;
            default:
                goto syntax;
            }

            if (s->state == sw_string) {
                ga_json_strip_key_byte(s, c);
            }

            break;

        case sw_hex:
            v = ga_json_strip_hex(c);

            if (v < 0) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            s->cp = (s->cp << 4) | (uint32_t) v;

            if (++s->hex == 4) {
                ga_json_strip_key_cp(s, s->cp);
                s->state = sw_string;
            }

            break;

        case sw_minus:
            if (c == '0') {
                s->state = sw_zero;

            } else if (c >= '1' && c <= '9') {
                s->state = sw_int;

            } else {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            break;

        case sw_int:
            if (ga_json_strip_digit(c)) {
                ga_json_strip_emit(s, c);
                break;
            }

            /* fall through */

        case sw_zero:
            if (c == '.') {
                s->state = sw_dot;

            } else if (c == 'e' || c == 'E') {
                s->state = sw_e;

            } else {
                goto number_done;
            }

            ga_json_strip_emit(s, c);
            break;

        case sw_dot:
            if (!ga_json_strip_digit(c)) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            s->state = sw_frac;
            break;

        case sw_frac:
            if (ga_json_strip_digit(c)) {
                ga_json_strip_emit(s, c);
                break;
            }

            if (c != 'e' && c != 'E') {
                goto number_done;
            }

            ga_json_strip_emit(s, c);
            s->state = sw_e;
            break;

        case sw_e:
            if (c == '+' || c == '-') {
                ga_json_strip_emit(s, c);
                s->state = sw_e_sign;
                break;
            }

            /* fall through */

        case sw_e_sign:
            if (!ga_json_strip_digit(c)) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);
            s->state = sw_exp;
            break;

        case sw_exp:
            if (ga_json_strip_digit(c)) {
                ga_json_strip_emit(s, c);
                break;
            }

            goto number_done;

        case sw_literal:
            if (c != (u_char) *s->lit) {
                goto syntax;
            }

            ga_json_strip_emit(s, c);

            if (*++s->lit == '\0') {
                ga_json_strip_value_done(s);
            }

            break;

        default: /* sw_done */
            if (!ga_json_strip_ws(c)) {
                goto syntax;
            }
        }

        p++;
        continue;

    number_done:

        /* a number ends at the first byte not its own: read that one again */

        ga_json_strip_value_done(s);
    }

    if (s->over && !s->pending) {
        goto too_long;
    }

    return GA_JSON_STRIP_OK;

syntax:

    s->rc = GA_JSON_STRIP_ERR_SYNTAX;
    return s->rc;

too_long:

    s->rc = GA_JSON_STRIP_ERR_TOO_LONG;
    return s->rc;
}


int
ga_json_strip_finish(ga_json_strip_t *s, size_t *out_len)
{
    if (s->rc != GA_JSON_STRIP_OK) {
        return s->rc;
    }

    if (s->state != sw_done) {
        s->rc = GA_JSON_STRIP_ERR_SYNTAX;
        return s->rc;
    }

    *out_len = s->out_len;

    return GA_JSON_STRIP_OK;
}


static void
ga_json_strip_emit(ga_json_strip_t *s, u_char c)
{
    if (s->skip) {
        return;
    }

    if (s->out_len == s->out_size) {
        s->over = 1;
        return;
    }

    s->out[s->out_len++] = c;
}


static void
ga_json_strip_emit_run(ga_json_strip_t *s, const u_char *p, size_t len)
{
    size_t  n;

    if (s->skip) {
        return;
    }

    n = s->out_size - s->out_len;

    if (len > n) {
        s->over = 1;
        len = n;
    }

    memcpy(s->out + s->out_len, p, len);
    s->out_len += len;
}


static int
ga_json_strip_push(ga_json_strip_t *s, unsigned array)
{
    if (s->depth == GA_JSON_STRIP_DEPTH_MAX) {
        return GA_JSON_STRIP_ERR_SYNTAX;
    }

    if (array) {
        s->arrays |= (uint64_t) 1 << s->depth;

    } else {
        s->arrays &= ~((uint64_t) 1 << s->depth);
    }

    s->depth++;

    return GA_JSON_STRIP_OK;
}


/*
 * A key starts.  At depth 1 it is written where it will stay if kept, its
 * comma first: commas there are not copied but written before every kept
 * member but the first, so removing a member anywhere leaves valid JSON.
 */

static void
ga_json_strip_key_start(ga_json_strip_t *s)
{
    s->in_key = 1;
    s->state = sw_string;

    if (s->depth == 1) {
        s->mark = s->out_len;
        s->pending = 1;
        s->match = 1;
        s->key_pos = 0;
        s->hi = 0;

        if (s->members) {
            ga_json_strip_emit(s, ',');
        }
    }

    ga_json_strip_emit(s, '"');
}


static void
ga_json_strip_string_done(ga_json_strip_t *s)
{
    if (!s->in_key) {
        ga_json_strip_value_done(s);
        return;
    }

    s->in_key = 0;
    s->state = sw_colon;

    if (!s->pending) {
        return;
    }

    s->pending = 0;

    if (s->match && s->hi == 0 && s->key_pos == s->key_len) {

        /* the member goes: its comma and key are taken back */

        s->out_len = s->mark;
        s->over = 0;
        s->skip = 1;
    }
}


static void
ga_json_strip_value_done(ga_json_strip_t *s)
{
    if (s->depth == 0) {
        s->state = sw_done;
        return;
    }

    s->state = sw_after;

    if (s->depth == 1) {

        /* the value of a depth 1 member */

        if (s->skip) {
            s->skip = 0;

        } else {
            s->members = 1;
        }
    }
}


/* the next decoded byte of a depth 1 key */

static void
ga_json_strip_key_byte(ga_json_strip_t *s, u_char c)
{
    if (!s->pending || !s->match) {
        return;
    }

    if (s->hi != 0 || s->key_pos == s->key_len || s->key[s->key_pos] != c) {
        s->match = 0;
        return;
    }

    s->key_pos++;
}


/* a \uXXXX of a depth 1 key, compared as UTF-8 */

static void
ga_json_strip_key_cp(ga_json_strip_t *s, uint32_t cp)
{
    if (!s->pending || !s->match) {
        return;
    }

    if (s->hi != 0) {
        if (cp < 0xdc00 || cp > 0xdfff) {
            s->match = 0;
            return;
        }

        cp = 0x10000 + ((s->hi - 0xd800) << 10) + (cp - 0xdc00);
        s->hi = 0;

    } else if (cp >= 0xd800 && cp <= 0xdbff) {
        s->hi = cp;
        return;

    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        s->match = 0;
        return;
    }

    if (cp < 0x80) {
        ga_json_strip_key_byte(s, (u_char) cp);

    } else if (cp < 0x800) {
        ga_json_strip_key_byte(s, (u_char) (0xc0 | (cp >> 6)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | (cp & 0x3f)));

    } else if (cp < 0x10000) {
        ga_json_strip_key_byte(s, (u_char) (0xe0 | (cp >> 12)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | ((cp >> 6) & 0x3f)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | (cp & 0x3f)));

    } else {
        ga_json_strip_key_byte(s, (u_char) (0xf0 | (cp >> 18)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | ((cp >> 12) & 0x3f)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | ((cp >> 6) & 0x3f)));
        ga_json_strip_key_byte(s, (u_char) (0x80 | (cp & 0x3f)));
    }
}


static int
ga_json_strip_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
