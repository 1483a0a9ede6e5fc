# Bodies held in memory under attack (issue 11, attack review).  The
# module lends a 64k client_body_buffer_size to the core for the one
# ngx_http_read_client_request_body() call of a body whose Content-Length
# is within the location's size, and holds the JSON to the body's end
# (t/041).  A hostile client tries to make the lent size stick, to lie
# about the length, and to make a worker hold more than the body's JSON:
#
#  - HTTP/2: DATA past the content-length, END_STREAM short of it, a
#    stream that never ends, DATA that waits in the preread buffer and
#    on flow control while auth_request holds the request back;
#  - HTTP/1.1: a Content-Length longer than what is sent (the client
#    closes), shorter than the form (the rest is a pipelined junk
#    request), Expect: 100-continue, a held upload then another on the
#    same keep-alive connection, a 413 from client_max_body_size and a
#    chunked body past graph_attach_max_size in the same location;
#  - memory: one held 3.9 MiB upload, and a form shaped to keep both the
#    raw file (kept raw for a session) and its JSON, stay within 4/3 of
#    the body and a few MiB in a fresh worker's peak.
#
# After each attack a plain location with 4m buffers still reads a 1.5
# MiB chunked body in memory (nginx warns "a client request body is
# buffered to a temporary file" when not), and nothing reached Graph.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;

my $KiB = 1024;
my $MiB = 1024 * 1024;

my $t = GraphAttach::Test->new(workers => 1);

my $sessions = "graph_attach_upload /_graph_upload;\n"
             . "            graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;";

my $server = join '',
    GraphAttach::Test::graph_location('/mem/',
        "client_body_buffer_size 4m;\n"
      . "            graph_attach_max_size 8m;\n"
      . "            $sessions"),
    # client_max_body_size follows graph_attach_max_size (1m and the
    # form's allowance), below the 4m buffers
    GraphAttach::Test::graph_location('/small/',
        "client_body_buffer_size 4m;\n"
      . "            graph_attach_max_size 1m;"),
    GraphAttach::Test::graph_location('/authed/',
        "client_body_buffer_size 4m;\n"
      . "            graph_attach_max_size 8m;\n"
      . "            auth_request /_auth;"),
    <<'EOF';
        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }

        location = /_auth {
            internal;
            client_max_body_size 0;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%/_health;
        }

        # plain nginx, for the size lent and given back
        location /echo/ {
            client_body_buffer_size 4m;
            client_max_body_size 8m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%/_health;
        }
EOF

$t->start(server => $server, workers => 1);

my $token = 'eyJ0eXAi.memory-attacks-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

$t->allow_log(qr/client intended to send body data larger than declared/);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $TEMP = qr/a client request body is buffered to a temporary file/;

my $data = GraphAttach::Test::random_bytes(1536 * $KiB, 4201);
my $dir = $t->servroot . '/tmp';
my $file = "$dir/m.bin";
{
    open(my $fh, '>:raw', $file) or die "$file: $!";
    print {$fh} $data;
    close $fh;
}

my ($CT, $BODY) = multipart(parts => [ { name => 'file', filename => 'm.bin',
                                         type => 'application/x-t',
                                         data => $data } ]);

# the lent size is back: plain nginx reads a chunked 1.5 MiB in memory
sub size_back {
    my ($label) = @_;
    my $mark = $t->log_mark;
    my $r = $t->curl('-H', 'Transfer-Encoding: chunked',
                     '--data-binary', "\@$file", $t->url('/echo/'));
    is($r->{status}, 200, "$label, then plain 4m: read");
    unlike($t->log_since($mark), $TEMP, "$label, then plain 4m: in memory");
}

sub upstream_none {
    my ($label) = @_;
    sleep 0.1 * $t->slow;
    is(scalar(() = $t->graph_records), 0, "$label: nothing reached Graph");
}


# --- HTTP/2 frames by hand ---------------------------------------------------------

sub hpack_int {
    my ($n) = @_;
    return chr($n) if $n < 127;
    my $s = chr(127);
    $n -= 127;
    while ($n >= 128) {
        $s .= chr(($n & 127) | 128);
        $n >>= 7;
    }
    return $s . chr($n);
}

