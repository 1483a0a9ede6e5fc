
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_filename_decode.h"
#include "ga_header_params.h"
#include "tap.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1
#define NONE  NULL, 0

#define B70                                                                  \
    "0123456789'()+_,-./:=? abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"


typedef struct {
    const char    *name;
    const u_char  *value;
    size_t         value_len;
    int            rc;
    const u_char  *boundary;
    size_t         boundary_len;
} ct_vec_t;


static const ct_vec_t  ct[] = {
    { "plain", S("multipart/form-data; boundary=XyZ"), GA_HP_OK,
      S("XyZ") },
    { "curl", S("multipart/form-data; boundary=------------------------"
                "563bda765020a045"), GA_HP_OK,
      S("------------------------563bda765020a045") },
    { "quoted (.NET HttpClient)",
      S("multipart/form-data; boundary=\"b7c1f0e2-66d4-4a63-9e0b\""),
      GA_HP_OK, S("b7c1f0e2-66d4-4a63-9e0b") },
    { "charset after the boundary",
      S("multipart/form-data; boundary=XyZ; charset=utf-8"), GA_HP_OK,
      S("XyZ") },
    { "charset before the boundary",
      S("multipart/form-data; charset=UTF-8; boundary=XyZ"), GA_HP_OK,
      S("XyZ") },
    { "case-insensitive type and parameter",
      S("Multipart/Form-Data; BOUNDARY=XyZ"), GA_HP_OK, S("XyZ") },
    { "no space", S("multipart/form-data;boundary=XyZ"), GA_HP_OK,
      S("XyZ") },
    { "whitespace everywhere",
      S(" \tmultipart/form-data \t ; \t boundary = XyZ \t ;\t"), GA_HP_OK,
      S("XyZ") },
    { "empty parameters", S("multipart/form-data;; boundary=XyZ;"),
      GA_HP_OK, S("XyZ") },
    { "quoted other parameter with ; and =",
      S("multipart/form-data; x=\"a;boundary=no\"; boundary=XyZ"),
      GA_HP_OK, S("XyZ") },
    { "70 bchars", S("multipart/form-data; boundary=\"" B70 "\""), GA_HP_OK,
      S(B70) },
    { "boundary with inner space quoted",
      S("multipart/form-data; boundary=\"a b\""), GA_HP_OK, S("a b") },
    { "boundary with = unquoted is a token error",
      S("multipart/form-data; boundary=a=b"), GA_HP_ERR_SYNTAX, NONE },

    { "71 bchars", S("multipart/form-data; boundary=\"" B70 "V\""),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "empty quoted", S("multipart/form-data; boundary=\"\""),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "empty token", S("multipart/form-data; boundary="), GA_HP_ERR_SYNTAX,
      NONE },
    { "ends with space", S("multipart/form-data; boundary=\"ab \""),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "char outside bchars", S("multipart/form-data; boundary=a!b"),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "quoted-pair", S("multipart/form-data; boundary=\"a\\\"b\""),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "non-ASCII", S("multipart/form-data; boundary=\303\251"),
      GA_HP_ERR_BAD_BOUNDARY, NONE },
    { "duplicate", S("multipart/form-data; boundary=a; boundary=b"),
      GA_HP_ERR_DUPLICATE, NONE },
    { "duplicate, same value",
      S("multipart/form-data; boundary=a; Boundary=\"a\""),
      GA_HP_ERR_DUPLICATE, NONE },
    { "no boundary", S("multipart/form-data"), GA_HP_ERR_NO_BOUNDARY, NONE },
    { "no boundary, charset", S("multipart/form-data; charset=utf-8"),
      GA_HP_ERR_NO_BOUNDARY, NONE },
    { "boundary inside a quoted value only",
      S("multipart/form-data; x=\"; boundary=a\""), GA_HP_ERR_NO_BOUNDARY,
      NONE },
    { "mixed", S("multipart/mixed; boundary=a"), GA_HP_ERR_NOT_MULTIPART,
      NONE },
    { "urlencoded", S("application/x-www-form-urlencoded"),
      GA_HP_ERR_NOT_MULTIPART, NONE },
    { "prefix of the type", S("multipart/form-dat; boundary=a"),
      GA_HP_ERR_NOT_MULTIPART, NONE },
    { "longer type", S("multipart/form-data2; boundary=a"),
      GA_HP_ERR_NOT_MULTIPART, NONE },
    { "empty", S(""), GA_HP_ERR_NOT_MULTIPART, NONE },
    { "missing ;", S("multipart/form-data boundary=a"), GA_HP_ERR_SYNTAX,
      NONE },
    { "unterminated quote", S("multipart/form-data; boundary=\"abc"),
      GA_HP_ERR_SYNTAX, NONE },
    { "parameter without =", S("multipart/form-data; boundary"),
      GA_HP_ERR_SYNTAX, NONE },
    { "CR in a quoted parameter",
      S("multipart/form-data; x=\"a\rb\"; boundary=a"), GA_HP_ERR_BAD_VALUE,
      NONE },
};


