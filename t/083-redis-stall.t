# Redis stalled (SIGSTOP): requests with a cached token keep flowing with
# no added delay; an uncached key gets 503 after the command timeout
# (500 ms here), and then at once while Redis is known to be down; one
# log line per worker; after SIGCONT, uploads work again.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use List::Util qw(max);
use GraphAttach::Test;
use GraphAttach::Redis;

my $t = GraphAttach::Test->new;
my $S = $t->slow;

my $r = GraphAttach::Redis->new($t, name => 'stall')->start;
my $rp = $r->port;

$t->start_graph;
$t->start_nginx(
    key => 'graph:token:$arg_k',
    location_extra => "graph_attach_redis 127.0.0.1:$rp timeout=500ms;",
    http => "graph_attach_token_cache_time 30s;",
);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub up {
    my ($k) = @_;
    return $t->post(path => "/graph$msg?k=$k",
                    parts => [ { name => 'file', filename => 's.txt',
                                 type => 'text/plain', data => 'stall' } ])
        || { status => 0 };
}

my $tok = 'eyJ0eXAi.stall-' . int(rand(1e9));
my $tok2 = 'eyJ0eXAi.after-' . int(rand(1e9));
$t->secret($_) for $tok, $tok2;
$r->cmd(SET => 'graph:token:cached', $tok, 'EX', 3600);
$t->graph_tokens($tok, $tok2);

# every worker caches it (the zone is shared: one is enough, but make
# sure by asking a few times)
is(up('cached')->{status}, 201, 'token cached') for 1 .. 4;

my $mark = $t->log_mark;
$r->pause;

my $load = GraphAttach::Redis::load($t, path => "/graph$msg?k=cached");

# uncached keys meanwhile
my @unc;
for my $i (1 .. 4) {
    my $t0 = time;
    my $res = up("uncached$i");
    push @unc, [ $res, time - $t0 ];
}
sleep 1;
my @res = $load->stop;

ok(@res >= 5, 'cached requests ran during the stall (' . scalar(@res) . ')');
is(scalar(grep { $_->{status} != 201 } @res), 0,
   'every request with a cached token: 201');
my $slowest = max(map { $_->{dt} } @res) // 99;
cmp_ok($slowest, '<', 0.4 * $S,
       sprintf('no added delay for cached tokens (slowest %.3f s)', $slowest));

my ($first, $dt1) = @{ $unc[0] };
$t->check_error($first, status => 503, code => 'TokenUnavailable',
                retry_after => 1, label => 'uncached key during the stall');
cmp_ok($dt1, '>=', 0.4, sprintf('  after the timeout (%.3f s)', $dt1));
cmp_ok($dt1, '<', 1.5 * $S, '  and not much later');

# the other worker may still be waiting for its own first timeout
my $fast = grep { $_->[0]{status} == 503 && $_->[1] < 0.3 * $S } @unc[1 .. 3];
cmp_ok($fast, '>=', 1, "then 503 at once while Redis is known down ($fast of 3)");
is(scalar(grep { $_->[0]{status} != 503 } @unc), 0, 'all uncached: 503');

my @l = $t->log_since($mark) =~ /is unavailable: ([^\n]*)/g;
ok(@l >= 1 && @l <= 2, 'one "unavailable" line per worker ('
   . scalar(@l) . ')');
like($l[0] // '', qr/no reply within 500 ms|timed out/, '  saying why');

$r->resume;
$r->cmd(SET => 'graph:token:uncached1', $tok2);
ok($t->wait_for(sub { up('uncached1')->{status} == 201 }, 12),
   'after SIGCONT: uploads work again');
is(up('cached')->{status}, 201, 'the cached key too');

$t->done_testing;
