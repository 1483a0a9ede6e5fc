
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_FILENAME_DECODE_H_INCLUDED_
#define _GA_FILENAME_DECODE_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The values of the Content-Disposition name, filename and filename*
 * parameters, decoded as each client family encodes them; the parameters
 * themselves are split by ga_header_params.c, and the decoded name is
 * sanitised by ga_name.c.
 */


/*
 * Decodes a Content-Disposition filename= (or name=) value as the client
 * sent it: raw is the text between the quotes (quoted != 0, quoted-pairs
 * not yet processed) or the token.  out must have room for len bytes.
 * Returns 0, or -1 if the result is not valid UTF-8.  See
 * ga_filename_decode.c for which client encodings are recognised and the
 * one ambiguity.
 */
int ga_filename_decode(const u_char *raw, size_t len, int quoted,
    u_char *out, size_t *out_len);

/*
 * Decodes an RFC 8187 filename*= value: charset'language'pct-encoded,
 * charset UTF-8 or ISO-8859-1 (converted to UTF-8, so out must have room
 * for 2 * len bytes).  Returns 0, or -1 on an unknown charset, a bad
 * %XX triplet, a byte outside attr-char, or invalid UTF-8.
 */
int ga_filename_decode_ext(const u_char *raw, size_t len, u_char *out,
    size_t *out_len);


#endif /* _GA_FILENAME_DECODE_H_INCLUDED_ */