typedef struct {
    const char    *name;
    const u_char  *value;
    size_t         value_len;
    int            rc;
    const u_char  *fname;        /* field name, NULL: none */
    size_t         fname_len;
    const u_char  *filename;     /* NULL: none */
    size_t         filename_len;
} cd_vec_t;


static const cd_vec_t  cd[] = {
    { "field", S("form-data; name=\"a\""), GA_HP_OK, S("a"), NONE },
    { "file", S("form-data; name=\"file\"; filename=\"x.txt\""), GA_HP_OK,
      S("file"), S("x.txt") },
    { "tokens", S("form-data; name=file; filename=x.txt"), GA_HP_OK,
      S("file"), S("x.txt") },
    { "filename first", S("form-data; filename=\"x.txt\"; name=\"file\""),
      GA_HP_OK, S("file"), S("x.txt") },
    { "case-insensitive", S("Form-Data; NAME=\"a\"; FileName=\"b\""),
      GA_HP_OK, S("a"), S("b") },
    { "whitespace", S("  form-data ;name = \"a\" ;\tfilename= \"b\"  "),
      GA_HP_OK, S("a"), S("b") },
    { "empty filename", S("form-data; name=\"file\"; filename=\"\""),
      GA_HP_OK, S("file"), S("") },
    { "empty name", S("form-data; name=\"\""), GA_HP_OK, S(""), NONE },
    { "no name", S("form-data; filename=\"b\""), GA_HP_OK, NONE, S("b") },
    { "no parameters", S("form-data"), GA_HP_OK, NONE, NONE },
    { "unknown parameters ignored",
      S("form-data; size=3; name=\"a\"; creation-date=\"Wed, 12 Feb 1997 "
        "16:29:51 -0500\""), GA_HP_OK, S("a"), NONE },

    /* name vs filename */
    { "field literally named filename", S("form-data; name=\"filename\""),
      GA_HP_OK, S("filename"), NONE },
    { "filename= is not name=", S("form-data; filename=\"name\""),
      GA_HP_OK, NONE, S("name") },
    { "name= inside a quoted filename",
      S("form-data; filename=\"x; name=evil\"; name=\"a\""), GA_HP_OK,
      S("a"), S("x; name=evil") },
    { "filename= inside a quoted name",
      S("form-data; name=\"a; filename=evil.exe\""), GA_HP_OK,
      S("a; filename=evil.exe"), NONE },
    { "; and = inside quotes",
      S("form-data; name=\"a\"; filename=\"semi;colon=eq.txt\""), GA_HP_OK,
      S("a"), S("semi;colon=eq.txt") },
    { "xname is not name", S("form-data; xname=\"a\"; name=\"b\""),
      GA_HP_OK, S("b"), NONE },

    /* filename* */
    { "filename* UTF-8",
      S("form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve.pdf"), GA_HP_OK,
      S("f"), S("na\303\257ve.pdf") },
    { "filename* ISO-8859-1",
      S("form-data; name=\"f\"; filename*=iso-8859-1'fr'r%E9sum%E9.pdf"),
      GA_HP_OK, S("f"), S("r\303\251sum\303\251.pdf") },
    { "filename* wins over filename",
      S("form-data; name=\"f\"; filename=\"fallback.pdf\"; "
        "filename*=UTF-8''%E2%82%AC.pdf"), GA_HP_OK, S("f"),
      S("\342\202\254.pdf") },
    { "filename* wins when first",
      S("form-data; filename*=UTF-8''%E2%82%AC.pdf; name=\"f\"; "
        "filename=\"fallback.pdf\""), GA_HP_OK, S("f"),
      S("\342\202\254.pdf") },
    { "filename* quoted (lenient)",
      S("form-data; name=\"f\"; filename*=\"UTF-8''a%20b\""), GA_HP_OK,
      S("f"), S("a b") },
    { "filename* empty value", S("form-data; name=\"f\"; filename*=UTF-8''"),
      GA_HP_OK, S("f"), S("") },
    { "FILENAME* upper case",
      S("form-data; name=\"f\"; FILENAME*=UTF-8''a"), GA_HP_OK, S("f"),
      S("a") },
    { "bad filename* charset",
      S("form-data; name=\"f\"; filename*=UTF-7''a"), GA_HP_ERR_BAD_VALUE,
      NONE, NONE },
    { "bad filename* hex", S("form-data; name=\"f\"; filename*=UTF-8''%ZZ"),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "filename* not UTF-8",
      S("form-data; name=\"f\"; filename*=UTF-8''%E9"), GA_HP_ERR_BAD_VALUE,
      NONE, NONE },
    { "filename* without quotes",
      S("form-data; name=\"f\"; filename*=a.txt"), GA_HP_ERR_BAD_VALUE,
      NONE, NONE },
    { "bad filename with a good filename*",
      S("form-data; name=\"f\"; filename=\"\351\"; filename*=UTF-8''a"),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },

    /* duplicates */
    { "duplicate filename",
      S("form-data; name=\"f\"; filename=\"a.jpg\"; filename=\"a.php\""),
      GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "duplicate filename, other case",
      S("form-data; name=\"f\"; filename=\"a.jpg\"; FILENAME=\"a.jpg\""),
      GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "duplicate name", S("form-data; name=\"a\"; name=\"b\""),
      GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "duplicate filename*",
      S("form-data; filename*=UTF-8''a; filename*=UTF-8''b"),
      GA_HP_ERR_DUPLICATE, NONE, NONE },

    /* type */
    { "attachment", S("attachment; filename=\"a\""), GA_HP_ERR_NOT_FORM_DATA,
      NONE, NONE },
    { "inline", S("inline"), GA_HP_ERR_NOT_FORM_DATA, NONE, NONE },
    { "form-data prefix", S("form-dat; name=\"a\""), GA_HP_ERR_NOT_FORM_DATA,
      NONE, NONE },
    { "empty", S(""), GA_HP_ERR_SYNTAX, NONE, NONE },
    { "only ;", S("; name=\"a\""), GA_HP_ERR_SYNTAX, NONE, NONE },

    /* syntax and values */
    { "unterminated quote", S("form-data; name=\"a"), GA_HP_ERR_SYNTAX,
      NONE, NONE },
    { "unterminated under both readings", S("form-data; name=\"a\\\"b"),
      GA_HP_ERR_SYNTAX, NONE, NONE },
    { "unterminated, a backslash before the end",
      S("form-data; name=\"a\\"), GA_HP_ERR_SYNTAX, NONE, NONE },
    { "missing ;", S("form-data; name=\"a\" filename=\"b\""),
      GA_HP_ERR_SYNTAX, NONE, NONE },
    { "missing =", S("form-data; name"), GA_HP_ERR_SYNTAX, NONE, NONE },
    { "empty token value", S("form-data; name="), GA_HP_ERR_SYNTAX, NONE,
      NONE },
    { "empty parameter name", S("form-data; =\"a\""), GA_HP_ERR_SYNTAX,
      NONE, NONE },
    { "raw CR in quoted", S("form-data; name=\"a\rb\""), GA_HP_ERR_BAD_VALUE,
      NONE, NONE },
    { "raw LF in quoted", S("form-data; filename=\"a\nb\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "raw NUL in quoted", S("form-data; filename=\"a\000b\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "escaped CR is still CR", S("form-data; filename=\"a\\\rb\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "Latin-1 filename", S("form-data; filename=\"r\351sum\351\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "invalid UTF-8 name", S("form-data; name=\"\300\257\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "surrogate in name", S("form-data; name=\"\355\240\200\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "unquoted UTF-8 filename (lenient)",
      S("form-data; name=f; filename=\303\251.txt"), GA_HP_OK, S("f"),
      S("\303\251.txt") },
    { "escaped quote in name (Go)", S("form-data; name=\"a\\\"b\""),
      GA_HP_OK, S("a\"b"), NONE },
    { "WHATWG quote in name", S("form-data; name=\"a%22b\""), GA_HP_OK,
      S("a\"b"), NONE },
    { "tab inside quotes", S("form-data; name=\"a\tb\""), GA_HP_OK,
      S("a\tb"), NONE },

    /*
     * A backslash before the closing quote: WHATWG clients never escape
     * '\', so "ends with\" is read with the backslash literal when the
     * quoted-pair reading does not parse (ga_disposition_parse()).
     */
    { "WHATWG trailing backslash (Chromium)",
      S("form-data; name=\"file\"; filename=\"ends with\\\""), GA_HP_OK,
      S("file"), S("ends with\\") },
    { "WHATWG trailing backslash, name first ends in one too",
      S("form-data; name=\"fi\\eld\\\"; filename=\"b\\\""), GA_HP_OK,
      S("fi\\eld\\"), S("b\\") },
    { "WHATWG trailing backslash, filename first",
      S("form-data; filename=\"x\\\"; name=\"file\""), GA_HP_OK,
      S("file"), S("x\\") },
    { "WHATWG name only, trailing backslash", S("form-data; name=\"a\\\""),
      GA_HP_OK, S("a\\"), NONE },
    { "WHATWG %22 then a trailing backslash",
      S("form-data; name=\"file\"; filename=\"q%22\\\""), GA_HP_OK,
      S("file"), S("q\"\\") },
    { "WHATWG trailing backslash, aiohttp-looking value stays literal",
      S("form-data; name=\"file\"; filename=\"a%41\\\""), GA_HP_OK,
      S("file"), S("a%41\\") },
    { "WHATWG trailing backslash, spaces and ; after",
      S("form-data; name=\"file\"; filename=\"e\\\" ; "), GA_HP_OK,
      S("file"), S("e\\") },
    { "WHATWG trailing backslash, UTF-8",
      S("form-data; name=\"file\"; filename=\"na\303\257ve\\\""), GA_HP_OK,
      S("file"), S("na\303\257ve\\") },
    { "two backslashes: the quoted-pair reading parses and wins",
      S("form-data; name=\"file\"; filename=\"two\\\\\""), GA_HP_OK,
      S("file"), S("two\\") },
    { "Go: escaped trailing backslash",
      S("form-data; name=\"file\"; filename=\"ends with\\\\\""),
      GA_HP_OK, S("file"), S("ends with\\") },
    { "Go: escaped quotes, the literal reading would not parse",
      S("form-data; name=\"file\"; filename=\"say \\\"hi\\\".txt\""),
      GA_HP_OK, S("file"), S("say \"hi\".txt") },
    { "Go: escaped quote then backslash",
      S("form-data; name=\"file\"; filename=\"q\\\"\\\\\""), GA_HP_OK,
      S("file"), S("q\"\\") },
    { "quoted-pair reading parses, the literal one would not",
      S("form-data; name=\"contentType\\\"; x=\""), GA_HP_OK,
      S("contentType\"; x="), NONE },
    { "literal reading, CR inside its quotes",
      S("form-data; name=\"a\\\"; filename=\"b\rc\""), GA_HP_ERR_SYNTAX,
      NONE, NONE },
    { "literal reading, invalid UTF-8",
      S("form-data; name=\"file\"; filename=\"\351\\\""),
      GA_HP_ERR_BAD_VALUE, NONE, NONE },

    /* what a client could craft on the literal reading */
    { "literal: a second parameter hides no extension",
      S("form-data; name=\"file\"; filename=\"evil.exe\\\"; x=\".pdf\""),
      GA_HP_OK, S("file"), S("evil.exe\\") },
    { "literal: a second filename is a duplicate",
      S("form-data; name=\"file\"; filename=\"a.pdf\\\"; "
        "filename=\"evil.exe\""), GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "literal: a second name is a duplicate",
      S("form-data; name=\"file\"; filename=\"a.pdf\\\"; "
        "name=\"contentType\""), GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "literal: a second filename, other case",
      S("form-data; filename=\"a\\\"; FileName=\"b\""),
      GA_HP_ERR_DUPLICATE, NONE, NONE },
    { "literal: filename* after it wins as it always does",
      S("form-data; name=\"file\"; filename=\"a.pdf\\\"; "
        "filename*=UTF-8''b.exe"), GA_HP_OK, S("file"), S("b.exe") },
    { "literal: a bad filename* after it is still refused",
      S("form-data; name=\"file\"; filename=\"a.pdf\\\"; "
        "filename*=UTF-8''%E9"), GA_HP_ERR_BAD_VALUE, NONE, NONE },
    { "literal: the field name it gives is what follows",
      S("form-data; name=\"name\\\"; filename=\"x.exe\""), GA_HP_OK,
      S("name\\"), S("x.exe") },
    { "neither: an escaped quote and text after the literal close",
      S("form-data; name=\"file\"; filename=\"a\\\"b"), GA_HP_ERR_SYNTAX,
      NONE, NONE },
    { "neither: a backslash outside quotes",
      S("form-data; name=\"file\"; filename=\"a\\\"; x=\\\""),
      GA_HP_ERR_SYNTAX, NONE, NONE },
    { "neither: quotes left open on both readings",
      S("form-data; filename=\"a\\\";b=\";c=\"d"), GA_HP_ERR_SYNTAX,
      NONE, NONE },
    { "literal: what the other reading took as text is a parameter",
      S("form-data; filename=\"a\\\";b=\";c=\""), GA_HP_OK, NONE,
      S("a\\") },
};


/*
 * Content-Disposition values from clients not installed here, produced
 * with their encoders: aiohttp (urllib.parse.quote(name, safe='')),
 * httpx (\\ for '\', %22 for '"', %XX for controls), urllib3 1.x
 * (RFC 2231 filename*=utf-8'' for anything not plain ASCII).
 */

typedef struct {
    const char    *name;
    const u_char  *value;
    size_t         value_len;
    const u_char  *filename;
    size_t         filename_len;
} synth_vec_t;


static const synth_vec_t  synth[] = {
    { "aiohttp 0",
      S(
        "form-data; name=\"file\"; filename=\"plain.txt\""),
      S(
        "plain.txt") },
    { "httpx 0",
      S(
        "form-data; name=\"file\"; filename=\"plain.txt\""),
      S(
        "plain.txt") },
    { "urllib3 1.x 0",
      S(
        "form-data; name=\"file\"; filename=\"plain.txt\""),
      S(
        "plain.txt") },
    { "aiohttp 1",
      S(
        "form-data; name=\"file\"; filename=\"na%C3%AFve%20r%C3%A9sum%C3"
        "%A9.pdf\""),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "httpx 1",
      S(
        "form-data; name=\"file\"; filename=\"na\303\257ve r\303\251sum\303"
        "\251.pdf\""),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "urllib3 1.x 1",
      S(
        "form-data; name=\"file\"; filename*=utf-8''na%C3%AFve%20r%C3%A9"
        "sum%C3%A9.pdf"),
      S(
        "na\303\257ve r\303\251sum\303\251.pdf") },
    { "aiohttp 2",
      S(
        "form-data; name=\"file\"; filename=\"quote%22d.txt\""),
      S(
        "quote\"d.txt") },
    { "httpx 2",
      S(
        "form-data; name=\"file\"; filename=\"quote%22d.txt\""),
      S(
        "quote\"d.txt") },
    { "urllib3 1.x 2",
      S(
        "form-data; name=\"file\"; filename*=utf-8''quote%22d.txt"),
      S(
        "quote\"d.txt") },
    { "aiohttp 3",
      S(
        "form-data; name=\"file\"; filename=\"back%5Cslash.txt\""),
      S(
        "back\\slash.txt") },
    { "httpx 3",
      S(
        "form-data; name=\"file\"; filename=\"back\\\\slash.txt\""),
      S(
        "back\\slash.txt") },
    { "urllib3 1.x 3",
      S(
        "form-data; name=\"file\"; filename*=utf-8''back%5Cslash.txt"),
      S(
        "back\\slash.txt") },
    { "aiohttp 4",
      S(
        "form-data; name=\"file\"; filename=\"semi%3Bcolon%3Deq.txt\""),
      S(
        "semi;colon=eq.txt") },
    { "httpx 4",
      S(
        "form-data; name=\"file\"; filename=\"semi;colon=eq.txt\""),
      S(
        "semi;colon=eq.txt") },
    { "urllib3 1.x 4",
      S(
        "form-data; name=\"file\"; filename=\"semi;colon=eq.txt\""),
      S(
        "semi;colon=eq.txt") },
    { "aiohttp 5",
      S(
        "form-data; name=\"file\"; filename=\"%E6%97%A5%E6%9C%AC%E8%AA%9"
        "E.txt\""),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "httpx 5",
      S(
        "form-data; name=\"file\"; filename=\"\346\227\245\346\234\254\350"
        "\252\236.txt\""),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "urllib3 1.x 5",
      S(
        "form-data; name=\"file\"; filename*=utf-8''%E6%97%A5%E6%9C%AC%E"
        "8%AA%9E.txt"),
      S(
        "\346\227\245\346\234\254\350\252\236.txt") },
    { "aiohttp 6",
      S(
        "form-data; name=\"file\"; filename=\"cr%0Dlf%0A.txt\""),
      S(
        "cr\rlf\n"
        ".txt") },
    { "httpx 6",
      S(
        "form-data; name=\"file\"; filename=\"cr%0Dlf%0A.txt\""),
      S(
        "cr\rlf\n"
        ".txt") },
    { "urllib3 1.x 6",
      S(
        "form-data; name=\"file\"; filename*=utf-8''cr%0Dlf%0A.txt"),
      S(
        "cr\rlf\n"
        ".txt") },
    { "aiohttp 7",
      S(
        "form-data; name=\"file\"; filename=\"100%25.txt\""),
      S(
        "100%.txt") },
    { "httpx 7",
      S(
        "form-data; name=\"file\"; filename=\"100%.txt\""),
      S(
        "100%.txt") },
    { "urllib3 1.x 7",
      S(
        "form-data; name=\"file\"; filename=\"100%.txt\""),
      S(
        "100%.txt") },
    { "aiohttp 8",
      S(
        "form-data; name=\"file\"; filename=\"a%2520b.txt\""),
      S(
        "a%20b.txt") },
    { "httpx 8",
      S(
        "form-data; name=\"file\"; filename=\"a%20b.txt\""),
      S(
        "a b.txt") },
    { "urllib3 1.x 8",
      S(
        "form-data; name=\"file\"; filename=\"a%20b.txt\""),
      S(
        "a b.txt") },
};


/*
 * The two readings of a quoted value (see ga_disposition_parse()),
 * modelled here apart from the parser: every header made of up to
 * MODEL_LEN pieces below after "form-data" is split under each reading.
 * Whenever both parse, they must split it the same way (the claim that
 * makes the rule unambiguous), and ga_disposition_parse() must give what
 * the reading the rule picks gives: the same refusal, or the same name
 * and filename.
 */

#define MODEL_LEN    7
#define MODEL_PARAMS 16

typedef struct {
    const u_char  *name;
    size_t         name_len;
    const u_char  *value;
    size_t         value_len;
    int            quoted;
} model_prm_t;


static const char  *model_pieces[] = {
    "\"", "\\", ";", " ", "a", "name=", "filename="
};


static int
model_tchar(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~{}", c);
}


/* returns the number of parameters, or -1 if the reading does not parse */

static int
model_split(const u_char *p, const u_char *last, int literal,
    model_prm_t *prm)
{
    int  n;

    n = 0;

    for ( ;; ) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            return n;
        }

        if (*p++ != ';') {
            return -1;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p == ';') {
            continue;
        }

        if (n == MODEL_PARAMS) {
            return -1;
        }

        prm[n].name = p;

        while (p < last && model_tchar(*p)) {
            p++;
        }

        prm[n].name_len = p - prm[n].name;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (prm[n].name_len == 0 || p == last || *p++ != '=') {
            return -1;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p < last && *p == '"') {
            prm[n].value = ++p;
            prm[n].quoted = 1;

            while (p < last && *p != '"') {
                if (!literal && *p == '\\' && p + 1 < last
                    && (p[1] == '"' || p[1] == '\\'))
                {
                    p++;
                }

                p++;
            }

            if (p == last) {
                return -1;
            }

            prm[n].value_len = p++ - prm[n].value;

        } else {
            prm[n].value = p;
            prm[n].quoted = 0;

            while (p < last && (model_tchar(*p) || *p >= 0x80)) {
                p++;
            }

            prm[n].value_len = p - prm[n].value;

            if (prm[n].value_len == 0) {
                return -1;
            }
        }

        n++;
    }
}


