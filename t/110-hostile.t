# Hostile requests (issue 3, "Hostile input, proven"): each gets its
# documented status and JSON code (docs/errors.md), nothing reaches the
# stand-in, no worker dies, error.log has no alert or crit (teardown), and
# a good upload still gets 201 afterwards.  Run it under valgrind too:
#   TEST_NGINX_VALGRIND=1 prove t/110-hostile.t

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new;

sub loc { graph_location(@_) }

$t->start(server => loc('/small/', 'graph_attach_max_size 10k;')
                  . loc('/slow/', 'client_body_timeout 1s;')
                  . loc('/abort/', '', 'graph:token:abort'));

my $token = 'eyJ0eXAi.hostile-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->set_token('graph:token:abort', $token);
$t->graph_tokens($token);

my @pids = worker_pids($t);
ok(@pids >= 1, 'nginx workers are up');

my $B = 'h0stile-b';
my $CT = "multipart/form-data; boundary=$B";
my $FH = qq{Content-Disposition: form-data; name="file"; filename="a.txt"}
       . "\r\nContent-Type: text/plain";
my $OK = "--$B\r\n$FH\r\n\r\nhello\r\n";
my $END = "--$B--\r\n";

sub form { return (body => $_[0], content_type => $_[1] // $CT) }

# a form with one part whose header block is HEAD
sub head_form {
    my ($head, $data) = @_;
    return form("--$B\r\n$head\r\n\r\n" . ($data // 'hello') . "\r\n$END");
}

sub cd { head_form(qq{Content-Disposition: form-data; $_[0]}
                   . "\r\nContent-Type: text/plain", $_[1]) }

my $b70 = 'b' x 70;
my $b71 = 'b' x 71;
my $nested_other = "--inner\r\nContent-Type: text/plain\r\n\r\ninner one\r\n"
                 . "--inner\r\nContent-Type: application/octet-stream\r\n\r\n"
                 . "MZ inner two\r\n--inner--\r\n";

# [label, status, code, request options]
my @cases = (
    # malformed and truncated multipart
    [ 'no delimiter at all', 400, 'InvalidMultipart',
      form("just some text\r\nand more\r\n") ],
    [ 'only another boundary', 400, 'InvalidMultipart',
      form("--other\r\n$FH\r\n\r\nhello\r\n--other--\r\n") ],
    [ 'truncated after the first delimiter', 400, 'TruncatedBody',
      form("--$B\r\n") ],
    [ 'truncated in part headers', 400, 'TruncatedBody',
      form("--$B\r\nContent-Disposition: form-da") ],
    [ 'truncated in file data', 400, 'TruncatedBody',
      form("--$B\r\n$FH\r\n\r\nhel") ],
    [ 'truncated in the closing delimiter', 400, 'TruncatedBody',
      form("$OK--$B-") ],
    [ 'truncated before the closing delimiter', 400, 'TruncatedBody',
      form("$OK") ],
    [ 'garbage after a delimiter', 400, 'InvalidMultipart',
      form("--${B}xyz\r\n$FH\r\n\r\nhello\r\n$END") ],
    [ 'bare LF after a delimiter', 400, 'InvalidMultipart',
      form("--$B\n$FH\r\n\r\nhello\r\n$END") ],
    [ 'bare LF in part headers', 400, 'InvalidPartHeader',
      form("--$B\r\nContent-Disposition: form-data; "
           . qq{name="file"; filename="a.txt"\nContent-Type: text/plain}
           . "\r\n\r\nhello\r\n$END") ],
    [ 'header line without a colon', 400, 'InvalidPartHeader',
      head_form("$FH\r\nNoColonHere") ],
    [ 'space before the colon', 400, 'InvalidPartHeader',
      head_form(qq{Content-Disposition : form-data; name="file"; }
                . qq{filename="a.txt"}) ],
    [ 'folded header line', 400, 'InvalidPartHeader',
      head_form(qq{Content-Disposition: form-data; name="file";\r\n }
                . qq{filename="a.txt"}) ],
    [ 'part without Content-Disposition', 400, 'InvalidPartHeader',
      head_form('Content-Type: text/plain') ],
    [ 'part with no headers at all', 400, 'InvalidPartHeader',
      form("--$B\r\n\r\nhello\r\n$END") ],
    [ 'Content-Disposition: attachment', 400, 'InvalidPartHeader',
      head_form('Content-Disposition: attachment; filename="a.txt"') ],
    [ 'unterminated quoted filename', 400, 'InvalidPartHeader',
      cd(q{name="file"; filename="a.txt}) ],
    [ 'parameter without a value', 400, 'InvalidPartHeader',
      cd(q{name="file"; filename}) ],
    [ 'closing delimiter only', 400, 'NoFilePart', form($END) ],

    # boundary tricks
    [ 'boundary of 71 characters', 400, 'InvalidBoundary',
      form("--$b71\r\n$FH\r\n\r\nx\r\n--$b71--\r\n",
           "multipart/form-data; boundary=$b71") ],
    [ 'unquoted boundary with a space', 415, 'UnsupportedMediaType',
      form("--a b\r\n$FH\r\n\r\nx\r\n--a b--\r\n",
           'multipart/form-data; boundary=a b') ],
    [ 'quoted boundary with a trailing space', 400, 'InvalidBoundary',
      form("--ab \r\n$FH\r\n\r\nx\r\n--ab --\r\n",
           'multipart/form-data; boundary="ab "') ],
    [ 'repeated boundary=', 400, 'InvalidBoundary',
      form("$OK$END", "$CT; boundary=other") ],
    [ 'repeated boundary= with the same value', 400, 'InvalidBoundary',
      form("$OK$END", "$CT; boundary=$B") ],
    [ 'repeated boundary=, other case', 400, 'InvalidBoundary',
      form("$OK$END", "$CT; BOUNDARY=$B") ],
    [ 'boundary with a character RFC 2046 forbids', 400, 'InvalidBoundary',
      form("--a\@b\r\n$FH\r\n\r\nx\r\n--a\@b--\r\n",
           'multipart/form-data; boundary="a@b"') ],
    [ 'boundary with a backslash escape', 400, 'InvalidBoundary',
      form(qq{--a"b\r\n$FH\r\n\r\nx\r\n--a"b--\r\n},
           'multipart/form-data; boundary="a\"b"') ],
    [ 'empty quoted boundary', 400, 'InvalidBoundary',
      form("--\r\n$FH\r\n\r\nx\r\n----\r\n",
           'multipart/form-data; boundary=""') ],
    [ 'boundary only inside another parameter', 400, 'InvalidBoundary',
      form("$OK$END", qq{multipart/form-data; charset="boundary=$B"}) ],
    [ 'xboundary is not boundary', 400, 'InvalidBoundary',
      form("$OK$END", "multipart/form-data; xboundary=$B") ],
    [ 'boundary not in the body', 400, 'InvalidMultipart',
      form("$OK$END", 'multipart/form-data; boundary=elsewhere') ],
    [ 'boundary in another case in the body', 400, 'InvalidMultipart',
      form("$OK$END", 'multipart/form-data; boundary=H0STILE-B') ],
    [ 'boundary is a prefix of a data line', 400, 'InvalidMultipart',
      form("--$B\r\n$FH\r\n\r\nhello\r\n--${B}trailing data\r\n$END") ],
    # a field named "filename" is name/filename confusion: refused
    [ 'name="filename" text field', 400, 'InvalidField',
      form("--$B\r\nContent-Disposition: form-data; "
           . "name=\"filename\"\r\n\r\nevil.exe\r\n$OK$END") ],
    [ 'name="FILENAME*" text field', 400, 'InvalidField',
      form("--$B\r\nContent-Disposition: form-data; "
           . "name=\"FILENAME*\"\r\n\r\nevil.exe\r\n$OK$END") ],
    [ 'multipart/mixed', 415, 'UnsupportedMediaType',
      form("$OK$END", "multipart/mixed; boundary=$B") ],

    # header injection, NUL and control bytes in part headers
    [ 'CR LF in a quoted filename', 400, 'InvalidPartHeader',
      cd(qq{name="file"; filename="a\r\nContent-Type: text/html\r\n.txt"}) ],
    [ 'bare CR in a quoted filename', 400, 'InvalidPartHeader',
      cd(qq{name="file"; filename="a\rb.txt"}) ],
    [ 'bare LF in a quoted filename', 400, 'InvalidPartHeader',
      cd(qq{name="file"; filename="a\nb.txt"}) ],
    [ 'NUL in a quoted filename', 400, 'InvalidPartHeader',
      cd(qq{name="file"; filename="a.exe\0.txt"}) ],
    [ 'NUL in a part header name', 400, 'InvalidPartHeader',
      head_form("$FH\r\nX-\0: y") ],
    [ 'DEL in a filename', 400, 'InvalidPartHeader',
      cd(qq{name="file"; filename="a\x7f.txt"}) ],

    # huge header lines, many parts, many headers
    [ '1 MB part header line', 400, 'PartHeaderTooLarge',
      head_form("$FH\r\nX-Big: " . ('A' x (1024 * 1024))) ],
    [ '1 MB filename', 400, 'PartHeaderTooLarge',
      cd(q{name="file"; filename="} . ('n' x (1024 * 1024)) . q{.txt"}) ],
    [ '5000 parts', 400, 'TooManyFields',
      form(("--$B\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n")
           x 5000 . "$OK$END") ],
    [ '200 header lines in one part', 400, 'PartHeaderTooLarge',
      head_form($FH . join('', map { "\r\nX-H$_: v" } 1 .. 200)) ],

    # nested multipart that reuses the outer boundary: the inner
    # delimiters are the outer form's, so a second file appears, and is
    # judged like the first
    [ 'nested multipart reusing the outer boundary', 415, 'ExtensionNotAllowed',
      form("--$B\r\n$FH\r\n\r\npreamble\r\n--$B\r\n"
           . "Content-Disposition: form-data; "
           . qq{name="evil"; filename="evil.exe"\r\n\r\nMZ\r\n$END}) ],

    # transfer and content encodings
    [ 'Content-Transfer-Encoding: base64', 400,
      'UnsupportedTransferEncoding',
      head_form("$FH\r\nContent-Transfer-Encoding: base64", 'aGVsbG8=') ],
    [ 'Content-Transfer-Encoding: quoted-printable', 400,
      'UnsupportedTransferEncoding',
      head_form("$FH\r\nContent-Transfer-Encoding: quoted-printable",
                'h=65llo') ],
    [ 'Content-Transfer-Encoding on a text field', 400,
      'UnsupportedTransferEncoding',
      form("--$B\r\nContent-Disposition: form-data; name=\"name\"\r\n"
           . "Content-Transfer-Encoding: base64\r\n\r\nYS5leGU=\r\n$OK$END") ],
    [ 'Content-Encoding: gzip on the request', 415, 'UnsupportedMediaType',
      form("$OK$END"), headers => { 'Content-Encoding' => 'gzip' } ],
    [ 'Content-Encoding: deflate on the request', 415,
      'UnsupportedMediaType',
      form("$OK$END"), headers => { 'Content-Encoding' => 'deflate' } ],

    # Content-Disposition tricks
    [ 'two Content-Disposition headers', 400, 'InvalidPartHeader',
      head_form("$FH\r\nContent-Disposition: form-data; name=\"file\"; "
                . 'filename="a.exe"') ],
    [ 'two Content-Type headers', 400, 'InvalidPartHeader',
      head_form("$FH\r\nContent-Type: application/pdf") ],
    [ 'duplicate filename=', 400, 'InvalidPartHeader',
      cd(q{name="file"; filename="a.txt"; filename="a.exe"}) ],
    [ 'duplicate filename=, other case', 400, 'InvalidPartHeader',
      cd(q{name="file"; filename="a.txt"; FILENAME="a.exe"}) ],
    [ 'duplicate name=', 400, 'InvalidPartHeader',
      cd(q{name="file"; name="name"; filename="a.txt"}) ],
    [ 'duplicate filename*', 400, 'InvalidPartHeader',
      cd(q{name="file"; filename*=UTF-8''a.txt; filename*=UTF-8''a.exe}) ],
    [ 'name="filename" alone is refused, not a file', 400, 'InvalidField',
      form("--$B\r\nContent-Disposition: form-data; name=\"filename\"\r\n"
           . "\r\nevil.exe\r\n$END") ],
    [ 'filename* with a bad escape', 400, 'InvalidFileName',
      cd(q{name="file"; filename*=UTF-8''a%ZZ.txt}) ],
    [ 'filename* with an unknown charset', 400, 'InvalidFileName',
      cd(q{name="file"; filename*=KOI8-R''a.txt}) ],
    [ 'filename* without the quote marks', 400, 'InvalidFileName',
      cd(q{name="file"; filename*=a.txt}) ],
    [ 'filename* with truncated UTF-8', 400, 'InvalidFileName',
      cd(q{name="file"; filename*=UTF-8''a%C3.txt}) ],
    [ 'filename* valid, filename not UTF-8', 400, 'InvalidFileName',
      cd(qq{name="file"; filename="a\xff.txt"; filename*=UTF-8''a.txt}) ],
    [ 'filename not UTF-8', 400, 'InvalidFileName',
      cd(qq{name="file"; filename="\xc3\x28.txt"}) ],
    [ 'filename with overlong UTF-8', 400, 'InvalidFileName',
      cd(qq{name="file"; filename="\xc0\xafetc.txt"}) ],
    [ 'filename with a UTF-16 surrogate', 400, 'InvalidFileName',
      cd(qq{name="file"; filename="\xed\xa0\x80.txt"}) ],
    [ 'field name not UTF-8', 400, 'InvalidFileName',
      form("--$B\r\nContent-Disposition: form-data; name=\"\xfe\"\r\n\r\n"
           . "v\r\n$OK$END") ],

    # path tricks
    [ '%2F in a segment', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/M%2F..%2F..%2Fme/attachments' ],
    [ '%5C in a segment', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/M%5Cx/attachments' ],
    [ '%2e%2e as a segment', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/%2e%2e/attachments' ],
    [ '%2e%2E mailbox', 400, 'InvalidPathSegment',
      path => '/graph/users/%2e%2E/messages/M/attachments' ],
    [ 'empty segment //', 400, 'InvalidPathSegment',
      path => '/graph/users//messages/M/attachments' ],
    # nginx's own URI parser refuses it first (its own 400)
    [ 'bad % escape', 400, undef,
      path => '/graph/users/a@b.c/messages/M%G1/attachments' ],
    [ '%00 in a segment', 400, undef,
      path => '/graph/users/a@b.c/messages/M%00/attachments' ],
    [ '%0A in a segment', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/M%0AHost:x/attachments' ],
    [ 'id of 2000 bytes', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/' . ('A' x 2000)
              . '/attachments' ],
    [ '/me/', 404, 'UnsupportedPath',
      path => '/graph/me/messages/M/attachments' ],
    [ 'sendMail', 404, 'UnsupportedPath',
      path => '/graph/users/a@b.c/sendMail' ],
    [ 'createUploadSession', 404, 'UnsupportedPath',
      path => '/graph/users/a@b.c/messages/M/attachments/'
              . 'createUploadSession' ],
    [ 'extra segments', 404, 'UnsupportedPath',
      path => '/graph/users/a@b.c/messages/M/attachments/A/B' ],
    [ 'trailing slash', 404, 'UnsupportedPath',
      path => '/graph/users/a@b.c/messages/M/attachments/' ],
    [ 'attachments;param', 404, 'UnsupportedPath',
      path => '/graph/users/a@b.c/messages/M/attachments;x' ],
    [ 'attachments%2F', 400, 'InvalidPathSegment',
      path => '/graph/users/a@b.c/messages/M/attachments%2F' ],
    [ 'version v2', 404, 'UnsupportedPath',
      path => '/graph/v2/users/a@b.c/messages/M/attachments' ],

    # methods
    [ 'GET', 405, 'MethodNotAllowed', method => 'GET' ],
    [ 'PUT', 405, 'MethodNotAllowed', method => 'PUT', form("$OK$END") ],
    [ 'OPTIONS', 405, 'MethodNotAllowed', method => 'OPTIONS' ],
    [ 'DELETE', 405, 'MethodNotAllowed', method => 'DELETE' ],
    [ 'HEAD', 405, undef, method => 'HEAD', head => 1 ],

    # Content-Length shorter than the body: the body is what it says,
    # and the rest is the next (garbage) request on a closed connection
    [ 'Content-Length shorter than the body', 400, 'TruncatedBody',
      raw => "POST $MSG_PATH HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: $CT\r\nConnection: close\r\n"
             . 'Content-Length: ' . length($OK) . "\r\n\r\n$OK$END" ],
);

my $n = 0;
for my $c (@cases) {
    my ($label, $status, $code, %req) = @$c;
    $n++;
    $t->graph_clear;
    my $start = time;
    my $r = $req{raw} ? $t->request(raw => $req{raw})
                      : $t->post(path => $MSG_PATH, %req);
    if ($req{head}) {
        is($r && $r->{status}, 405, "$label: 405");
        like($r->{headers}{allow} // '', qr/\bPOST\b/, "$label: Allow: POST");
        like($r->{headers}{'content-type'} // '', qr{^application/json},
             "$label: JSON");
    } elsif (defined $code) {
        $t->check_error($r || { headers => {} }, status => $status,
                        code => $code, label => $label,
                        allow => $status == 405);
    } else {
        is($r && $r->{status}, $status, "$label: $status");
    }
    $t->nothing_upstream($label);
    cmp_ok(time - $start, '<', 5 * $t->slow, "$label: answered quickly");
}
cmp_ok($n, '>=', 40, "$n hostile requests");

# --- handled, not refused: assert what the code does ---------------------

{
    my $data = "hello\r\n--h0stile\r\n--h0stile-\r\n-- $B";
    try_accepted($t, 'data holding prefixes of the delimiter',
                 form("--$B\r\n$FH\r\n\r\n$data\r\n$END"),
                 want => { name => 'a.txt', data => $data });

    my (undef, $body) = multipart(boundary => $b70,
                                  parts => [ good_part(data => 'b70') ]);
    try_accepted($t, 'boundary of 70 characters',
                 form($body, "multipart/form-data; boundary=$b70"),
                 want => { name => 'ok.txt', data => 'b70' });

    (undef, $body) = multipart(boundary => 'a b  c',
                               parts => [ good_part(data => 'spaces') ]);
    try_accepted($t, 'quoted boundary containing spaces',
                 form($body, 'multipart/form-data; boundary="a b  c"'),
                 want => { name => 'ok.txt', data => 'spaces' });

    # a nested multipart/mixed with its own boundary is the file's bytes
    try_accepted($t, 'nested multipart/mixed is file data',
                 head_form(qq{Content-Disposition: form-data; name="file"; }
                           . qq{filename="nested.eml"\r\n}
                           . 'Content-Type: multipart/mixed; boundary=inner',
                           $nested_other),
                 want => { name => 'nested.eml',
                           type => 'multipart/mixed',
                           data => $nested_other });

    # the outer delimiter right after the part headers, without its own
    # CRLF, is not a delimiter (RFC 2046: the CRLF belongs to it): the
    # bytes are the file's, and only a.txt reaches Graph
    my $inner = "--$B\r\nContent-Disposition: form-data; name=\"evil\"; "
              . "filename=\"evil.exe\"\r\n\r\nMZ";
    try_accepted($t, 'outer boundary right after the part headers is data',
                 form("--$B\r\n$FH\r\n\r\n$inner\r\n$END"),
                 want => { name => 'a.txt', data => $inner });

    # Content-Transfer-Encoding identities pass
    try_accepted($t, 'Content-Transfer-Encoding: BINARY',
                 head_form("$FH\r\nContent-Transfer-Encoding: BINARY", 'bin'),
                 want => { name => 'a.txt', data => 'bin' });

    # HTAB is legal in a quoted-string (RFC 9110), and a control in a
    # name: sanitising strips it
    try_accepted($t, 'raw TAB in a quoted filename is stripped',
                 cd(qq{name="file"; filename="a\tb.txt"}, 'tab'),
                 want => { name => 'ab.txt', data => 'tab' });

    # %00 in an aiohttp-style name decodes to a control: stripped
    try_accepted($t, 'encoded NUL in a filename is stripped',
                 cd(q{name="file"; filename="a%00b.txt"}, 'nul'),
                 want => { name => 'ab.txt', data => 'nul' });

    # slow body: a few bytes at a time
    my $raw = $t->build_request(path => $MSG_PATH,
                                parts => [ good_part(data => 'trickled') ]);
    $t->graph_clear;
    my @chunks = map { substr($raw, $_ * 9, 9) } 0 .. int(length($raw) / 9);
    my $r = $t->request(chunks => \@chunks, delay => 0.01);
    is($r->{status}, 201, 'body trickled 9 bytes at a time: 201');
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => 'trickled', token => $token,
                       name => 'ok.txt', data => 'trickled');
}

# --- requests nginx refuses before any location ---------------------------

for my $c (
    [ 'NUL in a request header', 400,
      "POST $MSG_PATH HTTP/1.1\r\nHost: localhost\r\nX-A: a\0b\r\n"
      . "Content-Type: $CT\r\nContent-Length: 5\r\n\r\nhello" ],
    [ '1 MB request header line', 400,
      "POST $MSG_PATH HTTP/1.1\r\nHost: localhost\r\nX-Big: "
      . ('A' x (1024 * 1024)) . "\r\nContent-Type: $CT\r\n"
      . "Content-Length: 5\r\n\r\nhello" ],
    [ 'path of 10 kB', 414,
      'POST /graph/users/a@b.c/messages/' . ('A' x 10240)
      . "/attachments HTTP/1.1\r\nHost: localhost\r\n"
      . "Content-Type: $CT\r\nContent-Length: 5\r\n\r\nhello" ],
) {
    my ($label, $status, $raw) = @$c;
    $t->graph_clear;
    my $start = time;
    my $r = $t->request(raw => $raw);
    is($r && $r->{status}, $status, "$label: $status");
    $t->nothing_upstream($label);
    cmp_ok(time - $start, '<', 3 * $t->slow, "$label: answered quickly");
}

# --- chunked body over graph_attach_max_size + 64k, no Content-Length -----

{
    $t->graph_clear;
    my (undef, $body) = multipart(boundary => $B, parts => [ good_part() ]);
    my $r = $t->post(path => '/small/users/a@b.c/messages/M/attachments',
                     chunked => 1, content_type => $CT,
                     body => ('preamble ' x 12_000) . $body);
    $t->check_error($r, status => 413, code => 'AttachmentTooLarge',
                    label => 'chunked body over the limit, in the preamble');
    $t->nothing_upstream('chunked body over the limit');
}

# --- Content-Length longer than the body ----------------------------------

{
    # the client half-closes: nginx sees the end at once, nothing waits
    $t->graph_clear;
    my $c = $t->connect;
    my $start = time;
    $c->send("POST $MSG_PATH HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: $CT\r\nContent-Length: 5000\r\n\r\n$OK$END");
    shutdown($c->sock, 1);
    my $r = $c->read_response(timeout => 5);
    $t->seen($r);
    ok(!$r || !$r->{status} || $r->{status} == 400,
       'Content-Length longer, half-closed: 400 or closed')
        or diag("got $r->{status}");
    cmp_ok(time - $start, '<', 3 * $t->slow,
           'Content-Length longer, half-closed: handled at once');
    $c->close;
    $t->nothing_upstream('Content-Length longer than the body');

    # the client waits: client_body_timeout (1s here) ends it
    $t->graph_clear;
    $c = $t->connect;
    $start = time;
    $c->send("POST /slow/users/a\@b.c/messages/M/attachments HTTP/1.1\r\n"
             . "Host: localhost\r\nContent-Type: $CT\r\n"
             . "Content-Length: 5000\r\n\r\n$OK");
    $r = $c->read_response(timeout => 10 * $t->slow);
    $t->seen($r);
    if ($r && $r->{status}) {
        $t->check_error($r, status => 408, code => 'RequestTimeout',
                        label => 'stalled body');
    } else {
        pass('stalled body: connection closed (nginx sends no 408)');
    }
    cmp_ok(time - $start, '<', 6 * $t->slow,
           'stalled body: ended by client_body_timeout');
    $c->close;
    $t->nothing_upstream('stalled body');
}

# --- aborted bodies --------------------------------------------------------

{
    my $fds = $t->nginx_fd_counts;
    my $raw = $t->build_request(path => $MSG_PATH,
                                parts => [ good_part(data => 'z' x 50_000) ]);
    my $hdr_end = index($raw, "\r\n\r\n") + 4;

    for my $c (
        [ 'in the request headers', 30 ],
        [ 'right after the request headers', $hdr_end ],
        [ 'in the part headers', $hdr_end + length("--") + 20 ],
        [ 'in the file data', $hdr_end + 20_000 ],
        [ 'one byte before the end', length($raw) - 1 ],
    ) {
        my ($label, $at) = @$c;
        $t->graph_clear;
        my $conn = $t->connect;
        $conn->send(substr($raw, 0, $at));
        sleep 0.1;
        $conn->close;
        sleep 0.2;
        $t->nothing_upstream("client closed $label");
    }

    # while the token lookup is still waiting on Redis
    $t->pause_redis;
    $t->graph_clear;
    my $araw = $t->build_request(
        path => '/abort/users/a@b.c/messages/M/attachments',
        parts => [ good_part(data => 'q' x 5000) ]);
    my $conn = $t->connect;
    $conn->send(substr($araw, 0, length($araw) - 100));
    sleep 0.2;
    $conn->close;
    sleep 0.2;
    $t->resume_redis;
    sleep 0.3;
    $t->nothing_upstream('client closed while Redis was answering');

    my $r = $t->post(path => '/abort/users/a@b.c/messages/M/attachments',
                     parts => [ good_part() ]);
    is($r->{status}, 201, 'after the aborted lookup, the same key works');

    ok($t->wait_for(sub {
        my $now = $t->nginx_fd_counts;
        !grep { ($now->{$_} // 0) > $fds->{$_} } keys %$fds;
    }, 5), 'no connection or file left open after the aborts')
        or diag(explain($fds), explain($t->nginx_fd_counts));
}

# --- nothing crashed, and a good upload still works ---------------------

is_deeply([ worker_pids($t) ], \@pids, 'worker pids unchanged: no crash');
unlike($t->slurp('logs/error.log'), qr/exited on signal|\[(alert|crit)\]/,
       'error.log: no worker exit, alert or crit');

try_accepted($t, 'a good upload after all of it',
             parts => [ good_part(data => 'still fine') ],
             want => { name => 'ok.txt', type => 'text/plain',
                       data => 'still fine' });

$t->done_testing;
