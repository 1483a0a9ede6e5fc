# Upload sessions under attack: a hostile (or broken) upload host answers
# the PUTs, and a hostile createUploadSession answer names it.  The upload
# host is a scripted server of this file ("evil"), listed in
# graph_attach_upload_hosts of the /evil/ location next to the stand-in,
# so that every answer Graph could give (several Location headers, a
# relative Location, 200 for the last range, nextExpectedRanges going
# back, dribbling answers...) reaches the module.  Each case checks what
# the client got, what evil received, that nothing went to a host off the
# list, that no worker crashed and that the uploadUrl's authtoken stays
# out of every response and every log line at info and above.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use File::Path qw(make_path);
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;

my $KiB = 1024;
my $MiB = 1024 * 1024;

my $t = GraphAttach::Test->new;

my ($EVIL_PORT) = GraphAttach::Test::free_ports(1);
my $EVIL = "http://127.0.0.1:$EVIL_PORT";

my $hosts = "graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%% "
          . "$EVIL;";

my $server = join '',
    # ranges of 1 MiB, uploads to the stand-in or to evil
    graph_location('/evil/', "graph_attach_max_size 150m;\n"
                           . "            graph_attach_upload_chunk 1m;\n"
                           . "            graph_attach_upload /_graph_upload;\n"
                           . "            $hosts\n"
                           . "            add_header X-Upload-Url "
                           . "\"[\$graph_attach_upload_url]\" always;"),
    # the smallest ranges
    graph_location('/tiny/', "graph_attach_max_size 150m;\n"
                           . "            graph_attach_upload_chunk 64k;\n"
                           . "            graph_attach_upload /_graph_upload;\n"
                           . "            $hosts"),
    # a server whose routing looks at a client header: the client's
    # request has it and reaches /reroute/, the module's own subrequests
    # (none of the client's headers) are sent to /legacy/
    graph_location('/reroute/', "graph_attach_upload /_graph_upload;\n"
                              . "            $hosts"),
    <<'EOF';
        if ($http_x_route = "") {
            rewrite ^/reroute/(.*)$ /legacy/$1 last;
        }

        location /legacy/ {
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%/legacy-backend/;
        }

        location /_graph_upload {
            internal;
            proxy_read_timeout 5s;
            proxy_pass $graph_attach_upload_url;
        }
EOF

$t->start(server => $server);

my $token = 'eyJ0eXAi.attack-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';


# --- evil: a scripted upload host -------------------------------------------

# One request per connection (nginx's proxy speaks HTTP/1.0 and closes).
# Each request is recorded (method, path, headers, body length) in
# $EDIR/records, one JSON line each, and answered with the next answer of
# $EDIR/script (a JSON list): { raw => "HTTP/1.1 ...", delay => s,
# dribble => s (a byte at a time, s apart), close => 1 (no answer) }.
# Past the end of the script: 500.

my $EDIR = $t->servroot . '/evil';
make_path($EDIR);
my $JSON = JSON::PP->new->utf8->canonical;

