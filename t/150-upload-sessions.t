# Upload sessions (issue 9): a file whose request is at least
# graph_attach_upload_threshold + 64k goes to Graph through
# createUploadSession and ranged PUTs to the uploadUrl (through the
# graph_attach_upload location), and the client gets the same 201 as for a
# simple POST, without contentBytes.  Smaller files still take the simple
# POST.  Every check is on what the stand-in RECEIVED: the
# createUploadSession call (token, AttachmentItem), each PUT (no
# Authorization, Content-Range, Content-Length, the bytes of its range by
# SHA-256), the reassembled file (SHA-256, and byte for byte when that
# differs), DELETE on a failure; and on what the client got (the 201's
# shape and Location, Graph's own 4xx, 502 otherwise).
#
# The uploadUrl carries its own credential (authtoken): graph_sessions()
# registers every authtoken as a secret, so the teardown fails if one is in
# a response or a log; this file also checks the error log's lines at info
# and above for the uploadUrl itself.
#
# A 150 MiB file (Graph's largest) is streamed from a generator (a few
# seconds; 300 MB of disk under the servroot while it lasts): skipped under
# valgrind unless TEST_GRAPH_ATTACH_BIG=1, and with TEST_GRAPH_ATTACH_BIG=0.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Encode qw(encode decode);
use File::Path qw(make_path);
use IO::Socket::INET;
use JSON::PP ();
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Hostile;

my $KiB = 1024;
my $MiB = 1024 * 1024;

my $t = GraphAttach::Test->new;

# --- configuration --------------------------------------------------------

my $hosts = 'graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;';
my $sessions = "graph_attach_upload /_graph_upload;\n"
             . "            $hosts";

# the default location /graph/: sessions on, files up to 150m; the
# variable must be empty in the main request
my $main_loc = "graph_attach on;\n"
             . "            graph_attach_token_key graph:token:t1;\n"
             . "            graph_attach_max_size 150m;\n"
             . "            $sessions\n"
             . "            add_header X-Upload-Url \"[\$graph_attach_upload_url]\" always;\n"
             . "            add_header X-Result \"\$graph_attach_result\" always;\n"
             . "            add_header X-Size \"\$graph_attach_size\" always;\n"
             . "            add_header X-Sha256 \"\$graph_attach_sha256\" always;\n"
             . "            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%"
             . "\$graph_attach_uri;\n";

my $server = join '',
    # ranges of 1 MiB
    graph_location('/chunk1m/', "graph_attach_max_size 150m;\n"
                              . "            graph_attach_upload_chunk 1m;\n"
                              . "            $sessions"),
    # the default graph_attach_max_size (35m)
    graph_location('/default/', $sessions),
    # no graph_attach_upload
    graph_location('/nosession/', 'graph_attach_max_size 150m;'),
    # the default graph_attach_upload_hosts: Graph's, not the stand-in's
    graph_location('/defaulthosts/',
                   'graph_attach_upload /_graph_upload;'),
    # a subrequest buffer Graph's answers do not fit (the module reads
    # them itself: it must not matter)
    graph_location('/tinybuf/', "graph_attach_max_size 150m;\n"
                              . "            graph_attach_upload /_graph_upload;\n"
                              . "            $hosts\n"
                              . "            subrequest_output_buffer_size 128;"),
    # bodies in memory, ranges of 1m: the proxy module reads each range
    # into a buffer of the upload location's client_body_buffer_size,
    # which must be freed with its call
    graph_location('/bigbuf/', "graph_attach_max_size 150m;\n"
                             . "            client_body_buffer_size 4m;\n"
                             . "            graph_attach_upload_chunk 1m;\n"
                             . "            graph_attach_upload /_graph_upload_4m;\n"
                             . "            $hosts"),
    # the highest threshold
    graph_location('/threshold/', "graph_attach_upload_threshold 2176k;\n"
                                . "            $sessions"),
    <<'EOF';
        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }

        location /_graph_upload_4m {
            internal;
            client_body_buffer_size 4m;
            proxy_pass $graph_attach_upload_url;
        }
EOF

$t->start(location => $main_loc, server => $server);

my $token = 'eyJ0eXAi.sessions-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $EVT = '/users/bob@contoso.com/events/AAMkAGI1EvT=/attachments';