static int
model_find(const model_prm_t *prm, int n, const char *name,
    const model_prm_t **found)
{
    int  i, count;

    count = 0;

    for (i = 0; i < n; i++) {
        if (prm[i].name_len == strlen(name)
            && memcmp(prm[i].name, name, prm[i].name_len) == 0)
        {
            *found = &prm[i];
            count++;
        }
    }

    return count;
}


/* what ga_disposition_parse() must give for a value, by the model */

static int
model_check(const u_char *v, size_t len)
{
    int                 n0, n1, n, i, literal, rc, cn, cf;
    size_t              dl;
    u_char              buf[512], dec[512];
    ga_disposition_t    d;
    const u_char       *p, *last;
    model_prm_t         r0[MODEL_PARAMS], r1[MODEL_PARAMS], *r;
    const model_prm_t  *nm, *fn;

    p = v + sizeof("form-data") - 1;
    last = v + len;

    n0 = model_split(p, last, 0, r0);
    n1 = model_split(p, last, 1, r1);

    if (n0 >= 0 && n1 >= 0) {
        if (n0 != n1) {
            return 0;
        }

        for (i = 0; i < n0; i++) {
            if (r0[i].name != r1[i].name || r0[i].value != r1[i].value
                || r0[i].value_len != r1[i].value_len)
            {
                return 0;
            }
        }
    }

    literal = (n0 < 0);
    n = literal ? n1 : n0;
    r = literal ? r1 : r0;

    rc = ga_disposition_parse(v, len, &d, buf, sizeof(buf));

    /* refused: which error depends on what comes first, as before */

    if (n < 0) {
        return rc != GA_HP_OK;
    }

    nm = NULL;
    fn = NULL;
    cn = model_find(r, n, "name", &nm);
    cf = model_find(r, n, "filename", &fn);

    if (cn > 1 || cf > 1) {
        return rc == GA_HP_ERR_DUPLICATE;
    }

    if (rc != GA_HP_OK || d.has_name != cn || d.has_filename != cf) {
        return 0;
    }

    if (nm) {
        if (ga_filename_decode(nm->value, nm->value_len,
                               nm->quoted && !literal, dec, &dl)
                != 0
            || dl != d.name_len || memcmp(dec, d.name, dl) != 0)
        {
            return 0;
        }
    }

    if (fn) {
        if (ga_filename_decode(fn->value, fn->value_len,
                               fn->quoted && !literal, dec, &dl)
                != 0
            || dl != d.filename_len || memcmp(dec, d.filename, dl) != 0)
        {
            return 0;
        }
    }

    return 1;
}


