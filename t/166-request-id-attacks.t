# Request ids under attack (issue 12, attack review).  What t/165 does
# not reach:
#
#  - an internal redirect (error_page to a static answer or to a named
#    location, proxy_intercept_errors) clears every module's context: the
#    answer must still tell the client the client-request-id Graph got,
#    and the log line of the location the request ends in must hold it;
#    a backend behind such a location cannot plant ids of its own;
#  - HTTP/2 fields written by hand: two client-request-ids split across
#    HEADERS and CONTINUATION, a GUID beside junk, a near-miss name with
#    underscores_in_headers on: Graph gets one fresh id, none of theirs;
#  - the random pool: fresh ids from two workers, over two reloads and a
#    worker the master respawned after SIGKILL, are all different
#    version 4 UUIDs (each process forgets its master's pool, and
#    OpenSSL's DRBG reseeds after fork).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;

my $http = <<'EOF';
    underscores_in_headers on;

    log_format ids escape=json
        '{"pid":"$pid","client_request_id":"$graph_attach_request_id",'
        '"graph_request_id":"$graph_attach_graph_request_id",'
        '"status":"$status","uri":"$request_uri"}';
EOF

my $ids_log = 'access_log %%SERVROOT%%/logs/ids.log ids;';
my $graph = 'proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;';
my $attach = "graph_attach on;\n"
           . "            graph_attach_token_key graph:token:t1;\n"
           . "            $ids_log";

my $server = <<"EOF";
        # Graph's 404 intercepted: a static answer in another location
        location /intercept/ {
            $attach
            proxy_intercept_errors on;
            error_page 404 /static-error;
            $graph
        }

        location = /static-error {
            $ids_log
            return 404 '{"error":{"code":"ErrorItemNotFound","message":"x"}}';
        }

        # Graph's 404 intercepted, then a graph_attach named location: the
        # body was read already, so it refuses (t/140), with the same id
        location /again/ {
            $attach
            proxy_intercept_errors on;
            error_page 404 = \@again;
            $graph
        }

        location \@again {
            $attach
            $graph
        }

        # Graph unreachable: another backend, that sends ids of its own
        location /down/ {
            $attach
            error_page 502 = \@fallback;
            proxy_pass http://127.0.0.1:1\$graph_attach_uri;
        }

        location \@fallback {
            $ids_log
            rewrite ^ /planted break;
            proxy_pass http://127.0.0.1:%%PORT%%;
        }

        location = /planted {
            add_header client-request-id planted-crid-junk always;
            add_header request-id planted-rid-junk always;
            return 503 '{"error":{"code":"ServiceUnavailable","message":"x"}}';
        }

        # plain nginx, no graph_attach anywhere on the way: no ids
        location = /plain {
            add_header client-request-id plain-own always;
            return 200 "plain\\n";
        }
EOF

$t->start(http => $http, server => $server,
          location_extra => $ids_log);

my $token = 'eyJ0eXAi.request-id-attacks-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

$t->allow_log(qr/connect\(\) failed|request body was read before/);
# the respawn below: the master reports the worker it lost
$t->allow_log(qr/worker process \d+ exited on signal 9/);


# --- helpers ------------------------------------------------------------------

my @HEX = ('0' .. '9', 'a' .. 'f');

sub new_guid {
    my $s = join '', map { $HEX[int rand 16] } 1 .. 32;
    substr($s, 12, 1) = '4';
    return join '-', unpack 'A8 A4 A4 A4 A12', $s;
}

sub values_of {
    my ($list, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $list || [] };
}

my $LINES = 0;

# the access log line of the request just made
sub ids_log {
    my @l;
    for (1 .. 50) {
        @l = grep { length } split /\n/, $t->slurp('logs/ids.log');
        last if @l > $LINES;
        sleep 0.1;
    }
    $LINES = @l;
    return {} unless @l;
    return eval { decode_json($l[-1]) } // {};
}

sub small_part {
    return { name => 'file', filename => 'f.txt', type => 'text/plain',
             data => "request id attacks\n" };
}

