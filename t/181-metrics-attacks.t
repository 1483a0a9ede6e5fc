# Attacks on the Prometheus metrics (graph_attach_metrics), as a hostile
# client, a hostile Graph and a careless operator would make them:
#
#  - a Graph (or whatever answers in its place) with statuses no Graph
#    sends (999, 600, 302, 1xx): no series added, each counted once;
#  - a request that leaves the graph_attach location (error_page to a
#    named location) is still counted, once; one that enters one is
#    counted once;
#  - Redis labels from the configuration (a unix: path, a Sentinel master
#    name) with quotes, backslashes, newlines, UTF-8 and bytes that are
#    no UTF-8: the text stays parseable, the password never shows;
#  - reloads: a reload that fails after the zones were set up, three sets
#    of buckets while a request of the first is still in flight, five
#    reloads in a row under load (buckets, 1 to 3 workers, a Redis added
#    and removed: every upload counted once), the metrics location
#    removed and added back;
#  - the endpoint: Range, conditionals, gzip, HTTP/2 HEAD, big headers;
#    pipelined uploads, clients that leave (HTTP/1, an HTTP/2 reset).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Encode ();
use POSIX ();
use IO::Uncompress::Gunzip ();
use Test::More;
use GraphAttach::Metrics qw(parse_metrics value skey changes);
use Time::HiRes qw(sleep time);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;

plan skip_all => 'python3-prometheus-client is not installed'
    unless system($GraphAttach::Test::PYTHON, '-c',
                  'import prometheus_client.parser') == 0;

my $S = $t->slow;
my $GRAPH = 'proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;';
my $KEY = 'graph_attach_token_key graph:token:t1;';

my $REQ = 'graph_attach_requests_total';
my $GR = 'graph_attach_graph_responses_total';
my $TOK = 'graph_attach_token_lookups_total';
my $DUR = 'graph_attach_request_duration_seconds';
my $UP = 'graph_attach_redis_up';

# the labels of the configuration: a unix: path and a Sentinel master,
# as nginx's parser reads them ("\"" a quote, "\\" a backslash, "\n" a
# newline), and what the metrics must show (decoded UTF-8)
my $UNIX_CONF = 'unix:/nonexistent/q\\"b\\\\s\\nn-' . "\xc3\xa9" . '.sock';
my $UNIX_LABEL = "unix:/nonexistent/q\"b\\s\nn-\x{e9}.sock";
my $MASTER_CONF = 'm\\"a\\\\st-' . "\xc3\xa9";
my $MASTER_LABEL = "m\"a\\st-\x{e9}";
my $PASSWORD = 'redis-pass-' . int(rand(1e9));
$t->secret($PASSWORD);

my $server = <<"EOF";
        # Graph unreachable: error_page hands the request elsewhere
        location /fallback/ {
            graph_attach on;
            $KEY
            proxy_pass http://127.0.0.1:1\$graph_attach_uri;
            error_page 502 = \@fallback;
        }

        location \@fallback {
            return 200 "fallback\\n";
        }

        # refused by deny before the module ran, then sent elsewhere
        location /denied/ {
            deny all;
            graph_attach on;
            $KEY
            $GRAPH
            error_page 403 = \@fallback;
        }

        # ... or to another graph_attach location
        location /again/ {
            graph_attach on;
            $KEY
            proxy_pass http://127.0.0.1:1\$graph_attach_uri;
            error_page 502 = \@again;
        }

        location \@again {
            graph_attach on;
            $KEY
            $GRAPH
        }

        # core refuses the body (413), error_page sends it on
        location /users/ {
            client_max_body_size 10;
            error_page 413 = \@again;
        }

        location /ux/ {
            graph_attach on;
            graph_attach_redis "$UNIX_CONF" password=$PASSWORD;
            $KEY
            $GRAPH
        }

        location /sentinel/ {
            graph_attach on;
            graph_attach_redis sentinel=127.0.0.1:1 "master=$MASTER_CONF"
                               password=$PASSWORD;
            $KEY
            $GRAPH
        }

        location = /metrics {
            graph_attach_metrics;
        }

        location = /metrics-gzip {
            gzip on;
            gzip_types text/plain;
            gzip_min_length 1;
            gzip_http_version 1.0;
            graph_attach_metrics;
        }
EOF

my $BUCKETS_A = '0.001 0.002 30';
my %conf = (server => $server, key => 'graph:token:t1',
            http => "graph_attach_metrics_buckets $BUCKETS_A;");
