# Many keys across 4 workers without cross-talk; single flight (a burst
# for one uncached key costs at most one GET per worker); refresh ahead
# (in the last fifth of the cache life one request starts a background
# GET, nobody waits, and the new token is used before the entry would
# have ended); after a 401, a token Redis still holds is cached for 1 s
# only, so the broker's next token is picked up at once.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Redis;

my $W = 4;
my $t = GraphAttach::Test->new(workers => $W);
my $S = $t->slow;
$W = 1 if $t->valgrind;

my $r = GraphAttach::Redis->new($t, name => 'keys')->start;
my $rp = $r->port;

$t->start_graph;
$t->start_nginx(
    workers => 4,
    key => 'graph:token:$arg_k',
    location_extra => "graph_attach_redis 127.0.0.1:$rp timeout=5s;",
    http => "graph_attach_token_cache_time 5s;",
);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub req {
    my ($k, $name) = @_;
    return $t->build_request(path => "/graph$msg?k=$k",
                             parts => [ { name => 'file',
                                          filename => $name // "$k.txt",
                                          type => 'text/plain',
                                          data => "key $k" } ]);
}

sub up { my $c = $t->connect; $c->send(req(@_)); my $res = $c->read_response;
         $t->seen($res); $c->close; $res || { status => 0 } }

# all requests sent before any answer is read
sub burst {
    my (@keys) = @_;
    my @c;
    for my $i (0 .. $#keys) {
        my $c = $t->connect;
        $c->send(req($keys[$i], "$keys[$i]-$i.txt"));
        push @c, $c;
    }
    return map { my $res = $_->read_response; $t->seen($res); $_->close;
                 $res ? $res->{status} : 0 } @c;
}

# --- many keys, many workers ----------------------------------------------

my $N = 40;
my %tok = map { ("m$_" => "eyJ0eXAi.m$_-" . int(rand(1e9))) } 1 .. $N;
$t->secret($_) for values %tok;
$r->cmd(SET => "graph:token:$_", $tok{$_}) for keys %tok;
$t->graph_tokens(values %tok);

for my $round (1 .. 2) {
    $t->graph_clear;
    srand(42 + $round);
    my @keys = map { 'm' . (1 + int rand $N) } 1 .. 80;
    # in waves of 10: the Graph stand-in listens with a backlog of 5
    my @st = map { burst(@keys[$_ * 10 .. $_ * 10 + 9]) } 0 .. 7;
    is(scalar(grep { $_ != 201 } @st), 0,
       "round $round: 80 uploads, 10 at a time, over $N keys, all 201");
    my @rec = $t->graph_records;
    is(scalar @rec, 80, "  80 reached Graph");
    my @mixed = grep {
        my ($k) = ($_->{json}{name} // '') =~ /^(m\d+)-/;
        !$k || ($_->{headers}{authorization} // '') ne "Bearer $tok{$k}";
    } @rec;
    is(scalar @mixed, 0, '  each with the token of its own key');
}

# --- single flight --------------------------------------------------------

{
    my $k = 'burst';
    my $tk = 'eyJ0eXAi.burst-' . int(rand(1e9));
    $t->secret($tk);
    $t->graph_tokens(values %tok, $tk);
    $r->cmd(SET => "graph:token:$k", $tk);
    $r->cmd('CONFIG', 'RESETSTAT');

    # Redis holds its replies a moment (the command timeout is 5 s here):
    # the burst piles up on the lookups
    $r->pause;
    my @c;
    for my $i (1 .. 12) {
        my $c = $t->connect;
        $c->send(req($k, "$k-$i.txt"));
        push @c, $c;
    }
    sleep 0.3;
    $r->resume;
    my @st = map { my $res = $_->read_response; $t->seen($res); $_->close;
                   $res ? $res->{status} : 0 } @c;
    is(scalar(grep { $_ != 201 } @st), 0, 'single flight: 12 uploads, all 201');
    my $gets = $r->get_calls;
    cmp_ok($gets, '>=', 1, 'single flight: Redis was asked');
    cmp_ok($gets, '<=', $W, "single flight: at most one GET per worker "
                            . "($gets for 12 requests, $W workers)");
}

# --- refresh ahead ---------------------------------------------------------

{
    my $k = 'ahead';
    my ($ta, $tb) = map { "eyJ0eXAi.ahead-$_-" . int(rand(1e9)) } qw(a b);
    $t->secret($_) for $ta, $tb;
    $t->graph_tokens($ta, $tb);
    $r->cmd(SET => "graph:token:$k", $ta);

    # at the start of a second: fresh until s+5, refresh from s+4
    sleep(1 - (time - int(time)) + 0.05);
    my $s = int(time);
    $t->graph_clear;
    is(up($k)->{status}, 201, 'refresh ahead: token a fetched');
    $r->cmd(SET => "graph:token:$k", $tb);
    $r->cmd('CONFIG', 'RESETSTAT');

    sleep($s + 2.5 - time);
    is(up($k)->{status}, 201, 'refresh ahead: mid-life, cached');
    is($r->get_calls, 0, '  no GET before the last fifth of the cache life');

    sleep($s + 4.2 - time) if time < $s + 4.2;
    my $t0 = time;
    is(up($k)->{status}, 201, 'refresh ahead: in the last fifth');
    my $dt = time - $t0;
    cmp_ok($dt, '<', 0.3 * $S, sprintf('  served at once (%.3f s)', $dt));
    ok($t->wait_for(sub { $r->get_calls == 1 }, 2),
       '  and one background GET went out');
    sleep 0.1;
    up($k) for 1 .. 3;
    my @auth = map { $_->{headers}{authorization} } $t->graph_records;
    is($auth[-4], "Bearer $ta", '  that request still used the cached token');
    is($auth[-1], "Bearer $tb", '  the next ones the refreshed token, before '
                                . 'the old entry would have ended');
    ok(time < $s + 5, '  (still before the end of the old entry)');
    is($r->get_calls, 1, '  one GET for all of it, across the workers');
}

# --- after a 401, the same token from Redis is cached for 1 s -------------

{
    my $k = 'rej';
    my ($x, $y) = map { "eyJ0eXAi.rej-$_-" . int(rand(1e9)) } qw(x y);
    $t->secret($_) for $x, $y;
    $r->cmd(SET => "graph:token:$k", $x);

    $t->graph_tokens($y);         # Graph refuses x, once
    is(up($k)->{status}, 401, '401 from Graph is relayed');

    # Graph takes x again (the 401 was transient); Redis still holds x:
    # it is read again, and cached for 1 s only
    $t->graph_tokens($x, $y);
    is(up($k)->{status}, 201, 'the refused token, read again from Redis, '
                              . 'works again');

    # the broker rotates: y is used within about a second, not after
    # graph_attach_token_cache_time (5 s)
    $r->cmd(SET => "graph:token:$k", $y);
    my $t0 = time;
    ok($t->wait_for(sub {
           $t->graph_clear;
           up($k);
           my ($rec) = $t->graph_records;
           $rec && $rec->{headers}{authorization} eq "Bearer $y";
       }, 5), 'the broker\'s next token is picked up');
    my $dt = time - $t0;
    cmp_ok($dt, '<', 2.5, sprintf('  within the 1 s re-read (%.2f s), not '
                                  . 'the 5 s cache time', $dt));
}

$t->done_testing;