# the client was told the one client-request-id Graph got (or its own,
# when nothing reached Graph), no request-id unless $rid, and the log
# line holds it
sub told {
    my ($label, $r, $rec, $crid, $rid) = @_;
    my @got = map { values_of($_->{header_list}, 'client-request-id') } @$rec;
    my @told = values_of($r->{header_list}, 'client-request-id');
    my $log = ids_log();

    subtest $label => sub {
        is(scalar @told, 1, 'the client got one client-request-id')
            or diag(substr($r->{raw} // '', 0, 600));
        ok(is_guid($told[0]), '... a GUID');
        is($told[0], $got[0], '... the one Graph got') if @got;
        is($told[0], $crid, "... the client's own") if defined $crid;
        is_deeply([ values_of($r->{header_list}, 'request-id') ],
                  [ defined $rid ? $rid : () ],
                  defined $rid ? "Graph's request-id" : 'no request-id');
        is($log->{client_request_id}, $told[0],
           'log: $graph_attach_request_id');
        is($log->{graph_request_id}, $rid // '',
           'log: $graph_attach_graph_request_id');
    };
}


# --- internal redirects ---------------------------------------------------------

# Graph's 404, intercepted, answered by a static location
for my $own (undef, new_guid()) {
    my $label = 'error_page after Graph' . ($own ? ', a GUID' : '');
    $t->graph_clear;
    $t->graph_queue(status => 404, json => { error => {
        code => 'ErrorItemNotFound', message => 'not found' } });
    my $r = $t->post(path => "/intercept$MSG", parts => [ small_part() ],
                     headers => $own ? [ [ 'client-request-id', $own ] ]
                                     : []);
    my @rec = $t->graph_records;
    is($r->{status}, 404, "$label: the static 404");
    is(scalar @rec, 1, "$label: Graph got the upload");
    told($label, $r, \@rec, $own);
}

# then a graph_attach named location: its refusal carries the id too
{
    $t->graph_clear;
    $t->graph_queue(status => 404, json => { error => {
        code => 'ErrorItemNotFound', message => 'not found' } });
    my $r = $t->post(path => "/again$MSG", parts => [ small_part() ]);
    my @rec = $t->graph_records;
    is($r->{status}, 500, 'error_page into graph_attach: refused');
    is(scalar @rec, 1, 'error_page into graph_attach: Graph got one call');
    told('error_page into graph_attach', $r, \@rec);
}

# Graph unreachable, a backend that plants ids: ours replace them
for my $own (undef, new_guid()) {
    my $label = 'fallback backend' . ($own ? ', a GUID' : '');
    $t->graph_clear;
    my $r = $t->post(path => "/down$MSG", parts => [ small_part() ],
                     headers => $own ? [ [ 'client-request-id', $own ] ]
                                     : []);
    is($r->{status}, 503, "$label: the backend's answer");
    told($label, $r, [], $own);
    ok(index($r->{raw}, 'planted') < 0, "$label: its ids not relayed");
}

# a request that never met graph_attach is left alone
{
    my $r = $t->request(raw => "GET /plain HTTP/1.1\r\nHost: localhost\r\n"
                               . "client-request-id: " . new_guid() . "\r\n"
                               . "Connection: close\r\n\r\n");
    is_deeply([ values_of($r->{header_list}, 'client-request-id') ],
              [ 'plain-own' ], 'plain location: its own header untouched');
    ok(!exists $r->{headers}{'request-id'}, 'plain location: no request-id');
}


# --- HTTP/2 fields by hand --------------------------------------------------------

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

sub hpack_fields {
    return join '', map {
        "\x00" . hpack_int(length $_->[0]) . $_->[0]
               . hpack_int(length $_->[1]) . $_->[1]
    } @_;
}

sub h2_frame {
    my ($type, $flags, $stream, $payload) = @_;
    return substr(pack('N', length $payload), 1)
         . pack('CCN', $type, $flags, $stream) . $payload;
}

# one upload: [fields in HEADERS], [fields in CONTINUATION] (none: the
# HEADERS frame ends the block); returns the frame types nginx sent on
# the stream or the connection
sub h2_upload {
    my ($first, $cont) = @_;
    my ($ct, $body) = multipart(parts => [ small_part() ]);
    my $head = hpack_fields([ ':method', 'POST' ], [ ':scheme', 'http' ],
                            [ ':path', "/graph$MSG" ],
                            [ ':authority', 'localhost' ],
                            [ 'content-type', $ct ],
                            [ 'content-length', length $body ], @$first);
    my $frames = $cont && @$cont
        ? h2_frame(1, 0, 1, $head) . h2_frame(9, 4, 1, hpack_fields(@$cont))
        : h2_frame(1, 4, 1, $head);

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $t->h2_port, Proto => 'tcp')
        or die "h2 connect: $!";
    binmode $s;
    syswrite($s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . h2_frame(4, 0, 0, '')
                 . $frames . h2_frame(0, 1, 1, $body));

    my $sel = IO::Select->new($s);
    my ($buf, %seen) = ('');
    my $end = time + 10 * $t->slow;
    READ: while (time < $end && $sel->can_read(1)) {
        sysread($s, $buf, 65536, length $buf) or last;
        while (length $buf >= 9) {
            my $len = unpack('N', "\0" . substr($buf, 0, 3));
            my ($type, $flags, $stream) = unpack('CCN', substr($buf, 3, 6));
            last if length $buf < 9 + $len;
            substr($buf, 0, 9 + $len) = '';
            syswrite($s, h2_frame(4, 1, 0, '')) if $type == 4 && !($flags & 1);
            $seen{$type} = 1 if $stream == 1 || $type == 7;
            last READ if $type == 7 || $type == 3
                         || ($stream == 1 && $flags & 1);
        }
    }
    close $s;
    return \%seen;
}

{
    my ($g1, $g2, $g3) = (new_guid(), new_guid(), new_guid());
    for my $c (
        [ 'h2: two GUIDs across HEADERS and CONTINUATION',
          [ [ 'client-request-id', $g1 ] ], [ [ 'client-request-id', $g2 ] ],
          $g1, $g2 ],
        [ 'h2: a GUID, then junk in CONTINUATION',
          [ [ 'client-request-id', $g1 ] ],
          [ [ 'client-request-id', "junk-$g2" ] ], $g1, $g2 ],
        [ 'h2: junk, then a GUID in CONTINUATION',
          [ [ 'client-request-id', "junk-$g2" ] ],
          [ [ 'client-request-id', $g1 ] ], $g1, $g2 ],
        [ 'h2: an empty one beside a GUID',
          [ [ 'client-request-id', '' ], [ 'client-request-id', $g1 ] ],
          [], $g1 ],
        [ 'h2: a space before the GUID (no trimming in HTTP/2)',
          [ [ 'client-request-id', " $g1" ] ], [], $g1 ],
        [ 'h2: client_request_id with underscores_in_headers on',
          [ [ 'client_request_id', $g3 ] ], [ [ 'request-id', $g2 ] ],
          $g3, $g2 ],
    ) {
        my ($label, $first, $cont, @needles) = @$c;
        $t->graph_clear;
        my $seen = h2_upload($first, $cont);
        sleep 0.1 * $t->slow;
        my @rec = $t->graph_records;
        ok($seen->{1}, "$label: answered");
        is(scalar @rec, 1, "$label: one call to Graph");
        my @got = values_of($rec[0] && $rec[0]{header_list},
                            'client-request-id');
        ok(@got == 1 && is_guid($got[0]), "$label: one fresh GUID")
            or diag("got: @got");
        my $all = join "\n", map { "$_->[0]: $_->[1]" }
                             @{ $rec[0] ? $rec[0]{header_list} : [] };
        ok(index($all, $_) < 0, "$label: $_ not passed") for @needles;
        my $log = ids_log();
        is($log->{client_request_id}, $got[0], "$label: logged");
    }

    # the same near miss next to the real name: the real one is the
    # client's, the near miss goes nowhere
    $t->graph_clear;
    my $seen = h2_upload([ [ 'client_request_id', $g3 ],
                           [ 'client-request-id', $g1 ] ], []);
    my @rec = $t->graph_records;
    is_deeply([ values_of($rec[0] && $rec[0]{header_list},
                          'client-request-id') ], [ $g1 ],
              'h2: underscores beside the real name: the real one passes');
    ok(index(join(' ', map { @$_ } @{ $rec[0] ? $rec[0]{header_list} : [] }),
             $g3) < 0, 'h2: ... the near miss does not');
    ids_log();
}


# --- fresh ids from the random pool ------------------------------------------------

# many fresh ids (GET: the module's 405, no Redis, no Graph), from
# parallel connections so that both workers answer
sub burst {
    my ($clients, $each) = @_;
    my $port = $t->port;
    my @kids;
    for (1 .. $clients) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            for (1 .. $each) {
                my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                              PeerPort => $port)
                    or next;
                print {$s} "GET /graph$MSG HTTP/1.1\r\nHost: localhost\r\n"
                         . "Connection: close\r\n\r\n";
                local $/;
                my $x = <$s>;
                close $s;
            }
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
}