sub evil_server {
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $EVIL_PORT, Listen => 64,
                                   ReuseAddr => 1, Proto => 'tcp')
        or die "evil: listen: $!";
    $SIG{TERM} = sub { POSIX::_exit(0) };
    while (1) {
        my $c = $ls->accept or next;
        binmode $c;
        my $head = '';
        while ($head !~ /\r\n\r\n/) {
            my $n = sysread($c, $head, 4096, length $head);
            last unless $n;
        }
        my ($h, $body) = split /\r\n\r\n/, $head, 2;
        $body //= '';
        my ($line, @lines) = split /\r\n/, $h // '';
        my ($method, $path) = split / /, $line // '';
        my %hd;
        for (@lines) {
            my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
            $hd{lc $k} = exists $hd{lc $k} ? "$hd{lc $k}, $v" : $v;
        }
        my $len = $hd{'content-length'} // 0;
        my $sha = Digest::SHA->new(256);
        my $got = length $body;
        $sha->add($body);
        while ($got < $len) {
            my $n = sysread($c, my $buf, 65536);
            last unless $n;
            $sha->add($buf);
            $got += $n;
        }
        open(my $rf, '>>', "$EDIR/records");
        my $i = -s "$EDIR/records.count" || 0;
        $i /= 2;
        open(my $cf, '>>', "$EDIR/records.count");
        print {$cf} "x\n";
        close $cf;
        print {$rf} $JSON->encode({ method => $method, path => $path,
                                    headers => \%hd, body_length => $got,
                                    sha256 => $sha->hexdigest,
                                    time => time }) . "\n";
        close $rf;
        my $script = do {
            local $/;
            my $sf;
            my $text = open($sf, '<', "$EDIR/script") ? <$sf> : '[]';
            eval { $JSON->decode($text) };
        } || [];
        my $a = $script->[$i]
            || { raw => "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" };
        sleep $a->{delay} if $a->{delay};
        if (!$a->{close}) {
            my $raw = $a->{raw};
            if ($a->{dribble}) {
                for my $ch (split //, $raw) {
                    syswrite($c, $ch) or last;
                    sleep $a->{dribble};
                }
            } else {
                syswrite($c, $raw);
            }
        }
        close $c;
    }
}

my $evil_pid = fork;
die "fork: $!" unless defined $evil_pid;
if ($evil_pid == 0) {
    eval { evil_server() };
    POSIX::_exit(0);
}
END { kill 'TERM', $evil_pid if $evil_pid; }
$t->wait_for(sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => $EVIL_PORT) }, 5)
    or die "evil did not start";
unlink "$EDIR/records", "$EDIR/records.count";

sub evil_script {
    my (@answers) = @_;
    unlink "$EDIR/records", "$EDIR/records.count";
    open(my $sf, '>', "$EDIR/script.tmp") or die $!;
    print {$sf} $JSON->encode(\@answers);
    close $sf;
    rename "$EDIR/script.tmp", "$EDIR/script";
}

sub evil_records {
    my @rec;
    if (open(my $rf, '<', "$EDIR/records")) {
        @rec = map { $JSON->decode($_) } <$rf>;
    }
    return @rec;
}

# raw HTTP answers
sub http {
    my ($status, $headers, $body) = @_;
    $body //= '';
    my $h = "HTTP/1.1 $status X\r\n";
    $h .= "$_\r\n" for @{ $headers || [] };
    $h .= "Content-Length: " . length($body) . "\r\n"
        unless grep { /^content-length:/i } @{ $headers || [] };
    return "$h\r\n$body";
}

sub ranges_200 {
    my ($next) = @_;
    return { raw => http(200, [ 'Content-Type: application/json' ],
                         $JSON->encode({ nextExpectedRanges => [ "$next" ] })) };
}

sub created_201 {
    my (@location) = @_;
    return { raw => http(201, [ map { "Location: $_" } @location ]) };
}

my $AID = 'AAMkAGI1EvilAttachment=';
my $LOC = "https://outlook.office.com/api/v2.0/Users('alice')/"
        . "Messages('AAMkAGI1AAA=')/Attachments('$AID')";

my $n_secret = 0;

# The createUploadSession answer (from the stand-in's queue) naming evil,
# with a fresh authtoken registered as a secret; returns it.
sub create_evil {
    my (%o) = @_;
    my $secret = 'eyJevil-authtoken-' . (++$n_secret) . '-'
               . int(rand(1e9));
    $t->secret($secret);
    my $url = $o{url} // "$EVIL/api/v2.0/Users('alice')/Messages('m')/"
                       . "AttachmentSessions('s$n_secret')?authtoken=$secret";
    $t->graph_queue(status => 201,
                    json => { uploadUrl => $url,
                              nextExpectedRanges => $o{ranges} // ['0-'],
                              %{ $o{extra} || {} } });
    return $secret;
}

my $dir = $t->servroot . '/files';
make_path($dir);

sub data_of {
    my ($n, $seed) = @_;
    return random_bytes($n, $seed);
}

