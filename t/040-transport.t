# How the body arrives: chunked, Expect: 100-continue, HTTP/2, one byte
# at a time with delays, bodies larger than client_body_buffer_size
# (temp files), keep-alive and pipelining after errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start(server => <<'EOF');
        location /smallbuf/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            client_body_buffer_size 1k;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
EOF

my $token = 'eyJ0eXAi.transport-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $dir = $t->servroot . '/files';
make_path($dir);

sub write_file {
    my ($name, $data) = @_;
    open(my $fh, '>:raw', "$dir/$name") or die;
    print {$fh} $data;
    close $fh;
    return "$dir/$name";
}

my $data = random_bytes(300_000, 21) . "\r\n--XX\r\n--" . random_bytes(999, 22);
my $file = write_file('t.bin', $data);

sub one_upload {
    my ($label, %want) = @_;
    my ($rec, @more) = $t->graph_records;
    ok(!@more, "$label: one request upstream");
    $t->check_upstream($rec, label => $label, token => $token,
                       path => "/v1.0$msg", %want);
}

# --- curl: chunked, Expect: 100-continue, HTTP/2 ------------------------

my @curl = (
    # [label, what curl -v shows when it went that way, curl options]
    [ 'chunked request body', qr/^> Transfer-Encoding: chunked/mi,
      '-H', 'Transfer-Encoding: chunked' ],
    [ 'Expect: 100-continue', qr{^< HTTP/1\.1 100 Continue}mi,
      '-H', 'Expect: 100-continue' ],
    [ 'HTTP/1.0', qr{^> POST \S+ HTTP/1\.0}m, '--http1.0' ],
);
for my $c (@curl) {
    my ($label, $how, @args) = @$c;
    $t->graph_clear;
    my $r = $t->curl('-v', @args, '-F', "file=\@$file;type=application/x-t",
                     $t->url("/graph$msg"));
    is($r->{status}, 201, "curl $label: 201") or diag($r->{body});
    like($r->{curl_stderr}, $how, "curl $label: it went that way");
    one_upload("curl $label", name => 't.bin', type => 'application/x-t',
               data => $data);
}

for my $chunked (0, 1) {
    my $label = 'HTTP/2 (h2c prior knowledge)' . ($chunked ? ', no length' : '');
    $t->graph_clear;
    my @extra = $chunked ? ('-H', 'Transfer-Encoding: chunked') : ();
    my $r = $t->curl('--http2-prior-knowledge', @extra,
                     '-F', "file=\@$file;type=application/x-t",
                     "http://127.0.0.1:" . $t->h2_port . "/graph$msg");
    is($r->{version}, 'HTTP/2', "$label: spoke HTTP/2");
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    one_upload($label, name => 't.bin', type => 'application/x-t',
               data => $data);
}

# --- raw socket: the whole request one byte at a time -------------------

{
    my $small = "head\r\n--b\r\n--bo" . random_bytes(200, 23);
    $t->graph_clear;
    my $r = $t->post(path => "/graph$msg", boundary => 'bou',
                     parts => [ { name => 'isInline', data => 'true' },
                                { name => 'file', filename => 'split.bin',
                                  type => 'application/x-s',
                                  data => $small } ],
                     split => 1, delay => 0.001);
    is($r->{status}, 201, 'byte by byte: 201') or diag($r->{body});
    one_upload('byte by byte', name => 'split.bin', type => 'application/x-s',
               data => $small, inline => 1);

    # A chunked body in 1-byte chunks, sent in pieces of 7 bytes.
    $t->graph_clear;
    $r = $t->post(path => "/graph$msg", boundary => 'bou', chunked => 1,
                  chunk_size => 1,
                  parts => [ { name => 'file', filename => 'split.bin',
                               type => 'application/x-s', data => $small } ],
                  split => 7, delay => 0.0005);
    is($r->{status}, 201, 'chunked, 1-byte chunks: 201') or diag($r->{body});
    one_upload('chunked 1-byte chunks', name => 'split.bin',
               type => 'application/x-s', data => $small);
}

# --- bodies past client_body_buffer_size (temp files) -------------------

for my $chunked (0, 1) {
    my $label = 'client_body_buffer_size 1k' . ($chunked ? ', chunked' : '');
    $t->graph_clear;
    my $r = $t->post(path => "/smallbuf$msg", chunked => $chunked,
                     parts => [ { name => 'file', filename => 'tmp.bin',
                                  type => 'application/x-t', data => $data } ],
                     split => 65536, delay => 0.002);
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    one_upload($label, name => 'tmp.bin', type => 'application/x-t',
               data => $data);
}

# --- keep-alive: errors and successes on one connection ----------------

{
    $t->graph_clear;
    my $c = $t->connect;
    my $ok_req = $t->build_request(
        path => "/graph$msg", keepalive => 1,
        parts => [ { name => 'file', filename => 'ka.txt',
                     type => 'text/plain', data => 'keep-alive' } ]);

    my @seq = (
        [ 'no file part (400)', 400, $t->build_request(
              path => "/graph$msg", keepalive => 1,
              parts => [ { name => 'note', data => 'no file here' } ]) ],
        [ 'upload after a 400', 201, $ok_req ],
        [ 'not multipart (415)', 415, $t->build_request(
              path => "/graph$msg", keepalive => 1,
              body => '{"x":1}', content_type => 'application/json') ],
        [ 'upload after a 415', 201, $ok_req ],
        [ 'bad path (404)', 404, $t->build_request(
              path => '/graph/users/a@b.c/sendMail', keepalive => 1,
              parts => [ { name => 'file', filename => 'x.txt',
                           data => 'x' } ]) ],
        [ 'upload after a 404', 201, $ok_req ],
    );
    for my $s (@seq) {
        my ($label, $status, $raw) = @$s;
        ok($c->send($raw), "keep-alive: send $label");
        my $r = $c->read_response;
        $t->seen($r);
        is($r && $r->{status}, $status, "keep-alive: $label")
            or diag($r ? $r->{raw} : 'no response');
    }
    $c->close;
    is(scalar(grep { $_->{status} == 201 } $t->graph_records), 3,
       'keep-alive: three uploads reached Graph, errors did not');

    # The same requests pipelined in one write.
    $t->graph_clear;
    my @res = $t->request(raw => join('', map { $_->[2] } @seq),
                          count => scalar @seq);
    is_deeply([ map { $_->{status} } @res ], [ map { $_->[1] } @seq ],
              'pipelined: every response, in order');
    is(scalar(grep { $_->{status} == 201 } $t->graph_records), 3,
       'pipelined: three uploads reached Graph');
}

$t->done_testing;