static void
test_model(void)
{
    int     k, bad, total;
    size_t  i, len, npieces;
    u_char  *v;
    int     idx[MODEL_LEN];
    u_char  tmp[256];

    npieces = sizeof(model_pieces) / sizeof(model_pieces[0]);
    bad = 0;
    total = 0;

    for (k = 0; k <= MODEL_LEN; k++) {
        memset(idx, 0, sizeof(idx));

        for ( ;; ) {
            memcpy(tmp, "form-data", sizeof("form-data") - 1);
            len = sizeof("form-data") - 1;

            for (i = 0; i < (size_t) k; i++) {
                memcpy(tmp + len, model_pieces[idx[i]],
                       strlen(model_pieces[idx[i]]));
                len += strlen(model_pieces[idx[i]]);
            }

            /* an exact-size heap copy, so ASan sees any read past the end */

            v = malloc(len);
            memcpy(v, tmp, len);

            if (!model_check(v, len)) {
                if (bad++ < 5) {
                    diag("model differs: %.*s", (int) len, v);
                }
            }

            free(v);
            total++;

            for (i = 0; i < (size_t) k; i++) {
                if ((size_t) ++idx[i] < npieces) {
                    break;
                }

                idx[i] = 0;
            }

            if (i == (size_t) k) {
                break;
            }
        }
    }

    ok(bad == 0, "model: %d headers, one split whenever both readings "
       "parse, and ga_disposition_parse() agrees (%d differ)", total, bad);
}