sub h2_frame {
    my ($type, $flags, $stream, $payload) = @_;
    return substr(pack('N', length $payload), 1)
         . pack('CCN', $type, $flags, $stream) . $payload;
}

# One upload on stream 1: the fields after the pseudo-headers, the body
# in DATA frames of 16k (END_STREAM on the last unless no_end), sent as
# the flow-control windows allow.  Returns the frames of stream 1 seen:
# [type, flags, payload] (HEADERS payloads are HPACK, unread).
sub h2_upload {
    my (%o) = @_;
    my $block = join '', map {
        "\x00" . hpack_int(length $_->[0]) . $_->[0]
               . hpack_int(length $_->[1]) . $_->[1]
    } ([ ':method', 'POST' ], [ ':scheme', 'http' ],
       [ ':path', $o{path} ], [ ':authority', 'localhost' ],
       @{ $o{fields} });

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $t->h2_port, Proto => 'tcp')
        or die "h2 connect: $!";
    binmode $s;
    $s->blocking(0);
    # our windows wide open: Graph's 201 echoes the whole contentBytes
    my $out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
            . h2_frame(4, 0, 0, pack('nN', 4, 0x7fffffff))
            . h2_frame(8, 0, 0, pack('N', 0x7fffffff - 65535))
            . h2_frame(1, 4, 1, $block);

    # RFC 9113: 65535 for the connection and the stream until SETTINGS
    my ($conn_win, $stream_win) = (65535, 65535);
    my ($body, $off, $ended) = ($o{body}, 0, 0);
    my ($buf, @seen, $done) = ('');
    my $sel = IO::Select->new($s);
    my $end = time + 20 * $t->slow;

    while (!$done && time < $end) {
        while (!$ended) {
            my $n = length($body) - $off;
            $n = 16384 if $n > 16384;
            $n = $conn_win if $n > $conn_win;
            $n = $stream_win if $n > $stream_win;
            last if $n <= 0 && $off < length $body;
            my $last = $off + $n >= length $body;
            $out .= h2_frame(0, ($last && !$o{no_end}) ? 1 : 0, 1,
                             substr($body, $off, $n));
            $off += $n;
            $conn_win -= $n;
            $stream_win -= $n;
            $ended = 1 if $last;
        }
        if (length $out) {
            my $w = syswrite($s, $out);
            substr($out, 0, $w) = '' if $w;
        }
        $sel->can_read(0.05) or next;
        my $n = sysread($s, $buf, 65536, length $buf);
        last if defined $n && $n == 0;
        while (length $buf >= 9) {
            my $len = unpack('N', "\0" . substr($buf, 0, 3));
            my ($type, $flags, $stream) = unpack('CCN', substr($buf, 3, 6));
            last if length $buf < 9 + $len;
            my $p = substr($buf, 9, $len);
            substr($buf, 0, 9 + $len) = '';
            if ($type == 4 && !($flags & 1)) {
                $out .= h2_frame(4, 1, 0, '');
                for (my $i = 0; $i + 6 <= length $p; $i += 6) {
                    my ($id, $v) = unpack('nN', substr($p, $i, 6));
                    $stream_win += $v - 65535 if $id == 4;
                }
            }
            if ($type == 8) {
                my $inc = unpack('N', $p) & 0x7fffffff;
                $stream ? ($stream_win += $inc) : ($conn_win += $inc);
            }
            push @seen, [ $type, $flags, $p ] if $stream == 1;
            $done = 1 if $type == 7 || ($stream == 1
                         && ($type == 3 || ($type <= 1 && $flags & 1)));
        }
        # a stream that never ends: give nginx a moment, then go
        $done = 1 if $o{no_end} && $ended && !length $out
                     && time > $end - 19 * $t->slow;
    }
    close $s;
    return @seen;
}

sub h2_json {
    my (@seen) = @_;
    my $body = join '', map { $_->[2] } grep { $_->[0] == 0 } @seen;
    return eval { decode_json($body) };
}

