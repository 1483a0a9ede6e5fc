
/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ga_path.h"
#include "tap.h"


#define GRAPH  ((const char *) "/graph/")
#define REGEX  ((const char *) NULL)

#define OK         GA_PATH_OK
#define NOT_FOUND  GA_PATH_NOT_FOUND
#define INVALID    GA_PATH_INVALID
#define TOO_LONG   GA_PATH_TOO_LONG


/* the last GA_PATH_OK info, its mailbox copied out of the freed scratch */

static ga_path_info_t  last_info;
static u_char          last_mailbox[1100];


/*
 * Parses raw under prefix with exactly the documented buffer sizes, each
 * malloc()ed to its size so that ASan sees any overrun, and checks the
 * result code and, on GA_PATH_OK, the output.
 */

static int
path(const char *raw, size_t raw_len, const char *prefix, const char *me,
    int expect_rc, const char *expect_out, const char *name)
{
    int              rc;
    size_t           out_len, scratch_size, out_size, me_len;
    u_char          *scratch, *out, *r, *m;
    ga_path_info_t   info;

    me_len = me ? strlen(me) : 0;
    scratch_size = raw_len;
    out_size = 3 * (raw_len + me_len) + 16;

    /* malloc(0) may return NULL: keep one byte, unused */

    r = malloc(raw_len ? raw_len : 1);
    m = malloc(me_len ? me_len : 1);
    scratch = malloc(scratch_size ? scratch_size : 1);
    out = malloc(out_size);

    if (r == NULL || m == NULL || scratch == NULL || out == NULL) {
        return ok(0, "%s: malloc", name);
    }

    memcpy(r, raw, raw_len);
    memcpy(m, me ? me : "", me_len);

    out_len = (size_t) -1;
    memset(&info, 0, sizeof(info));

    rc = ga_path_parse(r, raw_len, (const u_char *) prefix,
                       prefix ? strlen(prefix) : 0, me ? m : NULL, me_len,
                       scratch, scratch_size, out, out_size, &out_len, &info);

    if (rc != expect_rc) {
        ok(0, "%s", name);
        diag("  raw \"%.*s\": rc %d, expected %d", (int) raw_len, raw, rc,
             expect_rc);
        rc = 0;

    } else if (rc == OK) {
        rc = is_mem(out, out_len, expect_out, strlen(expect_out), "%s",
                    name);
        last_info = info;

        if (info.mailbox_len <= sizeof(last_mailbox)) {
            memcpy(last_mailbox, info.mailbox, info.mailbox_len);
            last_info.mailbox = last_mailbox;
        }

    } else {
        rc = ok(out_len == (size_t) -1, "%s", name);
    }

    free(r);
    free(m);
    free(scratch);
    free(out);

    return rc;
}


#define P(raw, prefix, rc, out, name)                                        \
    path(raw, strlen(raw), prefix, NULL, rc, out, name)

/* with graph_attach_user: me is what /me stands for */
#define PM(raw, prefix, me, rc, out, name)                                   \
    path(raw, strlen(raw), prefix, me, rc, out, name)


static void
shapes(void)
{
    P("/graph/users/alice@contoso.com/messages/AAMk=/attachments", GRAPH,
      OK, "/v1.0/users/alice@contoso.com/messages/AAMk=/attachments",
      "users/{u}/messages/{m}/attachments");
    is_int(last_info.kind, GA_PATH_MESSAGE, "message kind");
    is_mem(last_info.mailbox, last_info.mailbox_len, "alice@contoso.com", 17,
           "mailbox");
    ok(strcmp(last_info.version, "v1.0") == 0, "default version v1.0");

    P("/graph/users/u/mailFolders/inbox/messages/m/attachments", GRAPH,
      OK, "/v1.0/users/u/mailFolders/inbox/messages/m/attachments",
      "mailFolders/{f}/messages/{m}");
    is_int(last_info.kind, GA_PATH_MESSAGE, "mailFolders kind");

    P("/graph/users/u/mailFolders/f/childFolders/c/messages/m/attachments",
      GRAPH, OK,
      "/v1.0/users/u/mailFolders/f/childFolders/c/messages/m/attachments",
      "one childFolders level");

    P("/graph/users/u/mailFolders/f/childFolders/c1/childFolders/c2"
      "/childFolders/c3/messages/m/attachments", GRAPH, OK,
      "/v1.0/users/u/mailFolders/f/childFolders/c1/childFolders/c2"
      "/childFolders/c3/messages/m/attachments",
      "three childFolders levels");

    P("/graph/users/u/events/e/attachments", GRAPH,
      OK, "/v1.0/users/u/events/e/attachments", "events/{e}");
    is_int(last_info.kind, GA_PATH_EVENT, "event kind");

    P("/graph/users/u/calendar/events/e/attachments", GRAPH,
      OK, "/v1.0/users/u/calendar/events/e/attachments", "calendar/events");
    is_int(last_info.kind, GA_PATH_EVENT, "calendar kind");

    P("/graph/users/u/calendars/c/events/e/attachments", GRAPH,
      OK, "/v1.0/users/u/calendars/c/events/e/attachments",
      "calendars/{c}/events");
    is_int(last_info.kind, GA_PATH_EVENT, "calendars kind");

    P("/graph/users/u/calendarGroups/g/calendars/c/events/e/attachments",
      GRAPH, OK,
      "/v1.0/users/u/calendarGroups/g/calendars/c/events/e/attachments",
      "calendarGroups/{g}/calendars/{c}/events");
    is_int(last_info.kind, GA_PATH_EVENT, "calendarGroups kind");
}


