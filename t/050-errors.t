# Every error the module answers itself: JSON {"error":{"code","message"}}
# with Content-Type application/json, and nothing reaches Graph.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start(max_size => '10k', server => <<'EOF');
        location /big/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            client_max_body_size 8m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
EOF

my $token = 'eyJ0eXAi.errors-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/graph/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $file = { name => 'file', filename => 'a.txt', type => 'text/plain',
             data => 'hello' };

# [label, status, request options]
my @cases = (
    # 405
    [ 'GET', 405, method => 'GET' ],
    [ 'PUT', 405, method => 'PUT', parts => [ $file ] ],
    [ 'DELETE', 405, method => 'DELETE' ],
    [ 'PATCH', 405, method => 'PATCH', parts => [ $file ] ],

    # 415
    [ 'application/json', 415, body => '{"name":"a"}',
      content_type => 'application/json' ],
    [ 'no Content-Type', 415, body => 'x' ],
    [ 'urlencoded form', 415, body => 'a=b',
      content_type => 'application/x-www-form-urlencoded' ],
    [ 'multipart/mixed', 415, parts => [ $file ],
      content_type => 'multipart/mixed; boundary=x' ],

    # 400: framing
    [ 'no boundary parameter', 400, parts => [ $file ],
      content_type => 'multipart/form-data' ],
    [ 'empty boundary', 400, parts => [ $file ],
      content_type => 'multipart/form-data; boundary=""' ],
    [ 'wrong boundary', 400, parts => [ $file ], boundary => 'right',
      content_type => 'multipart/form-data; boundary=wrong' ],
    [ 'no closing delimiter', 400,
      body => "--b\r\nContent-Disposition: form-data; name=\"file\"; "
            . "filename=\"a.txt\"\r\n\r\nhello\r\n",
      content_type => 'multipart/form-data; boundary=b' ],
    [ 'truncated inside the file', 400,
      body => "--b\r\nContent-Disposition: form-data; name=\"file\"; "
            . "filename=\"a.txt\"\r\n\r\nhel",
      content_type => 'multipart/form-data; boundary=b' ],
    [ 'truncated inside part headers', 400,
      body => "--b\r\nContent-Disposition: form-data; name=\"fi",
      content_type => 'multipart/form-data; boundary=b' ],
    [ 'empty body', 400, body => '',
      content_type => 'multipart/form-data; boundary=b' ],
    [ 'oversized part headers', 400,
      path => '/big/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments',
      parts => [
        { head => 'Content-Disposition: form-data; name="file"; '
                . 'filename="a.txt"' . "\r\nX-Padding: " . ('p' x 100_000),
          data => 'hello' } ] ],

    # 400: parts
    [ 'no file part', 400, parts => [ { name => 'name', data => 'a.txt' } ] ],
    [ 'empty filename and no bytes = no file', 400, parts => [
        { name => 'file', filename => '', type => 'application/octet-stream',
          data => '' } ] ],
    [ 'empty file', 400, parts => [ { %$file, data => '' } ] ],
    [ 'eleven files (graph_attach_max_files 10)', 400,
      parts => [ map { { %$file, filename => "f$_.txt" } } 1 .. 11 ] ],
    [ 'name not UTF-8', 400, parts => [ { %$file, filename => "a\xff\xfe.txt" } ] ],
    [ 'name field not UTF-8', 400,
      parts => [ { name => 'name', data => "bad\xc3(.txt" }, $file ] ],
    [ 'overlong UTF-8 in filename*', 400, parts => [
        { head => q{Content-Disposition: form-data; name="file"; }
                . q{filename*=UTF-8''%C0%AF.txt}, data => 'x' } ] ],
    [ 'isInline=yes', 400,
      parts => [ { name => 'isInline', data => 'yes' }, $file ] ],
    [ 'isInline empty', 400,
      parts => [ { name => 'isInline', data => '' }, $file ] ],

    # 404: not an attachment collection
    [ '/me', 404, path => '/graph/me/messages/AAMk/attachments',
      parts => [ $file ] ],
    [ 'sendMail', 404, path => '/graph/users/a@b.c/sendMail',
      parts => [ $file ] ],
    [ 'extra segment', 404,
      path => '/graph/users/a@b.c/messages/M/attachments/extra',
      parts => [ $file ] ],
    [ 'no attachments segment', 404, path => '/graph/users/a@b.c/messages/M',
      parts => [ $file ] ],
    [ 'group event', 404,
      path => '/graph/groups/G/events/E/attachments', parts => [ $file ] ],
    [ 'unknown version', 404,
      path => '/graph/v2.0/users/a@b.c/messages/M/attachments',
      parts => [ $file ] ],
    [ 'query string does not add segments', 201,
      path => "$msg?x=/sendMail", parts => [ $file ] ],

    # 400: bad segments
    [ '%2F in id', 400,
      path => '/graph/users/a@b.c/messages/AA%2FMk/attachments',
      parts => [ $file ] ],
    [ '%2f in mailbox', 400,
      path => '/graph/users/a%2fb@c.d/messages/M/attachments',
      parts => [ $file ] ],
    [ '%5C in id', 400,
      path => '/graph/users/a@b.c/messages/AA%5CMk/attachments',
      parts => [ $file ] ],
    [ '%0D%0A in id', 400,
      path => '/graph/users/a@b.c/messages/AA%0D%0AX:y/attachments',
      parts => [ $file ] ],
    [ '%09 in mailbox', 400,
      path => '/graph/users/a%09b@c.d/messages/M/attachments',
      parts => [ $file ] ],
    [ '%7F in id', 400,
      path => '/graph/users/a@b.c/messages/M%7F/attachments',
      parts => [ $file ] ],
    [ '%2E as a segment', 400,
      path => '/graph/users/a@b.c/messages/%2E/attachments',
      parts => [ $file ] ],
    [ '%2E%2E as a segment', 400,
      path => '/graph/users/%2E%2E/messages/M/attachments',
      parts => [ $file ] ],
);

