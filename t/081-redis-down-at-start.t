# Redis down when nginx starts, then up: 503 with Retry-After while it is
# down (fast, not after a timeout), one "unavailable" line and one
# "available again" line per worker, uploads work once it is up, without
# a reload.  Then Redis answers error replies: LOADING (a restart
# loading its data) and NOAUTH, from a fake Redis: 503, a clear log line,
# recovery when the replies become good.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Redis;

my $t = GraphAttach::Test->new;
my $S = $t->slow;

my $r = GraphAttach::Redis->new($t, port => $t->redis_port, name => 'main');
my $f = GraphAttach::Redis->fake($t, mode => 'loading');
my $fp = $f->port;
$f->fake_start;

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

$t->start_graph;
$t->start_nginx(server => <<"EOF2");
        location /fake/ {
            graph_attach on;
            graph_attach_token_key graph:token:fake\$arg_k;
            graph_attach_redis 127.0.0.1:$fp timeout=500ms;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%\$graph_attach_uri;
        }
EOF2

sub up {
    my ($prefix, $k) = @_;
    return $t->post(path => ($prefix // '/graph') . $msg
                            . (defined $k ? "?k=$k" : ''),
                    parts => [ { name => 'file', filename => 'd.txt',
                                 type => 'text/plain', data => 'down' } ])
        || { status => 0 };
}

# --- down at start --------------------------------------------------------

sleep 0.3 * $S;    # the first connect attempts have failed

for my $i (1 .. 5) {
    my $t0 = time;
    my $res = up();
    my $dt = time - $t0;
    $t->check_error($res, status => 503, code => 'TokenUnavailable',
                    retry_after => 1, label => "Redis down at start, #$i");
    cmp_ok($res->{headers}{'retry-after'} // 0, '<=', 5,
           "  Retry-After at most 5 s");
    cmp_ok($dt, '<', 0.5 * $S, "  answered at once (${\ sprintf '%.3f', $dt} s)");
}
$t->nothing_upstream('Redis down at start');

my $log = $t->log_since(0);
my $port = $t->redis_port;
my @down = $log =~ /graph_attach: redis "127\.0\.0\.1:$port" is unavailable/g;
ok(@down >= 1 && @down <= ($t->valgrind ? 1 : 2),
   'one "unavailable" line per worker, not one per request or attempt ('
   . scalar(@down) . ')') or diag($log);

my $tok = 'eyJ0eXAi.start-' . int(rand(1e9));
$t->secret($tok);
$r->start;
$r->cmd(SET => 'graph:token:t1', $tok);
$t->graph_tokens($tok);

my $ok = $t->wait_for(sub { up()->{status} == 201 }, 12);
ok($ok, 'Redis up: uploads work without a reload');
ok($t->wait_for(sub {
       my @back = $t->log_since(0) =~ /is available again/g;
       scalar(@back) == scalar(@down);
   }, 12), 'one "available again" line per worker that lost it');

# --- error replies: LOADING, NOAUTH ---------------------------------------

my $ftok = 'eyJ0eXAi.fake-' . int(rand(1e9));
$t->secret($ftok);
$f->value($ftok);
$t->graph_tokens($tok, $ftok);

for my $mode (qw(loading noauth)) {
    $f->mode($mode);
    my $mark = $t->log_mark;
    # a key of its own, not cached by the previous round; the first
    # request sees the error, the next ones fail fast
    for my $i (1 .. 4) {
        my $res = up('/fake', $mode);
        $t->check_error($res, status => 503, code => 'TokenUnavailable',
                        retry_after => 1, label => "$mode, #$i");
    }
    # one line per worker and outage: a worker still down from the last
    # round logs nothing new, so ask until one that was up has seen it
    my $code = uc $mode;
    my $re = qr/graph_attach: redis "127\.0\.0\.1:$fp" is unavailable: [^\n]*$code/;
    my $l = '';
    ok($t->wait_for(sub {
           $l = $t->log_since($mark)
                . ($mode eq 'loading' ? $t->log_since(0) : '');
           return 1 if $l =~ $re;
           up('/fake', $mode);
           return 0;
       }, 10), "$code: a log line naming the error") or diag($l);
    $f->mode('ok');
    ok($t->wait_for(sub { up('/fake', $mode)->{status} == 201 }, 12),
       "$code over: uploads work again");
}

unlike($t->log_since(0), qr/is loading the dataset/,
       'only the error code is logged, not the reply text');

is(up()->{status}, 201, 'the other Redis was not disturbed');

$t->done_testing;