for my $c (
    [ 'h2: DATA past the content-length', $BODY . ('Z' x 100000),
      length $BODY, 400 ],
    [ 'h2: END_STREAM short of the content-length', $BODY,
      100 + length $BODY, 400 ],
    [ 'h2: DATA past a small content-length, in the preread',
      $BODY, 1000, 400 ],
) {
    my ($label, $body, $length, $status) = @$c;
    $t->graph_clear;
    my @seen = h2_upload(path => "/mem$MSG", body => $body,
                         fields => [ [ 'content-type', $CT ],
                                     [ 'content-length', $length ] ]);
    my $j = h2_json(@seen);
    is($j && $j->{error} && $j->{error}{code}, 'BadRequest',
       "$label: a JSON 400");
    upstream_none($label);
    size_back($label);
}

{
    my $label = 'h2: a stream that never ends';
    $t->graph_clear;
    h2_upload(path => "/mem$MSG", body => $BODY, no_end => 1,
              fields => [ [ 'content-type', $CT ],
                          [ 'content-length', length $BODY ] ]);
    upstream_none($label);
    size_back($label);
}

# auth_request holds the request back: DATA waits in the stream's
# preread buffer, then on flow control, before the module reads it
{
    my $label = 'h2: body preread during auth_request';
    $t->graph_clear;
    my $mark = $t->log_mark;
    my @seen = h2_upload(path => "/authed$MSG", body => $BODY,
                         fields => [ [ 'content-type', $CT ],
                                     [ 'content-length', length $BODY ] ]);
    my $j = h2_json(@seen);
    is($j && $j->{name}, 'm.bin', "$label: 201, the attachment")
        or diag(explain $j);
    my @rec = $t->graph_records;
    is(scalar @rec, 1, "$label: one POST");
    is(sha256_hex($rec[0] && $rec[0]{file} // ''), sha256_hex($data),
       "$label: the file arrived exactly");
    unlike($t->log_since($mark), $TEMP, "$label: no temporary file");
    size_back($label);
}


# --- HTTP/1.1 ----------------------------------------------------------------------

{
    my $label = 'h1: Content-Length longer than sent, then close';
    $t->graph_clear;
    my $raw = "POST /mem$MSG HTTP/1.1\r\nHost: localhost\r\n"
            . "Content-Type: $CT\r\nContent-Length: " . (2 * length $BODY)
            . "\r\n\r\n$BODY";
    my $c = $t->connect;
    $c->send($raw);
    sleep 0.3 * $t->slow;
    $c->close;
    upstream_none($label);
    size_back($label);
}

{
    # the form is cut by the length, its end read as the next request
    my $label = 'h1: Content-Length shorter than the form';
    $t->graph_clear;
    my $cut = length($BODY) - 200;
    my @r = $t->request(count => 2, raw =>
        "POST /mem$MSG HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: $CT\r\nContent-Length: $cut\r\n\r\n$BODY");
    is($r[0] && $r[0]{status}, 400, "$label: 400");
    is($r[0] && $r[0]{json} && $r[0]{json}{error}{code}, 'TruncatedBody',
       "$label: a JSON error") or diag($r[0] && $r[0]{body});
    upstream_none($label);
    size_back($label);
}

{
    my $label = 'h1: Expect: 100-continue';
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $r = $t->curl('-H', 'Expect: 100-continue',
                     '-F', "file=\@$file;type=application/x-t",
                     $t->url("/mem$MSG"));
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    my @rec = $t->graph_records;
    is(sha256_hex($rec[0] && $rec[0]{file} // ''), sha256_hex($data),
       "$label: the file arrived exactly");
    unlike($t->log_since($mark), $TEMP, "$label: no temporary file");
}

{
    # two held uploads on one keep-alive connection, the second sent
    # with the first (pipelined): each read through its own buffer
    my $label = 'h1: two held uploads pipelined';
    $t->graph_clear;
    my $mark = $t->log_mark;
    my $one = "POST /mem$MSG HTTP/1.1\r\nHost: localhost\r\n"
            . "Content-Type: $CT\r\nContent-Length: " . length($BODY)
            . "\r\n\r\n$BODY";
    my @r = $t->request(count => 2, timeout => 30, raw => $one . $one);
    is(scalar(grep { $_->{status} == 201 } @r), 2, "$label: both 201");
    my @rec = $t->graph_records;
    is(scalar(grep { sha256_hex($_->{file} // '') eq sha256_hex($data) }
              @rec), 2, "$label: both files arrived exactly");
    unlike($t->log_since($mark), $TEMP, "$label: no temporary file");
    size_back($label);
}

{
    my $label = 'h1: 413 from client_max_body_size';
    $t->graph_clear;
    my $r = $t->curl('-F', "file=\@$file;type=application/x-t",
                     $t->url("/small$MSG"));
    $t->check_error($r, status => 413, label => $label);
    upstream_none($label);
    size_back($label);

    $label = 'h1: chunked past graph_attach_max_size';
    $t->graph_clear;
    $r = $t->curl('-H', 'Transfer-Encoding: chunked',
                  '-F', "file=\@$file;type=application/x-t",
                  $t->url("/small$MSG"));
    $t->check_error($r, status => 413, label => $label);
    upstream_none($label);
    size_back($label);

    # then a held upload in that location still goes through
    my $small = GraphAttach::Test::random_bytes(300 * $KiB, 4202);
    $t->graph_clear;
    $r = $t->post(path => "/small$MSG", timeout => 30,
                  parts => [ { name => 'file', filename => 's.bin',
                               type => 'application/x-t',
                               data => $small } ]);
    is($r->{status}, 201, 'after the 413s: a held upload, 201');
    my @rec = $t->graph_records;
    is(sha256_hex($rec[0] && $rec[0]{file} // ''), sha256_hex($small),
       'after the 413s: the file arrived exactly');
}


# --- memory -------------------------------------------------------------------------

sub worker_hwm {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/status") or return undef;
    local $/;
    my ($kb) = <$fh> =~ /^VmHWM:\s+(\d+) kB/m;
    return $kb * 1024;
}

# the peak a fresh worker reaches for one upload (a reload gives a worker
# whose high-water mark is still its start)
sub peak_for {
    my (%o) = @_;
    my @old = $t->nginx_workers;
    $t->reload_nginx;
    my %old = map { $_ => 1 } @old;
    $t->wait_for(sub { my @w = $t->nginx_workers;
                       @w == 1 && !$old{ $w[0] } }, 10)
        or return undef;
    my ($w) = $t->nginx_workers;

    # a small upload first: the pages every request touches (code,
    # libraries, the Redis connection) are not the upload's
    $t->post(path => "/mem$MSG", parts => [ { name => 'file',
             filename => 'w.txt', type => 'text/plain', data => 'warm' } ]);
    my $before = worker_hwm($w);
    $t->graph_clear;
    my $r = $t->post(path => "/mem$MSG", timeout => 60, body => $o{body},
                     content_type => $o{ct});
    is($r->{status}, 201, "$o{label}: 201") or diag($r->{body});
    my $grew = worker_hwm($w) - $before;
    note("$o{label}: the peak grew by $grew bytes");
    return $grew;
}

SKIP: {
    skip 'one process under valgrind', 4 if $t->valgrind;

    my $big = GraphAttach::Test::random_bytes(3900 * $KiB, 4203);
    my ($ct, $body) = multipart(parts => [ { name => 'file',
        filename => 'big.bin', type => 'application/x-t', data => $big } ]);
    my $peak = peak_for(label => 'memory, 3.9 MiB held', body => $body,
                        ct => $ct);
    # a session (over 2 MiB): the raw file in memory, sent in ranges
    cmp_ok($peak, '<', 4 / 3 * length($body) + $MiB,
           'memory, 3.9 MiB held: under 4/3 of the body and 1 MiB')
        or diag("peak grew by $peak bytes");

    # a body over the session threshold whose file is under it: the file
    # is kept raw, then turned into JSON, both in memory for a moment
    my $under = GraphAttach::Test::random_bytes(2 * $MiB - 1, 4204);
    ($ct, $body) = multipart(parts => [
        { name => 'file', filename => 'u.bin', type => 'application/x-t',
          data => $under },
        { name => 'note', data => 'p' x (60 * $KiB) } ]);
    $body = ('preamble' x (1536 * $KiB / 8)) . "\r\n" . $body;
    $peak = peak_for(label => 'memory, raw and JSON', body => $body,
                     ct => $ct);
    cmp_ok($peak, '<', 4 / 3 * length($body) + $MiB,
           'memory, raw and JSON: under 4/3 of the body and 1 MiB')
        or diag("peak grew by $peak bytes");
}

$t->done_testing;