for my $c (@cases) {
    my ($label, $status, %req) = @$c;
    $t->graph_clear;
    my $r = $t->post(path => $msg, %req);
    if ($status == 201) {
        is($r->{status}, 201, "$label: 201") or diag($r->{body});
        my ($rec) = $t->graph_records;
        is(canon_path($rec ? $rec->{path} : ''),
           canon_path('/v1.0/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments'),
           "$label: upstream path");
        next;
    }
    $t->check_error($r, status => $status, label => $label,
                    allow => $status == 405);
    $t->nothing_upstream($label);
}

# Raw dot segments and empty ones: nginx may normalise them before the
# module sees the path; either way nothing but a refusal is acceptable.
for my $p ('/graph/users/a@b.c/messages/./attachments',
           '/graph/users/a@b.c/messages/../attachments',
           '/graph/users/../users/a@b.c/messages/M/attachments/..',
           '/graph/users//messages/M/attachments') {
    $t->graph_clear;
    my $r = $t->post(path => $p, parts => [ $file ]);
    like($r->{status}, qr/^40[04]$/, "$p: 400 or 404");
    $t->nothing_upstream($p);
}

# A NUL byte: nginx itself refuses it (its own 400).
{
    $t->graph_clear;
    my $r = $t->post(path => '/graph/users/a@b.c/messages/M%00x/attachments',
                     parts => [ $file ]);
    is($r->{status}, 400, '%00 in a segment: 400');
    $t->nothing_upstream('%00');
}

# --- 413 -----------------------------------------------------------------

for my $len (500_000, 20_000_000) {
    # Content-Length alone proves it: the answer comes before any body.
    # 500 kB is under nginx's default client_max_body_size (1m), 20 MB
    # is over it: the client expects the module's JSON error either way.
    $t->graph_clear;
    my $c = $t->connect;
    my $start = time;
    $c->send("POST $msg HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: multipart/form-data; boundary=b\r\n"
             . "Content-Length: $len\r\n\r\n");
    my $r = $c->read_response(timeout => 5);
    $t->seen($r);
    $t->check_error($r || {}, status => 413,
                    label => "Content-Length $len, no body sent");
    cmp_ok(time - $start, '<', 3 * $t->slow, "$len: 413 came at once");
    $c->close;
    $t->nothing_upstream("Content-Length $len over the limit");
}

{
    my ($c, $r);

    # Content-Length proves it with Expect: 100-continue: no 100 first.
    $c = $t->connect;
    $c->send("POST $msg HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: multipart/form-data; boundary=b\r\n"
             . "Expect: 100-continue\r\n"
             . "Content-Length: 500000\r\n\r\n");
    $r = $c->read_response(timeout => 5, keep_1xx => 1);
    $t->seen($r);
    is($r && $r->{status}, 413, 'Expect: 100-continue and a huge length: '
                                . '413 instead of 100');
    $c->close;

    # Chunked: only streaming can tell.
    $t->graph_clear;
    $r = $t->post(path => $msg, chunked => 1,
                  parts => [ { %$file, data => 'z' x 20000 } ]);
    $t->check_error($r, status => 413, label => 'chunked file over the limit');
    $t->nothing_upstream('chunked over the limit');

    # Content-Length within the limit plus multipart overhead, file over.
    $t->graph_clear;
    $r = $t->post(path => $msg, parts => [ { %$file, data => 'z' x 10241 } ]);
    $t->check_error($r, status => 413, label => 'file 1 byte over the limit');
    $t->nothing_upstream('file 1 byte over');
}

# --- a client that goes away mid-body -----------------------------------

{
    $t->graph_clear;
    my $raw = $t->build_request(path => $msg,
                                parts => [ { %$file, data => 'q' x 5000 } ]);
    my $c = $t->connect;
    $c->send(substr($raw, 0, length($raw) - 2000));
    sleep 0.2;
    $c->close;
    sleep 0.3;
    $t->nothing_upstream('client aborted mid-body');

    # nginx is still fine.
    my $r = $t->post(path => $msg, parts => [ $file ]);
    is($r->{status}, 201, 'upload after an aborted client: 201');
}

$t->done_testing;