sub upload {
    my (%o) = @_;
    my $data = $o{data} // data_of($o{size} // 3_000_000, $o{seed} // 1);
    my $prefix = $o{prefix} // 'evil';
    $t->graph_clear unless $o{keep};
    my $r = $t->post(path => "/$prefix$MSG",
                     parts => [ (map { { name => $_->[0], data => $_->[1] } }
                                 @{ $o{fields} || [] }),
                                { name => 'file',
                                  filename => $o{filename} // 'f.bin',
                                  type => 'application/octet-stream',
                                  data => $data } ],
                     timeout => $o{timeout} // 60, %{ $o{post} || {} });
    return ($r // { status => 0, headers => {}, body => '' }, $data);
}

sub code_of {
    my ($r) = @_;
    return ($r->{json} && ref $r->{json}{error} eq 'HASH'
            && $r->{json}{error}{code}) // '';
}

sub show {
    my ($r) = @_;
    return 'no response' unless $r && $r->{status};
    return substr(($r->{raw_head} // '') . ($r->{body} // ''), 0, 600);
}

sub puts_of { grep { $_->{method} eq 'PUT' } @_ }
sub deletes_of { grep { $_->{method} eq 'DELETE' } @_ }

# evil's requests, "METHOD range" each, for diagnostics
sub calls {
    return join ', ', map { $_->{method} . ' '
                            . ($_->{headers}{'content-range'} // '') } @_;
}

# An upload to /evil/ of a 3,000,000-byte file (three ranges of 1 MiB)
# against evil's script; returns (response, evil's records).
sub attack {
    my (%o) = @_;
    $t->graph_clear;
    create_evil(%{ $o{create} || {} });
    evil_script(@{ $o{script} });
    my ($r) = upload(keep => 1, size => $o{size} // 3_000_000,
                     seed => $o{seed} // 1, prefix => $o{prefix} // 'evil');
    $t->seen($r);
    return ($r, evil_records());
}

my $R1 = ranges_200(1048576);
my $R2 = ranges_200(2097152);
my $GONE = { raw => http(404, [ 'Content-Type: application/json' ],
                         '{"error":{"code":"ErrorItemNotFound"}}') };
my $CANCELLED = { raw => http(204) };


# --- the way it should go ---------------------------------------------------

{
    my ($r, @rec) = attack(script => [ $R1, $R2, created_201($LOC) ]);
    subtest 'evil answers like Graph: 201' => sub {
        is($r->{status}, 201, 'status 201') or diag(show($r));
        is($r->{json} && $r->{json}{id}, $AID, 'the id of the Location');
        is(calls(@rec), 'PUT bytes 0-1048575/3000000, '
           . 'PUT bytes 1048576-2097151/3000000, '
           . 'PUT bytes 2097152-2999999/3000000', 'three ranges, in order');
        is($r->{headers}{'x-upload-url'}, '[]',
           '$graph_attach_upload_url is empty in the main request');
        ok(!grep({ exists $_->{headers}{authorization} } @rec),
           'no Authorization to the upload host');
    };
}


# --- findings ----------------------------------------------------------------

# createUploadSession's nextExpectedRanges must start at 0: a new session
# expects the whole file.  Taken as it came, ["2097152-"] had the module
# send the last 900 KB alone and answer 201 with the size of the whole file
# (an attachment silently missing its first 2 MiB).
for my $start ('2097152-', '1-', '1048576') {
    my ($r, @rec) = attack(create => { ranges => [ $start ] },
                           script => [ created_201($LOC), $CANCELLED ]);
    subtest "createUploadSession nextExpectedRanges [\"$start\"]" => sub {
        is($r->{status}, 502, 'status 502') or diag(show($r));
        is(code_of($r), 'BadUploadSession', 'BadUploadSession');
        is(scalar(puts_of(@rec)), 0, 'no range sent')
            or diag(calls(@rec));
    };
}

# Graph's 201 to the last range says the file is attached.  When its
# Location cannot be read (none, relative, an id the module does not
# take), the module must not answer as if nothing happened: with 502
# BadUploadSession (and a DELETE of a session that is already complete) a
# client sends the file again, and it is attached twice.  The client is
# told the outcome is unknown, and nothing is cancelled.
for my $c (
    [ 'no Location', [] ],
    [ 'a relative Location',
      [ "/api/v2.0/Users('alice')/Messages('m')/Attachments('$AID')" ] ],
    [ 'an id with a dot', [ "https://outlook.office.com/api/v2.0/Users('a')"
                            . "/Messages('m')/Attachments('a.b')" ] ],
    [ 'an id of 600 bytes', [ "https://outlook.office.com/Attachments('"
                              . ('A' x 600) . "')" ] ],
    [ 'no Attachments(...)', [ 'https://outlook.office.com/api/v2.0/x' ] ],
) {
    my ($label, $loc) = @$c;
    my ($r, @rec) = attack(script => [ $R1, $R2, created_201(@$loc),
                                       $GONE ]);
    subtest "the last range's 201 with $label" => sub {
        is($r->{status}, 502, 'status 502') or diag(show($r));
        is(code_of($r), 'UploadOutcomeUnknown', 'UploadOutcomeUnknown')
            or diag(show($r));
        is(scalar(deletes_of(@rec)), 0, 'no DELETE of a complete session')
            or diag(calls(@rec));
        is(scalar(puts_of(@rec)), 3, 'each range sent once');
    };
}

# The module's createUploadSession call carries the service token, and is
# routed like any subrequest, by its URI, with none of the client's
# headers: a configuration that routes on a client header (here
# "if ($http_x_route = '')", at server level) sends it to another
# location.  The token must never leave a graph_attach location.
{
    $t->graph_clear;
    my $r = $t->post(path => "/reroute$MSG", headers => { 'X-Route' => 'a' },
                     parts => [ { name => 'file', filename => 'r.bin',
                                  type => 'application/octet-stream',
                                  data => data_of(3_000_000, 9) } ],
                     timeout => 60);
    my @rec = $t->graph_records;
    my @legacy = grep { $_->{path} =~ m{^/legacy-backend/} } @rec;
    subtest 'createUploadSession routed out of the graph_attach location'
        => sub {
        ok($r && $r->{status} >= 500, 'the upload fails')
            or diag(show($r));
        ok(!grep({ index($_->{headers}{authorization} // '', $token) >= 0 }
                 @legacy), 'the token never reaches the other location')
            or diag("$_->{method} $_->{path}: Authorization "
                    . "$_->{headers}{authorization}") for @legacy;
        is(scalar @legacy, 0, 'nothing reaches the other location');
    };
}



# --- attacks that hold ------------------------------------------------------

# uploadUrls off the list, or that do not parse: refused before anything
# is sent; a listener they name is never contacted
{
    my $other = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 8,
                                      ReuseAddr => 1) or die "listen: $!";
    $other->blocking(0);
    my $op = $other->sockport;
    my $q = '?authtoken=eyJoff-list-' . int(rand(1e9));
    $t->secret(substr($q, 11));
    for my $url (
        "http://127.0.0.1:$EVIL_PORT\@127.0.0.1:$op/x$q",
        "http://127.0.0.1:$EVIL_PORT\\\@127.0.0.1:$op/x$q",
        "http://127.0.0.1:$EVIL_PORT\\x$q",
        "http://127.0.0.1:$op/x$q",
        "http://127.0.0.1.:$EVIL_PORT/x$q",
        "http://%31%32%37.0.0.1:$EVIL_PORT/x$q",
        "http://127.0.0.1:0$EVIL_PORT/x$q" =~ s/:0(\d+)/:$1/r . '#f',
        "http://127.0.0.1:65536$EVIL_PORT/x$q",
        "http://[::1]:$EVIL_PORT/x$q",
        "http://127.0.0.1:$EVIL_PORT/x\r\nHost: evil$q",
        "http://127.0.0.1:$EVIL_PORT/x y$q",
        "http://127.0.0.1:$EVIL_PORT/x\x{e9}$q",
        "http://127.0.0.1:$EVIL_PORT/x%zz$q",
        "//127.0.0.1:$EVIL_PORT/x$q",
        "unix:/tmp/x.sock:/x$q",
        "http://unix:/tmp/x.sock:/x$q",
        "http://127.0.0.1:$EVIL_PORT/" . ('a' x 5000) . $q,
    ) {
        $t->graph_clear;
        evil_script();
        $t->graph_queue(status => 201, json => { uploadUrl => $url });
        my ($r) = upload(keep => 1);
        $t->seen($r);
        (my $label = $url) =~ s/[\r\n]/./g;
        $label = substr($label, 0, 70);
        subtest "uploadUrl refused: $label" => sub {
            is($r->{status}, 502, 'status 502') or diag(show($r));
            like(code_of($r), qr/^(BadUploadSession|UploadHostNotAllowed)$/,
                 'BadUploadSession or UploadHostNotAllowed');
            is(scalar(evil_records()), 0, 'nothing sent to evil');
            ok(!$other->accept, 'the other listener never contacted');
        };
    }
    # not strings, duplicates: the URL checked is the URL used
    for my $c (
        [ 'a number', '{"uploadUrl":1}' ],
        [ 'an array', qq({"uploadUrl":["$EVIL/x$q"]}) ],
        [ 'an object', qq({"uploadUrl":{"u":"$EVIL/x$q"}}) ],
        [ 'off the list first, then on it',
          qq({"uploadUrl":"http://127.0.0.1:$op/x$q",)
          . qq("UploadUrl":"$EVIL/x$q"}) ],
        [ 'an escaped NUL', qq({"uploadUrl":"$EVIL/x\\u0000$q"}) ],
    ) {
        my ($label, $body) = @$c;
        $t->graph_clear;
        evil_script();
        $t->graph_queue(status => 201, body => $body,
                        headers => { 'Content-Type' => 'application/json' });
        my ($r) = upload(keep => 1);
        $t->seen($r);
        subtest "uploadUrl refused: $label" => sub {
            is($r->{status}, 502, 'status 502') or diag(show($r));
            is(scalar(evil_records()), 0, 'nothing sent to evil');
            ok(!$other->accept, 'the other listener never contacted');
        };
    }
    close $other;
}

# Graph's answers out of order: the session is cancelled, every range is
# sent at most once, the client gets 502 BadUploadSession
for my $c (
    [ 'a range before the last answered 201', [ created_201($LOC) ], 1 ],
    [ 'the last range answered 200', [ $R1, $R2, ranges_200(2999999) ], 3 ],
    [ 'the last range answered 200 past the end',
      [ $R1, $R2, ranges_200(3000000) ], 3 ],
    [ 'nextExpectedRanges going back', [ $R1, ranges_200(0) ], 2 ],
    [ 'the same nextExpectedRanges again', [ $R1, $R1 ], 2 ],
    [ 'nextExpectedRanges skipping ahead', [ ranges_200(2097152) ], 1 ],
    [ 'nextExpectedRanges past the end', [ ranges_200(5000000) ], 1 ],
    [ 'nextExpectedRanges empty',
      [ { raw => http(200, [], '{"nextExpectedRanges":[]}') } ], 1 ],
    [ 'a 200 that is not JSON', [ { raw => http(200, [], 'ok') } ], 1 ],
) {
    my ($label, $script, $puts) = @$c;
    my ($r, @rec) = attack(script => [ @$script, $CANCELLED ]);
    subtest "out of order: $label" => sub {
        is($r->{status}, 502, 'status 502') or diag(show($r));
        is(code_of($r), 'BadUploadSession', 'BadUploadSession');
        is(scalar(puts_of(@rec)), $puts, "$puts PUTs") or diag(calls(@rec));
        is(scalar(deletes_of(@rec)), 1, 'one DELETE');
    };
}

# Retry-After that is not a number of seconds: a backoff, then on
for my $ra ('-5', 'Wed, 21 Oct 2037 07:28:00 GMT', '1e9', '0.001') {
    my ($r, @rec) = attack(script => [
        { raw => http(503, [ "Retry-After: $ra" ]) }, $R1, $R2,
        created_201($LOC) ]);
    subtest "Retry-After: $ra" => sub {
        is($r->{status}, 201, 'status 201') or diag(show($r));
        is(scalar(puts_of(@rec)), 4, 'range 1 sent again, once');
        ok($rec[1]{time} - $rec[0]{time} < 5, 'within seconds');
    };
}

# a redirect is not followed; a lost connection every time is bounded
{
    my ($r, @rec) = attack(script => [
        { raw => http(302, [ 'Location: http://127.0.0.1:9/x' ]) },
        $CANCELLED ]);
    subtest 'a range answered 302' => sub {
        is($r->{status}, 502, 'status 502') or diag(show($r));
        is(code_of($r), 'UploadFailed', 'UploadFailed');
        is(calls(@rec), 'PUT bytes 0-1048575/3000000, DELETE ',
           'not followed, cancelled');
    };

    my $t0 = time;
    ($r, @rec) = attack(script => [ ({ close => 1 }) x 5, $CANCELLED ]);
    subtest 'a range never answered' => sub {
        is($r->{status}, 502, 'status 502') or diag(show($r));
        is(code_of($r), 'UploadFailed', 'UploadFailed');
        is(scalar(puts_of(@rec)), 5, 'five tries');
        is(scalar(deletes_of(@rec)), 1, 'one DELETE');
        ok(time - $t0 < 30, 'given up within 30 s');
    };
}

# a dribbling answer; a huge 4xx body (relayed cut at 8k); many ranges
{
    my ($r, @rec) = attack(script => [ { %$R1, dribble => 0.01 }, $R2,
                                       created_201($LOC) ]);
    is($r->{status}, 201, 'a 200 one byte at a time: 201')
        or diag(show($r));

    ($r, @rec) = attack(script => [
        { raw => http(400, [ 'Content-Type: application/json' ],
                      '{"error":{"code":"X","message":"' . ('x' x 100000)
                      . '"}}') }, $CANCELLED ]);
    subtest 'a range answered 400 with 100 KB' => sub {
        is($r->{status}, 400, "Graph's status") or diag(show($r));
        ok(length($r->{body} // '') <= 8192, 'at most 8k relayed');
        is(scalar(deletes_of(@rec)), 1, 'one DELETE');
    };

    my $n = 80;
    ($r, @rec) = attack(prefix => 'tiny', size => $n * 65536 + 1000,
                        script => [ (map { ranges_200($_ * 65536) } 1 .. $n),
                                    created_201($LOC) ]);
    subtest 'ranges of 64k: 81 calls in one request' => sub {
        is($r->{status}, 201, 'status 201') or diag(show($r));
        is(scalar(puts_of(@rec)), $n + 1, ($n + 1) . ' PUTs');
    };
}

# a client name that is JSON in the createUploadSession body
{
    $t->graph_clear;
    my $name = qq(a","size":1,"x":"\\\x7f\t.bin);
    my ($r) = upload(prefix => 'evil', keep => 1, seed => 7,
                     fields => [ [ name => $name ] ]);
    my ($c) = grep { ($_->{kind} // '') eq 'create' } $t->graph_records;
    subtest 'a filename made of JSON' => sub {
        is($r->{status}, 201, 'status 201 (the stand-in took the item)')
            or diag(show($r));
        my $item = $c && $c->{json} && $c->{json}{AttachmentItem};
        is($item && $item->{size}, 3_000_000, 'the size is the file\'s');
        ok($item && !exists $item->{x}, 'no property of the name\'s');
    };
}

# no worker crashed, nothing of an uploadUrl in the log at info and above
{
    my @lines = grep { !/\[debug\]/ } split /\n/, $t->slurp('logs/error.log');
    ok(!grep({ /signal \d+ .*exited|exited on signal|segfault/ } @lines),
       'no worker crashed');
    ok(!grep({ /authtoken=(?!\*)/ } @lines),
       'every authtoken in the log is masked');
}

$t->done_testing;