sub path_for { my ($prefix, $g) = @_; return "/$prefix" . ($g // $MSG) }

# Limitations docs/design.md documents ("Not done yet, for sessions"):
# the tests stay, marked TODO while the text is there.
my $design = $t->slurp($t->root . '/docs/design.md');
my $TODO_LENGTH = $design =~ /without a length whose file is past the\s+threshold is refused/
    ? 'docs/design.md: a body without a length cannot use a session yet '
      . '(411 LengthRequired)' : undef;

my $dir = $t->servroot . '/files';
make_path($dir);


# --- helpers ----------------------------------------------------------------

# File bytes for SIZE and SEED: blocks of 64 KiB, each a window of a
# random base and its own index, so that no two ranges are alike and a
# range sent twice, dropped or misplaced shows.  Nothing is committed.
my %BASE;

sub block {
    my ($seed, $i) = @_;
    my $base = $BASE{$seed} //= random_bytes(2 * 65536, $seed);
    return substr($base, ($i * 7919) % 65536, 65528) . pack('NN', $i, $seed);
}

sub pattern {
    my ($n, $seed) = @_;
    my $out = '';
    for (my $i = 0; length($out) < $n; $i++) {
        $out .= block($seed, $i);
    }
    substr($out, $n) = '';
    return $out;
}

sub write_file {
    my ($name, $data) = @_;
    open(my $fh, '>:raw', "$dir/$name") or die "$dir/$name: $!";
    print {$fh} $data;
    close $fh;
    return "$dir/$name";
}

# Every session seen (for the log check at the end).
my %SESSIONS;

sub sessions {
    my @s = $t->graph_sessions;       # registers each authtoken as a secret
    $SESSIONS{$_->{id}} = $_ for @s;
    return @s;
}

sub records_of {
    my ($kind, @rec) = @_;
    return grep { ($_->{kind} // '') eq $kind } @rec;
}

sub failed_attempt {
    my ($rec) = @_;
    return $rec->{fault}
        && ($rec->{dropped} || ($rec->{status} // 0) < 200
            || $rec->{status} >= 300);
}

sub header_count {
    my ($rec, $name) = @_;
    return scalar grep { lc $_->[0] eq lc $name } @{ $rec->{header_list} };
}

# Uploads a file: prefix (graph), gpath (Graph path after the version,
# $MSG), data or size + seed, filename, type, fields ([name, value] pairs,
# sent before the file), timeout, and any option of post().  Clears the
# stand-in first unless keep => 1.  Returns (response, file bytes).
sub upload {
    my (%o) = @_;
    my $data = delete $o{data} // pattern(delete $o{size}, delete $o{seed});
    my $prefix = delete $o{prefix} // 'graph';
    my $gpath = delete $o{gpath} // $MSG;
    my @parts = map { { name => $_->[0], data => $_->[1] } }
                @{ delete $o{fields} || [] };
    push @parts, { name => 'file',
                   filename => delete $o{filename} // 'file.bin',
                   type => delete $o{type} // 'application/octet-stream',
                   data => $data };
    $t->graph_clear unless delete $o{keep};
    my $r = $t->post(path => path_for($prefix, $gpath), parts => \@parts,
                     timeout => delete $o{timeout} // 120, chunk_size => 65536,
                     %o);
    return ($r // { status => 0, headers => {}, body => '' }, $data);
}

sub show {
    my ($r) = @_;
    return 'no response' unless $r;
    return substr(($r->{raw_head} // '') . ($r->{body} // ''), 0, 800);
}

# The upload went through one session, byte-exact.  %w: gpath (Graph path
# after the version, default $MSG), name, type, inline, content_id, chunk
# (the largest range, default 4m), ranges (how many ranges, counting each
# once), retried (PUT attempts that met a fault), token; for a file not
# held in memory: size and sha256 instead of the data.
sub check_session {
    my ($label, $r, $data, %w) = @_;
    my $chunk = $w{chunk} // 4 * $MiB;
    my $size = defined $data ? length $data : $w{size};
    my $sha = defined $data ? sha256_hex($data) : $w{sha256};
    my $gpath = $w{gpath} // $MSG;
    my @rec = $t->graph_records;
    my @sess = sessions();

    subtest "session: $label" => sub {
        is($r->{status}, 201, '201 Created') or diag(show($r));

        my @create = records_of('create', @rec);
        my @up = records_of('upload', @rec);
        is(scalar @create, 1, 'one createUploadSession');
        is(scalar records_of('attach', @rec), 0, 'no simple POST');

        # createUploadSession: the token, JSON, the AttachmentItem
        my $c = $create[0] || { headers => {}, header_list => [] };
        my $h = $c->{headers};
        is($c->{method}, 'POST', 'create: POST');
        is(canon_path($c->{path} // ''),
           canon_path("/v1.0$gpath/createUploadSession"), 'create: path');
        is($h->{authorization}, 'Bearer ' . ($w{token} // $token),
           'create: Authorization is the token from Redis');
        is(header_count($c, 'Authorization'), 1, 'create: one Authorization');
        like($h->{'content-type'} // '', qr{^application/json\s*(;|$)}i,
             'create: Content-Type application/json');
        is($h->{'content-length'}, length($c->{body} // ''),
           'create: Content-Length is the body length');
        ok(!exists $h->{'transfer-encoding'}, 'create: not chunked');
        ok(!exists $h->{cookie}, 'create: no Cookie');
        ok(is_guid($h->{'client-request-id'}),
           'create: client-request-id is a GUID');
        is($c->{status}, 201, 'create: the stand-in created the session')
            or diag("stand-in said " . ($c->{status} // 'nothing') . ' '
                    . ($c->{error_code} // ''));

        my $j = $c->{json} || {};
        is_deeply([ sort keys %$j ], ['AttachmentItem'],
                  'create: the body is {"AttachmentItem":{...}}');
        my $item = ref $j->{AttachmentItem} eq 'HASH' ? $j->{AttachmentItem}
                                                      : {};
        my %ok = map { $_ => 1 }
                 qw(attachmentType name size contentType isInline contentId);
        my @extra = grep { !$ok{$_} } sort keys %$item;
        ok(!@extra, 'item: no other property') or diag("extra: @extra");
        is($item->{attachmentType}, 'file', 'item: attachmentType file');
        is($item->{name}, decode('UTF-8', $w{name}), 'item: name')
            if defined $w{name};
        like($c->{body} // '', qr/"size"\s*:\s*\Q$size\E\s*[,}]/,
             'item: size, a JSON integer, the file bytes');
        is($item->{contentType}, $w{type}, 'item: contentType')
            if defined $w{type};
        ok(JSON::PP::is_bool($item->{isInline}), 'item: isInline a boolean');
        is(($item->{isInline} ? 1 : 0), ($w{inline} ? 1 : 0),
           'item: isInline value');
        if (defined $w{content_id}) {
            is($item->{contentId}, $w{content_id}, 'item: contentId');
        } else {
            ok(!exists $item->{contentId}, 'item: no contentId');
        }

        # the session: complete and byte-exact
        is(scalar @sess, 1, 'one session');
        my $s = $sess[0] || {};
        ok($s->{complete}, 'session complete');
        ok(!$s->{cancelled}, 'session not cancelled');
        is($s->{received}, $size, 'session received every byte');
        is($s->{sha256}, $sha, 'session bytes: SHA-256 of the file')
            or (defined $data && $s->{id}
                && bytes_is($t->graph_session_file($s->{id}), $data,
                            'session bytes'));

        # the PUTs
        ok(@up && !grep({ $_->{method} ne 'PUT' } @up),
           'only PUTs to the uploadUrl (no DELETE)')
            or diag(join ', ', map { $_->{method} } @up);
        my @bad = grep { header_count($_, 'Authorization') } @up;
        ok(!@bad, 'no PUT carries Authorization');
        @bad = grep { header_count($_, 'Cookie')
                      || header_count($_, 'Transfer-Encoding') } @up;
        ok(!@bad, 'no PUT carries Cookie or Transfer-Encoding');
        @bad = grep { ($_->{headers}{'content-type'} // '')
                      ne 'application/octet-stream' } @up;
        ok(!@bad, 'every PUT: Content-Type application/octet-stream')
            or diag($bad[0]{headers}{'content-type'} // 'none');
        @bad = grep { index($_->{path}, '?authtoken=') < 0
                      || ($_->{session} // '') ne ($s->{id} // '-') } @up;
        ok(!@bad, "every PUT to this session's uploadUrl, authtoken kept");

        # a PUT that met a fault and was not answered 200/201 is an attempt
        # the module had to repeat (a stall alone answers normally)
        my @failed = grep { failed_attempt($_) } @up;
        is(scalar @failed, $w{retried} // 0, 'PUTs that failed and were '
           . 'repeated');
        my @puts = grep { !failed_attempt($_) } @up;
        my ($next, $n_ok, $i) = (0, 0, 0);
        for my $p (@puts) {
            $i++;
            my ($a, $b, $total) = @{ $p->{range} || [-1, -2, -1] };
            my $n = $b - $a + 1;
            my $last = $b == $size - 1;
            my @why;
            push @why, "starts at $a, not $next" if $a != $next;
            push @why, "$n bytes, over $chunk" if $n > $chunk;
            push @why, "total $total" if $total != $size;
            push @why, "Content-Range '"
                       . ($p->{headers}{'content-range'} // '') . "'"
                if ($p->{headers}{'content-range'} // '')
                   ne "bytes $a-$b/$size";
            push @why, "Content-Length "
                       . ($p->{headers}{'content-length'} // 'none')
                if ($p->{headers}{'content-length'} // '') ne "$n";
            push @why, "body $p->{body_length} bytes"
                if ($p->{body_length} // -1) != $n;
            push @why, 'bytes differ'
                if defined $data && $a >= 0
                   && ($p->{body_sha256} // '')
                      ne sha256_hex(substr($data, $a, $n));
            push @why, "stand-in said " . ($p->{status} // 'nothing')
                . ' ' . ($p->{error_code} // '')
                if ($p->{status} // 0) != ($last ? 201 : 200);
            ok(!@why, "range $i: bytes $a-$b in order, exact")
                or diag(join '; ', @why);
            $next = $b + 1;
            last if $last;
        }
        is($next, $size, 'the ranges cover the file, in order');
        is(scalar @puts, $w{ranges}, "$w{ranges} ranges")
            if defined $w{ranges};

        # the client's answer
        like($r->{headers}{'content-type'} // '', qr{^application/json}i,
             'answer: Content-Type application/json');
        my $b = $r->{json};
        ok(ref $b eq 'HASH', 'answer: a JSON object') or return;
        my %want = map { $_ => 1 } ('@odata.type', qw(id name contentType
                                                      size isInline));
        $want{contentId} = 1 if exists $b->{contentId};
        is_deeply([ sort keys %$b ], [ sort keys %want ],
                  'answer: @odata.type, id, name, contentType, size, '
                  . 'isInline (no contentBytes)');
        is($b->{'@odata.type'}, '#microsoft.graph.fileAttachment',
           'answer: @odata.type');
        is($b->{id}, $s->{attachment_id},
           "answer: id is the one in the final PUT's Location");
        is($b->{name}, decode('UTF-8', $w{name}), 'answer: name')
            if defined $w{name};
        is($b->{contentType}, $w{type}, 'answer: contentType')
            if defined $w{type};
        is($b->{size}, $size, 'answer: size is the file bytes');
        ok(JSON::PP::is_bool($b->{isInline}), 'answer: isInline a boolean');
        is(($b->{isInline} ? 1 : 0), ($w{inline} ? 1 : 0),
           'answer: isInline value');
        is($b->{contentId}, $w{content_id}, 'answer: contentId')
            if exists $b->{contentId};

        my $loc = canon_path($r->{headers}{location} // '');
        my $want_loc = canon_path("/v1.0$gpath/" . ($s->{attachment_id} // '?'));
        like($loc, qr{^(?:https://graph\.microsoft\.com)?\Q$want_loc\E$},
             "answer: Location under Graph's path")
            or diag("Location: $loc");

        # the audit variables (only /graph/ adds them as headers)
        if (exists $r->{headers}{'x-result'}) {
            is($r->{headers}{'x-result'}, 'accepted',
               '$graph_attach_result: accepted');
            is($r->{headers}{'x-size'}, $size, '$graph_attach_size');
            is($r->{headers}{'x-sha256'}, $sha, '$graph_attach_sha256');
        }

        my $raw = $r->{raw} // (($r->{raw_head} // '') . ($r->{body} // ''));
        for my $secret (grep { defined } $s->{upload_url}, $s->{authtoken}) {
            ok(index($raw, $secret) < 0, 'answer: no uploadUrl, no authtoken');
        }
    };
}

# The upload took the simple POST (contentBytes), and no session exists.
sub check_simple {
    my ($label, $r, $data, %w) = @_;
    my @rec = $t->graph_records;
    my @sess = sessions();
    subtest "simple POST: $label" => sub {
        is($r->{status}, 201, '201 Created') or diag(show($r));
        is(scalar @rec, 1, 'one request reached Graph');
        is(scalar records_of('create', @rec), 0, 'no createUploadSession');
        is(scalar @sess, 0, 'no session');
        $t->check_upstream($rec[0], label => $label, token => $token,
                           path => '/v1.0' . ($w{gpath} // $MSG),
                           data => $data, %w);
        ok(defined $r->{json} && defined $r->{json}{contentBytes},
           "Graph's own answer, contentBytes included");
    };
}

# The upload failed: the client's status (and code), the session cancelled
# with DELETE (delete => 1, the default when a session was created), and
# nothing complete.
sub check_failed {
    my ($label, $r, %w) = @_;
    my @rec = $t->graph_records;
    my @sess = sessions();
    subtest "failed: $label" => sub {
        is($r->{status}, $w{status}, "status $w{status}") or diag(show($r));
        like($r->{headers}{'content-type'} // '', qr{^application/json}i,
             'Content-Type application/json');
        my $j = $r->{json};
        ok(ref $j eq 'HASH' && ref $j->{error} eq 'HASH',
           'body is {"error":{...}}') or return;
        is($j->{error}{code}, $w{code}, "code $w{code}") if $w{code};
        like($j->{error}{message} // '', $w{message}, 'message')
            if $w{message};
        ok(!grep({ $_->{complete} } @sess), 'no session complete');
        if (exists $r->{headers}{'x-result'}) {
            ok(length $r->{headers}{'x-result'}
               && $r->{headers}{'x-result'} ne 'accepted',
               '$graph_attach_result: an error code')
                or diag("X-Result: $r->{headers}{'x-result'}");
        }
        is(scalar records_of('attach', @rec), 0, 'no simple POST');
        my @del = grep { $_->{method} eq 'DELETE' } records_of('upload', @rec);
        if ($w{delete} // @sess) {
            is(scalar @del, 1, 'the session was cancelled with one DELETE');
            is($del[0] && $del[0]{status}, 204, '... which Graph took (204)');
            ok(!grep({ $_->{method} ne 'DELETE' } @rec[($#rec) .. $#rec]),
               'the DELETE came last') if @del;
            ok(!@sess || $sess[0]{cancelled}, 'the session is cancelled');
            is(header_count($del[0], 'Authorization'), 0,
               'the DELETE carries no Authorization') if @del;
        } else {
            is(scalar @del, 0, 'no DELETE');
        }
        for my $s (@sess) {
            for my $secret ($s->{upload_url}, $s->{authtoken}) {
                ok(index($r->{raw} // '', $secret) < 0,
                   'no uploadUrl, no authtoken in the answer');
            }
        }
    };
}

# A raw head (no body sent) and one response.
sub head_only {
    my ($path, $length, @extra) = @_;
    my $c = $t->connect(timeout => 10);
    $c->send("POST $path HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: multipart/form-data; boundary=xyz\r\n"
             . "Content-Length: $length\r\n"
             . join('', map { "$_\r\n" } @extra)
             . "Connection: close\r\n\r\n");
    my $r = $c->read_response(keep_1xx => 1, timeout => 10);
    $t->seen($r);
    $c->close;
    return $r || { status => 0, headers => {}, body => '' };
}


# --- sizes: which way a file goes ------------------------------------------

{
    my ($r, $d) = upload(size => 1 * $KiB, seed => 1, filename => 'small.txt',
                         type => 'text/plain');
    check_simple('1 KiB', $r, $d, name => 'small.txt', type => 'text/plain');
    is($r->{headers}{'x-upload-url'}, '[]',
       '$graph_attach_upload_url is empty in the main request');

    ($r, $d) = upload(size => 2 * $MiB - 100 * $KiB, seed => 2,
                      filename => 'almost.bin');
    check_simple('2 MiB - 100 KiB', $r, $d, name => 'almost.bin',
                 type => 'application/octet-stream');

    # the request's Content-Length decides: exactly 2 MiB is a request
    # under threshold + 64k, so the simple POST (which Graph takes)
    ($r, $d) = upload(size => 2 * $MiB, seed => 25, filename => 'two.bin');
    check_simple('exactly 2 MiB, a request under threshold + 64k', $r, $d,
                 name => 'two.bin');

    # the threshold's file, with every field of the form
    ($r, $d) = upload(size => 2 * $MiB + 100 * $KiB, seed => 3,
                      filename => 'photo.png', type => 'image/png',
                      fields => [ [ isInline => 'true' ],
                                  [ contentId => 'photo1@contoso.com' ] ]);
    check_session('2 MiB + 100 KiB, inline with a contentId', $r, $d,
                  name => 'photo.png', type => 'image/png', inline => 1,
                  content_id => 'photo1@contoso.com', ranges => 1);
    is($r->{headers}{'x-upload-url'}, '[]',
       '$graph_attach_upload_url is empty in the main request (session)');

    # name and contentType fields win over the part's, sanitised
    my $name = encode('UTF-8', "R\x{e9}sum\x{e9} \"final\" \x{202e}.pdf");
    my $clean = encode('UTF-8', "R\x{e9}sum\x{e9} \"final\" .pdf");
    ($r, $d) = upload(size => 3_000_000, seed => 4,
                      filename => 'C:\\fakepath\\scan0001.bin',
                      fields => [ [ name => $name ],
                                  [ contentType => 'Application/PDF; x=y' ] ]);
    check_session('3 MB, name and contentType fields', $r, $d,
                  name => $clean, type => 'application/pdf', ranges => 1);

    # an event, three ranges
    ($r, $d) = upload(size => 10_000_000, seed => 5, gpath => $EVT,
                      filename => 'deck.pptx',
                      type => 'application/vnd.openxmlformats-officedocument'
                            . '.presentationml.presentation');
    check_session('10 MB to an event', $r, $d, gpath => $EVT,
                  name => 'deck.pptx', ranges => 3,
                  type => 'application/vnd.openxmlformats-officedocument'
                        . '.presentationml.presentation');

    # 35m: the default graph_attach_max_size, at its limit
    my $t0 = time;
    ($r, $d) = upload(prefix => 'default', size => 35 * $MiB, seed => 6,
                      filename => 'video.mp4', type => 'video/mp4');
    check_session('35 MiB, the default limit', $r, $d, name => 'video.mp4',
                  type => 'video/mp4', ranges => 9);
    note(sprintf '35 MiB through a session: %.1f s', time - $t0);
}

# a request long enough for a session around a file too small for one
# (Graph's sessions start at 2 MiB): the simple POST after all
{
    my ($r, $d) = upload(size => 2 * $MiB - 100 * $KiB, seed => 26,
                         filename => 'small.bin',
                         fields => [ [ padding => 'p' x (200 * $KiB) ] ]);
    check_simple('a 2 MiB - 100 KiB file in a 2.1 MiB form', $r, $d,
                 name => 'small.bin');
}

# the threshold directive: 2176k keeps 2 MiB + 100 KiB on the simple POST
{
    my ($r, $d) = upload(prefix => 'threshold', size => 2 * $MiB + 100 * $KiB,
                         seed => 7, filename => 'mid.bin');
    check_simple('2 MiB + 100 KiB under graph_attach_upload_threshold 2176k',
                 $r, $d, name => 'mid.bin');
}

# over the limits: refused before the body is read
{
    $t->graph_clear;
    my $r = head_only(path_for('graph'), 150 * $MiB + 64 * $KiB + 1,
                      'Expect: 100-continue');
    $t->check_error($r, status => 413, code => 'AttachmentTooLarge',
                    label => '150m + 64k + 1 bytes of Content-Length');
    like($r->{json} && $r->{json}{error}{message} // '',
         qr/graph_attach_max_size/, '413: the message names max_size');
    $t->nothing_upstream('over 150m');
    is(scalar(() = sessions()), 0, 'over 150m: no session');

    $r = head_only(path_for('default'), 35 * $MiB + 64 * $KiB + 1,
                   'Expect: 100-continue');
    $t->check_error($r, status => 413, code => 'AttachmentTooLarge',
                    label => 'default max size: 35m + 64k + 1');
    $t->nothing_upstream('over the default 35m');
}

# sessions off: a file that needs one is refused, naming the directive
{
    my ($r) = try_refused($t, 413, 'AttachmentTooLarge',
        'no graph_attach_upload, 3 MB', path => path_for('nosession'),
        good_path => path_for('nosession'),
        parts => [ { name => 'file', filename => 'big.bin',
                     type => 'application/octet-stream',
                     data => pattern(3_000_000, 8) } ]);
    is($r && $r->{json} && $r->{json}{error}{message},
       'The file needs an upload session, which this gateway has not '
       . 'enabled (graph_attach_upload).', '413: the message names '
       . 'graph_attach_upload');
    is(scalar(() = sessions()), 0, 'no session');

    my ($r2, $d) = upload(prefix => 'nosession', size => 2 * $MiB - 100 * $KiB,
                          seed => 9, filename => 'fits.bin');
    check_simple('no graph_attach_upload, 2 MiB - 100 KiB', $r2, $d,
                 name => 'fits.bin');
}

# the internal location is not reachable from outside
{
    my $r = $t->request(raw => "PUT /_graph_upload HTTP/1.1\r\nHost: x\r\n"
                             . "Content-Length: 1\r\nConnection: close\r\n\r\nx");
    is($r && $r->{status}, 404, 'the upload location is internal');
}


# --- ranges: no Authorization, in order, the chunk size ---------------------

{
    my ($r, $d) = upload(prefix => 'chunk1m', size => 10_000_000, seed => 10,
                         filename => 'ten.bin');
    check_session('10 MB in ranges of 1m', $r, $d, name => 'ten.bin',
                  chunk => $MiB, ranges => 10);
}


# --- Graph's answers in their forms -----------------------------------------

for my $c (
    # [label, settings, prefix, gpath]
    [ 'nextExpectedRanges ["N-"]', { ranges_form => 'open' }, 'chunk1m' ],
    [ 'nextExpectedRanges ["N"]', { ranges_form => 'start' }, 'chunk1m' ],
    [ 'Location in upper case', { location => 'upper' }, 'graph' ],
    [ 'Location in lower case', { location => 'lower' }, 'graph' ],
    [ 'Location on outlook.office365.com', { location => 'office365' },
      'graph' ],
    [ "Location on graph.microsoft.com, attachments('id')",
      { location => 'graph' }, 'graph' ],
    [ "Outlook's uploadUrl, AttachmentSessions('id')",
      { url_style => 'outlook' }, 'chunk1m' ],
    [ "Outlook's uploadUrl for an event", { url_style => 'outlook' },
      'chunk1m', $EVT ],
) {
    my ($label, $cfg, $prefix, $gpath) = @$c;
    $t->graph_upload_config(%$cfg);
    my ($r, $d) = upload(prefix => $prefix, size => 3_000_000, seed => 11,
                         filename => 'forms.bin', gpath => $gpath);
    check_session($label, $r, $d, name => 'forms.bin', gpath => $gpath,
                  chunk => ($prefix eq 'chunk1m' ? $MiB : 4 * $MiB),
                  ranges => ($prefix eq 'chunk1m' ? 3 : 1));
    $t->graph_upload_config();
}


# --- faults ---------------------------------------------------------------

# 503 with Retry-After: 1 on range 2, then success
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, status => 503, retry_after => '1' });
    my ($r, $d) = upload(size => 10_000_000, seed => 12, keep => 1,
                         filename => 'retry.bin');
    check_session('503 + Retry-After on range 2, retried', $r, $d,
                  name => 'retry.bin', ranges => 3, retried => 1);
    my @r2 = grep { $_->{range} && $_->{range}[0] == 4 * $MiB }
             records_of('upload', $t->graph_records);
    is(scalar @r2, 2, 'range 2 was sent twice');
    ok(@r2 == 2 && $r2[1]{time} - $r2[0]{time} >= 0.9,
       'the retry waited for Retry-After: 1')
        or diag(@r2 == 2 ? sprintf('%.2f s', $r2[1]{time} - $r2[0]{time})
                         : 'no retry');
}

# 429 (throttled) on the first range
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 1, status => 429, retry_after => '1' });
    my ($r, $d) = upload(size => 3_000_000, seed => 13, keep => 1,
                         filename => 'throttled.bin');
    check_session('429 + Retry-After on range 1, retried', $r, $d,
                  name => 'throttled.bin', ranges => 1, retried => 1);
}

# a lost connection on range 2 (the body read, no answer), then success
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, drop => JSON::PP::true });
    my ($r, $d) = upload(size => 10_000_000, seed => 14, keep => 1,
                         filename => 'dropped.bin');
    check_session('connection lost on range 2, retried', $r, $d,
                  name => 'dropped.bin', ranges => 3, retried => 1);
}

# a range refused by Graph (4xx): no retry, DELETE, Graph's error
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, status => 400,
                              code => 'ErrorMessageSizeExceeded',
                              message => 'The message exceeds the maximum '
                                       . 'supported size.' });
    my ($r) = upload(size => 10_000_000, seed => 15, keep => 1,
                     filename => 'refused.bin');
    check_failed('range 2 answered 400', $r, status => 400,
                 code => 'ErrorMessageSizeExceeded',
                 message => qr/^The message exceeds the maximum supported/);
    my @r2 = grep { $_->{method} eq 'PUT' && $_->{range}
                    && $_->{range}[0] == 4 * $MiB }
             records_of('upload', $t->graph_records);
    is(scalar @r2, 1, 'a 4xx range is not retried');
    my @r3 = grep { $_->{method} eq 'PUT' && $_->{range}
                    && $_->{range}[0] == 8 * $MiB }
             records_of('upload', $t->graph_records);
    is(scalar @r3, 0, 'no range after the refused one');
}

# the last range stored, its answer lost: sent again, it finds the session
# gone (404).  The file may be attached: 502 UploadOutcomeUnknown, never
# Graph's 404 (a client would send the file again), and no DELETE
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 'last', commit => JSON::PP::true,
                              drop => JSON::PP::true });
    my ($r) = upload(size => 3_000_000, seed => 19, keep => 1,
                     filename => 'lost.bin');
    is($r->{status}, 502, 'lost last answer: 502') or diag(show($r));
    is($r->{json} && $r->{json}{error} && $r->{json}{error}{code},
       'UploadOutcomeUnknown', 'lost last answer: UploadOutcomeUnknown');
    my ($sess) = sessions();
    ok($sess && $sess->{complete}, 'lost last answer: Graph did attach it');
    my @d = grep { $_->{method} eq 'DELETE' }
            records_of('upload', $t->graph_records);
    is(scalar @d, 0, 'lost last answer: nothing cancelled');
}

# a range failing for good (503 every time): a few retries, DELETE, 502
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 1, status => 503, retry_after => '1',
                              times => -1 });
    my $t0 = time;
    my ($r) = upload(size => 3_000_000, seed => 16, keep => 1,
                     filename => 'never.bin');
    my $took = time - $t0;
    check_failed('503 on every attempt', $r, status => 502,
                 code => 'UploadFailed');
    my @r1 = grep { $_->{method} eq 'PUT' } records_of('upload',
                                                       $t->graph_records);
    ok(@r1 >= 2 && @r1 <= 10, 'retried a few times, then gave up')
        or diag(scalar(@r1) . ' attempts');
    ok($took < 60, 'and gave up within a minute')
        or diag(sprintf '%.1f s', $took);
    note(sprintf '503 for good: %d attempts, %.1f s', scalar @r1, $took);
}

# createUploadSession refused (4xx): Graph's error, nothing else sent
{
    $t->graph_clear;
    $t->graph_upload_faults({ create => JSON::PP::true, status => 403,
                              code => 'ErrorAccessDenied',
                              message => 'Access is denied. Check '
                                       . 'credentials and try again.' });
    my ($r) = upload(size => 3_000_000, seed => 17, keep => 1,
                     filename => 'denied.bin');
    check_failed('createUploadSession answered 403', $r, status => 403,
                 code => 'ErrorAccessDenied',
                 message => qr/^Access is denied\. Check credentials/,
                 delete => 0);
    my @rec = $t->graph_records;
    is(scalar @rec, 1, 'only the createUploadSession reached Graph');
}

# createUploadSession failing (5xx, every time): 502
{
    $t->graph_clear;
    $t->graph_upload_faults({ create => JSON::PP::true, status => 500,
                              times => -1 });
    my ($r) = upload(size => 3_000_000, seed => 18, keep => 1,
                     filename => 'broken.bin');
    check_failed('createUploadSession answered 500', $r, status => 502,
                 delete => 0);
    is(scalar records_of('upload', $t->graph_records), 0, 'no PUT');
}

# createUploadSession answered with something unreadable: 502
for my $c (
    [ 'no uploadUrl', { nextExpectedRanges => ['0-'] } ],
    [ 'uploadUrl not a URL', { uploadUrl => 'not a url',
                               nextExpectedRanges => ['0-'] } ],
    [ 'uploadUrl with user information',
      { uploadUrl => 'http://x@127.0.0.1:' . $t->graph_port
                   . '/_upload/abc?authtoken=eyJsecretsecret',
        nextExpectedRanges => ['0-'] } ],
    [ 'not JSON', undef ],
) {
    my ($label, $json) = @$c;
    $t->graph_clear;
    $t->graph_queue(status => 201,
                    defined $json ? (json => $json)
                                  : (body => 'uploadUrl=http://x',
                                     headers => { 'Content-Type'
                                                  => 'text/plain' }));
    my ($r) = upload(size => 3_000_000, seed => 19, keep => 1,
                     filename => 'odd.bin');
    check_failed("createUploadSession 201, $label", $r, status => 502,
                 delete => 0);
    like($r->{json} && $r->{json}{error}{code} // '',
         qr/^(BadUploadSession|UploadHostNotAllowed)$/,
         "$label: BadUploadSession");
    is(scalar records_of('upload', $t->graph_records), 0,
       "$label: nothing sent to an uploadUrl");
}

# subrequest_output_buffer_size smaller than Graph's answers: no matter
{
    my ($r, $d) = upload(prefix => 'tinybuf', size => 3_000_000, seed => 27,
                         filename => 'tight.bin');
    check_session('subrequest_output_buffer_size 128', $r, $d,
                  name => 'tight.bin', ranges => 1);
}

# a createUploadSession answer over the 8k the module reads: 502, no PUT
{
    $t->graph_clear;
    $t->graph_queue(status => 201, json => {
        uploadUrl => 'http://127.0.0.1:' . $t->graph_port
                   . '/_upload/none?authtoken=eyJsecret-of-a-big-answer',
        nextExpectedRanges => ['0-'],
        padding => 'x' x 10000 });
    $t->secret('eyJsecret-of-a-big-answer');
    my ($r) = upload(size => 3_000_000, seed => 28, keep => 1,
                     filename => 'long.bin');
    check_failed('createUploadSession answer of 10 KB', $r, status => 502,
                 delete => 0);
    is(scalar records_of('upload', $t->graph_records), 0,
       'a 10 KB answer: nothing sent to an uploadUrl');
}

# an uploadUrl on another origin: 502, and it is never contacted
{
    my $other = IO::Socket::INET->new(LocalAddr => '127.0.0.2',
                                      LocalPort => 0, Listen => 8,
                                      ReuseAddr => 1)
             || IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 8,
                                      ReuseAddr => 1)
        or die "listen: $!";
    $other->blocking(0);
    my $other_origin = 'http://' . $other->sockhost . ':' . $other->sockport;
    my $gp = $t->graph_port;

    for my $c (
        [ 'another host', $other_origin, 'graph' ],
        [ 'user information naming the allowed host',
          "http://127.0.0.1:$gp\@" . $other->sockhost . ':' . $other->sockport,
          'graph' ],
        [ 'the allowed host, https', "https://127.0.0.1:$gp", 'graph' ],
        [ 'the allowed host, another port', 'http://127.0.0.1:'
          . $other->sockport, 'graph' ],
        [ "the stand-in under the default hosts (Graph's)", undef,
          'defaulthosts' ],
    ) {
        my ($label, $origin, $prefix) = @$c;
        $t->graph_upload_config(defined $origin ? (origin => $origin) : ());
        my ($r) = upload(prefix => $prefix, size => 3_000_000, seed => 20,
                         filename => 'elsewhere.bin');
        my $code = $r->{json} && $r->{json}{error}{code} // '';
        subtest "upload host: $label" => sub {
            is($r->{status}, 502, 'status 502') or diag(show($r));
            if ($label =~ /user information/) {
                like($code, qr/^(UploadHostNotAllowed|BadUploadSession)$/,
                     'UploadHostNotAllowed or BadUploadSession');
            } else {
                is($code, 'UploadHostNotAllowed', 'UploadHostNotAllowed');
                like($r->{json} && $r->{json}{error}{message} // '',
                     qr/graph_attach_upload_hosts/,
                     'the message names graph_attach_upload_hosts');
            }
            my @rec = $t->graph_records;
            is(scalar records_of('upload', @rec), 0,
               'nothing sent to the uploadUrl');
            is(scalar records_of('create', @rec), 1,
               'one createUploadSession');
            my $peer = $other->accept;
            ok(!$peer, 'the other host was never contacted');
            my @s = sessions();
            ok(!grep({ $_->{received} } @s), 'no byte reached the session');
            for my $s (@s) {
                ok(index($r->{raw} // '', $s->{authtoken}) < 0,
                   'no authtoken in the answer');
            }
        };
        $t->graph_upload_config();
    }
    close $other;
}


# --- the policy comes first --------------------------------------------------

{
    my $big = pattern(20_000_000, 21);
    try_refused($t, 415, 'ExtensionNotAllowed', '20 MB evil.exe',
                parts => [ { name => 'file', filename => 'evil.exe',
                             type => 'application/octet-stream',
                             data => $big } ]);
    is(scalar(() = sessions()), 0, 'evil.exe: no session created');

    try_refused($t, 415, 'ContentMismatch', '20 MB executable as report.pdf',
                parts => [ { name => 'file', filename => 'report.pdf',
                             type => 'application/pdf',
                             data => "MZ\x90\0" . substr($big, 4) } ]);
    is(scalar(() = sessions()), 0, 'disguised executable: no session created');
}


# --- clients: curl, Python requests, chunked, HTTP/2 -----------------------

my $ten = pattern(10_000_000, 22);
my $ten_file = write_file('ten.bin', $ten);

{
    $t->graph_clear;
    my $r = $t->curl('-v', '-F', "file=\@$ten_file;type=application/zip",
                     $t->url(path_for('graph')));
    check_session('curl -F, 10 MB', $r, $ten, name => 'ten.bin',
                  type => 'application/zip', ranges => 3);
    like($r->{curl_stderr}, qr{^< HTTP/1\.1 100 Continue}mi,
         'curl: with Expect: 100-continue');

    $t->graph_clear;
    $r = $t->curl('--http2-prior-knowledge',
                  '-F', "file=\@$ten_file;type=application/zip",
                  'http://127.0.0.1:' . $t->h2_port . path_for('graph'));
    is($r->{version}, 'HTTP/2', 'curl: spoke HTTP/2');
    check_session('HTTP/2, 10 MB', $r, $ten, name => 'ten.bin',
                  type => 'application/zip', ranges => 3);
}

SKIP: {
    skip 'python requests is not installed', 1
        unless system('python3', '-c', 'import requests') == 0;
    $t->graph_clear;
    my ($st, $out, $err) = $t->run(
        cmd => [ 'python3', $t->root . '/t/clients/upload.py', 'requests',
                 $t->url(path_for('graph')), $ten_file, 'Q3 deck.pdf',
                 'application/pdf', 'isInline=false' ],
        timeout => 90);
    my $res = eval { decode_json($out) } || {};
    my $r = { status => $res->{status} // 0, body => $res->{body} // '',
              raw => $res->{body} // '', headers => {
                  'content-type' => 'application/json' },
              json => eval { decode_json($res->{body} // '') } };
    # upload.py shows the body only: no Location to check
    my @rec = $t->graph_records;
    my ($s) = sessions();
    subtest 'session: python requests, 10 MB' => sub {
        is($st, 0, 'client ran') or diag($err);
        is($r->{status}, 201, 'status 201') or diag($out);
        is(scalar records_of('create', @rec), 1, 'one createUploadSession');
        ok($s && $s->{complete}, 'session complete');
        is($s && $s->{sha256}, sha256_hex($ten), 'byte-exact');
        is($r->{json} && $r->{json}{name}, 'Q3 deck.pdf', 'name');
        is($r->{json} && $r->{json}{size}, length $ten, 'size');
        ok($r->{json} && !exists $r->{json}{contentBytes}, 'no contentBytes');
    };
}

# A body without Content-Length: chunked (HTTP/1.1), HTTP/2 without length.
# The module may refuse a file that needs a session with 411
# LengthRequired until it can take such bodies; small files still work.
{
    my ($r, $d) = upload(size => 1 * $KiB, seed => 23, filename => 'c.txt',
                         type => 'text/plain', chunked => 1);
    check_simple('chunked, 1 KiB', $r, $d, name => 'c.txt',
                 type => 'text/plain');

    for my $c (
        [ 'chunked body, 10 MB', sub {
              (upload(data => $ten, filename => 'ten.bin', chunked => 1,
                      type => 'application/zip'))[0] } ],
        [ 'HTTP/2 without length, 10 MB', sub {
              $t->graph_clear;
              $t->curl('--http2-prior-knowledge',
                       '-H', 'Transfer-Encoding: chunked',
                       '-F', "file=\@$ten_file;type=application/zip",
                       'http://127.0.0.1:' . $t->h2_port . path_for('graph'))
          } ],
    ) {
        my ($label, $send) = @$c;
        my $r = $send->();
        if ($r->{status} == 411) {
            $t->check_error($r, status => 411, code => 'LengthRequired',
                            label => "$label: 411 LengthRequired");
            $t->nothing_upstream($label);
            is(scalar(() = sessions()), 0, "$label: no session");
          TODO: {
                local $TODO = $TODO_LENGTH;
                fail("$label through a session");
            }
        } else {
            check_session($label, $r, $ten, name => 'ten.bin',
                          type => 'application/zip', ranges => 3);
        }
    }
}


# --- the client goes away; nginx reloads --------------------------------------

# A client that leaves while the module talks to Graph: the call out
# ends, the session is cancelled with DELETE and nothing is attached.
# Each case: the fault that holds the module where the client leaves,
# how the client leaves, what must (not) follow.
sub deletes { grep { $_->{method} eq 'DELETE' }
              records_of('upload', $t->graph_records) }
sub puts_from {
    my ($from) = @_;
    return grep { $_->{method} eq 'PUT' && $_->{range}
                  && $_->{range}[0] >= $from }
           records_of('upload', $t->graph_records);
}

my $GONE_LOGGED = 0;

sub leave_raw {
    my ($label, $until) = @_;
    my $raw = $t->build_request(path => path_for('graph'),
                                parts => [ { name => 'file',
                                             filename => 'gone.bin',
                                             data => $ten } ]);
    my $c = $t->connect(timeout => 30);
    $c->send($raw);
    ok($t->wait_for($until, 30), "$label: the module is where it is left");
    $c->close;
}

sub check_gone {
    my ($label, %o) = @_;
    my $left = time;
    ok($t->wait_for(sub { scalar deletes() }, 15),
       "$label: the session was cancelled with DELETE");
    # whatever the module does next is done by now
    sleep(4 - (time - $left)) if time - $left < 4;
    my ($s) = sessions();
    ok($s && !$s->{complete}, "$label: nothing attached");
    ok($s && $s->{cancelled}, "$label: the session is cancelled");
    is(scalar(deletes()), 1, "$label: one DELETE");
    is(scalar(puts_from($o{no_put_from})), 0,
       "$label: no range after the client left");
    my $log = $t->slurp('logs/error.log');
    my $n = () = $log =~ /\[info\].*client closed the connection while attaching, which is undone/g;
    is($n, ++$GONE_LOGGED, "$label: logged at info, once");
    unlike($log, qr/signal \d+|exited on/, "$label: no worker crashed");
}

{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, stall => 3 });
    leave_raw('disconnect during a range', sub {
        scalar puts_from(4 * $MiB) });
    check_gone('disconnect during a range', no_put_from => 8 * $MiB);
}

# the range waits to be sent again (Retry-After 30): cancelled at once
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, status => 503,
                              retry_after => '30' });
    leave_raw('disconnect during a retry wait', sub {
        grep { $_->{status} && $_->{status} == 503 } puts_from(4 * $MiB) });
    my $left = time;
    check_gone('disconnect during a retry wait', no_put_from => 4 * $MiB + 1);
    is(scalar(puts_from(4 * $MiB)), 1,
       'disconnect during a retry wait: range 2 not sent again');
}

# createUploadSession is out when the client leaves: the session it
# makes is cancelled, no range sent
{
    $t->graph_clear;
    $t->graph_upload_faults({ create => JSON::PP::true, stall => 3 });
    leave_raw('disconnect during createUploadSession', sub {
        scalar records_of('create', $t->graph_records) });
    check_gone('disconnect during createUploadSession', no_put_from => 0);
}

# HTTP/2: curl gives up mid-range and resets the stream
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, stall => 4 });
    my $r = $t->curl('--http2-prior-knowledge', '--max-time', '2',
                     '-F', "file=\@$ten_file;type=application/zip",
                     'http://127.0.0.1:' . $t->h2_port . path_for('graph'));
    is($r->{curl_exit}, 28, 'HTTP/2 disconnect: curl timed out');
    check_gone('HTTP/2 disconnect', no_put_from => 8 * $MiB);
    my $ok = $t->curl('--http2-prior-knowledge', '-o', '/dev/null',
                      'http://127.0.0.1:' . $t->h2_port . '/');
    ok($ok->{status}, 'HTTP/2 disconnect: the server still answers');
}

# the last range is out: the file is attached, and deleted again (the
# client that left would send it again)
{
    $t->graph_clear;
    $t->graph_upload_faults({ range => 'last', stall => 3 });
    leave_raw('disconnect during the last range', sub {
        scalar puts_from(8 * $MiB) });
    ok($t->wait_for(sub { my ($s) = sessions(); $s && $s->{complete} }, 15),
       'disconnect during the last range: the session completed');
    my ($s) = sessions();
    my @undo;
    ok($t->wait_for(sub {
           @undo = grep { $_->{method} eq 'DELETE'
                          && $_->{path} =~ m{/attachments/[^/]+$} }
                   $t->graph_records;
           scalar @undo }, 10),
       'disconnect during the last range: the attachment is deleted');
    is(scalar(@undo), 1, 'disconnect during the last range: one DELETE');
    like($undo[0]{path} // '', qr{^/v1\.0\Q$MSG\E/}, 
         'disconnect during the last range: under the message\'s path');
    ok($undo[0] && header_count($undo[0], 'Authorization') == 1,
       'disconnect during the last range: the DELETE carries the token');
    is(scalar(deletes()), 0,
       'disconnect during the last range: no DELETE of the uploadUrl');
}

# a reload while a session is under way: the old worker finishes it
SKIP: {
    skip 'reload in single-process mode (valgrind)', 2 if $t->valgrind;
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, stall => 2 });
    my $raw = $t->build_request(path => path_for('graph'),
                                parts => [ { name => 'file',
                                             filename => 'reload.bin',
                                             data => $ten } ]);
    my $c = $t->connect(timeout => 60);
    $c->send($raw);
    ok($t->wait_for(sub {
           my @r2 = grep { $_->{range} && $_->{range}[0] == 4 * $MiB }
                    records_of('upload', $t->graph_records);
           scalar @r2;
       }, 30), 'reload: range 2 is under way');
    $t->reload_nginx;
    my $r = $c->read_response(timeout => 60);
    $t->seen($r);
    $c->close;
    check_session('a reload during the upload', $r || { status => 0,
                  headers => {} }, $ten, name => 'reload.bin', ranges => 3);
    # the new workers are up before the rest
    $t->wait_for(sub { scalar($t->nginx_workers) == 2 }, 10);
}


# --- memory: no buffer a range held until the end ---------------------------

SKIP: {
    skip 'peak RSS of the workers, not under valgrind', 2 if $t->valgrind;

    my $reset = sub {
        for my $pid ($t->nginx_workers) {
            open my $f, '>', "/proc/$pid/clear_refs" or return 0;
            print $f "5\n";
        }
        return 1;
    };
    my $peaks = sub {
        my %h;
        for my $pid ($t->nginx_workers) {
            open my $f, '<', "/proc/$pid/status" or next;
            my %v = map { /^(Vm\w+):\s+(\d+)/ ? ($1 => $2) : () } <$f>;
            $h{$pid} = [ $v{VmRSS}, $v{VmHWM} ];
        }
        return \%h;
    };

    skip 'VmHWM cannot be reset here (clear_refs)', 2 unless $reset->();
    my $before = $peaks->();
    my ($r) = upload(prefix => 'bigbuf', size => 20 * $MiB, seed => 41,
                     filename => 'mem.bin', timeout => 60);
    is($r->{status}, 201, 'bodies in memory, 20 ranges: 201');
    my $after = $peaks->();
    my ($grew) = sort { $b <=> $a }
                 map { $after->{$_}[1] - ($before->{$_} || [0])->[0] }
                 keys %$after;
    # the body itself (4 MiB of input buffer, the file in a temp file past
    # it) and one range's buffer, not 20 of them (20 MiB)
    cmp_ok($grew // 0, '<', 14 * 1024,
           'bodies in memory, 20 ranges of 1 MiB: the worker grew by less '
           . 'than 14 MiB (kB)');
}


# --- 150 MiB -------------------------------------------------------------

SKIP: {
    my $big = $ENV{TEST_GRAPH_ATTACH_BIG} // ($t->valgrind ? 0 : 1);
    skip 'the 150 MiB upload (TEST_GRAPH_ATTACH_BIG=1 runs it)', 1
        unless $big;

    my $size = 150 * $MiB;
    my $b = '----GraphAttachBig' . int(rand(1e9));
    my $head = "--$b\r\nContent-Disposition: form-data; name=\"file\"; "
             . "filename=\"huge.bin\"\r\nContent-Type: "
             . "application/octet-stream\r\n\r\n";
    my $tail = "\r\n--$b--\r\n";
    my $len = length($head) + $size + length($tail);

    $t->graph_clear;
    my $t0 = time;
    my $c = $t->connect(timeout => 600);
    $c->send("POST " . path_for('graph') . " HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: multipart/form-data; boundary=$b\r\n"
             . "Content-Length: $len\r\nConnection: close\r\n\r\n$head");
    my $sha = Digest::SHA->new(256);
    my ($sent, $i) = (0, 0);
    while ($sent < $size) {
        my $piece = '';
        $piece .= block(24, $i++) while length($piece) < $MiB
                                         && $sent + length($piece) < $size;
        substr($piece, $size - $sent) = '' if $sent + length($piece) > $size;
        $sha->add($piece);
        $c->send($piece) or last;
        $sent += length $piece;
    }
    $c->send($tail);
    my $r = $c->read_response(timeout => 600);
    $t->seen($r);
    $c->close;
    check_session('150 MiB', $r || { status => 0, headers => {} }, undef,
                  size => $size, sha256 => $sha->hexdigest,
                  name => 'huge.bin', ranges => 38);
    note(sprintf '150 MiB through a session: %.1f s', time - $t0);
}


# --- secrets: the uploadUrl in no response and no log line up to info ------

{
    my $log = $t->slurp('logs/error.log');
    my @lines = grep { !/\[debug\]/ } split /\n/, $log;
    my @leaks;
    my $masked = 0;
    for my $s (values %SESSIONS) {
        for my $secret ($s->{authtoken}, $s->{upload_url}) {
            push @leaks, grep { index($_, $secret) >= 0 } @lines;
        }
        my ($path) = $s->{upload_url} =~ m{^https?://[^/]+(/[^?]*)};
        $masked += grep { index($_, $path) >= 0 } @lines;
    }
    # nginx's proxy names its upstream (the uploadUrl) in its own error
    # lines (a lost connection, a timeout); the authtoken must be masked
    note("error lines naming an uploadUrl's path (authtoken masked): "
         . $masked);
    ok(!@leaks, 'no uploadUrl and no authtoken in the error log at info and '
                . 'above') or diag(join "\n", @leaks[0 .. ($#leaks > 4 ? 4
                                                                : $#leaks)]);
    ok(scalar(keys %SESSIONS) >= 10, 'the sessions were seen: '
       . scalar(keys %SESSIONS));

    # At debug level nginx's proxy prints the subrequest's request line, the
    # uploadUrl's path and authtoken included (documented, as for the
    # token): the harness's own leak check then only covers the responses.
    if ($ENV{TEST_NGINX_DEBUG}) {
        for my $s (values %SESSIONS) {
            delete $t->{secrets}{ $s->{authtoken} };
            my $n = grep { index($_, $s->{authtoken}) >= 0 }
                    @{ $t->{responses} };
            ok(!$n, 'debug run: no authtoken in a response');
        }
    }
}

$t->done_testing;