sub workers_changed {
    my (%old) = map { $_ => 1 } @_;
    return $t->wait_for(sub {
        my @now = $t->nginx_workers;
        @now >= 2 && !grep { $old{$_} } @now;
    }, 10);
}

SKIP: {
    skip 'one process under valgrind', 6 if $t->valgrind;

    my $mark = () = grep { length } split /\n/, $t->slurp('logs/ids.log');
    my $n = 150;

    burst(4, $n);

    my @old = $t->nginx_workers;
    $t->reload_nginx;
    ok(workers_changed(@old), 'reload: new workers');
    burst(4, $n);

    # a worker killed: the master forks another from its own state
    my ($victim) = $t->nginx_workers;
    kill 'KILL', $victim;
    ok($t->wait_for(sub {
        my @now = $t->nginx_workers;
        @now >= 2 && !grep { $_ == $victim } @now;
    }, 10), 'a killed worker respawned');
    burst(4, $n);

    @old = $t->nginx_workers;
    $t->reload_nginx;
    ok(workers_changed(@old), 'second reload: new workers');
    burst(4, $n);
    sleep 0.5;

    my @lines = grep { length } split /\n/, $t->slurp('logs/ids.log');
    splice(@lines, 0, $mark);
    my (%seen, %pids, $dups, $bad);
    for my $l (@lines) {
        my $j = eval { decode_json($l) } or next;
        next unless $j->{status} eq '405';
        $pids{ $j->{pid} }++;
        $dups++ if $seen{ $j->{client_request_id} }++;
        $bad++ unless $j->{client_request_id}
                      =~ /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    }
    cmp_ok(scalar keys %seen, '>=', 16 * $n * 0.95,
           'fresh ids: nearly every request answered');
    ok(!$dups && !$bad,
       'fresh ids: all different, all version 4 UUIDs in lower case')
        or diag("duplicates: " . ($dups // 0) . ", malformed: "
                . ($bad // 0));
    cmp_ok(scalar keys %pids, '>=', 5,
           'fresh ids: from the workers of three generations and the '
           . 'respawned one')
        or diag(join ', ', map { "$_: $pids{$_}" } sort keys %pids);
}

$t->done_testing;
