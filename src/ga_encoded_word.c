
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_encoded_word.h"


/*
 * Loose on purpose: decoders differ (Python's email.header takes
 * "=?UTF-8?Q?invoice .exe?=", an empty charset or a space in B text), and
 * any "=?" with a "?=" after it may become a name the rules did not see.
 */

int
ga_encoded_word_find(const u_char *p, size_t len)
{
    const u_char  *last, *q;

    last = p + len;

    for ( /* void */ ; last - p >= 2; p++) {
        if (p[0] != '=' || p[1] != '?') {
            continue;
        }

        /* the closing "?=" after the opening one, not overlapping it */

        for (q = p + 2; last - q >= 2; q++) {
            if (q[0] == '?' && q[1] == '=') {
                return 1;
            }
        }

        /* no "?=" after the first "=?": none after a later one either */

        return 0;
    }

    return 0;
}