int
main(void)
{
    int                rc;
    size_t             i, blen, need;
    u_char             boundary[GA_MP_MAX_BOUNDARY], out[512], *buf;
    ga_disposition_t   d;
    const cd_vec_t    *c;
    const ct_vec_t    *t;

    for (i = 0; i < sizeof(ct) / sizeof(ct[0]); i++) {
        t = &ct[i];
        blen = 0;
        rc = ga_content_type_boundary(t->value, t->value_len, boundary,
                                      &blen);

        if (is_int(rc, t->rc, "content type: %s", t->name)
            && rc == GA_HP_OK)
        {
            is_mem(boundary, blen, t->boundary, t->boundary_len,
                   "content type: %s: boundary", t->name);
        }
    }

    for (i = 0; i < sizeof(cd) / sizeof(cd[0]); i++) {
        c = &cd[i];

        /* an exact-size heap copy, so ASan sees any read past the end */

        buf = malloc(c->value_len + 1);
        memcpy(buf, c->value, c->value_len);

        rc = ga_disposition_parse(buf, c->value_len, &d, boundary,
                                  sizeof(boundary));

        if (is_int(rc, c->rc, "disposition: %s", c->name)
            && rc == GA_HP_OK)
        {
            ok(d.has_name == (c->fname != NULL)
               && d.has_filename == (c->filename != NULL),
               "disposition: %s: has_name %d has_filename %d", c->name,
               d.has_name, d.has_filename);

            if (c->fname) {
                is_mem(d.name, d.name_len, c->fname, c->fname_len,
                       "disposition: %s: name", c->name);
            }

            if (c->filename) {
                is_mem(d.filename, d.filename_len, c->filename,
                       c->filename_len, "disposition: %s: filename",
                       c->name);
            }
        }

        free(buf);
    }

    for (i = 0; i < sizeof(synth) / sizeof(synth[0]); i++) {
        rc = ga_disposition_parse(synth[i].value, synth[i].value_len, &d,
                                  out, sizeof(out));

        if (is_int(rc, GA_HP_OK, "%s: parsed", synth[i].name)) {
            ok(d.has_name && d.name_len == 4
               && memcmp(d.name, "file", 4) == 0, "%s: name", synth[i].name);
            is_mem(d.filename, d.filename_len, synth[i].filename,
                   synth[i].filename_len, "%s: filename", synth[i].name);
        }
    }

    /* buf size: raw name + raw filename, or 2 * filename* */

    need = 3 + 5;
    buf = malloc(need);
    rc = ga_disposition_parse(S("form-data; name=\"abc\"; filename=\"x.txt\""),
                              &d, buf, need);
    ok(rc == GA_HP_OK && d.name_len == 3 && d.filename_len == 5,
       "buffer of exactly the raw sizes");
    rc = ga_disposition_parse(S("form-data; name=\"abc\"; filename=\"x.txt\""),
                              &d, buf, need - 1);
    is_int(rc, GA_HP_ERR_BAD_VALUE, "buffer one byte short");
    free(buf);

    need = 2 * sizeof("UTF-8''%E9") - 2;
    buf = malloc(need);
    rc = ga_disposition_parse(S("form-data; filename*=ISO-8859-1''%E9"), &d,
                              buf, 2 * (sizeof("ISO-8859-1''%E9") - 1));
    ok(rc == GA_HP_OK && d.filename_len == 2, "filename* buffer 2 * len");
    free(buf);

    rc = ga_disposition_parse(S("form-data; name=\"a\""), &d, NULL, 0);
    is_int(rc, GA_HP_ERR_BAD_VALUE, "no buffer for a name");
    rc = ga_disposition_parse(S("form-data; name=\"\""), &d, NULL, 0);
    ok(rc == GA_HP_OK && d.has_name && d.name_len == 0,
       "empty name needs no buffer");

    test_model();

    return done_testing();
}