$t->start(%conf);

my $token = 'eyJ0eXAi.metrics-attack-' . int(rand(1e9));
$t->graph_tokens($token);
$t->set_token('graph:token:t1', $token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';


# --- scraping ------------------------------------------------------------------

# one scrape of PATH, and one once the counts are still (GraphAttach::Metrics)
sub scrape { GraphAttach::Metrics::scrape_once($_[0] // $t, $_[1]) }
sub settled { GraphAttach::Metrics::settled($_[0] // $t) }

sub file_part {
    my ($name, $data) = @_;
    return { name => 'file', filename => $name, type => 'text/plain',
             data => $data };
}

sub up {
    my (%o) = @_;
    return $t->post(path => ($o{prefix} // '/graph') . $MSG,
                    parts => [ file_part($o{name} // 'a.txt',
                                         $o{data} // 'abc') ], %o);
}


# --- a Graph with statuses no Graph sends ----------------------------------------

{
    up();                               # the token cached
    my $before = settled();
    my @st = (999, 600, 302, 304, 418);
    for my $st (@st) {
        $t->graph_queue(status => $st, body => "odd $st");
        my $r = up(name => "s$st.txt");
        is($r->{status}, $st, "Graph answers $st: relayed");
    }
    my $after = settled();
    is_deeply([ sort keys %{ $after->{s} } ], [ sort keys %{ $before->{s} } ],
              'odd statuses from Graph add no series');
    my $d = changes($before, $after);
    my $tokens = 0;
    $tokens += delete $d->{$_} for grep { /^\Q$TOK\E/ } keys %$d;
    is($tokens, 5, 'odd statuses: a token lookup each');
    ok(delete $d->{'graph_attach_bytes_total{direction="out"}'},
       '  their bodies sent');
    is_deeply($d, {
        skey($REQ, { code => 'other' }) => 2,
        skey($REQ, { code => '3xx' }) => 2,
        skey($REQ, { code => '4xx' }) => 1,
        skey($GR, { status => 'other' }) => 5,
        'graph_attach_bytes_total{direction="in"}' => 15,
        "${DUR}_count" => 5,
    }, 'odd statuses: each counted once, as other, 3xx, 4xx')
        or diag(explain($d));
}


# --- requests that leave or enter a graph_attach location -------------------------

{
    my $before = settled();
    my $r = up(prefix => '/fallback');
    is($r->{status}, 200, 'error_page 502 = @fallback: the fallback answers');
    my $after = settled();
    my $d = changes($before, $after);
    is($d->{ skey($TOK, { result => 'hit' }) }, 1,
       'error_page out: the token lookup is counted');
    is($d->{ skey($REQ, { code => '2xx' }) }, 1,
       'error_page out of the graph_attach location: the request is counted '
       . 'once, by the answer it got')
        or diag(explain($d));
    is($d->{"${DUR}_count"}, 1, '  and its time');

    $before = settled();
    $r = up(prefix => '/denied');
    is($r->{status}, 200, 'deny, error_page 403 = @fallback: the fallback');
    $after = settled();
    $d = changes($before, $after);
    is_deeply($d, { skey($REQ, { code => '2xx' }) => 1, "${DUR}_count" => 1 },
              'refused before the module ran, then out: counted once');

    $t->graph_clear;
    $before = settled();
    $r = up(prefix => '/again');
    $t->check_error($r, status => 500, code => 'InternalError',
                    label => 'error_page 502 = @again (graph_attach), the '
                             . 'body read: refused');
    $after = settled();
    $d = changes($before, $after);
    my $sum = 0;
    $sum += $d->{$_} for grep { /^\Q$REQ\E/ } keys %$d;
    is($sum, 1, 'error_page from one graph_attach location to another: '
                . 'counted once')
        or diag(explain($d));
    is($d->{"${DUR}_count"}, 1, '  its time once');

    $before = settled();
    $r = up(prefix => '');
    $after = settled();
    $d = changes($before, $after);
    $sum = 0;
    $sum += $d->{$_} for grep { /^\Q$REQ\E/ } keys %$d;
    is($sum, 1, "error_page 413 into a graph_attach location ($r->{status}):"
                . ' counted once')
        or diag(explain($d));
}


# --- labels from the configuration --------------------------------------------------

{
    my $m = scrape();
    is(value($m, $UP, redis => $UNIX_LABEL), 0,
       'a unix: path with a quote, a backslash, a newline and UTF-8: its '
       . 'label, escaped and parsed back');
    is(value($m, $UP, redis => $MASTER_LABEL), 0,
       'a Sentinel master name with the same: its label');
    unlike($m->{text}, qr/\Q$PASSWORD\E/, 'no Redis password in the metrics');
}



# --- the endpoint -------------------------------------------------------------------

{
    my $full = $t->request(raw => "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                                . "Connection: close\r\n\r\n");
    my $r = $t->request(raw => "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                             . "Range: bytes=0-9\r\n"
                             . "If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT\r\n"
                             . "If-None-Match: *\r\n"
                             . "Connection: close\r\n\r\n");
    is($r->{status}, 200, 'Range, If-Modified-Since, If-None-Match: 200');
    is(length($r->{body}), length($full->{body}), '  the whole text');

    $r = $t->request(raw => "GET /metrics-gzip HTTP/1.0\r\nHost: localhost\r\n"
                          . "Accept-Encoding: gzip\r\n\r\n");
    is($r->{headers}{'content-encoding'}, 'gzip', 'gzip on: compressed');
    my $text = '';
    IO::Uncompress::Gunzip::gunzip(\$r->{body} => \$text);
    ok(parse_metrics($t, $text), '  and parses once uncompressed');

    $r = $t->request(raw => "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                          . 'X-Big: ' . ('a' x 7000) . "\r\n"
                          . ("X-Many: b\r\n" x 200)
                          . "Connection: close\r\n\r\n");
    is($r->{status}, 200, 'big and many request headers: 200');

    $r = $t->curl('--http2-prior-knowledge', '-I',
                  'http://127.0.0.1:' . $t->h2_port . '/metrics');
    is($r->{status}, 200, 'HTTP/2 HEAD: 200');
    unlike($r->{body} // '', qr/# HELP/, '  no body');
}


# --- pipelined and aborted uploads --------------------------------------------------

{
    my $before = settled();
    my $one = $t->build_request(path => "/graph$MSG", keepalive => 1,
                                parts => [ file_part('p.txt', 'pipe') ]);
    my @r = $t->request(raw => $one x 2 . $t->build_request(
                            path => "/graph$MSG",
                            parts => [ file_part('p.txt', 'pipe') ]),
                        count => 3);
    is(scalar(grep { $_->{status} == 201 } @r), 3, 'three pipelined uploads');
    my $d = changes($before, settled());
    is($d->{ skey($REQ, { code => '2xx' }) }, 3, '  counted three times');
    is($d->{"${DUR}_count"}, 3, '  three times in the histogram');

    # the client leaves while Graph takes its time: HTTP/1, HTTP/2
    $t->graph_clear;
    $before = settled();
    $t->graph_queue(status => 201, json => { id => 'late' }, delay => 2);
    my $c = $t->connect;
    $c->send($t->build_request(path => "/graph$MSG",
                               parts => [ file_part('gone.txt', 'gone') ]));
    ok($t->wait_for(sub { scalar $t->graph_records }, 5),
       'an upload reached Graph');
    $c->close;
    my $mf = $t->servroot . '/tmp/h2.txt';
    open(my $fh, '>', $mf) or die;
    print {$fh} 'gone';
    close $fh;
    $t->graph_queue(status => 201, json => { id => 'late' }, delay => 2);
    $t->curl('--http2-prior-knowledge', '--max-time', '1',
             '-F', "file=\@$mf;type=text/plain",
             'http://127.0.0.1:' . $t->h2_port . "/graph$MSG");
    sleep 2.5;
    my $after = settled();
    $d = changes($before, $after);
    is($d->{ skey($REQ, { code => 'ClientClosedRequest' }) }, 2,
       'clients that left (HTTP/1, HTTP/2 reset): ClientClosedRequest, '
       . 'once each')
        or diag(explain($d));
    is($d->{"${DUR}_count"}, 2, '  twice in the histogram');
    ok(!$d->{ skey($GR, { status => '201' }) },
       '  the answers Graph sent after they left are no answers');
}


# --- reloads -------------------------------------------------------------------------

sub write_conf {
    my (%o) = @_;
    my $file = $t->servroot . '/conf/nginx.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $t->nginx_conf(%o);
    close $fh;
}

sub conf_with {
    my ($buckets, $extra) = @_;
    return (%conf, http => "graph_attach_metrics_buckets $buckets;",
            server => $server . ($extra // ''));
}

# HUP, then wait for the workers that were not there before
sub reload_to {
    my ($label, %o) = @_;
    write_conf(%o);
    my %old = map { $_ => 1 } $t->nginx_workers;
    $t->reload_nginx;
    my $n = $o{workers} || 2;
    ok($t->wait_for(sub {
           my @w = $t->nginx_workers;
           (grep { !$old{$_} } @w) >= $n
           && !($o{gone} && grep { $old{$_} } @w) }, 20),
       "$label: new workers" . ($o{gone} ? ', the old ones gone' : ''));
}

sub buckets_of {
    my ($m) = @_;
    return [ map { $_->[2] } grep { $_->[0] eq "${DUR}_bucket" }
             @{ $m->{families}{$DUR}{samples} } ];
}

SKIP: {
    skip 'no reload with master_process off (valgrind)', 12 if $t->valgrind;

    # A reload that fails after the shared zones were set up (a listen
    # that cannot bind): the running configuration keeps its histogram,
    # and so does a reload to that same configuration afterwards.
    up() for 1 .. 3;
    my $m0 = settled();
    my $count = value($m0, "${DUR}_count");
    ok($count >= 3, "failed reload: the histogram holds $count requests");

    $t->allow_log(qr/bind\(\) to 127\.0\.0\.1:\d+ failed|still could not bind/);
    my $mark = $t->log_mark;
    write_conf(conf_with('1 2 3', "        listen 127.0.0.1:"
                                  . $t->redis_port . ";\n"));
    $t->reload_nginx;
    ok($t->wait_for(sub { $t->log_since($mark) =~ /still could not bind/ },
                    20 * $S), 'a reload with a listen in use fails');
    my $m1 = settled();
    is(value($m1, "${DUR}_count"), $count,
       'failed reload: the running histogram is kept');

    reload_to('a reload to the running configuration', %conf, gone => 1);
    my $m2 = settled();
    is(value($m2, "${DUR}_count"), $count,
       'then a reload to the same buckets: the histogram is still kept')
        or diag(explain(buckets_of($m2)));

    # Three sets of buckets while a request of the first is still in an
    # old worker: it must not count in the third set's histogram (it
    # would, at its bucket index under the first set's bounds).
    $t->graph_clear;
    $t->graph_queue(status => 201, json => { id => 'slow' }, delay => 3);
    my $c = $t->connect(timeout => 30);
    $c->send($t->build_request(path => "/graph$MSG",
                               parts => [ file_part('slow.txt', 'slow') ]));
    ok($t->wait_for(sub { scalar $t->graph_records }, 5),
       'a slow upload reached Graph');

    reload_to('buckets B', conf_with('0.5 1.5'));
    reload_to('buckets C', conf_with('100 200 300'));
    my $r = $c->read_response;
    $c->close;
    is($r && $r->{status}, 201, 'the slow upload ended in its old worker');
    ok($t->wait_for(sub { $t->nginx_workers == 2 }, 10),
       'the old workers are gone');

    my $m = scrape();
    is_deeply(buckets_of($m), [ 0, 0, 0, 0 ],
              'buckets C: the request of buckets A is in none of its '
              . 'buckets');
    is(value($m, "${DUR}_count"), 0, '  nor in its _count');
    is(value($m, $REQ, code => '2xx') - value($m2, $REQ, code => '2xx'), 1,
       '  but in the counters');
}


# Reloads in a row while a client uploads without a pause: buckets back
# and forth, 1 to 3 workers, a graph_attach_redis added and removed.  The
# counters are exact: every upload the client saw answered is counted,
# once, old workers' last ones included.  Then the metrics location
# removed and added back: the counts start again, with a new reset time.
SKIP: {
    skip 'no reload with master_process off (valgrind)', 20 if $t->valgrind;

    my $RX = "        location /rx/ {\n"
           . "            graph_attach on;\n"
           . "            graph_attach_redis unix:/nonexistent/rx.sock;\n"
           . "            $KEY\n            $GRAPH\n        }\n";
    my @confs = (
        [ 'buckets B, 3 workers', conf_with('0.5 1.5'), workers => 3 ],
        [ 'buckets A, 1 worker, another Redis', conf_with($BUCKETS_A, $RX),
          workers => 1 ],
        [ 'buckets B, 2 workers, that Redis removed', conf_with('0.5 1.5') ],
        [ 'buckets A, 3 workers', conf_with($BUCKETS_A), workers => 3 ],
        [ 'buckets A, 2 workers, the same again', %conf ],
    );

    $t->graph_clear;
    my $before = settled();
    my $count = $t->servroot . '/tmp/loader.count';
    my $stop = $t->servroot . '/tmp/loader.stop';
    unlink $count, $stop;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        my ($ok, $bad) = (0, 0);
        until (-e $stop) {
            my $r = eval { up(name => 'load.txt', data => 'load') };
            ($r && $r->{status} == 201) ? $ok++ : $bad++;
        }
        open(my $fh, '>', $count) or POSIX::_exit(1);
        print {$fh} "$ok $bad\n";
        close $fh;
        POSIX::_exit(0);
    }

    for my $c (@confs) {
        my ($label, %o) = @$c;
        reload_to($label, %o);
        sleep 0.3;
        my $m = scrape();
        my $w = $o{workers} || 2;
        ok($t->wait_for(sub {
               value(scrape(), 'graph_attach_redis_connected_workers',
                     redis => '127.0.0.1:' . $t->redis_port) == $w }, 10),
           "$label: $w workers connected to Redis");
        if ($o{server} =~ m{/rx/}) {
            is(value($m, $UP, redis => 'unix:/nonexistent/rx.sock'), 0,
               "$label: the new Redis shows, down");
        }
    }

    open(my $fh, '>', $stop) or die;
    close $fh;
    waitpid($pid, 0);
    ok($t->wait_for(sub { $t->nginx_workers == 2 }, 20),
       'reloads: the old workers are gone');
    my ($ok, $bad) = split ' ', $t->slurp('tmp/loader.count');
    ok($ok > 10, "reloads: the client had $ok uploads answered ($bad not)");
    my $after = settled();
    my $d = changes($before, $after);
    my $all = 0;
    $all += $d->{$_} for grep { /^\Q$REQ\E/ } keys %$d;
    is($d->{ skey($REQ, { code => '2xx' }) }, $ok,
       'reloads: every upload answered 201 is counted, once');
    is($all, $ok + $bad, 'reloads: and nothing else');
    is(value($after, $UP, redis => 'unix:/nonexistent/rx.sock'), undef,
       'reloads: the removed Redis shows no more');

    # the metrics location removed, then added back
    my $reset = value($after, 'graph_attach_metrics_reset_time_seconds');
    (my $bare = $server) =~ s{location = /metrics \{.*?\}\n}{}s;
    $bare =~ s{location = /metrics-gzip \{.*?\}\n}{}s;
    reload_to('no metrics location', %conf, server => $bare, gone => 1);
    is($t->request(raw => "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                        . "Connection: close\r\n\r\n")->{status}, 404,
       'no metrics location: /metrics is 404');
    is(up()->{status}, 201, 'no metrics location: uploads go on');
    sleep 1.1;
    reload_to('the metrics location back', %conf, gone => 1);
    my $m = settled();
    is(value($m, $REQ, code => '2xx'), 0,
       'the metrics location back: the counts start again from 0');
    cmp_ok(value($m, 'graph_attach_metrics_reset_time_seconds'), '>', $reset,
           '  with a new reset time');
}


# --- a label that is no UTF-8 -------------------------------------------------------

{
    my $v = GraphAttach::Test->new(name => '181-metrics-utf8');
    $v->start(key => 'graph:token:t1', server => <<"EOF");
        location /bad/ {
            graph_attach on;
            graph_attach_redis "unix:/nonexistent/latin-1-\xe9-\xff.sock";
            $KEY
            $GRAPH
        }

        location = /metrics {
            graph_attach_metrics;
        }
EOF
    my $r = $v->request(raw => "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                             . "Connection: close\r\n\r\n");
    is($r->{status}, 200, 'a unix: path in Latin-1: the metrics answer');
    my ($m, $err) = parse_metrics($v, $r->{body});
    ok($m, 'a unix: path in Latin-1: the text is UTF-8 still, as the '
           . 'format wants, and parses')
        or diag($err);
    is($m && value($m, $UP,
                   redis => "unix:/nonexistent/latin-1-\x{fffd}-\x{fffd}.sock"),
       0, '  its bytes that are no UTF-8 shown as U+FFFD');
    $v->teardown;
}

$t->done_testing;