static void
depth(void)
{
    int     i, levels;
    char    raw[2048], want[2048], *p, *q;

    /* 16 levels of childFolders pass, 17 do not */

    for (levels = 15; levels <= 17; levels++) {
        p = raw;
        q = want;

        p += sprintf(p, "/graph/users/u/mailFolders/f");
        q += sprintf(q, "/v1.0/users/u/mailFolders/f");

        for (i = 0; i < levels; i++) {
            p += sprintf(p, "/childFolders/c%d", i);
            q += sprintf(q, "/childFolders/c%d", i);
        }

        sprintf(p, "/messages/m/attachments");
        sprintf(q, "/messages/m/attachments");

        P(raw, GRAPH, levels <= 16 ? OK : NOT_FOUND, want,
          levels == 15 ? "15 childFolders levels"
                       : levels == 16 ? "16 childFolders levels"
                                      : "17 childFolders levels: not found");
    }
}


static void
literals(void)
{
    P("/graph/USERS/u/MESSAGES/m/ATTACHMENTS", GRAPH,
      OK, "/v1.0/users/u/messages/m/attachments", "upper-case literals");
    P("/graph/Users/u/MailFolders/f/CHILDFOLDERS/c/Messages/m/Attachments",
      GRAPH, OK,
      "/v1.0/users/u/mailFolders/f/childFolders/c/messages/m/attachments",
      "mixed-case literals, canonical case out");
    P("/graph/users/u/mailfolders/f/childfolders/c/messages/m/attachments",
      GRAPH, OK,
      "/v1.0/users/u/mailFolders/f/childFolders/c/messages/m/attachments",
      "lower-case mailfolders/childfolders");
    P("/graph/users/u/CALENDARGROUPS/g/CALENDARS/c/EVENTS/e/ATTACHMENTS",
      GRAPH, OK,
      "/v1.0/users/u/calendarGroups/g/calendars/c/events/e/attachments",
      "upper-case calendar literals");
    P("/graph/users/u/Calendar/Events/e/Attachments", GRAPH,
      OK, "/v1.0/users/u/calendar/events/e/attachments",
      "capitalised calendar");

    /* variable segments keep their case: Graph ids are case-sensitive */

    P("/graph/users/Alice@Contoso.COM/messages/AbC-_x=/attachments", GRAPH,
      OK, "/v1.0/users/Alice@Contoso.COM/messages/AbC-_x=/attachments",
      "variables keep their case");

    /* a variable that reads like a literal is still a variable */

    P("/graph/users/messages/messages/messages/attachments", GRAPH,
      OK, "/v1.0/users/messages/messages/messages/attachments",
      "ids named messages");
    P("/graph/users/users/mailFolders/childFolders/childFolders/childFolders"
      "/messages/attachments/attachments", GRAPH, OK,
      "/v1.0/users/users/mailFolders/childFolders/childFolders/childFolders"
      "/messages/attachments/attachments",
      "ids named like literals");
    P("/graph/users/u/calendar/events/EVENTS/attachments", GRAPH,
      OK, "/v1.0/users/u/calendar/events/EVENTS/attachments",
      "an event id in upper case is kept");

    /* near misses of literals */

    P("/graph/user/u/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "user (singular)");
    P("/graph/users/u/message/m/attachments", GRAPH, NOT_FOUND, NULL,
      "message (singular)");
    P("/graph/users/u/messages/m/attachment", GRAPH, NOT_FOUND, NULL,
      "attachment (singular)");
    P("/graph/users/u/messages/m/attachmentsx", GRAPH, NOT_FOUND, NULL,
      "attachmentsx");
    P("/graph/users/u/calendarGroup/g/calendars/c/events/e/attachments",
      GRAPH, NOT_FOUND, NULL, "calendarGroup (singular)");
    P("/graph/users/u/calendars/c/event/e/attachments",
      GRAPH, NOT_FOUND, NULL, "event (singular)");
    P("/graph/users/u/mailFolders/f/childFolder/c/messages/m/attachments",
      GRAPH, NOT_FOUND, NULL, "childFolder (singular)");

    /* percent-encoded literals are decoded before matching */

    P("/graph/%75sers/u/messages/m/%61ttachments", GRAPH,
      OK, "/v1.0/users/u/messages/m/attachments", "encoded literals");
}


static void
prefixes(void)
{
    const char  *tail = "/users/u/messages/m/attachments";
    const char  *want = "/v1.0/users/u/messages/m/attachments";
    char         raw[256];

    sprintf(raw, "/graph%s", tail);
    P(raw, "/graph/", OK, want, "prefix /graph/");
    P(raw, "/graph", OK, want, "prefix /graph");
    P(raw, "graph", OK, want, "prefix graph (no slash)");

    P(tail, "/", OK, want, "prefix /");
    P(tail, "", OK, want, "empty prefix");

    sprintf(raw, "/api/v2/graph%s", tail);
    P(raw, "/api/v2/graph/", OK, want, "prefix /api/v2/graph/");
    P(raw, "/api/v2/", NOT_FOUND, NULL, "prefix /api/v2/ leaves graph/");
    P(raw, "/api/v3/graph/", NOT_FOUND, NULL, "prefix /api/v3/graph/");

    sprintf(raw, "/graphs%s", tail);
    P(raw, "/graph", NOT_FOUND, NULL,
      "prefix /graph does not match /graphs/ (segment compare)");

    sprintf(raw, "/Graph%s", tail);
    P(raw, "/graph/", NOT_FOUND, NULL, "prefix compare is case-sensitive");

    sprintf(raw, "/gr%%61ph%s", tail);
    P(raw, "/graph/", OK, want, "encoded prefix segment matches");

    sprintf(raw, "/my%%20graph%s", tail);
    P(raw, "/my graph/", OK, want, "prefix with a space, decoded");

    P("/graph", "/graph/", NOT_FOUND, NULL, "the prefix alone");
    P("/graph/", "/graph/", NOT_FOUND, NULL, "the prefix with slash");
    P("/gra", "/graph/", NOT_FOUND, NULL, "shorter than the prefix");
    P("/", "/", NOT_FOUND, NULL, "root under /");

    /* the prefix is not a place to hide a Graph path */

    P("/graph/users/u/messages/m/attachments", "/graph/users/u/", NOT_FOUND,
      NULL, "prefix eating users/{u}");
}


static void
versions(void)
{
    P("/graph/v1.0/users/u/messages/m/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/m/attachments", "explicit v1.0");
    ok(strcmp(last_info.version, "v1.0") == 0, "info version v1.0");

    P("/graph/beta/users/u/messages/m/attachments", GRAPH,
      OK, "/beta/users/u/messages/m/attachments", "beta");
    ok(strcmp(last_info.version, "beta") == 0, "info version beta");

    P("/graph/BETA/users/u/events/e/attachments", GRAPH,
      OK, "/beta/users/u/events/e/attachments", "BETA");
    P("/graph/V1.0/users/u/events/e/attachments", GRAPH,
      OK, "/v1.0/users/u/events/e/attachments", "V1.0");

    P("/graph/v2.0/users/u/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "v2.0");
    P("/graph/v1/users/u/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "v1");
    P("/graph/v1.0/v1.0/users/u/messages/m/attachments", GRAPH, NOT_FOUND,
      NULL, "two versions");
    P("/graph/beta/v1.0/users/u/messages/m/attachments", GRAPH, NOT_FOUND,
      NULL, "beta then v1.0");
    P("/graph/users/u/v1.0/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "version in the middle");
    P("/graph/v1.0", GRAPH, NOT_FOUND, NULL, "version alone");
}


static void
regex(void)
{
    P("/users/u/messages/m/attachments", REGEX,
      OK, "/v1.0/users/u/messages/m/attachments", "regex: users first");
    P("/anything/here/users/u/messages/m/attachments", REGEX,
      OK, "/v1.0/users/u/messages/m/attachments", "regex: skip to users");
    P("/x/beta/users/u/messages/m/attachments", REGEX,
      OK, "/beta/users/u/messages/m/attachments", "regex: skip to beta");
    P("/x/v1.0/users/u/events/e/attachments", REGEX,
      OK, "/v1.0/users/u/events/e/attachments", "regex: skip to v1.0");
    P("/x/Users/u/events/e/attachments", REGEX,
      OK, "/v1.0/users/u/events/e/attachments", "regex: Users");
    P("/x/y/z", REGEX, NOT_FOUND, NULL, "regex: no start segment");
    P("/x/me/messages/m/attachments", REGEX, NOT_FOUND, NULL, "regex: /me");
    P("/x/users/users/messages/m/attachments", REGEX,
      OK, "/v1.0/users/users/messages/m/attachments",
      "regex: a mailbox named users");
    P("/x/users/u/users/v/messages/m/attachments", REGEX, NOT_FOUND, NULL,
      "regex: the first users starts it");
    P("/x/%2e%2e/users/u/messages/m/attachments", REGEX, INVALID, NULL,
      "regex: skipped segments are still checked");
    P("/", REGEX, NOT_FOUND, NULL, "regex: root");
}


static void
not_found(void)
{
    P("/graph/me/messages/m/attachments", GRAPH, NOT_FOUND, NULL, "/me");
    P("/graph/v1.0/me/events/e/attachments", GRAPH, NOT_FOUND, NULL,
      "/v1.0/me");
    P("/graph/users/u/sendMail", GRAPH, NOT_FOUND, NULL, "sendMail");
    P("/graph/users/u/messages/m/send", GRAPH, NOT_FOUND, NULL, "send");
    P("/graph/users/u/messages/m/attachments/createUploadSession", GRAPH,
      NOT_FOUND, NULL, "createUploadSession");
    P("/graph/users/u/events/e/attachments/createUploadSession", GRAPH,
      NOT_FOUND, NULL, "event createUploadSession");
    P("/graph/users/u/messages/m/attachments/a", GRAPH, NOT_FOUND, NULL,
      "an attachment id after");
    P("/graph/users/u/messages/m/attachments/a/$value", GRAPH, NOT_FOUND,
      NULL, "attachment $value");
    P("/graph/users/u/messages/m", GRAPH, NOT_FOUND, NULL,
      "missing attachments");
    P("/graph/users/u/messages/attachments", GRAPH, NOT_FOUND, NULL,
      "missing message id");
    P("/graph/users/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "missing user");
    P("/graph/users/u/messages", GRAPH, NOT_FOUND, NULL, "messages list");
    P("/graph/users/u", GRAPH, NOT_FOUND, NULL, "a user");
    P("/graph/users", GRAPH, NOT_FOUND, NULL, "users");
    P("/graph/users/u/mailFolders/f/attachments", GRAPH, NOT_FOUND, NULL,
      "mailFolders without messages");
    P("/graph/users/u/mailFolders/f/childFolders/c/attachments", GRAPH,
      NOT_FOUND, NULL, "childFolders without messages");
    P("/graph/users/u/mailFolders/f/childFolders/messages/m/attachments",
      GRAPH, NOT_FOUND, NULL, "childFolders without an id");
    P("/graph/users/u/mailFolders/f/events/e/attachments", GRAPH, NOT_FOUND,
      NULL, "events under mailFolders");
    P("/graph/users/u/calendar/messages/m/attachments", GRAPH, NOT_FOUND,
      NULL, "messages under calendar");
    P("/graph/users/u/calendar/c/events/e/attachments", GRAPH, NOT_FOUND,
      NULL, "calendar with an id");
    P("/graph/users/u/calendars/events/e/attachments", GRAPH, NOT_FOUND,
      NULL, "calendars without an id");
    P("/graph/users/u/calendarGroups/g/events/e/attachments", GRAPH,
      NOT_FOUND, NULL, "calendarGroups without calendars");
    P("/graph/users/u/calendarGroups/g/calendar/events/e/attachments", GRAPH,
      NOT_FOUND, NULL, "calendarGroups/calendar");
    P("/graph/users/u/calendars/c/calendars/c/events/e/attachments", GRAPH,
      NOT_FOUND, NULL, "calendars twice");
    P("/graph/groups/g/events/e/attachments", GRAPH, NOT_FOUND, NULL,
      "group events");
    P("/graph/groups/g/calendar/events/e/attachments", GRAPH, NOT_FOUND,
      NULL, "group calendar events");
    P("/graph/groups/g/threads/t/posts/p/attachments", GRAPH, NOT_FOUND,
      NULL, "group posts");
    P("/graph/$batch", GRAPH, NOT_FOUND, NULL, "$batch");
    P("/graph/users/u/messages/m/attachments/", GRAPH, NOT_FOUND, NULL,
      "trailing slash");
    P("/graph/users/u/events/e/attachments/", GRAPH, NOT_FOUND, NULL,
      "trailing slash on events");
    P("/graph/", GRAPH, NOT_FOUND, NULL, "the prefix");
    P("/other/users/u/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "another prefix");
    P("/graph/x/users/u/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "a segment between prefix and users");
}


static void
invalid(void)
{
    P("/graph/users/a%2Fb/messages/m/attachments", GRAPH, INVALID, NULL,
      "%2F in a segment");
    P("/graph/users/a%2fb/messages/m/attachments", GRAPH, INVALID, NULL,
      "%2f in a segment");
    P("/graph/users/a%5Cb/messages/m/attachments", GRAPH, INVALID, NULL,
      "%5C in a segment");
    P("/graph/users/a\\b/messages/m/attachments", GRAPH, INVALID, NULL,
      "raw backslash");
    P("/graph/users/a%00b/messages/m/attachments", GRAPH, INVALID, NULL,
      "%00");
    P("/graph/users/alice%C2%85@contoso.com/messages/m/attachments", GRAPH,
      INVALID, NULL, "C1 U+0085, encoded");
    P("/graph/users/alice\xc2\x85@contoso.com/messages/m/attachments", GRAPH,
      INVALID, NULL, "C1 U+0085, raw");
    P("/graph/users/alice@contoso.com/messages/m%C2%9F/attachments", GRAPH,
      INVALID, NULL, "C1 in the message id");
    P("/graph/users/a%E2%80%AEb/messages/m/attachments", GRAPH, INVALID,
      NULL, "RLO");
    P("/graph/users/a%E2%80%A8b/messages/m/attachments", GRAPH, INVALID,
      NULL, "U+2028");
    P("/graph/users/a%E2%81%A6b/messages/m/attachments", GRAPH, INVALID,
      NULL, "U+2066");
    P("/graph/users/a%C2%ADb/messages/m/attachments", GRAPH, INVALID, NULL,
      "soft hyphen");
    P("/graph/users/a%EF%BB%BFb/messages/m/attachments", GRAPH, INVALID,
      NULL, "BOM");
    path("/graph/users/a\0b/messages/m/attachments",
         sizeof("/graph/users/a\0b/messages/m/attachments") - 1, GRAPH, NULL,
         INVALID, NULL, "raw NUL");
    P("/graph/users/u/messages/m%0D%0AHost:x/attachments", GRAPH, INVALID,
      NULL, "%0D%0A");
    P("/graph/users/u/messages/m%09/attachments", GRAPH, INVALID, NULL,
      "%09");
    P("/graph/users/u/messages/m%1F/attachments", GRAPH, INVALID, NULL,
      "%1F");
    P("/graph/users/u/messages/m%7F/attachments", GRAPH, INVALID, NULL,
      "%7F");
    P("/graph/users/u/messages/m\x7f/attachments", GRAPH, INVALID, NULL,
      "raw DEL");
    P("/graph/users/u/messages/m\r\n/attachments", GRAPH, INVALID, NULL,
      "raw CR LF");
    P("/graph/users/%2E%2E/messages/m/attachments", GRAPH, INVALID, NULL,
      "%2E%2E");
    P("/graph/users/%2e./messages/m/attachments", GRAPH, INVALID, NULL,
      "%2e.");
    P("/graph/users/%2E/messages/m/attachments", GRAPH, INVALID, NULL,
      "%2E");
    P("/graph/users/./messages/m/attachments", GRAPH, INVALID, NULL, ".");
    P("/graph/users/../messages/m/attachments", GRAPH, INVALID, NULL, "..");
    P("/graph/users/u/messages/m/attachments/..", GRAPH, INVALID, NULL,
      "trailing ..");
    P("/graph/../users/u/messages/m/attachments", GRAPH, INVALID, NULL,
      ".. right after the prefix");
    P("/graph//users/u/messages/m/attachments", GRAPH, INVALID, NULL,
      "// after the prefix");
    P("/graph/users//u/messages/m/attachments", GRAPH, INVALID, NULL,
      "// in the middle");
    P("//graph/users/u/messages/m/attachments", GRAPH, INVALID, NULL,
      "// at the start");
    P("/graph/users/u/messages/m/attachments//", GRAPH, INVALID, NULL,
      "// at the end");
    P("/graph/users/u%/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad %: nothing after");
    P("/graph/users/u%4/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad %: one digit");
    P("/graph/users/u%G0/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad %: G0");
    P("/graph/users/u%0g/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad %: 0g");
    P("/graph/users/u/messages/m/attachments%", GRAPH, INVALID, NULL,
      "bad %: at the very end");
    P("/graph/users/u/messages/m/attachments%2", GRAPH, INVALID, NULL,
      "bad %: one digit at the end");
    P("/graph/users/%%41/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad %: %%41");
    P("/graph/users/%252F/messages/m/attachments", GRAPH, OK,
      "/v1.0/users/%252F/messages/m/attachments",
      "%252F is a literal %2F, re-encoded");

    /* invalid UTF-8 */

    P("/graph/users/%C3/messages/m/attachments", GRAPH, INVALID, NULL,
      "truncated 2-byte UTF-8");
    P("/graph/users/%C0%AF/messages/m/attachments", GRAPH, INVALID, NULL,
      "overlong / (c0 af)");
    P("/graph/users/%E0%80%AF/messages/m/attachments", GRAPH, INVALID, NULL,
      "overlong 3-byte");
    P("/graph/users/%ED%A0%80/messages/m/attachments", GRAPH, INVALID, NULL,
      "surrogate U+D800");
    P("/graph/users/%F4%90%80%80/messages/m/attachments", GRAPH, INVALID,
      NULL, "above U+10FFFF");
    P("/graph/users/%FF/messages/m/attachments", GRAPH, INVALID, NULL,
      "byte ff");
    P("/graph/users/%80/messages/m/attachments", GRAPH, INVALID, NULL,
      "lone continuation byte");
    P("/graph/users/\xc3/messages/m/attachments", GRAPH, INVALID, NULL,
      "raw truncated UTF-8");

    /* bad segments anywhere win over a shape mismatch */

    P("/graph/me/a%2Fb", GRAPH, INVALID, NULL, "bad segment in /me");
    P("/other/%00/x", GRAPH, INVALID, NULL, "bad segment before prefix");
    P("/gr%00ph/users/u/messages/m/attachments", GRAPH, INVALID, NULL,
      "bad segment in the prefix position");
    P("/graph/users/u/messages/m/attachments/%2E%2E/", GRAPH, INVALID, NULL,
      "bad segment before a trailing slash");

    /* malformed raw paths */

    P("", GRAPH, INVALID, NULL, "empty raw path");
    P("graph/users/u/messages/m/attachments", GRAPH, INVALID, NULL,
      "no leading slash");
}


static void
encoding(void)
{
    P("/graph/users/x%23EXT%23@tenant.onmicrosoft.com/messages/m/attachments",
      GRAPH, OK,
      "/v1.0/users/x%23EXT%23@tenant.onmicrosoft.com/messages/m/attachments",
      "# in a guest UPN is %23");
    is_mem(last_info.mailbox, last_info.mailbox_len,
           "x#EXT#@tenant.onmicrosoft.com", 29, "mailbox is decoded");

    P("/graph/users/x%23ext%23@t/messages/m/attachments",
      GRAPH, OK, "/v1.0/users/x%23ext%23@t/messages/m/attachments",
      "lower-case ext");

    P("/graph/users/u/messages/a%3Fb/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%3Fb/attachments", "? is %3F");
    P("/graph/users/u/messages/a%25b/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%25b/attachments", "% is %25");
    P("/graph/users/u/messages/a%20b/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%20b/attachments", "space is %20");
    P("/graph/users/u/messages/a b/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%20b/attachments", "raw space is %20");
    P("/graph/users/u/messages/a+b/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%2Bb/attachments", "+ is %2B");
    P("/graph/users/u/messages/a%2bb/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%2Bb/attachments", "%2b is %2B");
    P("/graph/users/u/messages/a&b;c,d/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a%26b%3Bc%2Cd/attachments",
      "& ; , are escaped");
    P("/graph/users/u/messages/(a)'b'!*$:/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/%28a%29%27b%27%21%2A%24%3A/attachments",
      "( ) ' ! * $ : are escaped (OData syntax)");
    P("/graph/users/u/messages/\"<>[]{}|^`/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/%22%3C%3E%5B%5D%7B%7D%7C%5E%60/attachments",
      "other punctuation is escaped");
    P("/graph/users/u/messages/a-b_c.d~e/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/a-b_c.d~e/attachments",
      "- _ . ~ stay raw");
    P("/graph/users/u/messages/%41%2D%7e/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/A-~/attachments",
      "needlessly encoded unreserved bytes come out raw");

    /* Graph ids ending in '=' */

    P("/graph/users/u/messages/AAMkAGI2THVSAAA=/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/AAMkAGI2THVSAAA=/attachments",
      "id ending in =");
    P("/graph/users/u/messages/AAMkAGI2THVSAA==/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/AAMkAGI2THVSAA==/attachments",
      "id ending in ==");
    P("/graph/users/u/messages/AAMkAGI2THVSAAA%3D/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/AAMkAGI2THVSAAA=/attachments",
      "%3D comes out as = (never %253D)");
    P("/graph/users/u/messages/AAMk%3d%3d/attachments", GRAPH,
      OK, "/v1.0/users/u/messages/AAMk==/attachments", "%3d%3d");

    /* non-ASCII: each UTF-8 byte as %XX */

    P("/graph/users/j%C3%BCrgen@m%C3%BCller.de/messages/m/attachments",
      GRAPH, OK,
      "/v1.0/users/j%C3%BCrgen@m%C3%BCller.de/messages/m/attachments",
      "2-byte UTF-8");
    P("/graph/users/j\xc3\xbcrgen@x/messages/m/attachments",
      GRAPH, OK, "/v1.0/users/j%C3%BCrgen@x/messages/m/attachments",
      "raw 2-byte UTF-8 is encoded");
    P("/graph/users/u/calendars/%E6%97%A5/events/e/attachments",
      GRAPH, OK, "/v1.0/users/u/calendars/%E6%97%A5/events/e/attachments",
      "3-byte UTF-8");
    P("/graph/users/u/calendars/%f0%9f%98%80/events/e/attachments",
      GRAPH, OK,
      "/v1.0/users/u/calendars/%F0%9F%98%80/events/e/attachments",
      "emoji, lower-case hex in, upper-case out");
}


static void
lengths(void)
{
    int              rc;
    char             seg[1100], raw[2048], want[2048];
    size_t           out_len, raw_len;
    u_char           scratch[2048], out[8192];
    ga_path_info_t   info;

    /* 1024 decoded bytes pass, 1025 do not */

    memset(seg, 'a', 1025);
    seg[1024] = '\0';

    sprintf(raw, "/graph/users/u/messages/%s/attachments", seg);
    sprintf(want, "/v1.0/users/u/messages/%s/attachments", seg);
    P(raw, GRAPH, OK, want, "1024-byte id");

    seg[1024] = 'a';
    seg[1025] = '\0';
    sprintf(raw, "/graph/users/u/messages/%s/attachments", seg);
    P(raw, GRAPH, INVALID, NULL, "1025-byte id");

    /* the limit is on the decoded length: 1024 x %41 is 1024 bytes */

    {
        int          i;
        char        *p;
        static char  big[4096], bigwant[2048];

        p = big;
        p += sprintf(p, "/graph/users/");

        for (i = 0; i < 1024; i++) {
            p += sprintf(p, "%%41");
        }

        sprintf(p, "/events/e/attachments");

        memset(seg, 'A', 1024);
        seg[1024] = '\0';
        sprintf(bigwant, "/v1.0/users/%s/events/e/attachments", seg);

        P(big, GRAPH, OK, bigwant, "1024 decoded bytes from 3072 raw");
    }

    /* 1025 bytes in a segment that is not a variable: just not found */

    sprintf(raw, "/graph/users/u/messages/m/%s", seg);
    memset(raw + 26, 'x', 1025);
    raw[26 + 1025] = '\0';
    P(raw, GRAPH, NOT_FOUND, NULL, "long non-variable segment: not found");

    /* out too small by one, and exactly big enough */

    raw_len = strlen("/graph/users/u/messages/m/attachments");
    memcpy(raw, "/graph/users/u/messages/m/attachments", raw_len);

    rc = ga_path_parse((u_char *) raw, raw_len, (u_char *) "/graph/", 7,
                       NULL, 0, scratch, sizeof(scratch), out, 35, &out_len,
                       &info);
    is_int(rc, TOO_LONG, "out one byte short");

    rc = ga_path_parse((u_char *) raw, raw_len, (u_char *) "/graph/", 7,
                       NULL, 0, scratch, sizeof(scratch), out, 36, &out_len,
                       &info);
    is_int(rc, OK, "out exactly big enough");
    is_int(out_len, 36, "out_len");

    rc = ga_path_parse((u_char *) raw, raw_len, (u_char *) "/graph/", 7,
                       NULL, 0, scratch, sizeof(scratch), out, 0, &out_len,
                       &info);
    is_int(rc, TOO_LONG, "out of size 0");

    /* scratch smaller than documented */

    rc = ga_path_parse((u_char *) raw, raw_len, (u_char *) "/graph/", 7,
                       NULL, 0, scratch, 10, out, sizeof(out), &out_len,
                       &info);
    is_int(rc, TOO_LONG, "scratch too small");

    /* scratch of raw_len - 1 suffices in fact (the first '/' is not kept) */

    rc = ga_path_parse((u_char *) raw, raw_len, (u_char *) "/graph/", 7,
                       NULL, 0, scratch, raw_len - 1, out, sizeof(out),
                       &out_len, &info);
    is_int(rc, OK, "scratch of raw_len - 1");

    /* the worst case of the out bound: one long all-escaped id */

    {
        int          i;
        char        *p, *q;
        static char  worst[2048], worstwant[4096];

        p = worst;
        q = worstwant;
        p += sprintf(p, "/users/u/messages/");
        q += sprintf(q, "/v1.0/users/u/messages/");

        for (i = 0; i < 1024; i++) {
            *p++ = '#';
            q += sprintf(q, "%%23");
        }

        sprintf(p, "/attachments");
        sprintf(q, "/attachments");

        P(worst, REGEX, OK, worstwant, "1024 bytes escaped to 3072");
    }
}


/* /me with graph_attach_user: the mailbox comes from me, not the path */

static void
me(void)
{
    const char  *a = "alice@contoso.com";

    PM("/graph/me/messages/m/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/messages/m/attachments",
       "/me/messages/{m}");
    is_int(last_info.me, 1, "/me: info.me");
    is_int(last_info.kind, GA_PATH_MESSAGE, "/me: message kind");
    is_mem(last_info.mailbox, last_info.mailbox_len, a, strlen(a),
           "/me: the mailbox is me");

    P("/graph/users/bob@contoso.com/messages/m/attachments", GRAPH, OK,
      "/v1.0/users/bob@contoso.com/messages/m/attachments",
      "users/{u} without me");
    is_int(last_info.me, 0, "users/{u}: not info.me");

    PM("/graph/users/bob@contoso.com/messages/m/attachments", GRAPH, a, OK,
       "/v1.0/users/bob@contoso.com/messages/m/attachments",
       "users/{u} with me: the path's mailbox");
    is_int(last_info.me, 0, "users/{u} with me: not info.me");

    /* every shape of users/{u} */

    PM("/graph/v1.0/me/mailFolders/inbox/childFolders/c/messages/m/"
       "attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/mailFolders/inbox/childFolders/c/"
       "messages/m/attachments", "/v1.0/me/mailFolders/.../childFolders");
    PM("/graph/beta/me/events/e/attachments", GRAPH, a, OK,
       "/beta/users/alice@contoso.com/events/e/attachments",
       "/beta/me/events");
    is_int(last_info.kind, GA_PATH_EVENT, "/me/events: event kind");
    PM("/graph/me/calendar/events/e/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/calendar/events/e/attachments",
       "/me/calendar/events");
    PM("/graph/me/calendars/c/events/e/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/calendars/c/events/e/attachments",
       "/me/calendars/{c}/events");
    PM("/graph/me/calendarGroups/g/calendars/c/events/e/attachments", GRAPH,
       a, OK, "/v1.0/users/alice@contoso.com/calendarGroups/g/calendars/c/"
       "events/e/attachments", "/me/calendarGroups");

    /* a literal like the others: any case, sent as users */

    PM("/graph/ME/Messages/m/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/messages/m/attachments", "/ME");
    is_int(last_info.me, 1, "/ME: info.me");
    PM("/graph/Me/events/e/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/events/e/attachments", "/Me");

    /* a GUID, and bytes of a UPN that are escaped on the way */

    PM("/graph/me/events/e/attachments", GRAPH,
       "0b3a5c1e-6f1d-4c1a-9c1b-1234567890AB", OK,
       "/v1.0/users/0b3a5c1e-6f1d-4c1a-9c1b-1234567890AB/events/e/"
       "attachments", "object id");
    PM("/graph/me/events/e/attachments", GRAPH, "o'neil!^~@contoso.com", OK,
       "/v1.0/users/o%27neil%21%5E~@contoso.com/events/e/attachments",
       "' ! ^ escaped, ~ raw");

    /* "me" only first: anywhere else it is an id */

    PM("/graph/users/me/messages/m/attachments", GRAPH, a, OK,
       "/v1.0/users/me/messages/m/attachments", "users/me: a mailbox \"me\"");
    is_int(last_info.me, 0, "users/me: not info.me");
    PM("/graph/me/messages/me/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/messages/me/attachments",
       "a message id \"me\"");
    PM("/graph/me/me/messages/m/attachments", GRAPH, a, NOT_FOUND, NULL,
       "/me/me");
    PM("/graph/me/users/bob@contoso.com/messages/m/attachments", GRAPH, a,
       NOT_FOUND, NULL, "/me/users/{u}");

    /* smuggling: the segments are checked before me is looked at */

    PM("/graph/me/../users/bob@contoso.com/messages/m/attachments", GRAPH, a,
       INVALID, NULL, "/me/../users");
    PM("/graph/me%2F..%2Fusers%2Fbob/messages/m/attachments", GRAPH, a,
       INVALID, NULL, "/me%2F..%2F");
    PM("/graph/me%2f/messages/m/attachments", GRAPH, a, INVALID, NULL,
       "/me%2f");
    PM("/graph/%6De/messages/m/attachments", GRAPH, a, OK,
       "/v1.0/users/alice@contoso.com/messages/m/attachments",
       "%6De is me decoded");
    PM("/graph/me/", GRAPH, a, NOT_FOUND, NULL, "/me/");
    PM("/graph/me", GRAPH, a, NOT_FOUND, NULL, "/me alone");
    PM("/graph/me/messages/m/attachments/", GRAPH, a, NOT_FOUND, NULL,
       "/me trailing slash");
    PM("/graph/me/messages/m/attachments/createUploadSession", GRAPH, a,
       NOT_FOUND, NULL, "/me createUploadSession");
    PM("/graph/me/sendMail", GRAPH, a, NOT_FOUND, NULL, "/me/sendMail");
    PM("/graph/me./messages/m/attachments", GRAPH, a, NOT_FOUND, NULL,
       "me.");
    PM("/graph/me%00/messages/m/attachments", GRAPH, a, INVALID, NULL,
       "me%00");

    /* me that is no mailbox: a shape we serve, no mailbox to write to */

    PM("/graph/me/messages/m/attachments", GRAPH, "", GA_PATH_UNRESOLVED,
       NULL, "empty me");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob@contoso.com/../x",
       GA_PATH_UNRESOLVED, NULL, "me with /");
    PM("/graph/me/messages/m/attachments", GRAPH, "..", GA_PATH_UNRESOLVED,
       NULL, "me ..");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob%2F@contoso.com",
       GA_PATH_UNRESOLVED, NULL, "me with %2F, not decoded");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob@contoso.com?x=1",
       GA_PATH_UNRESOLVED, NULL, "me with ?");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob@contoso.com#x",
       GA_PATH_UNRESOLVED, NULL, "me with #");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob smith@contoso.com",
       GA_PATH_UNRESOLVED, NULL, "me with a space");
    PM("/graph/me/messages/m/attachments", GRAPH, "bob\r\n@contoso.com",
       GA_PATH_UNRESOLVED, NULL, "me with CRLF");
    PM("/graph/me/messages/m/attachments", GRAPH,
       "bob\xe2\x80\xae@contoso.com", GA_PATH_UNRESOLVED, NULL,
       "me with U+202E");
    PM("/graph/me/messages/m/attachments", GRAPH, "CONTOSO\\alice",
       GA_PATH_UNRESOLVED, NULL, "me a down-level logon name");
    PM("/graph/me/messages/m/attachments", GRAPH, "alice",
       GA_PATH_UNRESOLVED, NULL, "me a bare user name");

    /* the shape first: a path we do not serve is a 404 whatever me is */

    PM("/graph/me/sendMail", GRAPH, "", NOT_FOUND, NULL,
       "unsupported /me with empty me");
    PM("/graph/me/../x", GRAPH, "", INVALID, NULL,
       "bad segment with empty me");

    /* without graph_attach_user: /me is no shape, as before */

    P("/graph/me/messages/m/attachments", GRAPH, NOT_FOUND, NULL,
      "/me without me");

    /* a regex location: "me" starts a Graph path only with me */

    PM("/x/me/messages/m/attachments", REGEX, a, OK,
       "/v1.0/users/alice@contoso.com/messages/m/attachments",
       "regex: skip to me");
    PM("/x/beta/me/messages/m/attachments", REGEX, a, OK,
       "/beta/users/alice@contoso.com/messages/m/attachments",
       "regex: skip to beta, then me");
    PM("/x/me/users/u/messages/m/attachments", REGEX, a, NOT_FOUND, NULL,
       "regex: the first me starts it");
    P("/x/me/users/u/messages/m/attachments", REGEX, OK,
      "/v1.0/users/u/messages/m/attachments",
      "regex: without me, me is skipped as before");

    /* the out bound with me, 3 * (raw_len + me_len) + 16: all escaped */

    {
        int          i;
        char        *p, *q;
        static char  worst[128], worstwant[512];

        p = worst;
        q = worstwant + sprintf(worstwant, "/v1.0/users/");

        for (i = 0; i < 32; i++) {
            *p++ = '!';
            q += sprintf(q, "%%21");
        }

        sprintf(p, "@c.io");
        sprintf(q, "@c.io/events/e/attachments");

        PM("/me/events/e/attachments", REGEX, worst, OK, worstwant,
           "me escaped three times over");
    }
}


int
main(void)
{
    shapes();
    depth();
    literals();
    prefixes();
    versions();
    regex();
    not_found();
    invalid();
    encoding();
    lengths();
    me();

    return done_testing();
}
